"""Helpers shared by the tests and the benchmarks, each defined once.

``net`` (ports, waiting for HTTP), ``times`` (time spellings), ``prices`` (the real minute
prices), ``lake`` (a reference lake), ``job`` (running the job, reading its lake),
``source_table`` (the job's DynamoDB table), ``catalog`` (the Glue database and table),
``moto_server`` (moto's server), ``athena_service`` (a local Athena that enforces Athena's query
rules and runs the SQL in DuckDB over the lake), ``api_server`` (the API in uvicorn), ``relay``
(the loopback proxies' forwarding).
"""
