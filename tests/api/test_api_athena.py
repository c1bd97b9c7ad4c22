"""The Athena store against the local Athena (tests.support.athena_service) over real HTTP: the
SQL text and execution parameters sent, and Athena's rules for them; result reuse, polling, the
deadline and its StopQueryExecution, failures; the typed answers over the real lake."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sma import names
from sma.windows import SMA_COLUMNS
from sma_api import sql
from sma_api.config import Settings
from sma_api.errors import BackendUnavailable, TickerNotFound
from sma_api.main import create_app
from sma_api.store.athena import AthenaStore
from sma_api.store.duckdb_store import DuckDbStore
from tests.api.api_lake import Lake, latest_json, without_age
from tests.support.athena_service import CANCELLED, FAILED, SUCCEEDED, AthenaService

TABLE_SQL = sql.table_source(names.GLUE_DATABASE, names.GLUE_TABLE)
PARTITIONS_SQL = sql.partitions_source(names.GLUE_DATABASE, names.GLUE_TABLE)
StoreFactory = Callable[..., AthenaStore]


def _settings(service: AthenaService, **overrides: Any) -> Settings:
    return Settings(backend="athena", athena_workgroup=service.workgroup, **overrides)


# -- what is sent, and what comes back ---------------------------------------------------


def test_latest_sends_parameterised_partition_pruned_sql(
    athena_service: AthenaService, make_athena_store: StoreFactory, lake: Lake
) -> None:
    latest = lake.latest("BTCUSD")
    day = latest["last_refreshed"].date()

    row = make_athena_store().latest("BTCUSD")

    assert athena_service.queries() == [
        (sql.date_span_sql(PARTITIONS_SQL), ["'BTCUSD'"]),
        (sql.latest_sql(TABLE_SQL), ["'BTCUSD'", f"'{day.isoformat()}'"]),
    ]
    for query, _ in athena_service.queries():
        assert "BTCUSD" not in query
        assert "'" not in query
    executions = athena_service.executions
    assert {e.state for e in executions} == {SUCCEEDED}
    assert {(e.workgroup, e.database) for e in executions} == {
        (athena_service.workgroup, names.GLUE_DATABASE)
    }
    assert {e.reuse_minutes for e in executions} == {60}
    # Athena's text values, converted by pyathena: doubles exactly, the timestamp as UTC.
    assert row.last_refreshed == latest["last_refreshed"]
    assert row.last_refreshed.tzinfo is not None
    assert row.bid_price == latest["bid_price"]
    assert row.ask_price == latest["ask_price"]
    assert dict(row.smas) == {c: latest[c] for c in SMA_COLUMNS}


def test_null_smas_come_back_as_none(
    athena_service: AthenaService, make_athena_store: StoreFactory, lake: Lake
) -> None:
    row = make_athena_store().latest("NEWUSD")
    assert row.last_refreshed == lake.latest("NEWUSD")["last_refreshed"]
    assert set(row.smas.values()) == {None}


def test_a_hostile_ticker_never_reaches_the_sql_text(
    athena_service: AthenaService, make_athena_store: StoreFactory
) -> None:
    with pytest.raises(TickerNotFound):
        make_athena_store().latest("X1Y2Z3")
    [(query, params)] = athena_service.queries()
    assert "X1Y2Z3" not in query
    assert params == ["'X1Y2Z3'"]
    assert sql.athena_params(["it's"]) == ["'it''s'"]


def test_latest_widens_only_when_the_newest_partition_is_empty(
    athena_for: Callable[..., AthenaService],
    make_athena_store: StoreFactory,
    lake_copy: Lake,
) -> None:
    latest = lake_copy.latest("ETHUSD")
    # A partition the job registered but wrote no rows to: in the metadata, empty in the data.
    day = latest["last_refreshed"].date() + timedelta(days=1)
    (lake_copy.root / "ticker=ETHUSD" / f"date={day}" / "hour=00").mkdir(parents=True)
    service = athena_for(lake_copy.root)

    row = make_athena_store().latest("ETHUSD")

    assert row.last_refreshed == latest["last_refreshed"]
    assert [p for _, p in service.queries()] == [
        ["'ETHUSD'"],
        ["'ETHUSD'", f"'{day.isoformat()}'"],
        ["'ETHUSD'", f"'{(day - timedelta(days=7)).isoformat()}'"],
    ]


def test_history_sends_the_range_as_parameters_and_the_limit_as_text(
    athena_service: AthenaService, make_athena_store: StoreFactory, lake: Lake
) -> None:
    start = datetime(2025, 1, 12, 23, 58, tzinfo=UTC)
    end = datetime(2025, 1, 13, 0, 3, tzinfo=UTC)
    expected = [r for r in lake.rows["BTCUSD"] if start <= r["last_refreshed"] < end][::-1][:4]
    rows = make_athena_store().history("BTCUSD", start, end, 4, "desc")
    assert [r.last_refreshed for r in rows] == [r["last_refreshed"] for r in expected]
    assert athena_service.queries() == [
        (
            sql.history_sql(TABLE_SQL, "desc", 4),
            [
                "'BTCUSD'",
                "'2025-01-12'",
                "'2025-01-13'",
                "'2025-01-12 23:58:00.000000'",
                "'2025-01-13 00:03:00.000000'",
            ],
        )
    ]


def test_a_long_history_is_read_over_several_result_pages(
    athena_service: AthenaService, make_athena_store: StoreFactory, lake: Lake
) -> None:
    start, end = lake.rows["BTCUSD"][0]["last_refreshed"], datetime(2025, 1, 14, tzinfo=UTC)
    rows = make_athena_store().history("BTCUSD", start, end, 10_000, "asc")
    assert len(rows) == len(lake.rows["BTCUSD"]) > 1000  # a page holds at most 1000 rows
    assert rows == DuckDbStore(lake.root).history("BTCUSD", start, end, 10_000, "asc")
    assert athena_service.operations.count("GetQueryResults") == 2


def test_tickers_reads_partition_metadata_then_newest_dates(
    athena_service: AthenaService, make_athena_store: StoreFactory, lake: Lake
) -> None:
    days = {t: lake.latest(t)["last_refreshed"].date() for t in sorted(lake.rows)}
    found = make_athena_store().tickers()
    assert [(t.ticker, t.last_refreshed) for t in found] == [
        (t, lake.latest(t)["last_refreshed"]) for t in days
    ]
    assert athena_service.queries() == [
        (sql.newest_dates_sql(PARTITIONS_SQL), []),
        (sql.tickers_sql(TABLE_SQL, 3), [v for t, d in days.items() for v in (f"'{t}'", f"'{d}'")]),
    ]


# -- how it waits, stops and fails -------------------------------------------------------


def test_the_store_polls_until_the_query_succeeds(
    athena_for: Callable[..., AthenaService], make_athena_store: StoreFactory, lake: Lake
) -> None:
    service = athena_for(lake.root, running_polls=3)
    row = make_athena_store().latest("BTCUSD")
    assert row.bid_price == lake.latest("BTCUSD")["bid_price"]
    # Each of the two queries is seen RUNNING three times, then SUCCEEDED.
    assert service.operations.count("GetQueryExecution") == 2 * 4


def test_a_query_over_the_timeout_is_stopped_and_unavailable(
    athena_service: AthenaService, make_athena_store: StoreFactory
) -> None:
    store = make_athena_store(timeout_seconds=0.3)
    with athena_service.holding(), pytest.raises(BackendUnavailable, match=r"longer than 0\.3 s"):
        store.latest("BTCUSD")
    [held] = athena_service.executions
    assert athena_service.stopped == [held.id]
    assert held.state == CANCELLED


def test_a_failed_query_is_unavailable(
    athena_service: AthenaService, make_athena_store: StoreFactory
) -> None:
    athena_service.fail_next()
    with pytest.raises(BackendUnavailable, match="Athena query failed"):
        make_athena_store().latest("BTCUSD")
    [failed] = athena_service.executions
    assert (failed.state, failed.outcome.error and failed.outcome.error["ErrorCategory"]) == (
        FAILED,
        1,
    )


def test_a_missing_workgroup_is_unavailable(
    athena_service: AthenaService, make_athena_store: StoreFactory
) -> None:
    store = make_athena_store(workgroup="no-such-workgroup")
    with pytest.raises(BackendUnavailable):
        store.latest("BTCUSD")
    with pytest.raises(BackendUnavailable):
        store.ping()
    make_athena_store().ping()
    assert athena_service.queries() == []


# -- one deadline per request ------------------------------------------------------------


def test_a_held_query_gives_503_at_the_request_deadline_and_is_stopped(
    athena_service: AthenaService, make_athena_store: StoreFactory
) -> None:
    settings = _settings(
        athena_service, request_deadline_seconds=1.0, retry_after_seconds=9, cache_enabled=False
    )
    store = make_athena_store(timeout_seconds=20.0)
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
        athena_service.hold()
        began = time.monotonic()
        response = client.get("/tickers/BTCUSD/sma/history")
        took = time.monotonic() - began
        athena_service.release()
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "9"
    assert 1.0 <= took < 1.0 + 0.5
    # The held query was stopped before the answer went out: it bills no further.
    [held] = athena_service.executions
    assert athena_service.stopped == [held.id]
    assert held.state == CANCELLED


def test_all_queries_of_a_request_share_one_deadline(
    athena_for: Callable[..., AthenaService], make_athena_store: StoreFactory, lake: Lake
) -> None:
    """History runs three queries of ~0.4 s each, every one far inside its own 20 s timeout:
    the request's 1 s deadline still ends the request, and the query running then is stopped."""
    service = athena_for(lake.root, running_polls=8)
    settings = _settings(service, request_deadline_seconds=1.0, cache_enabled=False)
    store = make_athena_store(timeout_seconds=20.0, poll_seconds=0.05)
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
        began = time.monotonic()
        response = client.get("/tickers/BTCUSD/sma/history")
        took = time.monotonic() - began
    assert response.status_code == 503, response.text
    assert "retry-after" in response.headers
    assert took < 1.0 + 0.5
    *done, last = service.executions
    assert done
    assert {e.state for e in done} == {SUCCEEDED}
    assert last.state == CANCELLED
    assert service.stopped == [last.id]


def test_a_hung_athena_api_still_gives_503_at_the_deadline(
    athena_service: AthenaService,
    make_athena_store: StoreFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An endpoint that takes connections and never answers: botocore would wait 15 s a try."""
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(16)
        monkeypatch.setenv("AWS_ENDPOINT_URL_ATHENA", f"http://127.0.0.1:{hole.getsockname()[1]}")
        settings = _settings(athena_service, request_deadline_seconds=1.0, cache_enabled=False)
        with TestClient(create_app(settings, make_athena_store())) as client:
            for path in ("/health", "/tickers/BTCUSD/sma"):
                began = time.monotonic()
                response = client.get(path)
                assert response.status_code == 503, path
                assert "retry-after" in response.headers
                assert time.monotonic() - began < 1.0 + 0.5, path


def test_without_a_deadline_the_same_request_answers(
    athena_for: Callable[..., AthenaService], make_athena_store: StoreFactory, lake: Lake
) -> None:
    service = athena_for(lake.root, running_polls=2)
    settings = _settings(service, cache_enabled=False)
    with TestClient(create_app(settings, make_athena_store())) as client:
        assert client.get("/tickers/BTCUSD/sma/history").status_code == 200
    assert service.stopped == []


# -- over HTTP ---------------------------------------------------------------------------


def test_http_over_athena_end_to_end(
    athena_service: AthenaService, make_athena_store: StoreFactory, lake: Lake
) -> None:
    latest = lake.latest("BTCUSD")
    with TestClient(create_app(_settings(athena_service), make_athena_store())) as client:
        response = client.get("/tickers/BTC%2FUSD/sma")
        assert response.status_code == 200
        assert without_age(response.json()) == latest_json("BTCUSD", latest)
        assert client.get("/health").json() == {"status": "ok", "backend": "athena"}


def test_http_503_when_athena_is_unreachable(
    athena_service: AthenaService,
    make_athena_store: StoreFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_ATHENA", "http://127.0.0.1:9")
    settings = _settings(athena_service, retry_after_seconds=5)
    with TestClient(create_app(settings, make_athena_store())) as client:
        for path in ("/health", "/tickers/BTCUSD/sma", "/tickers"):
            response = client.get(path)
            assert response.status_code == 503
            assert response.headers["retry-after"] == "5"


def test_an_empty_lake_has_no_tickers_on_athena(
    athena_for: Callable[..., AthenaService], make_athena_store: StoreFactory, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    service = athena_for(empty)
    store = make_athena_store()
    assert store.tickers() == []
    with pytest.raises(TickerNotFound):
        store.latest("BTCUSD")
    assert {e.state for e in service.executions} == {SUCCEEDED}
