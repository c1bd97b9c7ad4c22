"""The local Athena the API's tests run on holds queries to Athena's documented rules and answers
in Athena's wire form; a stand-in that accepted anything would prove only that the store talks."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sma import names
from sma_api import sql
from tests.api.api_lake import Lake
from tests.support.athena_service import (
    CANCELLED,
    FAILED,
    RUNNING,
    SUCCEEDED,
    TERMINAL,
    AthenaService,
    java_double,
)

TABLE = sql.table_source(names.GLUE_DATABASE, names.GLUE_TABLE)
PARTITIONS = sql.partitions_source(names.GLUE_DATABASE, names.GLUE_TABLE)
START = datetime(2025, 1, 13, 7, 0, tzinfo=UTC)
END = datetime(2025, 1, 13, 8, 0, tzinfo=UTC)
RANGE_PARAMS = sql.athena_params(sql.history_params("BTCUSD", START, END))


@pytest.fixture
def client(athena_service: AthenaService) -> Any:
    return boto3.client("athena", region_name="us-east-1", endpoint_url=athena_service.url)


def start(client: Any, service: AthenaService, query: str, params: list[str] | None = None) -> str:
    request: dict[str, Any] = {
        "QueryString": query,
        "WorkGroup": service.workgroup,
        "QueryExecutionContext": {"Database": names.GLUE_DATABASE},
    }
    if params:
        request["ExecutionParameters"] = params
    return str(client.start_query_execution(**request)["QueryExecutionId"])


def run(
    client: Any, service: AthenaService, query: str, params: list[str] | None = None
) -> dict[str, Any]:
    """Start a query and poll it to its end, as a client does; its final QueryExecution."""
    query_id = start(client, service, query, params)
    for _ in range(100):
        execution: dict[str, Any] = client.get_query_execution(QueryExecutionId=query_id)[
            "QueryExecution"
        ]
        if execution["Status"]["State"] in TERMINAL:
            return execution
        time.sleep(0.01)
    raise AssertionError(f"query {query_id} never ended")


def texts(page: dict[str, Any]) -> list[list[str | None]]:
    return [[d.get("VarCharValue") for d in row["Data"]] for row in page["ResultSet"]["Rows"]]


@pytest.mark.parametrize(
    ("query", "params", "error"),
    [
        pytest.param("SELECT FROM", None, "SYNTAX_ERROR: line 1:", id="no-sql"),
        pytest.param(
            f"SELECT 1 FROM {TABLE}; SELECT 2 FROM {TABLE}", None, "SYNTAX_ERROR", id="two"
        ),
        pytest.param(
            sql.history_sql(TABLE, "asc", 10).replace("LIMIT 10", "LIMIT ?"),
            [*RANGE_PARAMS, "10"],
            "INVALID_PARAMETER_USAGE: line 1:",
            id="limit-parameter",
        ),
        pytest.param(
            f'SELECT ? FROM {TABLE} WHERE "ticker" = ?',
            ["'x'", "'BTCUSD'"],
            "INVALID_PARAMETER_USAGE",
            id="select-parameter",
        ),
        pytest.param(
            sql.history_sql(TABLE, "asc", 10),
            RANGE_PARAMS[:-1],
            "INVALID_PARAMETER_USAGE",
            id="too-few",
        ),
        pytest.param(
            sql.date_span_sql(PARTITIONS),
            ["'A1'", "'B2'"],
            "INVALID_PARAMETER_USAGE",
            id="too-many",
        ),
        pytest.param(
            f"SELECT * FROM {PARTITIONS} WHERE \"ticker\" = '?'",
            ["'BTCUSD'"],
            "INVALID_PARAMETER_USAGE",
            id="quoted-mark",
        ),
        pytest.param(
            sql.date_span_sql(PARTITIONS), ["BTCUSD"], "COLUMN_NOT_FOUND", id="bare-value"
        ),
        pytest.param(
            sql.date_span_sql(PARTITIONS),
            ["'A' OR 1 = 1"],
            "INVALID_PARAMETER_USAGE",
            id="expression-parameter",
        ),
        pytest.param(
            'SELECT 1 FROM "crypto_sma_db"."other_table"', None, "TABLE_NOT_FOUND", id="table"
        ),
        pytest.param(
            'SELECT 1 FROM "other_db"."crypto_sma_table"', None, "SCHEMA_NOT_FOUND", id="schema"
        ),
        pytest.param("DROP TABLE crypto_sma_table", None, "NOT_SUPPORTED", id="ddl"),
    ],
)
def test_it_fails_what_athena_fails(
    client: Any, athena_service: AthenaService, query: str, params: list[str] | None, error: str
) -> None:
    execution = run(client, athena_service, query, params)
    status = execution["Status"]
    assert status["State"] == FAILED
    assert status["StateChangeReason"].startswith(error), status["StateChangeReason"]
    assert status["AthenaError"]["ErrorCategory"] == 2  # USER
    assert status["AthenaError"]["ErrorMessage"] == status["StateChangeReason"]


def test_the_api_sql_is_accepted_with_its_parameters(
    client: Any, athena_service: AthenaService
) -> None:
    day = sql.athena_params([START.date()])[0]
    for query, params in [
        (sql.latest_sql(TABLE), ["'BTCUSD'", day]),
        (sql.history_sql(TABLE, "desc", 10), RANGE_PARAMS),
        (sql.date_span_sql(PARTITIONS), ["'BTCUSD'"]),
        (sql.newest_dates_sql(PARTITIONS), None),
        (sql.tickers_sql(TABLE, 2), ["'BTCUSD'", day, "'ETHUSD'", day]),
        # Parameters are SQL text: typed literals and casts are values too.
        (sql.date_span_sql(PARTITIONS).replace('"ticker"', '"date"'), ["DATE '2025-01-13'"]),
    ]:
        assert run(client, athena_service, query, params)["Status"]["State"] == SUCCEEDED, query


def test_requests_athena_refuses_are_invalid_requests(
    client: Any, athena_service: AthenaService
) -> None:
    def refused(call: Any, **request: Any) -> str:
        with pytest.raises(ClientError) as caught:
            call(**request)
        assert caught.value.response["Error"]["Code"] == "InvalidRequestException"
        return str(caught.value.response["Error"]["Message"])

    assert "is not found" in refused(
        client.start_query_execution, QueryString="SELECT 1", WorkGroup="no-such-workgroup"
    )
    assert "was not found" in refused(client.get_query_execution, QueryExecutionId="nope")
    with athena_service.holding():
        held = start(client, athena_service, sql.newest_dates_sql(PARTITIONS))
        assert "not yet finished" in refused(client.get_query_results, QueryExecutionId=held)
    done = run(client, athena_service, sql.newest_dates_sql(PARTITIONS))["QueryExecutionId"]
    assert "1000" in refused(client.get_query_results, QueryExecutionId=done, MaxResults=1001)
    athena_service.add_workgroup("no-output", output_location=None)
    assert "No output location" in refused(
        client.start_query_execution, QueryString="SELECT 1", WorkGroup="no-output"
    )


def test_results_are_typed_text_behind_a_header_row_in_pages(
    client: Any, athena_service: AthenaService, lake: Lake
) -> None:
    query = (
        f'SELECT "ticker", max("last_refreshed") AS "newest", count(*), max("bid_price"), '
        f'max("date"), max("sma_100") FROM {TABLE} WHERE "ticker" = ? GROUP BY "ticker"'
    )
    query_id = run(client, athena_service, query, ["'NEWUSD'"])["QueryExecutionId"]

    first = client.get_query_results(QueryExecutionId=query_id, MaxResults=1)
    info = first["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [(c["Name"], c["Type"]) for c in info] == [
        ("ticker", "varchar"),
        ("newest", "timestamp"),
        ("_col2", "bigint"),
        ("_col3", "double"),
        ("_col4", "date"),
        ("_col5", "double"),
    ]
    assert texts(first) == [["ticker", "newest", "_col2", "_col3", "_col4", "_col5"]]
    second = client.get_query_results(
        QueryExecutionId=query_id, MaxResults=1, NextToken=first["NextToken"]
    )
    rows = lake.rows["NEWUSD"]
    newest = rows[-1]["last_refreshed"]
    assert texts(second) == [
        [
            "NEWUSD",
            newest.strftime("%Y-%m-%d %H:%M:%S.000"),
            str(len(rows)),
            java_double(max(r["bid_price"] for r in rows)),
            newest.date().isoformat(),
            None,  # NULL: no VarCharValue at all
        ]
    ]
    assert "NextToken" not in second


def test_the_partitions_table_lists_the_partition_folders(
    client: Any, athena_service: AthenaService, lake: Lake
) -> None:
    query_id = run(client, athena_service, f"SELECT * FROM {PARTITIONS}")["QueryExecutionId"]
    page = client.get_query_results(QueryExecutionId=query_id)
    header, *rows = texts(page)
    assert header == ["ticker", "date", "hour"]
    folders = sorted(p.relative_to(lake.root) for p in lake.root.glob("*/*/*") if p.is_dir())
    assert sorted(rows) == sorted([part.split("=")[1] for part in f.parts] for f in folders)


def test_a_held_query_runs_until_stopped(client: Any, athena_service: AthenaService) -> None:
    with athena_service.holding():
        query_id = start(client, athena_service, sql.newest_dates_sql(PARTITIONS))
        for _ in range(3):
            state = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            assert state["Status"]["State"] == RUNNING
        client.stop_query_execution(QueryExecutionId=query_id)
        status = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]
    assert status["State"] == CANCELLED
    assert athena_service.stopped == [query_id]


def test_a_scripted_failure_is_a_system_error(client: Any, athena_service: AthenaService) -> None:
    athena_service.fail_next(reason="GENERIC_INTERNAL_ERROR: boom")
    status = run(client, athena_service, sql.newest_dates_sql(PARTITIONS))["Status"]
    assert (status["State"], status["StateChangeReason"]) == (
        FAILED,
        "GENERIC_INTERNAL_ERROR: boom",
    )
    assert status["AthenaError"]["ErrorCategory"] == 1  # SYSTEM
    assert run(client, athena_service, sql.newest_dates_sql(PARTITIONS))["Status"]["State"] == (
        SUCCEEDED
    )


def test_result_reuse_answers_a_repeated_query_from_the_earlier_result(
    client: Any, athena_service: AthenaService
) -> None:
    request: dict[str, Any] = {
        "QueryString": sql.date_span_sql(PARTITIONS),
        "ExecutionParameters": ["'BTCUSD'"],
        "WorkGroup": athena_service.workgroup,
        "QueryExecutionContext": {"Database": names.GLUE_DATABASE},
        "ResultReuseConfiguration": {
            "ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 60}
        },
    }
    reused = []
    for _ in range(2):
        query_id = client.start_query_execution(**request)["QueryExecutionId"]
        while True:
            execution = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]
            if execution["Status"]["State"] in TERMINAL:
                break
        reused.append(execution["Statistics"]["ResultReuseInformation"]["ReusedPreviousResult"])
    assert reused == [False, True]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (94123.456789, "94123.456789"),
        (0.001, "0.001"),
        (1234567.0, "1234567.0"),
        (12345678.9, "1.23456789E7"),
        (0.00015, "1.5E-4"),
        (1e7, "1.0E7"),
        (-2.5e-5, "-2.5E-5"),
        (0.0, "0.0"),
    ],
)
def test_doubles_are_written_as_java_writes_them(value: float, text: str) -> None:
    assert java_double(value) == text
    assert float(text) == value
