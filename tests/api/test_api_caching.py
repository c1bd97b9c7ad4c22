"""Caching: ETag and 304, Cache-Control until the next refresh, the in-process TTL cache."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from sma_api.cache import RefreshClock, TTLCache
from sma_api.rows import SmaRow
from sma_api.sql import Order
from sma_api.store.base import TickerLatest
from sma_api.store.duckdb_store import DuckDbStore
from tests.api.api_lake import AppFactory, Lake, without_age


class CountingStore(DuckDbStore):
    """The real DuckDB store, counting the queries that reach it."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.calls: list[str] = []

    def latest(self, ticker: str) -> SmaRow:
        self.calls.append("latest")
        return super().latest(ticker)

    def history(
        self, ticker: str, start: datetime, end: datetime, limit: int, order: Order
    ) -> list[SmaRow]:
        self.calls.append("history")
        return super().history(ticker, start, end, limit, order)

    def tickers(self) -> list[TickerLatest]:
        self.calls.append("tickers")
        return super().tickers()


@pytest.mark.parametrize(
    "path",
    ["/tickers", "/tickers/BTCUSD/sma", "/tickers/BTCUSD/sma/history", "/tickers/BTCUSD/signals"],
)
def test_if_none_match_with_the_etag_gives_304(client: TestClient, path: str) -> None:
    first = client.get(path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    # The latest answer's age_seconds moves on every second; the rest is what the tag covers.
    weak = path.endswith("/sma")
    assert etag.startswith('W/"' if weak else '"')
    assert etag.endswith('"')
    max_age = int(first.headers["cache-control"].removeprefix("public, max-age="))
    assert 1 <= max_age <= 3600
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    strong = etag.removeprefix("W/")
    for header in (f"W/{strong}", strong, f'"other", {etag}', "*"):
        assert client.get(path, headers={"If-None-Match": header}).status_code == 304
    changed = client.get(path, headers={"If-None-Match": '"something-else"'})
    assert changed.status_code == 200
    if weak:
        assert without_age(changed.json()) == without_age(first.json())
    else:
        assert changed.content == first.content


def test_different_bodies_have_different_etags(client: TestClient) -> None:
    btc = client.get("/tickers/BTCUSD/sma").headers["etag"]
    eth = client.get("/tickers/ETHUSD/sma").headers["etag"]
    assert btc != eth
    assert client.get("/tickers/btc-usd/sma").headers["etag"] == btc


def test_errors_carry_no_etag(client: TestClient) -> None:
    response = client.get("/tickers/NOPE/sma")
    assert response.status_code == 404
    assert "etag" not in response.headers


def test_repeat_queries_are_answered_from_the_cache(make_client: AppFactory, lake: Lake) -> None:
    store = CountingStore(lake.root)
    client = make_client(store=store)
    for _ in range(3):
        assert client.get("/tickers/BTCUSD/sma").status_code == 200
        assert client.get("/tickers").status_code == 200
        assert client.get("/tickers/BTCUSD/sma/history").status_code == 200
        assert client.get("/tickers/NOPE/sma").status_code == 404
    assert sorted(store.calls) == ["history", "latest", "latest", "tickers"]


def test_with_the_cache_off_every_request_queries(make_client: AppFactory, lake: Lake) -> None:
    store = CountingStore(lake.root)
    client = make_client(store=store, cache_enabled=False)
    for _ in range(3):
        assert client.get("/tickers/BTCUSD/sma").status_code == 200
    assert store.calls == ["latest"] * 3


@pytest.mark.parametrize(
    ("now", "seconds"),
    [
        (datetime(2025, 1, 13, 12, 0, 0, tzinfo=UTC), 15 * 60),
        (datetime(2025, 1, 13, 12, 14, 59, tzinfo=UTC), 1),
        (datetime(2025, 1, 13, 12, 15, 0, tzinfo=UTC), 3600),
        (datetime(2025, 1, 13, 23, 50, 0, tzinfo=UTC), 25 * 60),
    ],
)
def test_answers_are_fresh_until_the_next_refresh_lands(now: datetime, seconds: int) -> None:
    clock = RefreshClock(refresh_minute=10, grace_seconds=300)
    assert clock.seconds_left(now) == seconds


def test_ttl_cache_evicts_the_least_recently_used() -> None:
    cache = TTLCache(RefreshClock(), max_entries=2)
    computed: list[str] = []

    def value(key: str) -> str:
        computed.append(key)
        return key.upper()

    assert cache.get_or_compute("a", lambda: value("a")) == "A"
    assert cache.get_or_compute("b", lambda: value("b")) == "B"
    assert cache.get_or_compute("a", lambda: value("a")) == "A"
    assert cache.get_or_compute("c", lambda: value("c")) == "C"
    assert cache.get_or_compute("b", lambda: value("b")) == "B"
    assert computed == ["a", "b", "c", "b"]
    assert (cache.hits, cache.misses) == (1, 4)


def test_ttl_cache_entries_expire_at_the_refresh() -> None:
    now = [datetime(2025, 1, 13, 12, 14, 59, tzinfo=UTC)]
    cache = TTLCache(RefreshClock(refresh_minute=10, grace_seconds=300), now=lambda: now[0])
    answers = iter(["old", "new"])
    assert cache.get_or_compute("k", lambda: next(answers)) == "old"
    now[0] = datetime(2025, 1, 13, 12, 14, 59, 999999, tzinfo=UTC)
    assert cache.get_or_compute("k", lambda: next(answers)) == "old"
    now[0] = datetime(2025, 1, 13, 12, 15, 0, tzinfo=UTC)
    assert cache.get_or_compute("k", lambda: next(answers)) == "new"
