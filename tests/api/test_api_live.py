"""GET /tickers/{ticker}/sma?source=live: the newest ticks from the source table (moto's server
over real HTTP), judged by the job's tick rule, the same SMAs as the lake for the same ticks."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from sma.reference import rolling_sma
from sma.schema import SOURCE_TIME_FORMAT
from sma.signals import signal
from sma.ticks import CleanTick
from sma_api.main import create_app
from sma_api.store.duckdb_store import DuckDbStore
from tests.api.api_lake import iso, settings_for, without_age, write_series
from tests.api.api_source import SourceTable, clean, minute_items, price_walk, source_table

TICKS = 400
BAD = {TICKS - 3, TICKS - 50, 120}  # malformed bids: among the newest, and further back


@dataclass
class Live:
    client: TestClient
    table: SourceTable
    ticks: list[CleanTick]  # the clean ticks, in time order


def _now_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


@pytest.fixture
def live(moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    """BTC/USD minute ticks up to now in the table; a lake of the same clean ticks."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_endpoint)
    table = source_table(moto_endpoint)
    start = _now_minute() - timedelta(minutes=TICKS - 1)
    prices: list[Any] = price_walk(TICKS, 94_123.45678901)
    for i in BAD:
        prices[i] = "-"
    items = minute_items("BTC/USD", start, prices)
    table.put(items)
    ticks = clean(items)
    assert len(ticks) == TICKS - len(BAD)
    write_series(
        tmp_path,
        "BTCUSD",
        [_time(t) for t in ticks],
        [(t.bid_price, t.ask_price) for t in ticks],
    )
    app = create_app(settings_for(tmp_path), DuckDbStore(tmp_path))
    answers = app.state.answers
    client = answers.live_source.client()

    def record(params: dict[str, Any], **_: Any) -> None:
        assert params["ScanIndexForward"] is False
        assert params["ConsistentRead"] is False
        table.limits.append(params["Limit"])

    client.meta.events.register("provide-client-params.dynamodb.Query", record)
    with TestClient(app) as test_client:
        yield Live(test_client, table, ticks)


def _time(tick: CleanTick) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=tick.micros)


def _close(got: float | None, want: float | None) -> bool:
    if got is None or want is None:
        return got is want
    return math.isclose(got, want, rel_tol=1e-12, abs_tol=0.0)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "windows=20,50,200",
        "short=50&long=200",
        "windows=2,7,333&short=7&long=333",
    ],
)
def test_live_and_lake_give_the_same_answer_for_the_same_ticks(live: Live, query: str) -> None:
    from_lake = live.client.get(f"/tickers/BTCUSD/sma?{query}")
    from_source = live.client.get(f"/tickers/BTC-USD/sma?{query}&source=live")
    assert from_lake.status_code == from_source.status_code == 200, from_source.text
    lake_body, live_body = without_age(from_lake.json()), without_age(from_source.json())
    assert (lake_body.pop("source"), live_body.pop("source")) == ("lake", "live")
    assert live_body == lake_body
    # ... and both are the reference SMAs of the clean ticks' bids.
    bids = [t.bid_price for t in live.ticks]
    assert live_body["last_refreshed"] == iso(_time(live.ticks[-1]))
    fields = [k for k in live_body if k.startswith("sma_")]
    assert fields
    for name in fields:
        assert _close(live_body[name], rolling_sma(bids, int(name[4:]))[-1]), name


def test_the_ages_say_how_old_the_newest_tick_is(live: Live) -> None:
    body = live.client.get("/tickers/BTCUSD/sma?source=live").json()
    newest = _time(live.ticks[-1])
    assert body["source"] == "live"
    elapsed = (datetime.now(UTC) - newest).total_seconds()
    assert elapsed - 2 <= body["age_seconds"] <= elapsed
    assert body["age_seconds"] < 120


def test_only_the_ticks_the_longest_window_needs_are_read(live: Live) -> None:
    # The newest 100 items hold two malformed ones: a second page asks for the shortfall.
    assert live.client.get("/tickers/BTCUSD/sma?source=live").status_code == 200
    assert live.table.limits == [100, 2]
    live.table.limits.clear()
    assert live.client.get("/tickers/BTCUSD/sma?source=live&windows=20").status_code == 200
    # The signal's long window, 30, is the longest needed; one of those 30 is malformed.
    assert live.table.limits == [30, 1]


def test_a_live_answer_is_kept_at_most_30_seconds(live: Live) -> None:
    first = live.client.get("/tickers/BTCUSD/sma?source=live")
    again = live.client.get("/tickers/BTCUSD/sma?source=live")
    assert live.table.limits == [100, 2]  # the second answer came from the cache
    assert without_age(again.json()) == without_age(first.json())
    max_age = int(first.headers["cache-control"].removeprefix("public, max-age="))
    assert 1 <= max_age <= 30
    assert first.headers["etag"].startswith('W/"')


def test_with_no_live_cache_every_answer_reads_the_table(live: Live, tmp_path: Path) -> None:
    app = create_app(settings_for(tmp_path, live_cache_seconds=0), DuckDbStore(tmp_path))
    with TestClient(app) as client:
        for _ in range(2):
            assert client.get("/tickers/BTCUSD/sma?source=live").status_code == 200


def test_of_two_spellings_of_one_tick_the_job_keeps_the_first(live: Live) -> None:
    """The same instant written twice (in UTC, and as Paris wall time): as in the job, the
    spelling first by raw text wins (here the UTC one, whose wall time is earlier)."""
    newest = _time(live.ticks[-1]) + timedelta(minutes=1)
    [utc_item] = minute_items("BTC/USD", newest, [Decimal("101.5")])
    [paris_item] = minute_items("BTC/USD", newest, [Decimal("999.5")])
    paris_item["last_refreshed"] = newest.astimezone(ZoneInfo("Europe/Paris")).strftime(
        SOURCE_TIME_FORMAT
    )
    paris_item["time_zone"] = "Europe/Paris"
    live.table.put([paris_item, utc_item])
    body = live.client.get("/tickers/BTCUSD/sma?source=live&windows=2").json()
    assert body["last_refreshed"] == iso(newest)
    assert body["bid_price"] == 101.5
    assert body["sma_2"] == (live.ticks[-1].bid_price + 101.5) / 2


def test_a_ticker_outside_tickers_or_without_ticks_is_404(live: Live) -> None:
    unknown = live.client.get("/tickers/XRPUSD/sma?source=live")
    assert unknown.status_code == 404
    assert "TICKERS" in unknown.json()["detail"]
    empty = live.client.get("/tickers/ETHUSD/sma?source=live")
    assert empty.status_code == 404
    assert empty.json() == {"detail": "no data for ticker 'ETHUSD'"}


def test_an_unreachable_table_is_503_with_retry_after(
    live: Live, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")
    app = create_app(settings_for(tmp_path), DuckDbStore(tmp_path))
    with TestClient(app) as client:
        response = client.get("/tickers/BTCUSD/sma?source=live")
    assert response.status_code == 503
    assert "retry-after" in response.headers
    assert response.json()["detail"] == "data backend unavailable: the source table did not answer"


def test_signal_follows_short_and_long(live: Live) -> None:
    body = live.client.get("/tickers/BTCUSD/sma?source=live&windows=50,200&short=50&long=200")
    found = body.json()
    assert found["signal"] == signal(found["sma_50"], found["sma_200"])
