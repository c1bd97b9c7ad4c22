"""The tick rule, one raw item at a time (pure Python: the same code runs on the executors)."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from sma_etl.ticks import REJECTION_REASONS, CleanTick, check_price, clean_tick


def test_a_producer_tick_is_clean_with_exact_prices_and_utc_partitions() -> None:
    tick = clean_tick("BTC/USD", "2025-01-13 07:05:09", "94489.796875", "0.1", "UTC")
    assert isinstance(tick, CleanTick)
    assert tick.ticker == "BTCUSD"
    assert tick.micros == int(datetime(2025, 1, 13, 7, 5, 9, tzinfo=UTC).timestamp()) * 10**6
    assert tick.bid_price == 94489.796875
    assert tick.ask_price == 0.1
    assert (tick.date, tick.hour) == (date(2025, 1, 13), "07")


@pytest.mark.parametrize(
    "text",
    ["0.1", "12345.6789012", "1234567.89012345678901234567890123456789", "3E-7", "1e+3"],
)
def test_prices_are_the_nearest_double_of_the_decimal_text(text: str) -> None:
    # One correctly rounded conversion from the exact decimal, never via an intermediate value.
    assert check_price(text).value == float(Decimal(text))


def test_time_is_read_in_the_items_zone_and_absent_zone_means_utc() -> None:
    berlin = clean_tick("ETH/USD", "2025-01-13 00:30:00", "1", "1", "Europe/Berlin")
    plain = clean_tick("ETH/USD", "2025-01-12 23:30:00", "1", "1", None)
    assert isinstance(berlin, CleanTick)
    assert isinstance(plain, CleanTick)
    assert berlin.micros == plain.micros
    assert (berlin.date, berlin.hour) == (date(2025, 1, 12), "23")


@pytest.mark.parametrize(
    ("item", "reason"),
    [
        (("BTC USD!", "2025-01-13 07:00:00", "1", "1", "UTC"), "invalid_ticker"),
        ((None, "2025-01-13 07:00:00", "1", "1", "UTC"), "invalid_ticker"),
        (("BTC/USD", "2025-01-13T07:00:00Z", "1", "1", "UTC"), "bad_time"),
        (("BTC/USD", "2025-02-30 07:00:00", "1", "1", "UTC"), "bad_time"),
        (("BTC/USD", None, "1", "1", "UTC"), "bad_time"),
        (("BTC/USD", "2025-01-13 07:00:00", "1", "1", "Mars/Olympus"), "unknown_time_zone"),
        (("BTC/USD", "2025-01-13 07:00:00", None, "1", "UTC"), "missing_bid_price"),
        (("BTC/USD", "2025-01-13 07:00:00", " ", "1", "UTC"), "missing_bid_price"),
        (("BTC/USD", "2025-01-13 07:00:00", "-", "1", "UTC"), "non_numeric_bid_price"),
        (("BTC/USD", "2025-01-13 07:00:00", "<BOOL>", "1", "UTC"), "non_numeric_bid_price"),
        (("BTC/USD", "2025-01-13 07:00:00", "NaN", "1", "UTC"), "non_finite_bid_price"),
        (("BTC/USD", "2025-01-13 07:00:00", "-Infinity", "1", "UTC"), "non_finite_bid_price"),
        (("BTC/USD", "2025-01-13 07:00:00", "1e400", "1", "UTC"), "non_finite_bid_price"),
        (("BTC/USD", "2025-01-13 07:00:00", "0", "1", "UTC"), "non_positive_bid_price"),
        (("BTC/USD", "2025-01-13 07:00:00", "-3.5", "1", "UTC"), "non_positive_bid_price"),
        (("BTC/USD", "2025-01-13 07:00:00", "1e-400", "1", "UTC"), "non_positive_bid_price"),
    ],
)
def test_malformed_ticks_are_rejected_with_their_reason(
    item: tuple[str | None, str | None, str | None, str | None, str | None], reason: str
) -> None:
    assert reason in REJECTION_REASONS
    assert clean_tick(*item) == reason


@pytest.mark.parametrize("ask", [None, "-", "NaN", "0", "abc"])
def test_an_unusable_ask_leaves_the_tick_with_a_null_ask(ask: str | None) -> None:
    tick = clean_tick("BTC/USD", "2025-01-13 07:00:00", "2.5", ask, "UTC")
    assert isinstance(tick, CleanTick)
    assert (tick.bid_price, tick.ask_price) == (2.5, None)
