"""Late ticks: a tick delivered hours after its time is written, and the SMAs after it agree."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.glue_job.conftest import DAY, TABLE, LakeRows, Source, minute_ticks, walk
from tests.support import job

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sma_etl.run import RunSummary

pytestmark = pytest.mark.spark

H = timedelta(hours=1)
M = timedelta(minutes=1)


def test_a_late_tick_is_written_with_every_row_it_changes(
    spark: SparkSession, source: Source, read_lake: LakeRows, tmp_path: Path
) -> None:
    ticks = minute_ticks("BTC/USD", DAY, walk(6 * 60, seed=3))
    late = ticks[90]  # 01:30, delivered at 04:20
    source.put_ticks(t for t in ticks if t is not late)
    lake = tmp_path / "lake"
    common: dict[str, Any] = {"endpoint": source.endpoint, "table": TABLE, "tickers": ("BTC/USD",)}

    def scheduled(at: timedelta, **options: str) -> RunSummary:
        return job.run_job(spark, lake=lake, now=DAY + at, **common, **options)

    for hour in (2, 3, 4):
        scheduled(hour * H + 10 * M)
    source.put_ticks([late])
    summary = scheduled(5 * H + 10 * M)
    assert summary.window.as_json() == ["2025-01-13T01:00:00Z", "2025-01-13T05:00:00Z"]
    assert summary.late_beyond_horizon == 0

    backfill = tmp_path / "backfill"
    job.run_job(spark, lake=backfill, start=DAY, end=DAY + 5 * H, **common)
    rows = read_lake(lake)
    assert len(rows) == 300  # on main: the 01:30 row missing, the rows after it differ
    assert rows == read_lake(backfill)

    # Past the horizon: counted for the alarm, not written.
    early = ticks[0]
    source.client.delete_item(
        TableName=TABLE,
        Key={"ticker": {"S": "BTC/USD"}, "last_refreshed": {"S": "2025-01-13 00:00:00"}},
    )
    beyond = scheduled(5 * H + 20 * M, LATE_HORIZON_HOURS="4")
    assert beyond.late_beyond_horizon == 1
    assert beyond.window.as_json() == ["2025-01-13T03:00:00Z", "2025-01-13T05:00:00Z"]
    assert early.last_refreshed.replace(tzinfo=None) == rows[0]["last_refreshed"]
