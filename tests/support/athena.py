"""Athena on moto's server: moto runs no SQL, it answers each query with the next canned
result set. Result sets in Athena's wire form, queueing them, slowing queries, reading back
what was sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, Final

from sma import names
from sma.schema import DATA_COLUMNS
from tests.support.moto_server import post

if TYPE_CHECKING:
    from sma_api.store.athena import AthenaStore

REGION: Final = names.DEFAULT_REGION
DATABASE: Final = names.GLUE_DATABASE
TABLE: Final = names.GLUE_TABLE
# (name, Athena type) of the table's data columns.
DATA_TYPES: Final = [(c.name, c.type) for c in DATA_COLUMNS]

ResultSet = dict[str, Any]


def athena_store(workgroup: str, **options: Any) -> AthenaStore:
    """The API's Athena store over the Glue table, polling every 10 ms for up to 10 s.

    `options` are further ``AthenaStore`` arguments, or override those; its clients find moto's
    server by ``AWS_ENDPOINT_URL``, as they would any endpoint.
    """
    from sma_api.store.athena import AthenaStore

    settings: dict[str, Any] = {"poll_seconds": 0.01, "timeout_seconds": 10.0, **options}
    return AthenaStore(
        database=DATABASE, table=TABLE, workgroup=workgroup, region=REGION, **settings
    )


def athena_timestamp(when: datetime) -> str:
    """A timestamp as Athena writes it in a result: UTC, milliseconds, no zone."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def result_set(
    columns: Iterable[tuple[str, str]], rows: Iterable[Iterable[str | None]]
) -> ResultSet:
    """A result set as Athena returns it: a header row, then every value as text or absent."""
    names = list(columns)
    header = {"Data": [{"VarCharValue": name} for name, _ in names]}
    data = [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows]
    info = [
        {
            "CatalogName": "hive",
            "SchemaName": "",
            "TableName": "",
            "Name": name,
            "Label": name,
            "Type": kind,
            "Precision": 0,
            "Scale": 0,
            "Nullable": "UNKNOWN",
            "CaseSensitive": False,
        }
        for name, kind in names
    ]
    return {"rows": [header, *data], "column_info": info}


def newest_date_result(day: date | None) -> ResultSet:
    """The answer to the newest-partition lookup: one date, or null for an unknown ticker."""
    return result_set([("_col0", "date")], [[None if day is None else day.isoformat()]])


def data_result(rows: Iterable[Mapping[str, Any]]) -> ResultSet:
    """The table's data columns for `rows` (lake rows by column name; absent means null)."""
    values: list[list[str | None]] = []
    for row in rows:
        line: list[str | None] = []
        for name, _ in DATA_TYPES:
            value = row.get(name)
            if value is None:
                line.append(None)
            elif name == "last_refreshed":
                line.append(athena_timestamp(value))
            else:
                line.append(repr(value))
        values.append(line)
    return result_set(DATA_TYPES, values)


def seed_results(endpoint: str, *results: ResultSet, region: str = REGION) -> None:
    """Queue canned result sets; moto hands them out to the queries it gets, in order."""
    post(endpoint, "/moto-api/static/athena/query-results", {"region": region, "results": results})


def hold_queries(endpoint: str, polls: int | None) -> None:
    """Keep every query queued, then running, for `polls` status checks each (None: no delay)."""
    if polls is None:
        post(
            endpoint,
            "/moto-api/state-manager/unset-transition",
            {"model_name": "athena::execution"},
        )
    else:
        post(
            endpoint,
            "/moto-api/state-manager/set-transition",
            {
                "model_name": "athena::execution",
                "transition": {"progression": "manual", "times": polls},
            },
        )


def _client(endpoint: str, region: str) -> Any:
    """An Athena client of moto's server, whatever credentials this process has."""
    import boto3

    return boto3.client(
        "athena",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_workgroup(endpoint: str, name: str, region: str = REGION) -> None:
    """A work group whose results go to an S3 location, as the API's store needs."""
    _client(endpoint, region).create_work_group(
        Name=name,
        Configuration={"ResultConfiguration": {"OutputLocation": "s3://sma-results/athena/"}},
    )


def sent_queries(
    endpoint: str, workgroup: str, region: str = REGION
) -> list[tuple[str, list[str]]]:
    """(SQL text, execution parameters) of every query moto's Athena received, oldest first."""
    client = _client(endpoint, region)
    pages = client.get_paginator("list_query_executions").paginate(WorkGroup=workgroup)
    ids = [i for page in pages for i in page["QueryExecutionIds"]]
    found = [client.get_query_execution(QueryExecutionId=i)["QueryExecution"] for i in ids]
    found.sort(key=lambda e: e["Status"]["SubmissionDateTime"])
    return [(e["Query"], list(e.get("ExecutionParameters", []))) for e in found]
