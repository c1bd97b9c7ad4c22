"""The tick rule in Spark (``sma_etl.judge``) gives the verdict and values of ``sma.ticks``.

Hypothesis draws batches of arbitrary raw items, mostly near the rule's edges (spellings,
whitespace, digits of other scripts, exponents at Decimal's limits, zones and DST changes);
each batch is judged once by Spark and item by item by the pure-Python rule.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sma.schema import SOURCE_TIME_FORMAT
from sma.ticks import CleanTick, clean_tick
from sma_etl.judge import (
    LOCAL_SECONDS,
    MICROS,
    REASON,
    ZONE_KEY,
    judge,
    zone_times,
    zone_times_frame,
)
from sma_etl.source import LOOKBACK_COLUMN, RAW_COLUMNS

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

Item = tuple[str | None, str | None, str | None, str | None, str | None]

_SPACES = st.sampled_from(["", " ", "\t", "\u3000", "\xa0", "\x1c", "\n", "\u2028", "\x85"])
_DIGITS = st.sampled_from(["0", "7", "\u0663", "\uff19", "\U0001d7ce", "\u09e8", "_"])
_ZONES = st.sampled_from(
    ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Etc/GMT-1", "WET", "EET",
     "America/Lima", "Australia/Lord_Howe", "Factory", "GMT", "utc", "posix/UTC", "localtime",
     "+01:00", "Mars/Base", "", "  ", " UTC", "Europe/Paris ", "\u3000UTC"]
)  # fmt: skip


def _with_spaces(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda a, t, b: a + t + b, _SPACES, text, _SPACES)


_tickers = st.one_of(
    st.sampled_from(["BTC/USD", "btc-usd", "BTC_USD", "B", "BTC//USD", "ABCDEFGHIJKLMNOPQRSTU",
                     "BTC USD", "\uff22\uff34\uff23", "BTC/\u20ac", "ticker=BTC", "AB/CD/EF"]),
    _with_spaces(st.sampled_from(["ETH/USD", "eth-usd", "Ab"])),
    st.text(alphabet="AbZ09/-_ \u00df\u0130", max_size=24),
)  # fmt: skip

_wall_times = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)
).map(lambda d: d.strftime(SOURCE_TIME_FORMAT).rjust(19, "0"))
_near_dst = st.builds(
    lambda y, m, d, h, mi: f"{y:04d}-{m:02d}-{d:02d} {h:02d}:{mi:02d}:00",
    st.integers(1990, 2040), st.sampled_from([3, 4, 10, 11]), st.integers(1, 31),
    st.integers(0, 3), st.sampled_from([0, 30, 59]),
)  # fmt: skip
_odd_times = st.builds(
    lambda y, mo, d, sep, h, mi, s: f"{y}-{mo}-{d}{sep}{h}:{mi}:{s}",
    st.sampled_from(["2025", "0000", "0001", "9999", "2024", "1900", "\uff12\uff10\uff12\uff15"]),
    st.sampled_from(["1", "01", "02", "12", "13", "00", "\u0661"]),
    st.sampled_from(["1", " 1", "29", "30", "31", "00", "32", "\u0663\u0660"]),
    st.sampled_from([" ", "  ", "\t", "\u3000", "T", "", "\n"]),
    st.sampled_from(["0", "07", "23", "24", "9", "\u0667"]),
    st.sampled_from(["0", "00", "59", "60", "5"]),
    st.sampled_from(["0", "00", "59", "60", "61", "9", "000", "1x"]),
)  # fmt: skip
_times = st.one_of(_wall_times, _near_dst, _odd_times, st.text(max_size=21))

_mantissas = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.builds(lambda a, b: f"{a}.{b}", st.integers(0, 10**20), st.integers(0, 10**25)),
    st.sampled_from(["0", "-0", "1.", ".5", "+.5", "0.000", "00012.5000", "1", "94500.25"]),
)
_exponents = st.one_of(
    st.integers(-400, 400).map(str),
    st.sampled_from(["999999999999999999", "999999999999999998", "1000000000000000000",
                     "-1999999999999999997", "-1999999999999999996", "-1999999999999999998",
                     "-1999999999999999995", "0000000000000000000000005", "+12",
                     "99999999999999999999", "-99999999999999999999"]),
)  # fmt: skip
_prices = st.one_of(
    _mantissas,
    st.builds(lambda m, e, x: f"{m}{e}{x}", _mantissas, st.sampled_from(["e", "E"]), _exponents),
    _with_spaces(_mantissas),
    st.sampled_from(["NaN", "-nan", "sNaN12", "NaN_1", "Infinity", "-inf", "iNfInItY", "Inf_",
                     "_ NaN", "NaN\u0661", "infinite", "nan1.5", "-", "", "  ", "<BOOL>",
                     "94_500", "\u0669\u0664", "1e", "0x10", "1,5", "1e400", "-1e400",
                     "1e-400", "4.9e-324", "1.7976931348623157e308", "1.8e308"]),
    st.builds(lambda a, b: a + b + a, _DIGITS, _mantissas),
    st.text(alphabet="0123456789.eE+-_ naNIf\u0660\u3000", max_size=12),
)  # fmt: skip

_items = st.tuples(
    st.one_of(st.none(), _tickers),
    st.one_of(st.none(), _times),
    st.one_of(st.none(), _prices),
    st.one_of(st.none(), _prices),
    st.one_of(st.none(), _ZONES, st.text(max_size=8)),
)


def _python_verdict(item: Item) -> tuple[Any, ...]:
    tick = clean_tick(*item)
    if isinstance(tick, CleanTick):
        return (None, tick.ticker, tick.micros, tick.bid_price, tick.ask_price)
    return (tick, None, None, None, None)


def judged_by_spark(spark: SparkSession, items: list[Item]) -> list[tuple[Any, ...]]:
    """Each item's (reason, ticker, micros, bid, ask) from Spark, in input order."""
    from pyspark.sql import functions as sf

    schema = ", ".join(f"{c} string" for c in RAW_COLUMNS) + f", {LOOKBACK_COLUMN} boolean, i int"
    raw = spark.createDataFrame([(*item, False, i) for i, item in enumerate(items)], schema)
    first = judge(raw)
    pairs = first.where(sf.col(ZONE_KEY).isNotNull()).select(ZONE_KEY, LOCAL_SECONDS).collect()
    table = zone_times((r[ZONE_KEY], r[LOCAL_SECONDS]) for r in pairs)
    frame = zone_times_frame(spark, table) if table else None
    rows = (
        judge(raw, frame)
        .orderBy("i")
        .select(REASON, "ticker", MICROS, "bid_price", "ask_price")
        .collect()
    )
    return [tuple(r) for r in rows]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_items, min_size=1, max_size=60, unique=True))
def test_spark_judges_arbitrary_items_as_the_python_rule(
    spark: SparkSession, items: list[Item]
) -> None:
    assert judged_by_spark(spark, items) == [_python_verdict(item) for item in items]


_producer_items = st.tuples(
    st.sampled_from(["BTC/USD", "btc-usd", "ETH_USD", "B", "ABCDEFGHIJKLMNOPQRSTUVW", "A-B"]),
    st.one_of(
        _wall_times,
        st.builds(
            "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}".format,
            st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32),
            st.integers(0, 25), st.integers(0, 61), st.integers(0, 61),
        ),
    ),
    st.one_of(_mantissas, st.builds("{}e{}".format, _mantissas, st.integers(-999, 999))),
    st.one_of(st.none(), _mantissas, st.just("1" + "0" * 400)),
    st.sampled_from([None, "UTC", ""]),
)  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_producer_items, min_size=1, max_size=80, unique=True))
def test_spark_judges_the_producers_spellings_as_the_python_rule(
    spark: SparkSession, items: list[Item]
) -> None:
    assert judged_by_spark(spark, items) == [_python_verdict(item) for item in items]


def test_the_corpus_of_edges_is_judged_alike(spark: SparkSession) -> None:
    edges: list[Item] = [
        ("BTC/USD", "2025-01-13 07:05:09", "94489.796875", "0.1", None),
        ("BTC/USD", "2024-02-29 23:59:59", "1e-400", "1", "UTC"),
        ("BTC/USD", "2023-02-29 00:00:00", "1", "1", None),
        ("BTC/USD", "0001-01-01 00:30:00", "1", "1", "Asia/Tokyo"),
        ("BTC/USD", "9999-12-31 23:30:00", "1", "1", "America/Lima"),
        ("BTC/USD", "2025-03-30 02:30:00", "1", "1", "Europe/Paris"),
        ("BTC/USD", "2025-10-26 02:30:00", "1", "1", "Europe/Paris"),
        ("BTC/USD", "1995-06-01 12:00:00", "1", "1", "WET"),
        ("BTC/USD", "2025-1-3 7:5:9", "1", "1", None),
        ("BTC/USD", "2025-01- 3\u3000 07:05:09", "1", "1", None),
        ("BTC/USD", "\uff12\uff10\uff12\uff15-01-13 07:05:09", "1", "1", None),
        ("BTC/USD", "2025-01-13 07:05:09", str(Decimal("9.99999999999999999999E+125")), None, None),
        ("BTC/USD", "2025-01-13 07:05:09", "1e999999999999999999", "0e1000000000000000000", None),
        ("BTC/USD", "2025-01-13 07:05:09", "_ NaN", "NaN\u0661", None),
        (" btc-usd\u3000", "2025-01-13 07:05:09", "\u3000 1.5\x85", "1", " Europe/Paris "),
    ]  # fmt: skip
    assert judged_by_spark(spark, edges) == [_python_verdict(item) for item in edges]
