"""Missed runs: a scheduled run after a gap writes every hour since the newest one written."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sma_etl.cli import main
from tests.glue_job.conftest import DAY, TABLE, LakeRows, Source, minute_ticks, walk
from tests.support import job

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

H = timedelta(hours=1)
TICKERS = ("BTC/USD", "ETH/USD")


@pytest.fixture
def ticks(source: Source) -> None:
    for seed, ticker in enumerate(TICKERS, start=1):
        source.put_ticks(minute_ticks(ticker, DAY, walk(9 * 60 + 10, seed)))


def _scheduled(spark: SparkSession, source: Source, lake: Path, at: timedelta) -> list[str]:
    summary = job.run_job(
        spark, endpoint=source.endpoint, table=TABLE, lake=lake, now=DAY + at, tickers=TICKERS
    )
    return summary.window.as_json()


@pytest.mark.usefixtures("ticks")
def test_a_run_after_missed_runs_writes_what_a_backfill_writes(
    spark: SparkSession, source: Source, read_lake: LakeRows, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    first = _scheduled(spark, source, lake, 3 * H + timedelta(minutes=10))
    # The 04:10 .. 08:10 runs failed or never started.
    after = _scheduled(spark, source, lake, 9 * H + timedelta(minutes=10))
    assert first == ["2025-01-13T01:00:00Z", "2025-01-13T03:00:00Z"]
    assert after == ["2025-01-13T02:00:00Z", "2025-01-13T09:00:00Z"]

    backfill = tmp_path / "backfill"
    job.run_job(
        spark, endpoint=source.endpoint, table=TABLE, lake=backfill,
        start=DAY + H, end=DAY + 9 * H, tickers=TICKERS,
    )  # fmt: skip
    rows = read_lake(lake)
    assert len(rows) == 2 * 8 * 60  # on main: 03:00..06:59 missing, 480 rows
    assert rows == read_lake(backfill)


@pytest.mark.usefixtures("ticks")
def test_a_gap_past_the_longest_catch_up_writes_that_span_fails_and_the_next_run_goes_on(
    spark: SparkSession,
    source: Source,
    read_lake: LakeRows,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lake = tmp_path / "lake"
    _scheduled(spark, source, lake, 3 * H + timedelta(minutes=10))
    capsys.readouterr()
    flags = ["--output", str(lake), "--tickers", ",".join(TICKERS), "--table", TABLE]
    code = main(
        [
            *flags, "--now", "2025-01-13T09:10:00Z", "--max-catchup-hours", "3",
            "--endpoint-url", source.endpoint, "--quiet",
        ]
    )  # fmt: skip
    captured = capsys.readouterr()
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert code == 1
    assert "catch-up incomplete: 4 hours left" in captured.err
    assert summary["window"] == ["2025-01-13T02:00:00Z", "2025-01-13T05:00:00Z"]
    assert summary["catchup_hours_left"] == 4

    # The next run starts from the newest hour written and closes the gap.
    assert _scheduled(spark, source, lake, 9 * H + timedelta(minutes=20)) == [
        "2025-01-13T04:00:00Z",
        "2025-01-13T09:00:00Z",
    ]
    backfill = tmp_path / "backfill"
    job.run_job(
        spark, endpoint=source.endpoint, table=TABLE, lake=backfill,
        start=DAY + H, end=DAY + 9 * H, tickers=TICKERS,
    )  # fmt: skip
    assert read_lake(lake) == read_lake(backfill)
