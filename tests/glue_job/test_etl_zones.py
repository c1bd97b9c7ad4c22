"""Ticks written in another time zone: each one read and written in its UTC hour, DST too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from sma.schema import SOURCE_TIME_FORMAT
from sma_laptop.producer import Tick, producer_item
from tests.glue_job.conftest import TABLE, LakeRows, Source, walk
from tests.glue_job.test_etl_job import assert_rows_match_reference
from tests.support import job

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

H = timedelta(hours=1)
EASTERN = ZoneInfo("US/Eastern")
# US/Eastern springs forward at 2025-03-09 07:00 UTC (02:00 EST becomes 03:00 EDT).
FIRST = datetime(2025, 3, 9, 4, 0, tzinfo=UTC)


def eastern_items(ticker: str, count: int) -> tuple[list[dict[str, object]], list[float]]:
    """One tick a minute from FIRST, keyed by its US/Eastern wall time; and the bids in order."""
    prices = walk(count, seed=5)
    items = []
    for i, price in enumerate(prices):
        when = FIRST + i * timedelta(minutes=1)
        item = producer_item(Tick(ticker, when, price, price))
        item["last_refreshed"] = when.astimezone(EASTERN).strftime(SOURCE_TIME_FORMAT)
        item["time_zone"] = "US/Eastern"
        items.append(item)
    return items, [float(p) for p in prices]


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
