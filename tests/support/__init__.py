"""Helpers shared by the tests and the benchmarks, each defined once.

``net`` (ports, waiting for HTTP), ``times`` (time spellings), ``prices`` (the real minute
prices), ``lake`` (a reference lake), ``job`` (running the job, reading its lake),
``source_table`` (the job's DynamoDB table), ``catalog`` (the Glue database and table),
``moto_server`` (moto's server), ``athena`` (Athena's answers on moto, the API's Athena store),
``glue_view`` (the lake in DuckDB under the Glue names), ``api_server`` (the API in uvicorn),
``relay`` (the loopback proxies' forwarding).
"""
