"""The response cache is bounded in bytes: many large distinct answers do not grow the server.

A 10,000-tick history is ~2.5 MB of JSON. Kept by count alone (4,096 entries), 400 of them grew
the server to 2.1 GB; kept by size (SMA_CACHE_MAX_BYTES), the server's memory stays put.
"""

from __future__ import annotations

import http.client
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from sma_api.cache import ENTRY_OVERHEAD, RefreshClock, TTLCache
from tests.api.api_lake import _prices, iso, write_ticker
from tests.api.api_server import rss_bytes, serve_api

MB = 2**20
START = datetime(2025, 2, 1, tzinfo=UTC)
DAYS = 8  # 11,520 minute ticks: every request below answers 10,000 of them
REQUESTS = 40


def test_the_cache_keeps_at_most_max_bytes_least_recently_used_first() -> None:
    cache = TTLCache(RefreshClock(), max_entries=100, max_bytes=10_000 + 3 * ENTRY_OVERHEAD)
    for key in "abc":
        cache.put(key, key, 3_000)
    assert len(cache) == 3
    assert cache.get("a") == "a"  # now the most recently used
    cache.put("d", "d", 3_000)  # over the bound: the least recently used ("b") goes
    assert (cache.get("b"), cache.get("a"), cache.get("c"), cache.get("d")) == (None, "a", "c", "d")
    assert cache.nbytes <= 10_000 + 3 * ENTRY_OVERHEAD
    cache.put("huge", "huge", 20_000)  # larger than the whole cache: not kept, nothing evicted
    assert cache.get("huge") is None
    assert len(cache) == 3
    cache.put("a", "a2", 1)  # replacing an entry replaces its size
    assert cache.nbytes == 2 * (3_000 + ENTRY_OVERHEAD) + 1 + ENTRY_OVERHEAD


def test_an_entry_lives_at_most_its_ttl() -> None:
    now = [datetime(2025, 1, 13, 12, 0, tzinfo=UTC)]
    cache = TTLCache(RefreshClock(), now=lambda: now[0])
    cache.put("live", "value", 10, ttl=30)
    now[0] += timedelta(seconds=29)
    assert cache.get("live") == "value"
    now[0] += timedelta(seconds=1)
    assert cache.get("live") is None


@pytest.fixture(scope="module")
def big_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big-lake")
    write_ticker(root, "BIGUSD", START, _prices(DAYS * 24 * 60, 60_000.0, 90, 40))
    return root


def _get(url: str, path: str) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        connection.request("GET", path)
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def _grow(url: str, pid: int) -> tuple[int, int]:
    """RSS before and after REQUESTS distinct 10,000-tick histories (after a warm-up)."""
    for minutes in range(3):  # warm-up: DuckDB, the first answers, the allocator's arenas
        start = START + timedelta(minutes=minutes)
        status, _, body = _get(url, f"/tickers/BIGUSD/sma/history?{_query(start)}")
        assert status == 200
    before = rss_bytes(pid)
    for minutes in range(3, 3 + REQUESTS):
        start = START + timedelta(minutes=minutes)
        status, _, body = _get(url, f"/tickers/BIGUSD/sma/history?{_query(start)}")
        assert status == 200
        assert len(body) > 2 * MB
    return before, rss_bytes(pid)


def _query(start: datetime) -> str:
    return urlencode(
        {"start": iso(start), "end": iso(START + timedelta(days=DAYS)), "limit": 10000}
    )


@pytest.mark.slow
def test_a_real_server_stays_within_its_cache_bound(big_lake: Path) -> None:
    env = {"SMA_BACKEND": "duckdb", "SMA_LAKE_PATH": str(big_lake)}
    with serve_api({**env, "SMA_CACHE_MAX_BYTES": str(16 * MB)}) as bounded:
        before, after = _grow(bounded.url, bounded.pid)
        # Streaming over the socket: a CSV answer goes out in chunks, its length unknown ahead.
        status, headers, body = _get(
            bounded.url, f"/tickers/BIGUSD/sma/history?{_query(START)}&format=csv"
        )
        assert (status, headers.get("transfer-encoding")) == (200, "chunked")
        assert "content-length" not in headers
        assert body.count(b"\r\n") == 10_001
    bounded_growth = after - before
    # The same requests with a bound far above them: what the count-only cache did.
    with serve_api({**env, "SMA_CACHE_MAX_BYTES": str(4096 * MB)}) as unbounded:
        before, after = _grow(unbounded.url, unbounded.pid)
    unbounded_growth = after - before
    print(
        f"\nRSS growth over {REQUESTS} answers of ~2.5 MB: bounded to 16 MB "
        f"{bounded_growth / MB:.0f} MB, unbounded {unbounded_growth / MB:.0f} MB"
    )
    assert unbounded_growth > 70 * MB  # the test can tell
    assert bounded_growth < 16 * MB + 30 * MB
