"""Injection and path tricks in `{ticker}` and the query parameters: 422 with a message, never a
500 or a stack trace; and the SQL text Athena receives never holds any of the request's text."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sma_api.config import Settings
from sma_api.main import create_app
from sma_api.store.athena import AthenaStore
from sma_api.store.duckdb_store import DuckDbStore
from tests.hardening.hardening_harness import write_lake
from tests.support.athena_service import SUCCEEDED, AthenaService

DAY = datetime(2025, 1, 13, tzinfo=UTC)

# Raw URL path segments for {ticker}: quotes, SQL, traversal, encodings, controls, look-alikes.
BAD_TICKERS = (
    "BTC'USD",
    "BTCUSD'%20OR%20'1'='1",
    "BTCUSD;DROP%20TABLE%20crypto_sma_table",
    "BTCUSD--",
    "BTC%2F**%2FUSD",
    "BTCUSD%22",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "BTC%2F..%2FUSD",
    "%2FBTCUSD",
    "BTC%00USD",
    "ticker=BTCUSD",
    "BTC%20USD",
    "%EF%BC%A2%EF%BC%B4%EF%BC%A3USD",  # full-width BTC
    "BTC%F0%9F%9A%80",
    "%25",
    "*",
    "$(reboot)",
    "B",
    "A" * 21,
    "BTCUSD%2F%2Fsma",
)

# A line break in the path matches no route at all (the router's path pattern stops at it): 404.
LINE_BREAK_TICKER = "BTCUSD%0D%0AX-Injected:%201"

# (endpoint under BTCUSD, query string) pairs that must be refused.
BAD_QUERIES = (
    ("sma/history", "start=2025-01-13'%20OR%201=1"),
    ("sma/history", "start=now()"),
    ("sma/history", "end=1;DROP%20TABLE%20x"),
    ("sma/history", "start=2025-13-45T00:00:00Z"),
    ("sma/history", "start=2025-01-13T06:00:00%2B25:00"),
    ("sma/history", "start=2025-01-13T08:00:00Z&end=2025-01-13T07:00:00Z"),
    ("sma/history", "limit=1;DROP"),
    ("sma/history", "limit=-1"),
    ("sma/history", "limit=0"),
    ("sma/history", "limit=10001"),
    ("sma/history", "limit=1e3"),
    ("sma/history", "limit=99999999999999999999999999"),
    ("sma/history", "order=asc;DROP"),
    ("sma/history", "order=ASC"),
    ("sma/history", "order=desc--"),
    ("sma/history", "order=asc,%20ticker"),
    ("signals", "start=2025-01-01T00:00:00Z&end=2025-03-01T00:00:00Z"),
    ("signals", "start='"),
    ("signals", "end=%00"),
)


def _assert_refused(client: TestClient, url: str, status: int = 422) -> None:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.text)
    assert "x-injected" not in response.headers
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body.get("detail"), (url, body)
    assert "Traceback" not in response.text
    assert 'File "' not in response.text


@pytest.fixture
def athena_app(
    athena_for: Callable[..., AthenaService],
    make_athena_store: Callable[..., AthenaStore],
    tmp_path: Path,
) -> Iterator[tuple[TestClient, AthenaService]]:
    """The app over the Athena store, on the local Athena over a lake with BTCUSD 06:00-07:59."""
    write_lake(tmp_path, ("BTCUSD",), DAY.replace(hour=6), 120)
    service = athena_for(tmp_path)
    store = make_athena_store(workgroup=service.workgroup)
    settings = Settings(backend="athena", athena_workgroup=service.workgroup)
    with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
        yield client, service


def test_tricks_in_ticker_and_parameters_are_refused_by_the_duckdb_app(tmp_path: Path) -> None:
    write_lake(tmp_path, ("BTCUSD",), DAY.replace(hour=6), 120)
    app = create_app(Settings(backend="duckdb", lake_path=tmp_path), DuckDbStore(tmp_path))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/tickers/btc-usd/sma").status_code == 200
        for ticker in BAD_TICKERS:
            for suffix in ("sma", "sma/history", "signals"):
                _assert_refused(client, f"/tickers/{ticker}/{suffix}")
        _assert_refused(client, f"/tickers/{LINE_BREAK_TICKER}/sma", status=404)
        for suffix, query in BAD_QUERIES:
            _assert_refused(client, f"/tickers/BTCUSD/{suffix}?{query}")


def test_athena_gets_no_request_text_in_sql_and_no_query_at_all_for_tricks(
    athena_app: tuple[TestClient, AthenaService],
) -> None:
    athena_client, athena = athena_app
    # Odd but valid spellings and values: answered, with every value bound as a parameter.
    requests = (
        "/tickers/btc-usd/sma",
        "/tickers/BTC_USD/sma",
        "/tickers/BtcUsd/sma/history?start=2025-01-13T07:00:00Z&end=2025-01-13T07:07:00%2B00:00"
        "&limit=4321&order=desc",
        "/tickers/BTC%2FUSD/signals?start=2025-01-13T06:30:00Z&end=2025-01-13T08:00:00Z",
    )
    for url in requests:
        response = athena_client.get(url)
        assert response.status_code == 200, (url, response.text)
    assert athena_client.get(requests[2]).json()["meta"]["count"] == 7
    sent = athena.queries()
    assert len(sent) == 4  # newest date, latest row (then cached), history, signals' history
    assert {e.state for e in athena.executions} == {SUCCEEDED}  # Athena took every one

    # Tricks: refused before any query is sent.
    for ticker in BAD_TICKERS:
        for suffix in ("sma", "sma/history", "signals"):
            _assert_refused(athena_client, f"/tickers/{ticker}/{suffix}")
    _assert_refused(athena_client, f"/tickers/{LINE_BREAK_TICKER}/sma", status=404)
    for suffix, query in BAD_QUERIES:
        _assert_refused(athena_client, f"/tickers/BTCUSD/{suffix}?{query}")
    assert athena.queries() == sent

    request_text = ("btc", "BTC", "usd", "USD", "2025", "07:00", "07:07", "06:30")
    for query, parameters in sent:
        assert "'" not in query, query  # no literal of any kind in the text
        assert not [t for t in request_text if t in query], query
        assert parameters, query
    # The values travelled as execution parameters instead, the ticker in its normal form.
    bound = [p for _, parameters in sent for p in parameters]
    assert "'BTCUSD'" in bound
    assert f"'{date(2025, 1, 13).isoformat()}'" in bound
    # The limit alone is text: Athena takes no parameter outside WHERE, so the validated int
    # is written as digits, and only there (one more than asked: to tell whether more exist).
    limited = [query for query, _ in sent if "4322" in query]
    assert len(limited) == 1
    assert limited[0].endswith(" LIMIT 4322")
    assert not [p for p in bound if "4322" in p]
