"""The job under faults: a throttled and failing DynamoDB endpoint, a run killed mid-write,
re-runs, and ticks that arrive after their hour was processed. The output stays exact."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sma.reference import rolling_sma
from sma.windows import SMA_COLUMNS, WINDOWS
from sma_laptop.producer import Tick, producer_item
from tests.hardening.fault_proxy import ALL_KINDS, FaultPlan, FaultProxy
from tests.hardening.hardening_harness import minute_items, partitions_of, stray_parquet
from tests.support.job import job_command, job_options, lake_files, read_lake, run_job
from tests.support.lake import LakeRow
from tests.support.source_table import fill_table
from tests.support.times import iso

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

DAY = datetime(2025, 1, 13, tzinfo=UTC)
TICKERS = ("BTC/USD", "ETH/USD", "DOGE/USD")


def test_throttling_and_server_errors_on_a_share_of_requests_leave_the_output_exact(
    spark: SparkSession, moto_endpoint: str, lakes: Any
) -> None:
    fill_table(
        moto_endpoint, "Ticks", minute_items(TICKERS, DAY.replace(hour=5), DAY.replace(hour=11))
    )
    window: dict[str, Any] = {
        "table": "Ticks",
        "start": DAY.replace(hour=8),
        "end": DAY.replace(hour=10),
    }
    clean_lake, faulty_lake = lakes("clean"), lakes("faulty")
    clean = run_job(spark, endpoint=moto_endpoint, lake=clean_lake, discover=True, **window)

    # Half of the reads fail at first (each at most twice in a row); the kinds take turns.
    plan = FaultPlan(share=0.5, seed=3, operations=frozenset({"Query", "Scan"}))
    with FaultProxy(moto_endpoint, plan) as proxy:
        faulty = run_job(spark, endpoint=proxy.url, lake=faulty_lake, discover=True, **window)

    injected = proxy.stats.injected
    print(f"faults injected {dict(injected)} into {dict(proxy.stats.injected_by_operation)}")
    assert set(injected) == set(ALL_KINDS), f"every kind of fault met the job: {injected}"
    assert proxy.stats.injected_by_operation["Query"] > 0
    assert proxy.stats.injected_by_operation["Scan"] > 0
    assert (faulty.items_read, faulty.rows_written) == (clean.items_read, clean.rows_written)
    assert faulty.rows_rejected == clean.rows_rejected
    assert read_lake(faulty_lake) == read_lake(clean_lake)
    assert len(read_lake(clean_lake)) == 2 * 60 * len(TICKERS)


def test_an_outage_longer_than_the_retries_fails_the_run_and_leaves_the_lake_as_it_was(
    spark: SparkSession, moto_endpoint: str, lakes: Any
) -> None:
    fill_table(
        moto_endpoint, "Ticks", minute_items(TICKERS[:2], DAY.replace(hour=5), DAY.replace(hour=11))
    )
    lake = lakes("lake")
    window: dict[str, Any] = {"table": "Ticks", "lake": lake, "tickers": TICKERS[:2]}
    run_job(
        spark, endpoint=moto_endpoint, start=DAY.replace(hour=7), end=DAY.replace(hour=10), **window
    )
    before = read_lake(lake)
    files = {path: path.stat().st_mtime_ns for path in lake_files(lake)}

    failing = pytest.raises(Exception, match="ServiceUnavailable")
    with FaultProxy(moto_endpoint) as proxy, proxy.outage("unavailable"), failing:
        # Three attempts per request instead of ten: the same path, a shorter wait.
        run_job(
            spark,
            endpoint=proxy.url,
            start=DAY.replace(hour=8),
            end=DAY.replace(hour=10),
            MAX_ATTEMPTS="3",
            **window,
        )
    assert proxy.stats.injected["unavailable"] >= 3  # every attempt of at least one Query

    assert read_lake(lake) == before
    assert {path: path.stat().st_mtime_ns for path in lake_files(lake)} == files


def _sma_etl(
    lake: Path, endpoint: str, tickers: tuple[str, ...], start: datetime, end: datetime
) -> subprocess.Popen[bytes]:
    """The job's console script in its own process group, so a kill takes its JVM along."""
    options = job_options(
        endpoint=endpoint, table="Ticks", lake=lake, start=start, end=end, tickers=tickers
    )
    return subprocess.Popen(
        job_command(options),
        env={**os.environ, "PYSPARK_PYTHON": sys.executable},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def _kill_when_writing(job: subprocess.Popen[bytes], lake: Path, timeout: float) -> bool:
    """SIGKILL the job's process group as soon as its write has begun; False if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if job.poll() is not None:
            return False
        # Dynamic partition overwrite stages the new files in .spark-staging-<id>/ first.
        if any(entry.name.startswith(".spark-staging") for entry in os.scandir(lake)):
            os.killpg(job.pid, signal.SIGKILL)
            job.wait(timeout=30)
            return True
        time.sleep(0.005)
    os.killpg(job.pid, signal.SIGKILL)
    job.wait(timeout=30)
    raise AssertionError(f"the job did not start writing within {timeout:.0f} s")


def test_a_run_killed_mid_write_is_repaired_by_the_next_run(
    spark: SparkSession, moto_endpoint: str, lakes: Any
) -> None:
    tickers = TICKERS[:2]
    start, end = DAY.replace(hour=6), DAY.replace(hour=10)
    fill_table(moto_endpoint, "Ticks", minute_items(tickers, DAY.replace(hour=4), end))
    lake, reference = lakes("lake"), lakes("reference")
    window: dict[str, Any] = {"endpoint": moto_endpoint, "table": "Ticks", "tickers": tickers}
    run_job(spark, lake=lake, start=start, end=end, **window)
    before = read_lake(lake)

    # New prices for two hours, so the interrupted run had something to replace.
    changed = minute_items(tickers, DAY.replace(hour=7), DAY.replace(hour=9), seed=2)
    fill_table(moto_endpoint, "Ticks", changed)
    job = _sma_etl(lake, moto_endpoint, tickers, start, end)
    killed = _kill_when_writing(job, lake, timeout=300)
    _, stderr = job.communicate()
    assert killed, f"the job ended before it could be killed: {stderr.decode()[-2000:]}"
    assert job.returncode == -signal.SIGKILL

    # The next run (the same window again) puts the lake right...
    run_job(spark, lake=lake, start=start, end=end, **window)
    run_job(spark, lake=reference, start=start, end=end, **window)
    after = read_lake(lake)
    assert after == read_lake(reference)
    assert after != before
    # ...one file per partition, and nothing a reader could mistake for data.
    assert partitions_of(lake) == partitions_of(reference)
    assert len(lake_files(lake)) == len(partitions_of(lake)) == 4 * len(tickers)
    assert stray_parquet(lake) == []


def test_re_running_any_window_changes_nothing(
    spark: SparkSession, moto_endpoint: str, lakes: Any
) -> None:
    fill_table(
        moto_endpoint, "Ticks", minute_items(TICKERS[:2], DAY.replace(hour=4), DAY.replace(hour=11))
    )
    lake = lakes("lake")
    common: dict[str, Any] = {
        "endpoint": moto_endpoint,
        "table": "Ticks",
        "lake": lake,
        "tickers": TICKERS[:2],
    }
    run_job(spark, start=DAY.replace(hour=6), end=DAY.replace(hour=11), **common)
    first = read_lake(lake)
    first_bytes = {p.parent: p.read_bytes() for p in lake_files(lake)}

    # A window inside the first run's, and one at its start (lookback before the lake begins).
    for hours in ((8, 10), (6, 7)):
        run_job(spark, start=DAY.replace(hour=hours[0]), end=DAY.replace(hour=hours[1]), **common)
        assert read_lake(lake) == first, f"re-running {hours} changed the lake"
    assert {p.parent: p.read_bytes() for p in lake_files(lake)} == first_bytes


def _late_scene() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A ticker's minute ticks, and one more tick (a high one) that will arrive late."""
    items = minute_items(("BTC/USD",), DAY.replace(hour=5), DAY.replace(hour=10))
    late = producer_item(
        Tick(
            "BTC/USD",
            DAY.replace(hour=8, minute=30, second=30),
            Decimal("150000.5"),
            Decimal("150001"),
        )
    )
    return items, late


def test_a_late_tick_is_picked_up_by_the_next_scheduled_run_and_corrects_later_smas(
    spark: SparkSession, moto_endpoint: str, lakes: Any
) -> None:
    items, late = _late_scene()
    fill_table(moto_endpoint, "Ticks", items)
    lake, reference = lakes("lake"), lakes("reference")
    common: dict[str, Any] = {"endpoint": moto_endpoint, "table": "Ticks", "tickers": ("BTC/USD",)}

    run_job(spark, lake=lake, now=DAY.replace(hour=9, minute=10), **common)  # writes [07:00, 09:00)
    before = {row["last_refreshed"]: row for row in read_lake(lake)}
    fill_table(moto_endpoint, "Ticks", [late])  # arrives after hour 08 was processed
    summary = run_job(spark, lake=lake, now=DAY.replace(hour=10, minute=10), **common)  # [08, 10)
    assert summary.window.as_json() == [iso(DAY.replace(hour=8)), iso(DAY.replace(hour=10))]

    after = read_lake(lake)
    late_time = DAY.replace(hour=8, minute=30, second=30)
    assert late_time in {row["last_refreshed"] for row in after}, "the late tick is in the lake"
    # The same lake a single backfill over the final table gives...
    run_job(spark, lake=reference, start=DAY.replace(hour=7), end=DAY.replace(hour=10), **common)
    assert after == read_lake(reference)
    # ...every SMA exact against the reference definition over the whole history...
    history = sorted([*items, late], key=lambda item: item["last_refreshed"])
    bids = [float(item["bid_price"]) for item in history]
    expected = {
        column: dict(zip([_when(i) for i in history], rolling_sma(bids, n), strict=True))
        for column, n in zip(SMA_COLUMNS, WINDOWS, strict=True)
    }
    for row in after:
        for column in SMA_COLUMNS:
            assert row[column] == pytest.approx(expected[column][row["last_refreshed"]], rel=1e-12)
    # ...and the SMAs after the late tick were corrected, those before it left alone.
    changed = [
        when for when, row in before.items() if when > late_time and row != _row_at(after, when)
    ]
    unchanged = [
        when for when, row in before.items() if when < late_time and row == _row_at(after, when)
    ]
    assert len(changed) == len([w for w in before if w > late_time]) > 0
    assert len(unchanged) == len([w for w in before if w < late_time])


def _when(item: dict[str, Any]) -> datetime:
    return datetime.strptime(item["last_refreshed"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def _row_at(rows: list[LakeRow], when: datetime) -> LakeRow | None:
    return next((row for row in rows if row["last_refreshed"] == when), None)
