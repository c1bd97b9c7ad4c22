"""The API while its backend is down or slow: 503 with Retry-After (never a 500, never a hang),
and answers again by itself, with the right data, as soon as the backend is back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient

from sma_api.config import Settings
from sma_api.main import create_app
from sma_api.store.duckdb_store import DuckDbStore
from tests.hardening.fault_proxy import FaultPlan, FaultProxy
from tests.hardening.hardening_harness import athena_rows, write_lake
from tests.support.athena import (
    athena_store,
    create_workgroup,
    hold_queries,
    newest_date_result,
    seed_results,
    sent_queries,
)

WORKGROUP = "crypto-sma-outages"
DAY = datetime(2025, 1, 13, tzinfo=UTC)
RETRY_AFTER = 7
DATA_PATHS = (
    "/tickers",
    "/tickers/ETHUSD/sma",
    "/tickers/ETHUSD/sma/history?start=2025-01-13T06:00:00Z&end=2025-01-13T07:00:00Z",
    "/tickers/ETHUSD/signals?start=2025-01-13T06:00:00Z&end=2025-01-13T09:00:00Z",
)


def _assert_unavailable(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 503, (path, response.status_code, response.text)
    assert response.headers["retry-after"] == str(RETRY_AFTER), path
    assert response.headers["cache-control"] == "no-store", path
    assert response.json()["detail"].startswith("data backend unavailable"), path
    assert "Traceback" not in response.text


def _duckdb_client(lake: Path) -> TestClient:
    settings = Settings(backend="duckdb", lake_path=lake, retry_after_seconds=RETRY_AFTER)
    return TestClient(create_app(settings, DuckDbStore(lake)), raise_server_exceptions=False)


def test_an_unreadable_lake_gives_503_and_the_api_recovers_when_it_is_back(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    write_lake(lake, ("BTCUSD", "ETHUSD"), DAY.replace(hour=6), 180)
    with _duckdb_client(lake) as reference:
        expected = {
            path: reference.get(path).json() for path in ("/tickers/BTCUSD/sma", *DATA_PATHS)
        }

    with _duckdb_client(lake) as client:
        assert client.get("/tickers/BTCUSD/sma").status_code == 200  # now in the cache

        # The lake folder is gone (an unmounted volume, a moved prefix).
        lake.rename(tmp_path / "away")
        _assert_unavailable(client, "/health")
        for path in DATA_PATHS:
            _assert_unavailable(client, path)
        # What was answered before the outage is still the answer until the next refresh.
        cached = client.get("/tickers/BTCUSD/sma")
        assert (cached.status_code, cached.json()) == (200, expected["/tickers/BTCUSD/sma"])
        (tmp_path / "away").rename(lake)

        # The newest file of a ticker is unreadable (a torn write, a bad disk block).
        newest = sorted(lake.glob("ticker=ETHUSD/date=*/hour=*/*.parquet"))[-1]
        good = newest.read_bytes()
        newest.write_bytes(b"PAR1 this is no parquet footer PAR1")
        for path in DATA_PATHS[1:]:
            _assert_unavailable(client, path)
        newest.write_bytes(good)

        # Back: every answer is right again, without a restart.
        assert client.get("/health").status_code == 200
        for path in DATA_PATHS:
            response = client.get(path)
            assert (response.status_code, response.json()) == (200, expected[path]), path


# -- Athena on moto's server -------------------------------------------------------------


def _latest_answer(endpoint: str) -> None:
    newest = DAY.replace(hour=7, minute=59)
    seed_results(
        endpoint,
        newest_date_result(newest.date()),
        athena_rows([(newest, 94_000.25)]),
    )


@pytest.fixture
def athena_app(
    moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, FaultProxy]]:
    """The app over the Athena store, reaching moto's server through a fault proxy."""
    create_workgroup(moto_endpoint, WORKGROUP)
    with FaultProxy(moto_endpoint, FaultPlan(share=0.0)) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        store = athena_store(WORKGROUP, poll_seconds=0.02, timeout_seconds=1.0)
        settings = Settings(
            backend="athena",
            athena_workgroup=WORKGROUP,
            retry_after_seconds=RETRY_AFTER,
            cache_enabled=False,
        )
        try:
            with TestClient(create_app(settings, store), raise_server_exceptions=False) as client:
                yield client, proxy
        finally:
            hold_queries(moto_endpoint, None)


def test_a_slow_athena_gives_503_at_the_timeout_and_the_api_recovers(
    athena_app: tuple[TestClient, FaultProxy], moto_endpoint: str
) -> None:
    client, _ = athena_app
    hold_queries(moto_endpoint, polls=10_000)
    for path in DATA_PATHS:
        _assert_unavailable(client, path)
    # The store stopped the query it gave up on, so it costs nothing more.
    states = {
        boto3.client("athena", endpoint_url=moto_endpoint).get_query_execution(
            QueryExecutionId=query_id
        )["QueryExecution"]["Status"]["State"]
        for query_id in _execution_ids(moto_endpoint)
    }
    assert states == {"CANCELLED"}
    assert client.get("/health").status_code == 200  # Athena itself answers; queries are slow

    hold_queries(moto_endpoint, None)
    _latest_answer(moto_endpoint)
    response = client.get("/tickers/BTCUSD/sma")
    assert response.status_code == 200, response.text
    assert response.json()["bid_price"] == 94_000.25


def _execution_ids(endpoint: str) -> list[str]:
    client = boto3.client("athena", endpoint_url=endpoint)
    return client.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]


@pytest.mark.parametrize("kind", ["unavailable", "internal", "reset"])
def test_athena_down_gives_503_and_the_api_recovers_when_it_is_back(
    athena_app: tuple[TestClient, FaultProxy], moto_endpoint: str, kind: Any
) -> None:
    client, proxy = athena_app
    with proxy.outage(kind):
        _assert_unavailable(client, "/health")
        for path in DATA_PATHS:
            _assert_unavailable(client, path)
    assert proxy.stats.injected[kind] > 0
    assert sent_queries(moto_endpoint, WORKGROUP) == []  # nothing got through

    _latest_answer(moto_endpoint)
    assert client.get("/health").status_code == 200
    response = client.get("/tickers/BTCUSD/sma")
    assert response.status_code == 200, response.text
    assert response.json()["bid_price"] == 94_000.25
