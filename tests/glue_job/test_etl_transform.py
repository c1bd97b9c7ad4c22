"""The pure transform on real Spark: raw ticks in, lake rows, rejected ticks and counts out."""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from sma.reference import rolling_sma
from sma.schema import ALL_COLUMNS, SOURCE_TIME_FORMAT
from sma.windows import WINDOWS, sma_column
from sma_etl.columns import lake_schema
from sma_etl.source import LOOKBACK_COLUMN, RAW_COLUMNS
from sma_etl.transform import REASON, transform

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

pytestmark = pytest.mark.spark

START = datetime(2025, 1, 13, 2, tzinfo=UTC)
END = START + timedelta(hours=2)
MICROS = (int(START.timestamp()) * 10**6, int(END.timestamp()) * 10**6)

RawItem = tuple[str | None, str | None, str | None, str | None, str | None, bool]


def raw_frame(spark: SparkSession, items: list[RawItem]) -> DataFrame:
    from pyspark.sql.types import BooleanType, StringType, StructField, StructType

    schema = StructType(
        [StructField(c, StringType()) for c in RAW_COLUMNS]
        + [StructField(LOOKBACK_COLUMN, BooleanType(), False)]
    )
    return spark.createDataFrame(items, schema)


def item(ticker: str, when: datetime, bid: str | None, ask: str | None = "1") -> RawItem:
    return (ticker, when.strftime(SOURCE_TIME_FORMAT), bid, ask, "UTC", when < START)


def assert_matches_reference(rows: list[dict[str, Any]], bids: list[float]) -> None:
    """`rows` are the last len(rows) ticks of a series whose bids are `bids`."""
    offset = len(bids) - len(rows)
    for n in WINDOWS:
        expected = rolling_sma(bids, n)[offset:]
        got = [r[sma_column(n)] for r in rows]
        for want, have in zip(expected, got, strict=True):
            if want is None:
                assert have is None
            else:
                assert have is not None
                assert math.isclose(have, want, rel_tol=1e-12, abs_tol=0.0)


def test_smas_are_null_below_n_ticks_and_match_the_reference_from_n(spark: SparkSession) -> None:
    bids = [f"{100 + (i * 37 % 23) / 7:.12f}" for i in range(110)]
    items = [item("BTC/USD", START + timedelta(minutes=i), b) for i, b in enumerate(bids)]
    result = transform(raw_frame(spark, items), *MICROS)
    rows = [r.asDict() for r in result.rows.orderBy("last_refreshed").collect()]

    assert result.rejected.count() == 0
    assert len(rows) == 110
    for n in WINDOWS:
        column = sma_column(n)
        assert rows[n - 2][column] is None  # n-1 ticks: no value yet
        assert rows[n - 1][column] is not None  # n ticks: the first value
    assert_matches_reference(rows, [float(b) for b in bids])


def test_output_has_exactly_the_lake_columns_and_types(spark: SparkSession) -> None:
    items = [item("eth-usd", START + timedelta(minutes=61), "3265.574951171875", None)]
    result = transform(raw_frame(spark, items), *MICROS)
    rows_df = result.rows
    assert [(f.name, f.dataType) for f in rows_df.schema.fields] == [
        (f.name, f.dataType) for f in lake_schema().fields
    ]
    assert rows_df.columns == [c.name for c in ALL_COLUMNS]
    (row,) = rows_df.collect()
    assert (row["ticker"], row["date"].isoformat(), row["hour"]) == ("ETHUSD", "2025-01-13", "03")
    assert row["ask_price"] is None
    assert result.count_ticks().ask_price_nulled == 1  # written, without its ask
    assert row["last_refreshed"] == datetime(2025, 1, 13, 3, 1)  # session time zone is UTC


def test_history_feeds_the_smas_but_only_window_rows_come_out(spark: SparkSession) -> None:
    when = [START + timedelta(minutes=m) for m in range(-120, 125)]
    bids = [f"{1 + i / 1000:.3f}" for i in range(len(when))]
    items = [item("DOGE/USD", w, b) for w, b in zip(when, bids, strict=True)]
    result = transform(raw_frame(spark, items), *MICROS)
    rows = [r.asDict() for r in result.rows.orderBy("last_refreshed").collect()]
    inside = [w for w in when if START <= w < END]
    assert [r["last_refreshed"] for r in rows] == [w.replace(tzinfo=None) for w in inside]
    assert rows[0]["sma_100"] is not None
    assert_matches_reference(rows, [float(b) for b in bids[: 120 + len(inside)]])


def test_malformed_ticks_come_out_apart_and_leave_the_others_unchanged(
    spark: SparkSession,
) -> None:
    good = [item("BTC/USD", START + timedelta(minutes=2 * i), f"{50 + i}.25") for i in range(40)]
    bad: list[RawItem] = [
        item("BTC/USD", START + timedelta(minutes=1), None),
        item("BTC/USD", START + timedelta(minutes=3), "-"),
        item("BTC/USD", START + timedelta(minutes=5), "NaN"),
        item("BTC/USD", START + timedelta(minutes=7), "-2"),
        ("BTC/USD", "2025-01-13 02:09:xx", "1", "1", "UTC", False),
        ("BTC/USD", "2025-01-13 02:11:00", "1", "1", "Nowhere/Land", False),
        item("BTC USD!", START + timedelta(minutes=13), "1"),
        # malformed history is not this window's to count
        item("BTC/USD", START - timedelta(minutes=1), "-"),
    ]
    result = transform(raw_frame(spark, good + bad), *MICROS)
    reasons = Counter(r[REASON] for r in result.rejected.collect())
    assert reasons == Counter(
        [
            "missing_bid_price",
            "non_numeric_bid_price",
            "non_finite_bid_price",
            "non_positive_bid_price",
            "bad_time",
            "unknown_time_zone",
            "invalid_ticker",
        ]
    )
    rows = [r.asDict() for r in result.rows.orderBy("last_refreshed").collect()]
    assert len(rows) == 40
    counts = result.count_ticks()
    assert (counts.items_read, counts.lookback_items) == (48, 1)
    assert counts.rejected == reasons  # the malformed history is not among them
    assert (counts.clean_in_window, counts.ask_price_nulled) == (40, 0)
    assert_matches_reference(rows, [float(g[2]) for g in good])  # type: ignore[arg-type]


def test_duplicates_keep_one_tick_chosen_by_raw_text(spark: SparkSession) -> None:
    when = START + timedelta(minutes=5)
    items = [item("btc-usd", when, "2"), item("BTC/USD", when, "1"), item("BTC_USD", when, "3")]
    for ordering in (items, items[::-1]):
        result = transform(raw_frame(spark, ordering), *MICROS)
        (row,) = result.rows.collect()
        assert (row["ticker"], row["bid_price"]) == ("BTCUSD", 1.0)
    # The run counts the two spellings dropped as duplicates: clean in the window, not written.
    assert result.count_ticks().clean_in_window == 3
    assert result.count_rows() == {("BTCUSD", date(2025, 1, 13), "02"): 1}
