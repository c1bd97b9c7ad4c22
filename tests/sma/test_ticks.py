"""The tick rule one item at a time: `sma.ticks`, which the job, its reader and the API share."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from sma.ticks import (
    REJECTION_REASONS,
    CleanTick,
    attribute_text,
    check_price,
    clean_tick,
    in_other_zone,
)


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


@pytest.mark.parametrize(
    "number",
    ["94489.796875", "0.1", "1E+2", "-0", "0", "NaN", "Infinity", "-3.5", "1E-400", "1E+400"],
)
def test_a_decimal_from_the_resource_api_is_judged_as_its_text(number: str) -> None:
    as_decimal = clean_tick(
        "BTC/USD", "2025-01-13 07:00:00", Decimal(number), Decimal(number), None
    )
    as_text = clean_tick("BTC/USD", "2025-01-13 07:00:00", number, number, None)
    assert as_decimal == as_text


@pytest.mark.parametrize("value", [True, {"amount": Decimal(1)}, [Decimal(1)], b"1", {"1"}])
def test_values_of_other_types_are_no_price_time_or_zone(value: object) -> None:
    assert clean_tick("BTC/USD", "2025-01-13 07:00:00", value, "1", None) == "non_numeric_bid_price"  # type: ignore[arg-type]
    assert clean_tick("BTC/USD", value, "1", "1", None) == "bad_time"  # type: ignore[arg-type]
    assert clean_tick("BTC/USD", "2025-01-13 07:00:00", "1", "1", value) == "unknown_time_zone"  # type: ignore[arg-type]
    assert clean_tick(value, "2025-01-13 07:00:00", "1", "1", None) == "invalid_ticker"  # type: ignore[arg-type]


@pytest.mark.parametrize("zone", ["posix/Europe/Paris", "right/UTC", "localtime", "Europe/./Paris"])
def test_only_iana_zone_names_are_time_zones(zone: str) -> None:
    assert clean_tick("BTC/USD", "2025-01-13 07:00:00", "1", "1", zone) == "unknown_time_zone"


@pytest.mark.parametrize(
    ("local", "zone"),
    [("0001-01-01 00:30:00", "Asia/Tokyo"), ("9999-12-31 23:30:00", "America/Lima")],
)
def test_a_time_whose_utc_instant_falls_outside_years_1_to_9999_is_a_bad_time(
    local: str, zone: str
) -> None:
    assert clean_tick("BTC/USD", local, "1", "1", zone) == "bad_time"


def test_a_low_level_attribute_reads_as_the_text_dynamodb_sent() -> None:
    assert attribute_text({"N": "0.10"}) == "0.10"  # verbatim: no rounding, trailing zero kept
    assert attribute_text({"S": " 94500 "}) == " 94500 "
    assert attribute_text({"NULL": True}) is None
    assert attribute_text(None) is None
    assert attribute_text({"BOOL": True}) == "<BOOL>"  # no rule accepts it
    assert (
        clean_tick("BTC/USD", "2025-01-13 00:00:00", attribute_text({"BOOL": True}), None, None)
        == "non_numeric_bid_price"
    )


def test_only_a_valid_zone_other_than_utc_keys_ticks_by_its_wall_time() -> None:
    assert in_other_zone("US/Eastern")
    assert in_other_zone(" Asia/Tokyo ")
    assert not in_other_zone("UTC")
    assert not in_other_zone(None)
    assert not in_other_zone("")
    assert not in_other_zone("Mars/Olympus")  # rejected as unknown, never read as a zone
