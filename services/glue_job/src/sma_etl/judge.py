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

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sma.ticks import (
    BAD_TIME,
    DEFAULT_ZONE,
    INVALID_TICKER,
    NON_FINITE_BID_PRICE,
    NON_POSITIVE_BID_PRICE,
    CleanTick,
    clean_tick,
    epoch_micros,
    to_utc,
    zone_name,
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
    sql_string,
)
from sma_etl.source import RAW_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

# The reason ``judge(general=False)`` gives ticks it left for the general rule.
GENERAL: Final = "<general>"

__all__ = [
    "LOCAL_SECONDS",
    "MICROS",
    "PLAIN_KEY",
    "REASON",
    "ZONE_KEY",
    "judge",
    "judge_in_driver",
    "zone_times",
]

# PADDED_TIME (a Java regular expression) as Python's; [0-9] is ASCII in both.
_PADDED: Final = re.compile(PADDED_TIME.removeprefix("^").removesuffix(r"\z"))
# The columns ``judge`` adds, with their Spark types' names.
_VERDICT_COLUMNS: Final = (
    (REASON, "StringType"),
    ("ticker", "StringType"),
    (MICROS, "LongType"),
    ("bid_price", "DoubleType"),
    ("ask_price", "DoubleType"),
    (ZONE_KEY, "StringType"),
    (LOCAL_SECONDS, "LongType"),
    (PLAIN_KEY, "BooleanType"),
)


def producer_spelt() -> Column:
    """Whether a raw tick is in the producer's spellings (never null)."""
    from pyspark.sql import functions as sf

    ticker, time, bid, ask, zone = RAW_COLUMNS
    return sf.expr(
        f"coalesce({ticker} RLIKE {sql_string(SPELLING)}"
        f" AND {time} RLIKE {sql_string(PADDED_TIME)}"
        f" AND {bid} RLIKE {sql_string(SHORT_DECIMAL)}"
        f" AND ({ask} IS NULL OR {ask} RLIKE {sql_string(SHORT_DECIMAL)})"
        f" AND ({zone} IS NULL OR {zone} IN ('{DEFAULT_ZONE}', '')), false)"
    )


def judge_spelt(raw: DataFrame) -> DataFrame:
    """``judge`` for ticks in the producer's spellings: nothing to strip, no other script.

    In SQL text: one call to the JVM per column, where the column API makes dozens.
    """
    ticker, time, bid, ask, _ = RAW_COLUMNS
    fields = {
        "_y": (1, 4),
        "_mo": (6, 2),
        "_d": (9, 2),
        "_h": (12, 2),
        "_mi": (15, 2),
        "_s": (18, 2),
    }
    frame = raw.selectExpr(
        "*",
        f"upper(translate({ticker}, '/-_', '')) AS _normal",
        *(f"CAST(substring({time}, {a}, {n}) AS INT) AS {name}" for name, (a, n) in fields.items()),
        f"CAST({bid} AS DOUBLE) AS _bid",
        f"CAST({ask} AS DOUBLE) AS _ask",
    )
    leap = "((_y % 4 = 0 AND _y % 100 != 0) OR _y % 400 = 0)"
    days_in_month = (
        f"CASE WHEN _mo = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END"
        " WHEN _mo IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
    )
    # strptime's ranges of each field; it reads seconds 60 and 61, which datetime refuses.
    valid = (
        f"_y >= 1 AND _mo BETWEEN 1 AND 12 AND _d BETWEEN 1 AND {days_in_month}"
        " AND _h <= 23 AND _mi <= 59 AND _s <= 59"
    )
    local = "CAST(unix_date(make_date(_y, _mo, _d)) AS BIGINT) * 86400 + _h * 3600 + _mi * 60 + _s"
    frame = frame.selectExpr(
        *raw.columns,
        "_normal",
        "_bid",
        "_ask",
        f"CASE WHEN {valid} THEN ({local}) * {MICROS_PER_SECOND} END AS _micros",
    )
    reason = (
        f"CASE WHEN NOT length(_normal) BETWEEN 2 AND 20 THEN '{INVALID_TICKER}'"
        f" WHEN _micros IS NULL THEN '{BAD_TIME}'"
        f" WHEN abs(_bid) = double('Infinity') THEN '{NON_FINITE_BID_PRICE}'"
        f" WHEN _bid <= 0.0 THEN '{NON_POSITIVE_BID_PRICE}' END"
    )
    frame = frame.selectExpr("*", f"{reason} AS {REASON}")
    clean = f"{REASON} IS NULL"
    usable_ask = "abs(_ask) != double('Infinity') AND _ask > 0.0"
    return frame.selectExpr(
        *raw.columns,
        REASON,
        f"CASE WHEN {clean} THEN _normal END AS ticker",
        f"CASE WHEN {clean} THEN _micros END AS {MICROS}",
        f"CASE WHEN {clean} THEN _bid END AS bid_price",
        f"CASE WHEN {clean} AND {usable_ask} THEN _ask END AS ask_price",
        f"CAST(NULL AS STRING) AS {ZONE_KEY}",
        f"CAST(NULL AS BIGINT) AS {LOCAL_SECONDS}",
        f"{clean} AS {PLAIN_KEY}",
    )


def judge(
    raw: DataFrame, zone_times: DataFrame | None = None, *, general: bool = True
) -> DataFrame:
    """Every raw tick (its columns kept) with its verdict: `reject_reason`, null when clean.

    Adds `ticker`, `micros` (UTC), `bid_price`, `ask_price`, `plain_key`, and for ticks written
    in a zone other than UTC, `zone_key` and `local_seconds`. Without `zone_times` (rows of
    `zone_key`, `local_seconds`, `utc_seconds` from ``zone_times_frame``) such ticks have no
    `micros` and are judged as if their UTC time existed. With `general` false, ticks in other
    spellings than the producer's come out with reason ``GENERAL`` and nothing else: the plan
    then holds only the short path's code (compiling the general rule costs seconds).
    """
    spelt = producer_spelt()
    fast = judge_spelt(raw.where(spelt))
    others = raw.where(~spelt)
    if general:
        return fast.unionByName(judge_general(others, zone_times))
    unjudged = others.selectExpr(
        *raw.columns,
        f"'{GENERAL}' AS {REASON}",
        "CAST(NULL AS STRING) AS ticker",
        f"CAST(NULL AS BIGINT) AS {MICROS}",
        "CAST(NULL AS DOUBLE) AS bid_price",
        "CAST(NULL AS DOUBLE) AS ask_price",
        f"CAST(NULL AS STRING) AS {ZONE_KEY}",
        f"CAST(NULL AS BIGINT) AS {LOCAL_SECONDS}",
        f"false AS {PLAIN_KEY}",
    )
    return fast.unionByName(unjudged)


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


def _verdict(ticker: Any, time: Any, bid: Any, ask: Any, zone: Any) -> tuple[Any, ...]:
    """``judge``'s added columns for one raw tick, by ``sma.ticks`` itself."""
    tick = clean_tick(ticker, time, bid, ask, zone)
    if not isinstance(tick, CleanTick):
        return (tick, None, None, None, None, None, None, False)
    plain = isinstance(time, str) and bool(_PADDED.fullmatch(time))
    plain = plain and zone_name(zone) == DEFAULT_ZONE
    return (None, tick.ticker, tick.micros, tick.bid_price, tick.ask_price, None, None, plain)


def judge_in_driver(raw: DataFrame) -> DataFrame:
    """``judge`` for a few ticks, collected and judged in the driver by ``sma.ticks`` itself.

    Same columns and verdicts (the rule the Spark expressions are proven against); a tick
    written in another zone comes out with its UTC `micros` at once, no `zone_key`. Planning
    the whole rule as Spark expressions costs seconds; a few ticks cost milliseconds here.
    """
    from pyspark.sql import types

    positions = [raw.columns.index(name) for name in RAW_COLUMNS]
    rows = [(*row, *_verdict(*(row[i] for i in positions))) for row in raw.collect()]
    added = [types.StructField(n, getattr(types, t)(), True) for n, t in _VERDICT_COLUMNS]
    schema = types.StructType(raw.schema.fields + added)
    return raw.sparkSession.createDataFrame(rows, schema)
