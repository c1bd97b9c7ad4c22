"""Helpers shared by the tests and the benchmarks, each defined once.

``net`` (ports, waiting for HTTP), ``times`` (time spellings), ``lake`` (a reference lake),
``job`` (running the job, reading its lake), ``source_table`` (the job's DynamoDB table),
``moto_server`` (moto's server), ``athena`` (Athena's wire answers on moto), ``glue_view``
(the lake in DuckDB under the Glue names), ``api_server`` (the API in uvicorn).
"""
