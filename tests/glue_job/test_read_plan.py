"""How a window is read and its SMA work cut: same ticks, same SMAs, however it is done."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sma.schema import SOURCE_TIME_FORMAT
from sma_etl.read_plan import Prefetched, fetch_ticks, read_tasks
from sma_etl.segments import SegmentPlan, partition_keys, plan_segments, spark_hash_int
from sma_etl.source import SourceConfig
from sma_etl.window import Window
from sma_laptop.producer import Tick, producer_item
from tests.glue_job.conftest import DAY, TABLE, Source, minute_ticks, walk
from tests.support.job import job_options

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

H = timedelta(hours=1)


def test_a_run_read_at_once_serves_each_chunk_what_its_own_queries_read(source: Source) -> None:
    for seed, ticker in enumerate(("BTC/USD", "ETH/USD"), start=1):
        ticks = minute_ticks(ticker, DAY, walk(6 * 60, seed))
        for index in range(0, len(ticks), 17):  # malformed ticks the lookback must read past
            ticks[index] = Tick(ticker, ticks[index].last_refreshed, "-", "-")
        source.put_ticks(ticks)
    config = SourceConfig(TABLE, "us-east-1", source.endpoint)
    tickers = ("BTC/USD", "ETH/USD", "DOGE/USD")
    run = Window(DAY + 2 * H, DAY + 6 * H)
    prefetched = Prefetched(config, tickers, run)
    try:
        for chunk in run.chunks(1):
            served = prefetched.window_rows(chunk)
            assert served is not None
            assert sorted(served, key=str) == sorted(fetch_ticks(config, tickers, chunk), key=str)
    finally:
        prefetched.close()


def test_a_run_read_ahead_leaves_chunks_near_ticks_of_another_zone_to_their_own_queries(
    source: Source,
) -> None:
    """Ticks keyed by US/Eastern wall time from DAY+25h on (UTC 30h): the chunk of UTC hours
    0-6 is served from what was read, every chunk from hour 6 on (whose UTC hours such keys
    may hold) reads its own keys, however far the readers got meanwhile."""
    utc = [t for i, t in enumerate(minute_ticks("BTC/USD", DAY, walk(48 * 60, 3))) if i % 10 == 0]
    source.put_ticks(utc)
    eastern_start = DAY + 30 * H
    items = []
    for i, price in enumerate(walk(60, 4)):
        when = eastern_start + i * timedelta(minutes=5)
        item = producer_item(Tick("ETH/USD", when, price, price))
        item["last_refreshed"] = (when - 5 * H).strftime(SOURCE_TIME_FORMAT)  # EST, no DST
        item["time_zone"] = "US/Eastern"
        items.append(item)
    source.put_items(items)
    config = SourceConfig(TABLE, "us-east-1", source.endpoint)
    tickers = ("BTC/USD", "ETH/USD")
    run = Window(DAY, DAY + 48 * H)
    prefetched = Prefetched(config, tickers, run)
    try:
        first, *later = run.chunks(6)
        served = prefetched.window_rows(first)
        assert served is not None
        assert sorted(served, key=str) == sorted(fetch_ticks(config, tickers, first), key=str)
        assert [prefetched.window_rows(chunk) for chunk in later] == [None] * len(later)
    finally:
        prefetched.close()


def test_read_slices_cover_the_window_once_and_only_the_first_reads_history() -> None:
    window = Window(DAY, DAY + 10 * H)
    tasks = read_tasks(["BTC/USD"], window, 4, 99)
    assert [t.lookback for t in tasks] == [99, 0, 0, 0]
    assert tasks[0].first_key == window.start_key()
    assert tasks[-1].last_key == window.last_key()
    for before, after in itertools.pairwise(tasks):
        assert before.last_key < after.first_key  # no key in two slices...
        assert before.last_key.endswith(":59:59\uffff")  # ...and none between them
        assert after.first_key.endswith(":00:00")


def test_partition_keys_land_each_on_its_own_partition_as_spark_hashes(
    spark: SparkSession,
) -> None:
    from pyspark.sql import functions as sf

    values = list(range(-5, 40))
    hashed = spark.createDataFrame([(v,) for v in values], "v int").select(sf.hash("v")).collect()
    assert [r[0] for r in hashed] == [spark_hash_int(v) for v in values]
    for partitions in (1, 3, 8):
        keys = partition_keys(partitions)
        frame = spark.createDataFrame([(k,) for k in keys], "k int").repartition(partitions, "k")
        placed = frame.select("k", sf.spark_partition_id().alias("p")).collect()
        assert {r["k"]: r["p"] for r in placed} == {k: p for p, k in enumerate(keys)}


def test_one_tickers_backfill_is_cut_into_segments_with_context_from_the_one_before() -> None:
    hour_rows = {("BTCUSD", hour): 60 for hour in range(6000)}
    plan: SegmentPlan = plan_segments(hour_rows, parallelism=2)
    assert len(plan.segments) == 8 == plan.partitions  # every core has work
    assert {s.partition for s in plan.segments} == set(range(8))
    for before, after in itertools.pairwise(plan.segments):
        assert after.context_hour is not None
        assert before.first_hour <= after.context_hour < after.first_hour
        assert (after.first_hour - after.context_hour) * 60 >= 99  # 99 ticks of context


@pytest.mark.spark
def test_smas_cut_into_segments_equal_smas_of_one_pass(spark: SparkSession) -> None:
    from sma_etl.read_plan import raw_schema
    from sma_etl.transform import transform

    prices = walk(3000, seed=5)
    ticks = minute_ticks("BTC/USD", DAY, prices, step=timedelta(seconds=20))
    when = [t.last_refreshed.strftime("%Y-%m-%d %H:%M:%S") for t in ticks]
    rows = [
        ("BTC/USD", w, str(t.bid_price), None, None, False)
        for w, t in zip(when, ticks, strict=True)
    ]
    raw = spark.createDataFrame(rows, raw_schema())
    bounds = (int(DAY.timestamp()) * 10**6, int((DAY + 17 * H).timestamp()) * 10**6)
    one_pass = transform(raw, *bounds, parallelism=1)
    cut = transform(raw, *bounds, parallelism=2, min_segment_rows=200)
    assert one_pass.plan is not None
    assert cut.plan is not None
    assert len(one_pass.plan.segments) == 1 < len(cut.plan.segments)
    order = ("ticker", "last_refreshed")
    assert cut.rows.orderBy(*order).collect() == one_pass.rows.orderBy(*order).collect()


@pytest.mark.parametrize(
    ("days", "discover", "short"),
    [(None, False, True), (29, False, True), (365, False, False), (None, True, False)],
    ids=["scheduled", "a-month-backfill", "a-year-backfill", "discovering"],
)
def test_a_run_ends_before_the_optimising_compiler_pays_up_to_a_size(
    tmp_path: Path, days: int | None, discover: bool, short: bool
) -> None:
    from sma_etl.run import QUICK_JIT_TICKER_HOURS, is_short_run
    from sma_etl.settings import load_settings

    window = {"start": DAY, "end": DAY + timedelta(days=days)} if days else {"now": DAY}
    options = job_options(
        endpoint="http://127.0.0.1:1", table=TABLE, lake=tmp_path, discover=discover,
        tickers=("BTC/USD", "ETH/USD", "DOGE/USD"), **window,  # type: ignore[arg-type]
    )  # fmt: skip
    settings = load_settings(options, env={"AWS_REGION": "us-east-1"})
    assert is_short_run(settings) is short
    assert (3 * settings.window.hours <= QUICK_JIT_TICKER_HOURS) is (short or discover)
