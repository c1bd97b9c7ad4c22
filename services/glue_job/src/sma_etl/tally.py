"""What one window's judged ticks come to, from one small aggregate collected to the driver.

The aggregate groups judged ticks by what the run must report (reasons, history, the window)
and by what the SMA plan needs (clean ticks per ticker and UTC hour). Ticks written in a zone
other than UTC group by (zone, wall time): the driver converts those pairs with Python's time
zone database and finishes their verdicts here, so no second pass is needed to count them.

A (ticker, hour) whose clean ticks all come from one source ticker, spelt as the producer
spells times and in UTC, holds as many ticks as distinct times: two keys of one table. Any
other hour may hold one tick spelt twice; those hours are counted again, exactly, on Spark.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final

from sma.schema import hour_partition
from sma.ticks import BAD_TIME
from sma_etl.judge import LOCAL_SECONDS, MICROS, PLAIN_KEY, REASON, ZONE_KEY, zone_times
from sma_etl.source import LOOKBACK_COLUMN, RAW_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

MICROS_PER_HOUR: Final = 3_600_000_000
_EPOCH_DAY: Final = date(1970, 1, 1)

# (ticker, date, hour) of a lake partition.
PartitionKey = tuple[str, date, str]
# (ticker, hours since the epoch)
TickerHour = tuple[str, int]


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
class Tally:
    """The judged ticks of a window, counted."""

    ticks: TickCounts
    # Clean ticks with distinct times per (ticker, UTC hour), history included.
    hour_rows: dict[TickerHour, int]
    # (zone, wall seconds, UTC seconds or None) of every tick written in another zone than UTC.
    zone_table: list[tuple[str, int, int | None]] = field(default_factory=list)
    # Hours that may hold one tick spelt twice: their `hour_rows` count every spelling until
    # ``with_distinct`` puts the exact counts in.
    repeat_hours: list[TickerHour] = field(default_factory=list)

    def with_distinct(self, counted: Mapping[TickerHour, int]) -> Tally:
        """This tally with exact counts for the hours that may repeat a tick."""
        return replace(self, hour_rows={**self.hour_rows, **counted})

    def partition_rows(self, start_hour: int, end_hour: int) -> dict[PartitionKey, int]:
        """Lake rows per partition of the window ``[start_hour, end_hour)``."""
        return {
            partition_key(ticker, hour): rows
            for (ticker, hour), rows in sorted(self.hour_rows.items())
            if start_hour <= hour < end_hour
        }


def partition_key(ticker: str, hour: int) -> PartitionKey:
    """The lake partition of a ticker's UTC hour (hours since the epoch)."""
    return ticker, _EPOCH_DAY + timedelta(days=hour // 24), hour_partition(hour % 24)


def floor_div(value: Column, unit: int) -> Column:
    """``value // unit`` in exact integer arithmetic (a double quotient rounds past 2**53)."""
    from pyspark.sql import functions as sf

    return sf.call_function("div", value - sf.pmod(value, sf.lit(unit)), sf.lit(unit))


def floor_div_sql(value: str, unit: int) -> str:
    """``floor_div`` in SQL text."""
    return f"(({value}) - pmod({value}, {unit})) div {unit}"


def hour_of(micros: Column) -> Column:
    """The UTC hour (since the epoch) of microseconds since the epoch."""
    return floor_div(micros, MICROS_PER_HOUR)


def tally_frame(judged: DataFrame) -> DataFrame:
    """The aggregate behind ``Tally``: a few rows per (ticker, hour), reason or zoned time."""
    from pyspark.sql import functions as sf

    clean = f"{REASON} IS NULL"
    return judged.groupBy(
        sf.col(LOOKBACK_COLUMN),
        sf.col(REASON),
        sf.col("ticker"),
        sf.expr(f"{floor_div_sql(MICROS, MICROS_PER_HOUR)} AS hour"),
        sf.expr(f"CASE WHEN {clean} THEN {RAW_COLUMNS[0]} END AS raw_ticker"),
        sf.col(PLAIN_KEY),
        sf.col(ZONE_KEY),
        sf.col(LOCAL_SECONDS),
    ).agg(
        sf.expr("count(1) AS n"),
        sf.expr(f"count_if({clean} AND ask_price IS NULL) AS no_ask"),
    )


@dataclass
class _Hour:
    rows: int = 0
    sources: set[Any] = field(default_factory=set)
    plain: bool = True


def tally(groups: Iterable[Any], start_hour: int, end_hour: int) -> Tally:
    """Counts of a window ``[start_hour, end_hour)`` from the rows (``Row``) of ``tally_frame``."""
    rows = list(groups)
    table = zone_times((g[ZONE_KEY], g[LOCAL_SECONDS]) for g in rows if g[ZONE_KEY] is not None)
    utc = {(zone, local): seconds for zone, local, seconds in table}
    items = lookback = clean_in_window = ask_nulled = outside = 0
    rejected: Counter[str] = Counter()
    hours: defaultdict[TickerHour, _Hour] = defaultdict(_Hour)
    for group in rows:
        n, reason, hour = group["n"], group[REASON], group["hour"]
        if group[ZONE_KEY] is not None:
            seconds = utc[(group[ZONE_KEY], group[LOCAL_SECONDS])]
            reason = BAD_TIME if seconds is None else reason
            hour = None if seconds is None else seconds // 3600
        items += n
        if group[LOOKBACK_COLUMN]:
            lookback += n
        elif reason is not None:
            rejected[reason] += n
        if reason is not None:
            continue
        if start_hour <= hour < end_hour:
            clean_in_window += n
            ask_nulled += group["no_ask"]
        elif not group[LOOKBACK_COLUMN]:
            outside += n
        counted = hours[(group["ticker"], hour)]
        counted.rows += n
        counted.sources.add(group["raw_ticker"])
        counted.plain = counted.plain and bool(group[PLAIN_KEY])
    ticks = TickCounts(items, lookback, rejected, clean_in_window, ask_nulled, outside)
    return Tally(
        ticks=ticks,
        hour_rows={key: h.rows for key, h in hours.items()},
        zone_table=table,
        repeat_hours=sorted(k for k, h in hours.items() if not h.plain or len(h.sources) > 1),
    )


def distinct_rows(clean: DataFrame, hours: list[TickerHour]) -> dict[TickerHour, int]:
    """Clean ticks with distinct times in each of `hours` (one Spark job)."""
    from pyspark.sql import functions as sf

    hour = hour_of(sf.col(MICROS))
    wanted = sf.concat_ws(":", sf.col("ticker"), hour.cast("string"))
    counted = (
        clean.where(wanted.isin([f"{t}:{h}" for t, h in hours]))
        .groupBy(sf.col("ticker"), hour.alias("hour"))
        .agg(sf.count_distinct(sf.col(MICROS)).alias("n"))
        .collect()
    )
    return {(r["ticker"], int(r["hour"])): int(r["n"]) for r in counted}
