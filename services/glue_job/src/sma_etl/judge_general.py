"""The tick rule as Spark expressions for ticks in any spelling (``judge`` sends the rest here).

The rule is ``sma.ticks``: the same checks in the same order, reading text as CPython does
(``sma_etl.python_text`` carries Python's whitespace, digits and ``strptime`` grammar over).
Its generated code is large (Java runs methods that large interpreted), which costs nothing
here: the producer's own spellings take ``judge``'s short path and only the others come here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from sma.schema import SOURCE_TIME_FORMAT
from sma.ticks import BAD_TIME, DEFAULT_ZONE, INVALID_TICKER, UNKNOWN_TIME_ZONE, zone_names
from sma_etl import python_text
from sma_etl.judged import (
    DECIMAL,
    LOCAL_SECONDS,
    MICROS,
    MICROS_PER_SECOND,
    PADDED_TIME,
    PLAIN_KEY,
    REASON,
    SPELLING,
    UTC_SECONDS,
    ZONE_KEY,
)
from sma_etl.source import RAW_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

# A decimal with an exponent, in parts: integer digits, fraction digits, exponent sign, and
# the exponent's digits without leading zeros.
_PARTS: Final = r"^[+-]?([0-9]*)\.?([0-9]*)[eE]([+-]?)0*([0-9]*)\z"
# Python's Decimal() (CPython's _decimal) refuses exponents beyond its maximum context: an
# adjusted exponent above Emax, or an exponent below Etiny.
_EMAX: Final = 999_999_999_999_999_999
_ETINY: Final = -1_999_999_999_999_999_997
_NOT_FINITE: Final = r"^[+-]?(?i:inf|infinity|s?nan[0-9]*)\z"


def _lit(value: object) -> Column:
    from pyspark.sql import functions as sf

    return sf.lit(value)


def _strip(text: Column) -> Column:
    """``str.strip()``: Unicode whitespace off both ends (null stays null)."""
    from pyspark.sql import functions as sf

    return sf.btrim(text, _lit(python_text.whitespace()))


def _exponent_in_range(text: Column) -> Column:
    """Whether ``Decimal(text)`` reads a decimal (matching DECIMAL) without overflow."""
    from pyspark.sql import functions as sf

    def part(index: int) -> Column:
        return sf.regexp_extract(text, _PARTS, index)

    digits = sf.regexp_replace(sf.concat(part(1), part(2)), "^0+", "")
    coefficient_digits = sf.greatest(sf.length(digits), _lit(1))
    exponent_digits = sf.when(part(4) == "", "0").otherwise(part(4))
    exponent = sf.concat(part(3), exponent_digits).cast("decimal(20,0)") - sf.length(part(2))
    in_range = (exponent + coefficient_digits - 1 <= _EMAX) & (exponent >= _ETINY)
    # Exponents of 20 digits and more are beyond either bound, whatever the digits around them.
    return (sf.length(part(4)) < 20) & in_range


def _non_finite_form(text: Column) -> Column:
    """Whether ``Decimal(text)`` reads stripped text that is no plain decimal as NaN or Infinity.

    CPython's ``Decimal`` strips whitespace, then drops every underscore and reads non-ASCII
    digits as their value; any other non-ASCII character makes the text unreadable.
    """
    from pyspark.sql import functions as sf

    digits, values = python_text.other_digits()
    ascii_text = sf.translate(sf.translate(text, "_", ""), digits, values)
    return ascii_text.rlike("^[\\x01-\\x7F]*\\z") & ascii_text.rlike(_NOT_FINITE)


def _time_field(raw: Column, padded: Column, group: int) -> Column:
    """Field `group` (year, month, day, hour, minute, second) of a time strptime can read."""
    from pyspark.sql import functions as sf

    digits, values = python_text.other_digits()
    space = python_text.space_class()
    extract = f"^([0-9]{{4}})-([0-9]+)- ?([0-9]+){space}+([0-9]+):([0-9]+):([0-9]+)\\z"
    start = (1, 6, 9, 12, 15, 18)[group - 1]
    padded_text = sf.substring(raw, start, 4 if group == 1 else 2)
    other = sf.regexp_extract(sf.translate(raw, digits, values), extract, group)
    return sf.when(padded, padded_text).otherwise(other).cast("int")


def _columns(frame: DataFrame, **columns: Column) -> DataFrame:
    """`frame` with `columns` added as one projection: each computed once per row."""
    return frame.select("*", *(columns[name].alias(name) for name in sorted(columns)))


def _parse(raw: DataFrame) -> DataFrame:
    """Stage by stage, so each intermediate is computed once per row, whatever refers to it.

    The first stage holds the checks that decide the producer's own spellings; the costly
    readings of other spellings run only where those fail.
    """
    from pyspark.sql import functions as sf

    ticker, time, bid, ask, zone = (sf.col(c) for c in RAW_COLUMNS)
    c = sf.col
    frame = _columns(
        raw,
        _spelt=ticker.rlike(SPELLING),
        _padded=time.rlike(PADDED_TIME),
        _bid_plain=bid.rlike(DECIMAL),
        _ask_plain=ask.rlike(DECIMAL),
    )
    frame = _columns(
        frame,
        _ticker_text=sf.when(c("_spelt"), ticker).otherwise(_strip(ticker)),
        _readable=c("_padded") | time.rlike(python_text.strptime_regex(SOURCE_TIME_FORMAT)),
        _zone=sf.when(zone == DEFAULT_ZONE, zone).otherwise(_strip(zone)),
        _bid_text=sf.when(c("_bid_plain"), bid).otherwise(_strip(bid)),
        _ask_text=sf.when(c("_ask_plain"), ask).otherwise(_strip(ask)),
        **{f"_f{g}": _time_field(time, c("_padded"), g) for g in range(1, 7)},
    )
    year, month, day, hour, minute, second = (c(f"_f{g}") for g in range(1, 7))
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days_in_month = (
        sf.when(month == 2, sf.when(leap, 29).otherwise(28))
        .when(month.isin(4, 6, 9, 11), 30)
        .otherwise(31)
    )
    valid = (
        c("_readable")
        & (year >= 1)
        & month.between(1, 12)
        & day.between(1, days_in_month)
        & (hour <= 23)
        & (minute <= 59)
        & (second <= 59)  # strptime reads 60 and 61, datetime refuses them
    )
    days = sf.unix_date(sf.make_date(year, month, day)).cast("long")
    normal = sf.upper(sf.translate(c("_ticker_text"), "/-_", ""))
    frame = _columns(
        frame,
        _normal=normal,
        _ticker_ok=sf.coalesce(c("_spelt") | c("_ticker_text").rlike(SPELLING), sf.lit(False)),
        _local=sf.when(valid, days * 86_400 + hour * 3_600 + minute * 60 + second),
        _zone_name=sf.when(c("_zone").isNull() | (c("_zone") == ""), DEFAULT_ZONE).otherwise(
            c("_zone")
        ),
        _bid_decimal=c("_bid_plain") | c("_bid_text").rlike(DECIMAL),
        _ask_decimal=c("_ask_plain") | c("_ask_text").rlike(DECIMAL),
        _bid_value=c("_bid_text").cast("double"),
        _ask_value=c("_ask_text").cast("double"),
    )
    return frame


def _problem(raw: Column, text: Column, decimal: Column, value: Column) -> Column:
    """What ``sma.ticks.check_price`` finds wrong with a price; null when it is usable."""
    from pyspark.sql import functions as sf

    has_exponent = text.contains("e") | text.contains("E")
    return (
        sf.when(raw.isNull() | (text == ""), "missing")
        .when(decimal & has_exponent & ~_exponent_in_range(text), "non_numeric")
        .when(decimal & (sf.abs(value) == float("inf")), "non_finite")
        .when(decimal & (value <= 0.0), "non_positive")
        .when(~decimal & _non_finite_form(text), "non_finite")
        .when(~decimal, "non_numeric")
    )


def judge_general(raw: DataFrame, zone_times: DataFrame | None = None) -> DataFrame:
    """Every raw tick (its columns kept) with its verdict: `reject_reason`, null when clean.

    Adds `ticker`, `micros` (UTC), `bid_price`, `ask_price`, `plain_key`, and for ticks written
    in a zone other than UTC, `zone_key` and `local_seconds`. Without `zone_times` (rows of
    `zone_key`, `local_seconds`, `utc_seconds` from ``zone_times_frame``) such ticks have no
    `micros` and are judged as if their UTC time existed.
    """
    from pyspark.sql import functions as sf

    c = sf.col
    _, _, bid, ask, _ = (c(name) for name in RAW_COLUMNS)
    zone = c("_zone_name")
    zone_ok = (zone == DEFAULT_ZONE) | zone.isin(*sorted(zone_names()))
    first = (
        sf.when(~c("_ticker_ok") | ~sf.length(c("_normal")).between(2, 20), INVALID_TICKER)
        .when(c("_local").isNull(), BAD_TIME)
        .when(~zone_ok, UNKNOWN_TIME_ZONE)
    )
    frame = _columns(
        _parse(raw),
        _first=first,
        _bid_problem=_problem(bid, c("_bid_text"), c("_bid_decimal"), c("_bid_value")),
        _ask_problem=_problem(ask, c("_ask_text"), c("_ask_decimal"), c("_ask_value")),
    )
    zoned = c("_first").isNull() & (zone != DEFAULT_ZONE)
    frame = frame.select(
        *raw.columns,
        c("_normal").alias("ticker"),
        c("_first"),
        c("_bid_problem"),
        sf.when(c("_bid_problem").isNull(), c("_bid_value")).alias("bid_price"),
        sf.when(c("_ask_problem").isNull(), c("_ask_value")).alias("ask_price"),
        sf.when(zone == DEFAULT_ZONE, c("_local") * MICROS_PER_SECOND).alias("_utc_micros"),
        sf.when(zoned, zone).alias(ZONE_KEY),
        sf.when(zoned, c("_local")).alias(LOCAL_SECONDS),
        (c("_padded") & (zone == DEFAULT_ZONE)).alias("_plain"),
    )
    if zone_times is None:
        utc = c("_utc_micros")
        overflow = sf.lit(False)
    else:
        frame = frame.join(sf.broadcast(zone_times), [ZONE_KEY, LOCAL_SECONDS], "left")
        utc = sf.coalesce(c("_utc_micros"), c(UTC_SECONDS) * MICROS_PER_SECOND)
        overflow = c(ZONE_KEY).isNotNull() & c(UTC_SECONDS).isNull()
    reason = sf.coalesce(
        c("_first"), sf.when(overflow, BAD_TIME), sf.concat(c("_bid_problem"), _lit("_bid_price"))
    )
    frame = _columns(frame, _reason=reason)
    clean = c("_reason").isNull()
    return frame.select(
        *raw.columns,
        c("_reason").alias(REASON),
        sf.when(clean, c("ticker")).alias("ticker"),
        sf.when(clean, utc).alias(MICROS),
        sf.when(clean, c("bid_price")).alias("bid_price"),
        sf.when(clean, c("ask_price")).alias("ask_price"),
        c(ZONE_KEY),
        c(LOCAL_SECONDS),
        (clean & c("_plain")).alias(PLAIN_KEY),
    )
