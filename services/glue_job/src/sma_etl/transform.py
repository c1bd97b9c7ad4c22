"""The pure part of the job: raw ticks in, lake rows out. No I/O, no configuration reads.

``transform`` is the one chain: the run and the tests both go through it. It judges every tick
with Spark expressions (``judge``), counts what came of them in one small aggregate
(``tally``), plans the SMA work from those counts (``segments``) and leaves the lake rows
(``smas``) lazy for the writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from sma.schema import ALL_COLUMNS
from sma.windows import WINDOWS
from sma_etl.columns import lake_schema, spark_type
from sma_etl.judge import (
    GENERAL,
    MICROS,
    REASON,
    judge,
    judge_in_driver,
    judge_spelt,
    producer_spelt,
    zone_times_frame,
)
from sma_etl.judge_general import judge_general
from sma_etl.segments import MIN_SEGMENT_ROWS, SegmentPlan, plan_segments
from sma_etl.smas import compute_smas
from sma_etl.source import LOOKBACK_COLUMN, RAW_COLUMNS
from sma_etl.tally import (
    MICROS_PER_HOUR,
    PartitionKey,
    Tally,
    TickCounts,
    distinct_rows,
    floor_div_sql,
    tally,
    tally_frame,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

MICROS_PER_DAY: Final = 24 * MICROS_PER_HOUR
# Up to this many ticks in other spellings than the producer's (malformed ones, mostly) are
# judged in the driver by ``sma.ticks`` (``judge_in_driver``): planning the whole rule as Spark
# expressions costs seconds a query (the default demo's backfill: ~10 s a chunk).
DRIVER_JUDGED_TICKS: Final = 20_000

__all__ = ["REASON", "PartitionKey", "TickCounts", "Transformed", "lake_rows", "transform"]


def rejected_ticks(judged: DataFrame) -> DataFrame:
    """Ticks this window rejected, raw, with their reason.

    Malformed history from the lookback read belongs to an earlier window and was counted there.
    """
    return judged.where(f"{REASON} IS NOT NULL AND NOT {LOOKBACK_COLUMN}").select(
        *RAW_COLUMNS, REASON
    )


def clean_ticks(judged: DataFrame, *, with_raw: bool) -> DataFrame:
    """The ticks that passed the rule, history and window alike, in the columns SMAs need."""
    columns = ["ticker", MICROS, "bid_price", "ask_price", *(RAW_COLUMNS if with_raw else ())]
    return judged.where(f"{REASON} IS NULL").select(*columns)


def lake_rows(ticks: DataFrame, start_micros: int, end_micros: int) -> DataFrame:
    """Ticks with SMAs of the window in the lake's columns and types (``sma.schema``)."""
    values = {
        "last_refreshed": f"timestamp_micros({MICROS})",
        "date": f"date_from_unix_date({floor_div_sql(MICROS, MICROS_PER_DAY)})",
        "hour": f"lpad(CAST(pmod({floor_div_sql(MICROS, MICROS_PER_HOUR)}, 24) AS STRING), 2, '0')",
    }
    return ticks.where(f"{MICROS} >= {start_micros} AND {MICROS} < {end_micros}").selectExpr(
        *(
            f"CAST({values.get(c.name, c.name)} AS {spark_type(c.type).simpleString()}) AS {c.name}"
            for c in ALL_COLUMNS
        )
    )


@dataclass(frozen=True, slots=True)
class Transformed:
    """What the chain makes of one window's raw ticks. The frames are lazy; the counts are in."""

    judged: DataFrame  # every tick read, judged
    rows: DataFrame  # the window's lake rows, clustered by lake partition
    rejected: DataFrame  # the window's rejected ticks, raw, with their reason
    tally: Tally
    plan: SegmentPlan | None  # None when the window has no clean tick
    start_hour: int
    end_hour: int

    def count_ticks(self) -> TickCounts:
        """Ticks read, from history, rejected by reason, and clean in the window."""
        return self.tally.ticks

    def count_rows(self) -> dict[PartitionKey, int]:
        """Lake rows per partition (ticker, date, hour)."""
        return self.tally.partition_rows(self.start_hour, self.end_hour)


def transform(
    raw: DataFrame,
    start_micros: int,
    end_micros: int,
    *,
    windows: tuple[int, ...] = WINDOWS,
    parallelism: int | None = None,
    min_segment_rows: int = MIN_SEGMENT_ROWS,
    driver_judged: int = DRIVER_JUDGED_TICKS,
) -> Transformed:
    """Raw ticks (history and window) to the window's lake rows and rejected ticks.

    The window is ``[start_micros, end_micros)`` in UTC microseconds, on whole hours. Runs one
    Spark job (the tally of ticks in the producer's spellings), one more for ticks in other
    spellings and one when a tick may be spelt twice; the lake rows are left to the writer.
    Raw ticks are items of a table keyed by (ticker, last_refreshed): no two share both texts.
    Up to `driver_judged` ticks in other spellings are judged in the driver.
    """
    from pyspark.sql import functions as sf

    spark = raw.sparkSession
    start_hour, end_hour = start_micros // MICROS_PER_HOUR, end_micros // MICROS_PER_HOUR
    groups = tally_frame(judge(raw, general=False)).collect()
    others = sum(g["n"] for g in groups if g[REASON] == GENERAL)
    few: DataFrame | None = None
    if others:
        # Some ticks are not in the producer's spellings: judge those by the whole rule.
        groups = [g for g in groups if g[REASON] != GENERAL]
        if others <= driver_judged:
            few = judge_in_driver(raw.where(~producer_spelt()))
            groups += tally_frame(few).collect()
        else:
            groups += tally_frame(judge_general(raw.where(~producer_spelt()))).collect()
    counted = tally(groups, start_hour, end_hour)
    zones = zone_times_frame(spark, counted.zone_table) if counted.zone_table else None
    if few is not None:
        judged = judge_spelt(raw.where(producer_spelt())).unionByName(few)
    elif others:
        judged = judge(raw, zones)
    else:  # every tick in the producer's spellings: the short path alone, no test, no union
        judged = judge_spelt(raw)
    may_repeat = bool(counted.repeat_hours)
    clean = clean_ticks(judged, with_raw=may_repeat)
    if may_repeat:
        counted = counted.with_distinct(distinct_rows(clean, counted.repeat_hours))
    plan: SegmentPlan | None = None
    if counted.hour_rows:
        cores = parallelism or spark.sparkContext.defaultParallelism
        plan = plan_segments(counted.hour_rows, cores, min_rows=min_segment_rows)
        with_smas = compute_smas(clean, plan, dedupe=may_repeat, windows=windows)
        rows = lake_rows(with_smas, start_micros, end_micros)
    else:
        empty = spark.createDataFrame([], lake_schema())
        rows = empty.select(*(sf.col(c.name) for c in ALL_COLUMNS))
    return Transformed(judged, rows, rejected_ticks(judged), counted, plan, start_hour, end_hour)
