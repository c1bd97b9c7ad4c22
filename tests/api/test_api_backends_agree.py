"""Works here, works on AWS: the API over Athena (the local Athena running the SQL the store
sends, over the lake) gives the very answers the API over DuckDB gives on the same lake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from sma import names
from sma_api.config import Settings
from sma_api.main import create_app
from sma_api.store.athena import AthenaStore
from sma_api.store.athena_runner import AthenaRunner
from sma_api.store.duckdb_store import DuckDbStore
from tests.api.api_lake import Lake, settings_for
from tests.support.athena_service import AthenaService

PATHS = [
    "/tickers",
    "/tickers/BTCUSD/sma",
    "/tickers/eth-usd/sma",
    "/tickers/NEWUSD/sma",  # every SMA null
    "/tickers/BTCUSD/sma/history",
    "/tickers/BTCUSD/sma/history?order=desc",
    "/tickers/BTCUSD/sma/history?order=asc&limit=7",
    "/tickers/BTCUSD/sma/history?order=desc&limit=7",
    "/tickers/BTCUSD/sma/history?start=2025-01-12T23:55:00Z&end=2025-01-13T00:05:00Z&limit=3",
    "/tickers/BTCUSD/sma/history?start=2025-01-12T23:55:00Z&end=2025-01-13T00:05:00Z&order=desc",
    "/tickers/BTCUSD/sma/history?start=2025-01-12T06:00:00Z&limit=10000",  # over result pages
    "/tickers/BTCUSD/sma/history?end=2025-01-13T01:00:00%2B01:00&order=desc&limit=50",
    "/tickers/ETHUSD/sma/history?start=2025-01-01T00:00:00Z&end=2025-01-02T00:00:00Z",  # empty
    "/tickers/NEWUSD/sma/history?limit=10000",
    "/tickers/BTCUSD/signals",
    "/tickers/BTCUSD/signals?start=2025-01-12T06:00:00Z&end=2025-01-13T09:00:00Z",
    "/tickers/ETHUSD/signals",
    "/tickers/NEWUSD/signals",
    # Any window, any signal pair, CSV, many tickers.
    "/tickers/BTCUSD/sma?windows=20,50,200",
    "/tickers/BTCUSD/sma?windows=2,999&short=2&long=999",
    "/tickers/NEWUSD/sma?windows=7,8",
    "/tickers/ETHUSD/sma?short=50&long=200",
    "/tickers/BTCUSD/sma/history?windows=20,50,200&limit=10000",
    "/tickers/BTCUSD/sma/history?windows=20,50,200&order=desc&limit=25",
    "/tickers/BTCUSD/sma/history?windows=1000&start=2025-01-12T23:30:00Z&end=2025-01-13T00:30:00Z",
    "/tickers/BTCUSD/sma/history?short=50&long=200&start=2025-01-12T06:00:00Z&limit=500",
    "/tickers/BTCUSD/sma/history?windows=20&order=desc&limit=5&format=csv",
    "/tickers/ETHUSD/sma/history?windows=100,200",
    "/tickers/BTCUSD/signals?short=50&long=200",
    "/tickers/BTCUSD/signals?short=20&long=50&start=2025-01-12T06:00:00Z&end=2025-01-13T09:00:00Z",
    "/tickers/BTCUSD/signals?format=csv",
    "/sma?tickers=BTCUSD,eth-usd,NEWUSD,XXXUSD",
    "/tickers/XXXUSD/sma",  # 404
    "/tickers/XXXUSD/sma/history",
    "/tickers/XXXUSD/signals",
]


@pytest.fixture(scope="module")
def backends(lake: Lake) -> Iterator[tuple[TestClient, TestClient, AthenaService]]:
    """A DuckDB app and an Athena app over the same lake, without the response cache."""
    with AthenaService(lake.root) as service, pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL_ATHENA", service.url)
        runner = AthenaRunner(
            database=names.GLUE_DATABASE,
            workgroup=service.workgroup,
            region="us-east-1",
            poll_seconds=0.01,
        )
        athena = AthenaStore(runner, table=names.GLUE_TABLE)
        athena_settings = Settings(
            backend="athena", athena_workgroup=service.workgroup, cache_enabled=False
        )
        duckdb_settings = settings_for(lake.root, cache_enabled=False)
        with (
            TestClient(create_app(duckdb_settings, DuckDbStore(lake.root))) as here,
            TestClient(create_app(athena_settings, athena)) as aws,
        ):
            yield here, aws, service


def _without_ages(body: object) -> object:
    """The latest answers' age_seconds may differ by a second between the two requests."""
    if isinstance(body, dict):
        return {k: _without_ages(v) for k, v in body.items() if k != "age_seconds"}
    if isinstance(body, list):
        return [_without_ages(v) for v in body]
    return body


@pytest.mark.parametrize("path", PATHS)
def test_athena_and_duckdb_give_the_same_answer(
    backends: tuple[TestClient, TestClient, AthenaService], path: str
) -> None:
    here, aws, service = backends
    before = len(service.executions)
    expected = here.get(path)
    answer = aws.get(path)
    assert expected.status_code in (200, 404), expected.text
    assert answer.status_code == expected.status_code
    assert answer.headers.get("etag") == expected.headers.get("etag")
    if "format=csv" in path:
        assert answer.text == expected.text
    else:
        assert _without_ages(answer.json()) == _without_ages(expected.json())
    # The Athena app really asked Athena, and Athena ran every query it was sent.
    sent = service.executions[before:]
    assert sent
    assert {e.state for e in sent} == {"SUCCEEDED"}, [e.reason for e in sent]
