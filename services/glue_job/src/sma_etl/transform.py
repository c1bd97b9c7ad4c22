"""The pure part of the job: raw ticks in, lake rows out. No I/O, no configuration reads."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from sma.schema import ALL_COLUMNS
from sma.windows import WINDOWS, sma_column
from sma_etl.columns import spark_type
from sma_etl.source import LOOKBACK_COLUMN, RAW_COLUMNS
from sma_etl.ticks import CleanTick, clean_tick

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
    """Judge every raw tick by ``sma_etl.ticks.clean_tick`` (the ticker rule comes from ``sma``).

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


def transform(raw: DataFrame, start_micros: int, end_micros: int) -> tuple[DataFrame, DataFrame]:
    """Raw ticks to (lake rows of the window, rejected ticks of the window)."""
    parsed = parse_ticks(raw, start_micros, end_micros)
    rows = lake_rows(compute_smas(dedupe_ticks(clean_ticks(parsed))))
    return rows, rejected_ticks(parsed)
