"""The tick rule: one raw source item in, a clean tick or the reason it was rejected out.

Pure Python on purpose: the transform runs it on the executors, and the lookback reader uses
the same rule to count how many usable ticks of history it has fetched.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sma.schema import SOURCE_TIME_FORMAT, hour_partition
from sma.tickers import InvalidTicker, normalize

INVALID_TICKER: Final = "invalid_ticker"
BAD_TIME: Final = "bad_time"
UNKNOWN_TIME_ZONE: Final = "unknown_time_zone"
MISSING_BID_PRICE: Final = "missing_bid_price"
NON_NUMERIC_BID_PRICE: Final = "non_numeric_bid_price"
NON_FINITE_BID_PRICE: Final = "non_finite_bid_price"
NON_POSITIVE_BID_PRICE: Final = "non_positive_bid_price"

# In the order they are checked: a tick is rejected for the first rule it breaks.
REJECTION_REASONS: Final[tuple[str, ...]] = (
    INVALID_TICKER,
    BAD_TIME,
    UNKNOWN_TIME_ZONE,
    MISSING_BID_PRICE,
    NON_NUMERIC_BID_PRICE,
    NON_FINITE_BID_PRICE,
    NON_POSITIVE_BID_PRICE,
)

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class CleanTick:
    """A tick that passed every rule, with its partition values."""

    ticker: str  # normalised, e.g. BTCUSD
    micros: int  # last_refreshed as microseconds since the epoch, UTC
    bid_price: float
    ask_price: float | None  # None when the ask is unusable; the SMAs never read it
    date: date
    hour: str


@dataclass(frozen=True, slots=True)
class PriceCheck:
    value: float | None
    problem: str | None  # 'missing', 'non_numeric', 'non_finite', 'non_positive'


# A finite decimal as DynamoDB and the producer write it: ASCII digits, optional sign, point and
# exponent.
_DECIMAL_TEXT: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def check_price(raw: str | None) -> PriceCheck:
    """Read a price exactly: the decimal text goes to the nearest double in one rounding."""
    if raw is None or not raw.strip():
        return PriceCheck(None, "missing")
    text = raw.strip()
    try:
        exact = Decimal(text)
    except InvalidOperation:
        return PriceCheck(None, "non_numeric")
    if not exact.is_finite():
        return PriceCheck(None, "non_finite")
    if not _DECIMAL_TEXT.fullmatch(text):
        # Decimal() also reads '94_500' and non-ASCII digits ('٩٤٥٠٠'): no number is written so.
        return PriceCheck(None, "non_numeric")
    value = float(text)
    if not math.isfinite(value):
        return PriceCheck(None, "non_finite")
    if value <= 0.0:
        # Also catches positive decimals too small for a double, which would read as 0.0.
        return PriceCheck(None, "non_positive")
    return PriceCheck(value, None)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


# The producer's spelling of SOURCE_TIME_FORMAT, every field zero-padded: the form that
# datetime.fromisoformat reads exactly as strptime does. Any other spelling goes to strptime.
_PADDED_TIME: Final = (
    re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
    if SOURCE_TIME_FORMAT == "%Y-%m-%d %H:%M:%S"
    else None
)


def parse_time(raw: str | None, time_zone: str | None) -> datetime | str:
    """`raw` read in `time_zone` (UTC when absent) as a UTC datetime, or a rejection reason."""
    if raw is None:
        return BAD_TIME
    try:
        if _PADDED_TIME is not None and _PADDED_TIME.fullmatch(raw):
            local = datetime.fromisoformat(raw)  # same result as strptime, a tenth of the cost
        else:
            local = datetime.strptime(raw, SOURCE_TIME_FORMAT)
    except ValueError:
        return BAD_TIME
    zone_name = (time_zone or "").strip() or "UTC"
    zone = _zone(zone_name)
    if zone is None:
        return UNKNOWN_TIME_ZONE
    # A wall time that a DST change repeats reads as its first occurrence (fold=0).
    return local.replace(tzinfo=zone).astimezone(UTC)


def clean_tick(
    raw_ticker: str | None,
    last_refreshed: str | None,
    bid_price: str | None,
    ask_price: str | None,
    time_zone: str | None,
) -> CleanTick | str:
    """The clean tick, or the first rejection reason (one of REJECTION_REASONS)."""
    try:
        ticker = normalize(raw_ticker)  # type: ignore[arg-type]  # normalize rejects non-str
    except InvalidTicker:
        return INVALID_TICKER
    when = parse_time(last_refreshed, time_zone)
    if isinstance(when, str):
        return when
    bid = check_price(bid_price)
    if bid.value is None:
        return f"{bid.problem}_bid_price"
    ask = check_price(ask_price)
    delta = when - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return CleanTick(
        ticker=ticker,
        micros=micros,
        bid_price=bid.value,
        ask_price=ask.value,
        date=when.date(),
        hour=hour_partition(when.hour),
    )
