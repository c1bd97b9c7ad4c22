"""The pure part of the job: raw ticks in, lake rows out. No I/O, no configuration reads.

``transform`` is the one chain: the run and the tests both go through it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from sma.schema import ALL_COLUMNS, PARTITION_KEY_NAMES
from sma.ticks import CleanTick, clean_tick
from sma.windows import WINDOWS, sma_column
from sma_etl.columns import spark_type
from sma_etl.source import LOOKBACK_COLUMN, RAW_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

# Working columns of parsed ticks (the lake's own names where they mean the same thing).
REASON: Final = "reject_reason"
MICROS: Final = "micros"
IN_WINDOW: Final = "in_window"
_PARSED: Final = "parsed"

ParsedTuple = tuple[str | None, str | None, int | None, float | None, float | None, Any, str | None]


def _parse(
    raw_ticker: str | None,
    last_refreshed: str | None,
    bid_price: str | None,
    ask_price: str | None,
    time_zone: str | None,
) -> ParsedTuple:
    result = clean_tick(raw_ticker, last_refreshed, bid_price, ask_price, time_zone)
    if isinstance(result, CleanTick):
        return (
            None,
            result.ticker,
            result.micros,
            result.bid_price,
            result.ask_price,
            result.date,
            result.hour,
        )
    return (result, None, None, None, None, None, None)


def parse_ticks(raw: DataFrame, start_micros: int, end_micros: int) -> DataFrame:
    """Judge every raw tick by ``sma.ticks.clean_tick`` (the ticker rule comes from ``sma``).

    Adds `reject_reason` (null for clean ticks), the clean values (`ticker`, `micros`,
    `bid_price`, `ask_price`, `date`, `hour`) and `in_window` (clean and inside
    ``[start_micros, end_micros)``).
    """
    from pyspark.sql import functions as sf
    from pyspark.sql.types import (
        DateType,
        DoubleType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    parsed_type = StructType(
        [
            StructField(REASON, StringType()),
            StructField("ticker", StringType()),
            StructField(MICROS, LongType()),
            StructField("bid_price", DoubleType()),
            StructField("ask_price", DoubleType()),
            StructField("date", DateType()),
            StructField("hour", StringType()),
        ]
    )
    parse = sf.udf(_parse, parsed_type)
    micros = sf.col(MICROS)
    return (
        raw.withColumn(_PARSED, parse(*(sf.col(c) for c in RAW_COLUMNS)))
        .select(*RAW_COLUMNS, LOOKBACK_COLUMN, f"{_PARSED}.*")
        .withColumn(
            IN_WINDOW,
            sf.coalesce((micros >= start_micros) & (micros < end_micros), sf.lit(False)),
        )
    )


def rejected_ticks(parsed: DataFrame) -> DataFrame:
    """Ticks this window rejected, raw, with their reason.

    Malformed history from the lookback read belongs to an earlier window and was counted there.
    """
    from pyspark.sql import functions as sf

    return parsed.where(sf.col(REASON).isNotNull() & ~sf.col(LOOKBACK_COLUMN)).select(
        *RAW_COLUMNS, REASON
    )


def clean_ticks(parsed: DataFrame) -> DataFrame:
    """The ticks that passed the rule, history and window alike."""
    from pyspark.sql import functions as sf

    return parsed.where(sf.col(REASON).isNull()).drop(REASON)


def dedupe_ticks(ticks: DataFrame) -> DataFrame:
    """One tick per (ticker, time): of several spellings of one tick, the first by raw text wins."""
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    order = Window.partitionBy("ticker", MICROS).orderBy(
        *(sf.col(c).asc_nulls_first() for c in RAW_COLUMNS)
    )
    return ticks.withColumn("_n", sf.row_number().over(order)).where(sf.col("_n") == 1).drop("_n")


def compute_smas(ticks: DataFrame, windows: Sequence[int] = WINDOWS) -> DataFrame:
    """Add ``sma_n``: mean bid over the ticker's last n ticks up to this one; null below n ticks."""
    from pyspark.sql import Window
    from pyspark.sql import functions as sf

    by_time = Window.partitionBy("ticker").orderBy(MICROS)
    columns: dict[str, Column] = {}
    for n in windows:
        frame = by_time.rowsBetween(-(n - 1), Window.currentRow)
        columns[sma_column(n)] = sf.when(
            sf.count(sf.lit(1)).over(frame) >= n, sf.avg("bid_price").over(frame)
        )
    return ticks.withColumns(columns)


def lake_rows(ticks: DataFrame) -> DataFrame:
    """The rows of the window in the lake's columns and types (``sma.schema``), nothing else."""
    from pyspark.sql import functions as sf

    values: dict[str, Column] = {"last_refreshed": sf.expr(f"timestamp_micros({MICROS})")}
    return ticks.where(sf.col(IN_WINDOW)).select(
        *(
            values.get(c.name, sf.col(c.name)).cast(spark_type(c.type)).alias(c.name)
            for c in ALL_COLUMNS
        )
    )


# (ticker, date, hour) of a lake partition.
PartitionKey = tuple[str, date, str]


@dataclass(frozen=True, slots=True)
class TickCounts:
    """What one window's ticks came to."""

    items_read: int  # every tick read, lookback included
    lookback_items: int
    rejected: Counter[str]  # the window's malformed ticks, by reason
    clean_in_window: int  # before duplicates are dropped
    ask_price_nulled: int  # clean ticks of the window whose ask price was unusable
    # Clean ticks read under the window's keys whose UTC time lies in another window (a zone)
    clean_outside_window: int = 0


@dataclass(frozen=True, slots=True)
class Transformed:
    """What the chain makes of one window's raw ticks. Lazy: nothing runs until counted."""

    parsed: DataFrame  # every tick read, judged (``parse_ticks``)
    rows: DataFrame  # the window's lake rows
    rejected: DataFrame  # the window's rejected ticks, raw, with their reason

    def __iter__(self) -> Iterator[DataFrame]:
        """Unpacks as ``rows, rejected``, the pair callers that need no counts take."""
        return iter((self.rows, self.rejected))

    @contextmanager
    def cached(self) -> Iterator[Transformed]:
        """Keep judged ticks and lake rows cached while counting and writing them.

        Judged ticks first, so the lake rows are computed from the cached ticks; the source is
        then read once, however many actions follow.
        """
        from pyspark import StorageLevel

        self.parsed.persist(StorageLevel.MEMORY_AND_DISK)
        self.rows.persist(StorageLevel.MEMORY_AND_DISK)
        try:
            yield self
        finally:
            self.rows.unpersist()
            self.parsed.unpersist()

    def count_ticks(self) -> TickCounts:
        """Ticks read, from history, rejected by reason, and clean in the window (one job)."""
        from pyspark.sql import functions as sf

        no_ask = sf.col("ask_price").isNull() & sf.col(REASON).isNull()
        groups = (
            self.parsed.groupBy(LOOKBACK_COLUMN, REASON, IN_WINDOW)
            .agg(
                sf.count(sf.lit(1)).alias("n"),
                sf.sum(sf.when(no_ask, 1).otherwise(0)).alias("no_ask"),
            )
            .collect()
        )
        items = lookback = clean_in_window = ask_nulled = outside = 0
        rejected: Counter[str] = Counter()
        for group in groups:
            items += group["n"]
            if group[LOOKBACK_COLUMN]:
                lookback += group["n"]
            elif group[REASON] is not None:
                rejected[group[REASON]] += group["n"]
            elif not group[IN_WINDOW]:
                outside += group["n"]
            if group[IN_WINDOW]:
                clean_in_window += group["n"]
                ask_nulled += group["no_ask"]
        return TickCounts(items, lookback, rejected, clean_in_window, ask_nulled, outside)

    def count_rows(self) -> dict[PartitionKey, int]:
        """Lake rows per partition (ticker, date, hour)."""
        counted = self.rows.groupBy(*PARTITION_KEY_NAMES).count().collect()
        return {(r["ticker"], r["date"], r["hour"]): r["count"] for r in counted}


def transform(raw: DataFrame, start_micros: int, end_micros: int) -> Transformed:
    """Raw ticks (history and window) to the window's lake rows and rejected ticks.

    The window is ``[start_micros, end_micros)`` in UTC microseconds.
    """
    parsed = parse_ticks(raw, start_micros, end_micros)
    rows = lake_rows(compute_smas(dedupe_ticks(clean_ticks(parsed))))
    return Transformed(parsed=parsed, rows=rows, rejected=rejected_ticks(parsed))
