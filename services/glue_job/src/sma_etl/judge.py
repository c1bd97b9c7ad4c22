"""The tick rule as Spark expressions: every raw tick judged inside the JVM, no Python per row.

The rule is ``sma.ticks`` (pure Python, which the lookback reader and the API run). Ticks in
the producer's own spellings (a ticker of letters and digits, a zero-padded time in UTC, plain
decimal prices) take a short path of a few cheap expressions, small enough for the JIT to
compile; every other tick goes through ``judge_general``, the whole rule for any spelling.
One step stays in Python: turning a wall time in a zone other than UTC into UTC, which must
follow Python's time zone database, not the JVM's. Such ticks come out with their `zone_key`
and `local_seconds`; the driver converts the distinct pairs with ``sma.ticks.to_utc``
(``zone_times``) and judges them again with the table joined in.
``tests/glue_job/test_judge.py`` proves both rules alike over arbitrary items.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sma.ticks import (
    BAD_TIME,
    DEFAULT_ZONE,
    INVALID_TICKER,
    NON_FINITE_BID_PRICE,
    NON_POSITIVE_BID_PRICE,
    epoch_micros,
    to_utc,
)
from sma_etl.judge_general import judge_general
from sma_etl.judged import (
    LOCAL_SECONDS,
    MICROS,
    MICROS_PER_SECOND,
    PADDED_TIME,
    PLAIN_KEY,
    REASON,
    SHORT_DECIMAL,
    SPELLING,
    UTC_SECONDS,
    ZONE_KEY,
)
from sma_etl.source import RAW_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = ["LOCAL_SECONDS", "MICROS", "PLAIN_KEY", "REASON", "ZONE_KEY", "judge", "zone_times"]


def producer_spelt() -> Column:
    """Whether a raw tick is in the producer's spellings (never null)."""
    from pyspark.sql import functions as sf

    ticker, time, bid, ask, zone = (sf.col(c) for c in RAW_COLUMNS)
    return sf.coalesce(
        ticker.rlike(SPELLING)
        & time.rlike(PADDED_TIME)
        & bid.rlike(SHORT_DECIMAL)
        & (ask.isNull() | ask.rlike(SHORT_DECIMAL))
        & (zone.isNull() | zone.isin(DEFAULT_ZONE, "")),
        sf.lit(False),
    )


def _judge_spelt(raw: DataFrame) -> DataFrame:
    """``judge`` for ticks in the producer's spellings: nothing to strip, no other script."""
    from pyspark.sql import functions as sf

    ticker, time, bid, ask, _ = (sf.col(c) for c in RAW_COLUMNS)

    def field(start: int, length: int) -> Column:
        return sf.substring(time, start, length).cast("int")

    year, month, day = field(1, 4), field(6, 2), field(9, 2)
    hour, minute, second = field(12, 2), field(15, 2), field(18, 2)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days_in_month = (
        sf.when(month == 2, sf.when(leap, 29).otherwise(28))
        .when(month.isin(4, 6, 9, 11), 30)
        .otherwise(31)
    )
    # strptime's ranges of each field; it reads seconds 60 and 61, which datetime refuses.
    valid = (
        (year >= 1)
        & month.between(1, 12)
        & day.between(1, days_in_month)
        & (hour <= 23)
        & (minute <= 59)
        & (second <= 59)
    )
    days = sf.unix_date(sf.make_date(year, month, day)).cast("long")
    local = days * 86_400 + hour * 3_600 + minute * 60 + second
    frame = raw.select(
        *raw.columns,
        sf.upper(sf.translate(ticker, "/-_", "")).alias("_normal"),
        sf.when(valid, local * MICROS_PER_SECOND).alias("_micros"),
        bid.cast("double").alias("_bid"),
        ask.cast("double").alias("_ask"),
    )
    c = sf.col
    reason = (
        sf.when(~sf.length(c("_normal")).between(2, 20), INVALID_TICKER)
        .when(c("_micros").isNull(), BAD_TIME)
        .when(sf.abs(c("_bid")) == float("inf"), NON_FINITE_BID_PRICE)
        .when(c("_bid") <= 0.0, NON_POSITIVE_BID_PRICE)
    )
    frame = frame.select("*", reason.alias(REASON))
    clean = c(REASON).isNull()
    usable_ask = (sf.abs(c("_ask")) != float("inf")) & (c("_ask") > 0.0)
    return frame.select(
        *raw.columns,
        c(REASON),
        sf.when(clean, c("_normal")).alias("ticker"),
        sf.when(clean, c("_micros")).alias(MICROS),
        sf.when(clean, c("_bid")).alias("bid_price"),
        sf.when(clean & usable_ask, c("_ask")).alias("ask_price"),
        sf.lit(None).cast("string").alias(ZONE_KEY),
        sf.lit(None).cast("long").alias(LOCAL_SECONDS),
        clean.alias(PLAIN_KEY),
    )


def judge(raw: DataFrame, zone_times: DataFrame | None = None) -> DataFrame:
    """Every raw tick (its columns kept) with its verdict: `reject_reason`, null when clean.

    Adds `ticker`, `micros` (UTC), `bid_price`, `ask_price`, `plain_key`, and for ticks written
    in a zone other than UTC, `zone_key` and `local_seconds`. Without `zone_times` (rows of
    `zone_key`, `local_seconds`, `utc_seconds` from ``zone_times_frame``) such ticks have no
    `micros` and are judged as if their UTC time existed.
    """
    spelt = producer_spelt()
    return _judge_spelt(raw.where(spelt)).unionByName(judge_general(raw.where(~spelt), zone_times))


def zone_times(pairs: Iterable[tuple[str, int]]) -> list[tuple[str, int, int | None]]:
    """(zone, local seconds) -> UTC seconds by ``sma.ticks.to_utc``; None beyond years 1-9999."""
    epoch = datetime(1970, 1, 1)
    table: list[tuple[str, int, int | None]] = []
    for zone, local in sorted(set(pairs)):
        when = to_utc(epoch + timedelta(seconds=local), zone)
        table.append((zone, local, None if when is None else epoch_micros(when) // 1_000_000))
    return table


def zone_times_frame(spark: SparkSession, table: list[tuple[str, int, int | None]]) -> DataFrame:
    """The table of ``zone_times`` as the frame ``judge`` joins."""
    return spark.createDataFrame(
        table, f"{ZONE_KEY} string, {LOCAL_SECONDS} long, {UTC_SECONDS} long"
    )
