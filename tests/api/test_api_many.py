"""GET /sma?tickers=...: the latest answer of many tickers in one query."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from sma_api.store.duckdb_store import DuckDbStore
from tests.api.api_lake import AppFactory, Lake, latest_json, without_age


class CountingStore(DuckDbStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queries = 0

    def _run(self, text: str, params: Any, files: list[str]) -> list[dict[str, object]]:
        self.queries += 1
        return super()._run(text, params, files)


def test_each_ticker_s_latest_answer_and_those_without_data(
    make_client: AppFactory, lake: Lake
) -> None:
    store = CountingStore(lake.root)
    client = make_client(store=store)
    answer = client.get("/sma", params={"tickers": "eth-usd, BTC/USD,NOPE,btcusd,NEWUSD"})
    assert answer.status_code == 200
    assert store.queries == 1
    body = answer.json()
    assert list(body) == ["items", "not_found"]
    assert [without_age(i) for i in body["items"]] == [
        latest_json(t, lake.latest(t)) for t in ("ETHUSD", "BTCUSD", "NEWUSD")
    ]
    assert body["not_found"] == ["NOPE"]
    for item in body["items"]:
        single = client.get(f"/tickers/{item['ticker']}/sma").json()
        assert without_age(single) == without_age(item)
    assert answer.headers["etag"].startswith('W/"')
    again = client.get("/sma", params={"tickers": "eth-usd, BTC/USD,NOPE,btcusd,NEWUSD"})
    assert without_age(again.json()["items"][0]) == without_age(body["items"][0])
    assert store.queries == 1 + 3  # the cached answer; the three /sma lookups above


def test_none_found(client: TestClient) -> None:
    assert client.get("/sma", params={"tickers": "AAA1,BBB2"}).json() == {
        "items": [],
        "not_found": ["AAA1", "BBB2"],
    }


@pytest.mark.parametrize(
    ("tickers", "message"),
    [
        (",".join(f"T{i:03d}" for i in range(51)), "1 to 50 tickers, got 51"),
        (" , ", "1 to 50 tickers, got 0"),
        ("BTCUSD,B$D", "invalid ticker 'B$D'"),
    ],
)
def test_bad_lists_are_422(client: TestClient, tickers: str, message: str) -> None:
    answer = client.get("/sma", params={"tickers": tickers})
    assert answer.status_code == 422
    assert message in answer.json()["detail"]


def test_tickers_is_required(client: TestClient) -> None:
    assert client.get("/sma").status_code == 422
