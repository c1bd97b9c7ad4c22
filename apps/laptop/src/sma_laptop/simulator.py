"""A seeded price simulator: minute ticks that look like what the upstream poller records.

Each ticker follows a geometric random walk around a realistic level, with a bid/ask spread of a
few basis points, prices quantised to 8 decimal places (awkward decimals on purpose: sums of them
are not exact in binary floating point), some missing minutes, and now and then a malformed tick
whose bid and ask are ``-`` as Alpha Vantage sends them when it has no quote.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from sma_laptop.producer import Tick

QUANTUM: Final[Decimal] = Decimal("0.00000001")
MALFORMED_PRICE: Final[str] = "-"
DEFAULT_TICKERS: Final[tuple[str, ...]] = ("BTC/USD", "ETH/USD", "DOGE/USD")


@dataclass(frozen=True, slots=True)
class Market:
    """How one pair moves: starting mid price, per-minute volatility, typical relative spread."""

    level: float
    volatility: float  # standard deviation of the one-minute log return
    spread: float  # typical (ask - bid) / mid


# Levels and minute volatilities of early 2025; spreads as quoted by retail exchanges.
MARKETS: Final[Mapping[str, Market]] = {
    "BTC/USD": Market(level=94_500.0, volatility=0.0008, spread=0.0002),
    "ETH/USD": Market(level=3_270.0, volatility=0.0011, spread=0.0003),
    "DOGE/USD": Market(level=0.3359, volatility=0.0016, spread=0.0008),
}
_FALLBACK_MARKET: Final[Market] = Market(level=100.0, volatility=0.001, spread=0.0005)


@dataclass(frozen=True, slots=True)
class SimulationParams:
    """What to simulate. `end` is exclusive; one tick per ticker per minute before gaps."""

    start: datetime
    end: datetime
    tickers: Sequence[str] = DEFAULT_TICKERS
    seed: int = 42
    missing_rate: float = 0.01  # chance per minute that an outage of 1-5 minutes starts
    malformed_rate: float = 0.002  # share of recorded ticks with '-' prices

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware (UTC)")
        if self.end <= self.start:
            raise ValueError(f"end {self.end} must be after start {self.start}")
        for name in ("missing_rate", "malformed_rate"):
            rate = getattr(self, name)
            if not 0.0 <= rate < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {rate}")
        if not self.tickers:
            raise ValueError("at least one ticker is needed")


def minute_floor(when: datetime) -> datetime:
    """`when` in UTC with seconds and below dropped."""
    return when.astimezone(UTC).replace(second=0, microsecond=0)


def hour_floor(when: datetime) -> datetime:
    """`when` in UTC at the top of its hour."""
    return minute_floor(when).replace(minute=0)


def recent_period(days: float, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The `days` before the top of the current UTC hour: what the demo loads by default."""
    end = hour_floor(now or datetime.now(UTC))
    return end - timedelta(days=days), end


def _quantise(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(QUANTUM)


class _Walk:
    """One ticker's price path; its random stream depends only on the seed and the ticker."""

    def __init__(self, ticker: str, seed: int) -> None:
        self.ticker = ticker
        self.market = MARKETS.get(ticker, _FALLBACK_MARKET)
        # String seeds are hashed with SHA-512 by `random`, so this is stable across processes.
        self.rng = random.Random(f"{seed}:{ticker}")
        self.log_anchor = math.log(self.market.level)
        self.log_mid = self.log_anchor
        self.gap_left = 0  # minutes still to skip in the current outage

    def step(self) -> float:
        """Advance one minute and return the new mid price."""
        sigma = self.market.volatility
        # A faint pull back to the starting level keeps a multi-day run near realistic prices.
        reversion = 0.0005 * (self.log_anchor - self.log_mid)
        self.log_mid += reversion + self.rng.gauss(-0.5 * sigma * sigma, sigma)
        return math.exp(self.log_mid)

    def quote(self, mid: float) -> tuple[Decimal, Decimal]:
        """Bid and ask around `mid`, the spread varying tick to tick."""
        half = 0.5 * self.market.spread * self.rng.uniform(0.5, 1.5)
        return _quantise(mid * (1.0 - half)), _quantise(mid * (1.0 + half))


def simulate(params: SimulationParams) -> Iterator[Tick]:
    """Minute ticks for every ticker from `start` (rounded down to the minute) up to `end`.

    Ticks come minute by minute, tickers interleaved, as a poller would record them. The same
    params always give the same ticks.
    """
    walks = [_Walk(ticker, params.seed) for ticker in params.tickers]
    minute = minute_floor(params.start)
    if minute < params.start:
        minute += timedelta(minutes=1)
    while minute < params.end:
        for walk in walks:
            mid = walk.step()
            if walk.gap_left == 0 and walk.rng.random() < params.missing_rate:
                walk.gap_left = walk.rng.randint(1, 5)
            if walk.gap_left > 0:
                walk.gap_left -= 1
                continue
            bid, ask = walk.quote(mid)
            rate = _quantise(mid)
            if walk.rng.random() < params.malformed_rate:
                yield Tick(walk.ticker, minute, MALFORMED_PRICE, MALFORMED_PRICE, rate)
            else:
                yield Tick(walk.ticker, minute, bid, ask, rate)
        minute += timedelta(minutes=1)


def is_malformed(tick: Tick) -> bool:
    """True for ticks the job must reject: a bid price that is not a positive number."""
    return not isinstance(tick.bid_price, Decimal) or tick.bid_price <= 0
