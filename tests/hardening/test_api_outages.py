"""The API while its backend is down or slow: 503 with Retry-After (never a 500, never a hang),
and answers again by itself, with the right data, as soon as the backend is back."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sma_api.config import Settings
from sma_api.main import create_app
from sma_api.store.athena import AthenaStore
from sma_api.store.duckdb_store import DuckDbStore
from tests.hardening.fault_proxy import FaultPlan, FaultProxy
from tests.hardening.hardening_harness import write_lake
from tests.support.athena_service import CANCELLED, AthenaService

DAY = datetime(2025, 1, 13, tzinfo=UTC)
RETRY_AFTER = 7
DATA_PATHS = (
    "/tickers",
    "/tickers/ETHUSD/sma",
    "/tickers/ETHUSD/sma/history?start=2025-01-13T06:00:00Z&end=2025-01-13T07:00:00Z",
    "/tickers/ETHUSD/signals?start=2025-01-13T06:00:00Z&end=2025-01-13T09:00:00Z",
)


def _body(response: Any) -> Any:
    """The answer's JSON without `age_seconds`, which moves on with the clock."""
    body = response.json()
    if isinstance(body, dict):
        body.pop("age_seconds", None)
    return body


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
            path: _body(reference.get(path)) for path in ("/tickers/BTCUSD/sma", *DATA_PATHS)
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
        assert (cached.status_code, _body(cached)) == (200, expected["/tickers/BTCUSD/sma"])
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
            assert (response.status_code, _body(response)) == (200, expected[path]), path


# -- Athena: the local Athena over the lake, behind a fault proxy ---------------------------

DEADLINE = 1.0  # the request deadline of the app that must give up
# The app that must answer: the same store, with a deadline a loaded test machine cannot miss.
PATIENT_DEADLINE = 30.0


@dataclass
class AthenaApps:
    """Two apps over one Athena store behind a fault proxy, and the DuckDB app's answers."""

    hasty: TestClient  # request deadline DEADLINE
    patient: TestClient  # request deadline PATIENT_DEADLINE
    proxy: FaultProxy
    service: AthenaService
    expected: dict[str, Any]


@pytest.fixture
def athena_app(
    athena_for: Callable[..., AthenaService],
    make_athena_store: Callable[..., AthenaStore],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[AthenaApps]:
    """The app over the Athena store, reaching the local Athena through a fault proxy; and what
    the DuckDB app answers on the same lake."""
    lake = tmp_path / "lake"
    write_lake(lake, ("BTCUSD", "ETHUSD"), DAY.replace(hour=6), 180)
    with _duckdb_client(lake) as reference:
        expected = {path: _body(reference.get(path)) for path in DATA_PATHS}
    service = athena_for(lake)
    with FaultProxy(service.url, FaultPlan(share=0.0)) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL_ATHENA", proxy.url)
        store = make_athena_store(workgroup=service.workgroup, poll_seconds=0.02)

        def app(deadline: float) -> TestClient:
            settings = Settings(
                backend="athena",
                athena_workgroup=service.workgroup,
                retry_after_seconds=RETRY_AFTER,
                cache_enabled=False,
                request_deadline_seconds=deadline,
            )
            return TestClient(create_app(settings, store), raise_server_exceptions=False)

        with app(DEADLINE) as hasty, app(PATIENT_DEADLINE) as patient:
            yield AthenaApps(hasty, patient, proxy, service, expected)


def test_a_slow_athena_gives_503_at_the_deadline_and_the_api_recovers(
    athena_app: AthenaApps,
) -> None:
    client, service, expected = athena_app.hasty, athena_app.service, athena_app.expected
    with service.holding():
        for path in DATA_PATHS:
            began = time.monotonic()
            _assert_unavailable(client, path)
            assert time.monotonic() - began < DEADLINE + 0.5, path
        assert client.get("/health").status_code == 200  # Athena answers; its queries are slow
    # The store stopped every query it gave up on, so none costs anything more.
    held = service.executions
    assert len(held) == len(DATA_PATHS)
    assert {e.state for e in held} == {CANCELLED}
    assert service.stopped == [e.id for e in held]

    for path in DATA_PATHS:
        response = athena_app.patient.get(path)
        assert (response.status_code, _body(response)) == (200, expected[path]), path


@pytest.mark.parametrize("kind", ["unavailable", "internal", "reset"])
def test_athena_down_gives_503_and_the_api_recovers_when_it_is_back(
    athena_app: AthenaApps, kind: Any
) -> None:
    client, proxy, service = athena_app.hasty, athena_app.proxy, athena_app.service
    with proxy.outage(kind):
        _assert_unavailable(client, "/health")
        for path in DATA_PATHS:
            _assert_unavailable(client, path)
    assert proxy.stats.injected[kind] > 0
    assert service.queries() == []  # nothing got through, nor later from an abandoned query

    assert athena_app.patient.get("/health").status_code == 200
    for path in DATA_PATHS:
        response = athena_app.patient.get(path)
        assert (response.status_code, _body(response)) == (200, athena_app.expected[path]), path
    assert service.queries()
