"""Ticks written in another time zone: each one read and written in its UTC hour, DST too,
whether a run reads in the driver, by Spark tasks in slices, or chunk by chunk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest

from sma.schema import SOURCE_TIME_FORMAT
from sma.tickers import normalize
from sma_etl.read_plan import reads_in_driver
from sma_etl.run import RunSummary, reads_ahead
from sma_etl.window import Window
from sma_laptop.producer import Tick, producer_item
from tests.glue_job.conftest import TABLE, LakeRows, Source, walk
from tests.glue_job.test_etl_job import assert_rows_match_reference
from tests.support import job

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

H = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
EASTERN = ZoneInfo("US/Eastern")
# US/Eastern springs forward at 2025-03-09 07:00 UTC (02:00 EST becomes 03:00 EDT).
FIRST = datetime(2025, 3, 9, 4, 0, tzinfo=UTC)


def every(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    """The instants ``start, start + step, ...`` before `end`."""
    return [start + i * step for i in range(-(-(end - start) // step))]


def zoned_items(
    ticker: str, times: list[tuple[datetime, str]], seed: int
) -> tuple[list[dict[str, object]], list[float]]:
    """A tick at each (UTC instant, zone), keyed by its wall time in that zone; and the bids."""
    prices = walk(len(times), seed=seed)
    items = []
    for (when, zone), price in zip(times, prices, strict=True):
        item = producer_item(Tick(ticker, when, price, price))
        item["last_refreshed"] = when.astimezone(ZoneInfo(zone)).strftime(SOURCE_TIME_FORMAT)
        item["time_zone"] = zone
        items.append(item)
    return items, [float(p) for p in prices]


def eastern_items(ticker: str, count: int) -> tuple[list[dict[str, object]], list[float]]:
    """One tick a minute from FIRST, keyed by its US/Eastern wall time; and the bids in order."""
    times = every(FIRST, FIRST + count * timedelta(minutes=1), timedelta(minutes=1))
    return zoned_items(ticker, [(when, "US/Eastern") for when in times], seed=5)


def test_hourly_runs_and_a_backfill_write_every_tick_of_a_zone_crossing_dst(
    spark: SparkSession, source: Source, read_lake: LakeRows, tmp_path: Path
) -> None:
    items, bids = eastern_items("ETH/USD", 300)
    source.put_items(items)
    common = {"endpoint": source.endpoint, "table": TABLE, "tickers": ("ETH/USD",)}

    hourly = tmp_path / "hourly"
    summaries = [
        job.run_job(spark, lake=hourly, now=FIRST + hour * H + timedelta(minutes=10), **common)
        for hour in range(1, 7)  # windows [03:00, 05:00) ... [08:00, 10:00)
    ]
    backfill = tmp_path / "backfill"
    whole = job.run_job(spark, lake=backfill, start=FIRST, end=FIRST + 5 * H, **common)

    rows = read_lake(hourly)
    assert len(rows) == 300  # on main: 145 missing
    assert_rows_match_reference(rows, bids)
    assert rows[-1]["sma_100"] is not None
    assert [r["last_refreshed"] for r in rows] == [
        (FIRST + i * timedelta(minutes=1)).replace(tzinfo=None) for i in range(300)
    ]
    assert read_lake(backfill) == rows
    assert whole.rows_written == 300
    assert all(not s.rows_rejected for s in summaries)
    # Ticks read under a window's keys but of another UTC hour are counted, not lost.
    assert sum(s.clean_outside_window for s in summaries) > 0


def ticks_every(
    zone: str, start: datetime, end: datetime, step: timedelta
) -> list[tuple[datetime, str]]:
    """(UTC instant, zone) of a tick every `step` from `start` until `end`."""
    return [(when, zone) for when in every(start, end, step)]


Series = dict[str, tuple[list[datetime], list[float]]]


def put_series(source: Source, ticks: dict[str, list[tuple[datetime, str]]]) -> Series:
    """Each ticker's ticks (UTC instant, zone) into the table; instants and bids by lake ticker."""
    series: Series = {}
    for seed, (ticker, times) in enumerate(sorted(ticks.items()), start=11):
        items, bids = zoned_items(ticker, times, seed)
        source.put_items(items)
        series[normalize(ticker)] = ([when for when, _ in times], bids)
    return series


def run_backfill(
    spark: SparkSession,
    source: Source,
    lake: Path,
    tickers: tuple[str, ...],
    window: Window,
    *,
    chunk_hours: int,
) -> RunSummary:
    """A backfill of `window` in chunks of `chunk_hours` hours."""
    return job.run_job(
        spark,
        endpoint=source.endpoint,
        table=TABLE,
        lake=lake,
        tickers=tickers,
        start=window.start,
        end=window.end,
        CHUNK_HOURS=str(chunk_hours),
    )


def assert_each_tick_once(
    rows: list[dict[str, Any]], summary: RunSummary, series: Series, window: Window
) -> None:
    """Each tick of `series` in `window` written exactly once, in its UTC hour, with the SMAs
    of its ticker's whole series; nothing else written, nothing rejected or seen twice."""
    assert {r["ticker"] for r in rows} == set(series)
    for ticker, (times, bids) in series.items():
        mine = [r for r in rows if r["ticker"] == ticker]
        inside = [when for when in times if window.start <= when < window.end]
        assert [r["last_refreshed"] for r in mine] == [w.replace(tzinfo=None) for w in inside]
        assert [(r["date"], r["hour"]) for r in mine] == [
            (w.date(), f"{w.hour:02d}") for w in inside
        ]
        assert_rows_match_reference(mine, bids[: times.index(inside[-1]) + 1])
    assert summary.rows_written == len(rows)
    assert not summary.rows_rejected
    assert summary.duplicates == 0  # no tick read twice (a slice widened between slices)


def test_a_backfill_read_by_spark_tasks_in_slices_writes_each_zoned_tick_once(
    spark: SparkSession, source: Source, read_lake: LakeRows, tmp_path: Path
) -> None:
    # 96 ticker-hours in one chunk: read by Spark tasks, one per (ticker, slice of whole hours).
    # A tick every 20 minutes, at :07, :27 and :47, puts every slice boundary between two ticks.
    # The DST change (FIRST + 3 h) is in the first slice, the only one whose keys widen (5 h
    # down); ticks keyed under the last slice's keys but past the window's end are not written.
    window = Window(FIRST, FIRST + 96 * H)
    eth = ticks_every("US/Eastern", FIRST - 40 * H + 7 * MINUTE, window.end + 6 * H, 20 * MINUTE)
    series = put_series(source, {"ETH/USD": eth})
    assert not reads_in_driver(["ETH/USD"], window)
    # The same window in two chunks of 48 h, read in the driver, each widening its own keys.
    halves = list(window.chunks(48))
    assert len(halves) == 2
    assert reads_ahead(("ETH/USD",), window, halves)

    sliced = run_backfill(
        spark, source, tmp_path / "sliced", ("ETH/USD",), window, chunk_hours=window.hours
    )
    halved = run_backfill(spark, source, tmp_path / "halved", ("ETH/USD",), window, chunk_hours=48)

    rows = read_lake(tmp_path / "sliced")
    assert_each_tick_once(rows, sliced, series, window)
    assert rows[0]["sma_100"] is not None  # the history before the widened keys was read
    assert read_lake(tmp_path / "halved") == rows
    assert_each_tick_once(rows, halved, series, window)


CHUNKED = Window(FIRST, FIRST + 12 * H)  # three chunks of 4 h; the DST change in the first


def assert_chunks_write_what_one_chunk_writes(
    spark: SparkSession,
    source: Source,
    read_lake: LakeRows,
    tmp_path: Path,
    ticks: dict[str, list[tuple[datetime, str]]],
) -> None:
    """A backfill of CHUNKED in three small chunks, a run read at once unless some ticks are in
    another zone, writes every tick once, as a backfill of CHUNKED in one chunk does."""
    series = put_series(source, ticks)
    tickers = tuple(ticks)
    chunks = list(CHUNKED.chunks(4))
    assert len(chunks) == 3
    assert reads_ahead(tickers, CHUNKED, chunks)
    assert reads_in_driver(tickers, CHUNKED)  # the one-chunk run: read in the driver too

    chunked = run_backfill(spark, source, tmp_path / "chunked", tickers, CHUNKED, chunk_hours=4)
    whole = run_backfill(
        spark, source, tmp_path / "whole", tickers, CHUNKED, chunk_hours=CHUNKED.hours
    )

    rows = read_lake(tmp_path / "whole")
    assert_each_tick_once(rows, whole, series, CHUNKED)
    assert read_lake(tmp_path / "chunked") == rows
    assert_each_tick_once(rows, chunked, series, CHUNKED)


BTC_IN_UTC = ticks_every("UTC", FIRST - 20 * H + 5 * MINUTE, FIRST + 14 * H, 10 * MINUTE)


@pytest.mark.parametrize(
    "eth",
    [
        pytest.param(
            ticks_every("US/Eastern", FIRST - 20 * H + 3 * MINUTE, FIRST + 18 * H, 10 * MINUTE),
            id="zoned-beside-utc",
        ),
        # The ticker's first tick is at FIRST + 8 h, keyed (EDT) FIRST + 4 h: under the second
        # chunk's keys; the first chunk reads nothing of it, the third widens its keys down.
        # A tick every 2 minutes: its SMAs of 100 ticks get values within the chunk.
        pytest.param(
            ticks_every("US/Eastern", FIRST + 8 * H + MINUTE, FIRST + 14 * H, 2 * MINUTE),
            id="zoned-from-the-third-chunk",
        ),
    ],
)
def test_a_chunked_backfill_with_zoned_ticks_writes_what_one_chunk_writes(
    spark: SparkSession,
    source: Source,
    read_lake: LakeRows,
    tmp_path: Path,
    eth: list[tuple[datetime, str]],
) -> None:
    assert_chunks_write_what_one_chunk_writes(
        spark, source, read_lake, tmp_path, {"BTC/USD": BTC_IN_UTC, "ETH/USD": eth}
    )


def test_a_chunked_backfill_reads_a_ticker_turned_zoned_as_one_chunk_does(
    spark: SparkSession, source: Source, read_lake: LakeRows, tmp_path: Path
) -> None:
    # In UTC until FIRST + 2 h, then in Asia/Tokyo (+9 h): key order stays time order, and the
    # zoned keys start at FIRST + 11 h, under the last chunk's keys only. The one-chunk run, and
    # the run's read ahead, see the zone under their keys; the chunks before the last, whose own
    # keys and history hold UTC ticks only, must still read their ticks written in Tokyo.
    eth = ticks_every("UTC", FIRST - 20 * H + 3 * MINUTE, FIRST + 2 * H, 10 * MINUTE)
    eth += ticks_every("Asia/Tokyo", FIRST + 2 * H + 3 * MINUTE, FIRST + 14 * H, 10 * MINUTE)
    assert_chunks_write_what_one_chunk_writes(spark, source, read_lake, tmp_path, {"ETH/USD": eth})
