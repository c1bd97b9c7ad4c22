"""The Athena store against moto's server over real HTTP: the SQL text and execution parameters
sent, result reuse, polling, timeouts, type conversion; then the very SQL text Athena was sent,
run in DuckDB on views named like the Glue table, answers the same as the oracle."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from sma.schema import DATA_COLUMN_NAMES
from sma.windows import SMA_COLUMNS
from sma_api import sql
from sma_api.config import Settings
from sma_api.errors import BackendUnavailable, TickerNotFound
from sma_api.main import create_app
from sma_api.store.athena import AthenaStore
from tests.api.api_lake import Lake, tick_json
from tests.support.athena import (
    DATABASE,
    REGION,
    TABLE,
    ResultSet,
    athena_store,
    athena_timestamp,
    create_workgroup,
    data_result,
    hold_queries,
    newest_date_result,
    result_set,
    seed_results,
    sent_queries,
)
from tests.support.glue_view import from_athena_literal, glue_named_duckdb
from tests.support.times import iso

WORKGROUP = "crypto-sma-test"
TABLE_SQL = sql.table_source(DATABASE, TABLE)
PARTITIONS_SQL = sql.partitions_source(DATABASE, TABLE)


@dataclass
class Athena:
    endpoint: str
    session: boto3.Session
    sent: list[dict[str, Any]] = field(default_factory=list)
    polls: list[str] = field(default_factory=list)
    stops: list[str] = field(default_factory=list)

    def store(self, workgroup: str = WORKGROUP, **options: Any) -> AthenaStore:
        return athena_store(workgroup, session=self.session, **options)

    def seed(self, *results: ResultSet) -> None:
        """Queue canned result sets: moto runs no SQL, it answers queries in order."""
        seed_results(self.endpoint, *results, region=REGION)

    def recorded(self) -> list[tuple[str, list[str]]]:
        """(SQL text, execution parameters) of every query moto received, in order."""
        return sent_queries(self.endpoint, WORKGROUP, REGION)


@pytest.fixture
def athena(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Athena]:
    # The standard variable: the store's boto3 clients find moto by it, as they would LocalStack.
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    create_workgroup(moto_endpoint, WORKGROUP, REGION)
    session = boto3.Session(region_name=REGION)
    harness = Athena(moto_endpoint, session)

    def on_start(params: dict[str, Any], **_: Any) -> None:
        harness.sent.append(copy.deepcopy(params))

    session.events.register("provide-client-params.athena.StartQueryExecution", on_start)
    session.events.register(
        "before-call.athena.GetQueryExecution", lambda **_: harness.polls.append("poll")
    )
    session.events.register(
        "before-call.athena.StopQueryExecution", lambda **_: harness.stops.append("stop")
    )
    yield harness
    hold_queries(moto_endpoint, None)


# -- what is sent ------------------------------------------------------------------------


def test_latest_sends_parameterised_partition_pruned_sql(athena: Athena, lake: Lake) -> None:
    latest = lake.latest("BTCUSD")
    day = latest["last_refreshed"].date()
    athena.seed(newest_date_result(day), data_result([latest]))

    row = athena.store().latest("BTCUSD")

    assert athena.recorded() == [
        (sql.newest_date_sql(PARTITIONS_SQL), ["'BTCUSD'"]),
        (sql.latest_sql(TABLE_SQL), ["'BTCUSD'", f"'{day.isoformat()}'"]),
    ]
    for query, _ in athena.recorded():
        assert "BTCUSD" not in query
        assert "'" not in query
    assert all(s["WorkGroup"] == WORKGROUP for s in athena.sent)
    assert all(s["QueryExecutionContext"]["Database"] == DATABASE for s in athena.sent)
    assert all(
        s["ResultReuseConfiguration"]
        == {"ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 60}}
        for s in athena.sent
    )
    # Types: doubles exactly, the timestamp as UTC, absent values as None.
    assert row.last_refreshed == latest["last_refreshed"]
    assert row.last_refreshed.tzinfo is not None
    assert row.bid_price == latest["bid_price"]
    assert row.ask_price == latest["ask_price"]
    assert dict(row.smas) == {c: latest[c] for c in SMA_COLUMNS}


def test_a_hostile_ticker_never_reaches_the_sql_text(athena: Athena) -> None:
    athena.seed(newest_date_result(None))
    with pytest.raises(TickerNotFound):
        athena.store().latest("X1Y2Z3")
    [(query, params)] = athena.recorded()
    assert "X1Y2Z3" not in query
    assert params == ["'X1Y2Z3'"]
    assert sql.athena_params(["it's"]) == ["'it''s'"]


def test_latest_widens_only_when_the_newest_partition_is_empty(athena: Athena, lake: Lake) -> None:
    latest = lake.latest("ETHUSD")
    day = latest["last_refreshed"].date() + timedelta(days=1)
    athena.seed(newest_date_result(day), data_result([]), data_result([latest]))
    row = athena.store().latest("ETHUSD")
    assert row.last_refreshed == latest["last_refreshed"]
    assert [p for _, p in athena.recorded()] == [
        ["'ETHUSD'"],
        ["'ETHUSD'", f"'{day.isoformat()}'"],
        ["'ETHUSD'", f"'{(day - timedelta(days=7)).isoformat()}'"],
    ]


def test_history_sends_range_limit_and_order_as_parameters(athena: Athena, lake: Lake) -> None:
    start = datetime(2025, 1, 12, 23, 58, tzinfo=UTC)
    end = datetime(2025, 1, 13, 0, 3, tzinfo=UTC)
    expected = [r for r in lake.rows["BTCUSD"] if start <= r["last_refreshed"] < end][::-1]
    athena.seed(data_result(expected))
    rows = athena.store().history("BTCUSD", start, end, 50, "desc")
    assert [r.last_refreshed for r in rows] == [r["last_refreshed"] for r in expected]
    assert athena.recorded() == [
        (
            sql.history_sql(TABLE_SQL, "desc"),
            [
                "'BTCUSD'",
                "'2025-01-12'",
                "'2025-01-13'",
                "'2025-01-12 23:58:00.000000'",
                "'2025-01-13 00:03:00.000000'",
                "50",
            ],
        )
    ]


def test_tickers_reads_partition_metadata_then_newest_dates(athena: Athena, lake: Lake) -> None:
    days = {t: lake.latest(t)["last_refreshed"].date() for t in ("BTCUSD", "ETHUSD")}
    athena.seed(
        result_set(
            [("ticker", "varchar"), ("_col1", "date")],
            [[t, d.isoformat()] for t, d in days.items()],
        ),
        result_set(
            [("ticker", "varchar"), ("last_refreshed", "timestamp")],
            [[t, athena_timestamp(lake.latest(t)["last_refreshed"])] for t in days],
        ),
    )
    found = athena.store().tickers()
    assert [(t.ticker, t.last_refreshed) for t in found] == [
        (t, lake.latest(t)["last_refreshed"]) for t in days
    ]
    assert athena.recorded() == [
        (sql.newest_dates_sql(PARTITIONS_SQL), []),
        (
            sql.tickers_sql(TABLE_SQL, 2),
            ["'BTCUSD'", f"'{days['BTCUSD']}'", "'ETHUSD'", f"'{days['ETHUSD']}'"],
        ),
    ]


# -- how it waits and fails --------------------------------------------------------------


def test_the_store_polls_until_the_query_succeeds(athena: Athena, lake: Lake) -> None:
    latest = lake.latest("BTCUSD")
    athena.seed(newest_date_result(latest["last_refreshed"].date()), data_result([latest]))
    hold_queries(athena.endpoint, 3)
    row = athena.store().latest("BTCUSD")
    assert row.bid_price == latest["bid_price"]
    # QUEUED and RUNNING each last three status requests per query.
    assert len(athena.polls) >= 2 * 6


def test_a_query_over_the_timeout_is_stopped_and_unavailable(athena: Athena) -> None:
    hold_queries(athena.endpoint, 100_000)
    store = athena.store(timeout_seconds=0.3)
    with pytest.raises(BackendUnavailable, match=r"longer than 0\.3 s"):
        store.latest("BTCUSD")
    assert athena.stops == ["stop"]


def test_a_missing_workgroup_is_unavailable(athena: Athena) -> None:
    store = athena.store(workgroup="no-such-workgroup")
    with pytest.raises(BackendUnavailable):
        store.latest("BTCUSD")
    with pytest.raises(BackendUnavailable):
        store.ping()
    athena.store().ping()


def test_http_over_athena_end_to_end(athena: Athena, lake: Lake) -> None:
    latest = lake.latest("BTCUSD")
    athena.seed(newest_date_result(latest["last_refreshed"].date()), data_result([latest]))
    settings = Settings(backend="athena", athena_workgroup=WORKGROUP)
    with TestClient(create_app(settings, athena.store())) as client:
        response = client.get("/tickers/BTC%2FUSD/sma")
        assert response.status_code == 200
        assert response.json() == tick_json("BTCUSD", latest)
        assert client.get("/health").json() == {"status": "ok", "backend": "athena"}


def test_http_503_when_athena_is_unreachable(
    athena: Athena, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    settings = Settings(backend="athena", athena_workgroup=WORKGROUP, retry_after_seconds=5)
    store = athena.store()
    with TestClient(create_app(settings, store)) as client:
        for path in ("/health", "/tickers/BTCUSD/sma", "/tickers"):
            response = client.get(path)
            assert response.status_code == 503
            assert response.headers["retry-after"] == "5"


# -- the same text in DuckDB -------------------------------------------------------------


def test_the_sql_athena_was_sent_runs_in_duckdb_on_the_glue_named_view(
    athena: Athena, lake: Lake
) -> None:
    """Every text the store sent, with its parameters, answers right over the real lake."""
    latest = lake.latest("BTCUSD")
    start = datetime(2025, 1, 12, 23, 58, tzinfo=UTC)
    end = datetime(2025, 1, 13, 0, 3, tzinfo=UTC)
    window = [r for r in lake.rows["BTCUSD"] if start <= r["last_refreshed"] < end]
    days = {t: lake.latest(t)["last_refreshed"].date() for t in sorted(lake.rows)}
    athena.seed(
        newest_date_result(latest["last_refreshed"].date()),
        data_result([latest]),
        data_result(window),
        result_set(
            [("ticker", "varchar"), ("_col1", "date")], [[t, str(d)] for t, d in days.items()]
        ),
        result_set(
            [("ticker", "varchar"), ("last_refreshed", "timestamp")],
            [[t, athena_timestamp(lake.latest(t)["last_refreshed"])] for t in days],
        ),
    )
    store = athena.store()
    store.latest("BTCUSD")
    store.history("BTCUSD", start, end, 100, "asc")
    store.tickers()
    sent = athena.recorded()
    assert len(sent) == 5

    con = glue_named_duckdb(lake.root, DATABASE, TABLE)

    def run(index: int) -> list[tuple[Any, ...]]:
        query, params = sent[index]
        return con.execute(query, [from_athena_literal(p) for p in params]).fetchall()

    assert run(0) == [(latest["last_refreshed"].date(),)]
    data = [tuple(r[c] for c in DATA_COLUMN_NAMES) for r in [latest]]
    assert run(1) == data
    assert run(2) == [tuple(r[c] for c in DATA_COLUMN_NAMES) for r in window]
    assert sorted(run(3)) == sorted(days.items())
    assert run(4) == [(t, lake.latest(t)["last_refreshed"]) for t in sorted(lake.rows)]
    assert iso(latest["last_refreshed"]).endswith("Z")
