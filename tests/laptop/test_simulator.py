"""The price simulator: seeded, producer-shaped, realistic, with a few gaps and malformed ticks."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sma.schema import SOURCE_TIME_FORMAT
from sma_laptop.producer import Tick, producer_item
from sma_laptop.simulator import (
    DEFAULT_TICKERS,
    MALFORMED_PRICE,
    MARKETS,
    QUANTUM,
    SimulationParams,
    is_malformed,
    recent_period,
    simulate,
)

START = datetime(2025, 1, 13, tzinfo=UTC)
THREE_DAYS = SimulationParams(start=START, end=START + timedelta(days=3))


@pytest.fixture(scope="module")
def ticks() -> list[Tick]:
    return list(simulate(THREE_DAYS))


def test_same_seed_same_ticks_other_seed_other_prices(ticks: list[Tick]) -> None:
    assert list(simulate(THREE_DAYS)) == ticks
    other = list(simulate(SimulationParams(start=START, end=THREE_DAYS.end, seed=7)))
    assert [t.bid_price for t in other[:50]] != [t.bid_price for t in ticks[:50]]


def test_each_ticker_path_is_independent_of_the_others(ticks: list[Tick]) -> None:
    alone = list(simulate(SimulationParams(start=START, end=THREE_DAYS.end, tickers=["ETH/USD"])))
    assert alone == [t for t in ticks if t.ticker == "ETH/USD"]


def test_items_have_the_producers_shape(ticks: list[Tick]) -> None:
    expected_keys = set(producer_item(ticks[0]))
    assert {"ticker", "last_refreshed", "bid_price", "ask_price", "exchange_rate"} <= expected_keys
    for tick in ticks[:500]:
        item = producer_item(tick)
        assert set(item) == expected_keys
        assert item["ticker"] in DEFAULT_TICKERS
        assert item["time_zone"] == "UTC"
        parsed = datetime.strptime(item["last_refreshed"], SOURCE_TIME_FORMAT)
        assert parsed.replace(tzinfo=UTC) == tick.last_refreshed
        assert tick.last_refreshed.second == 0


def test_valid_prices_are_8_place_decimals_near_realistic_levels(ticks: list[Tick]) -> None:
    valid = [t for t in ticks if not is_malformed(t)]
    for tick in valid:
        assert isinstance(tick.bid_price, Decimal)
        assert isinstance(tick.ask_price, Decimal)
        assert tick.bid_price.quantize(QUANTUM) == tick.bid_price
        assert 0 < tick.bid_price < tick.ask_price
        level = MARKETS[tick.ticker].level
        assert 0.7 * level < float(tick.bid_price) < 1.3 * level
        spread = float((tick.ask_price - tick.bid_price) / tick.bid_price)
        assert 0 < spread < 3 * MARKETS[tick.ticker].spread
    # The decimals are awkward: most prices use all 8 places.
    eight_places = [
        t
        for t in valid
        if isinstance(t.bid_price, Decimal) and t.bid_price.as_tuple().exponent == -8
    ]
    assert len(eight_places) > 0.8 * len(valid)


def test_a_few_minutes_missing_in_short_gaps(ticks: list[Tick]) -> None:
    minutes = 3 * 24 * 60
    for ticker in DEFAULT_TICKERS:
        times = [t.last_refreshed for t in ticks if t.ticker == ticker]
        assert times == sorted(times)
        assert len(set(times)) == len(times)
        missing = minutes - len(times)
        assert 0.005 * minutes < missing < 0.1 * minutes
        gaps = [(b - a) // timedelta(minutes=1) - 1 for a, b in itertools.pairwise(times)]
        assert max(gaps) <= 10


def test_malformed_ticks_are_a_small_share_with_dash_prices(ticks: list[Tick]) -> None:
    malformed = [t for t in ticks if is_malformed(t)]
    assert 0 < len(malformed) < 0.01 * len(ticks)
    assert set(Counter(t.ticker for t in malformed)) == set(DEFAULT_TICKERS)
    for tick in malformed:
        assert tick.bid_price == MALFORMED_PRICE
        assert tick.ask_price == MALFORMED_PRICE
        # Alpha Vantage still sends the exchange rate when it has no quote.
        assert isinstance(tick.exchange_rate, Decimal)


def test_no_malformed_or_missing_when_rates_are_zero() -> None:
    params = SimulationParams(
        start=START, end=START + timedelta(hours=2), missing_rate=0.0, malformed_rate=0.0
    )
    out = list(simulate(params))
    assert len(out) == 2 * 60 * len(DEFAULT_TICKERS)
    assert not any(is_malformed(t) for t in out)


def test_recent_period_ends_at_the_top_of_the_hour() -> None:
    start, end = recent_period(2, now=datetime(2025, 1, 13, 7, 42, 5, tzinfo=UTC))
    assert end == datetime(2025, 1, 13, 7, tzinfo=UTC)
    assert start == end - timedelta(days=2)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (datetime(2025, 1, 13), datetime(2025, 1, 14), "timezone-aware"),
        (START, START, "must be after"),
    ],
)
def test_bad_params_are_refused(start: datetime, end: datetime, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SimulationParams(start=start, end=end)
