"""The tick rule: one raw source item in, a clean tick or the reason it was rejected out.

Pure Python, standard library only: the job's lookback reader counts usable history with it, the
API judges live items with it, and the job's Spark expressions (``sma_etl.judge``) are proved to
give the same verdict and values (property-tested against this module).

Values come as DynamoDB gives them: text from the low-level client (``{"N": "0.1"}`` -> ``"0.1"``)
or ``Decimal`` numbers from the resource API; any other type (a map, a list, a boolean) is no
price, time or zone.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Any, Final
from zoneinfo import ZoneInfo, available_timezones

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

# The zone of a tick whose `time_zone` is absent or blank.
DEFAULT_ZONE: Final = "UTC"

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

# What a raw attribute may be: DynamoDB text, a resource-API number, or absent.
RawValue = str | Decimal | int | float | None


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


def as_text(value: object) -> str | None:
    """A raw attribute as the text the rule reads: numbers as DynamoDB writes them.

    Other types read as their type name in angle brackets (``<bool>``), which no rule accepts,
    as the job's reader does with the low-level client's ``{"BOOL": true}``.
    """
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # the shortest text that reads back to the same double
    return f"<{type(value).__name__}>"


def attribute_text(attribute: Mapping[str, Any] | None) -> str | None:
    """A low-level DynamoDB attribute (``{"N": "0.1"}``) as text: numbers and strings verbatim,
    NULL or absent as None; any other type (BOOL, M, L, ...) as its type name in angle brackets,
    which no rule accepts."""
    if attribute is None or "NULL" in attribute:
        return None
    if "N" in attribute:
        return str(attribute["N"])
    if "S" in attribute:
        return str(attribute["S"])
    return f"<{next(iter(attribute), 'empty')}>"


# A finite decimal as DynamoDB and the producer write it: ASCII digits, optional sign, point and
# exponent.
DECIMAL_TEXT: Final = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def check_price(raw: RawValue) -> PriceCheck:
    """Read a price exactly: the decimal text goes to the nearest double in one rounding."""
    text = as_text(raw)
    if text is None or not text.strip():
        return PriceCheck(None, "missing")
    text = text.strip()
    try:
        exact = Decimal(text)
    except InvalidOperation:
        return PriceCheck(None, "non_numeric")
    if not exact.is_finite():
        return PriceCheck(None, "non_finite")
    if not DECIMAL_TEXT.fullmatch(text):
        # Decimal() also reads '94_500' and non-ASCII digits ('٩٤٥٠٠'): no number is written so.
        return PriceCheck(None, "non_numeric")
    value = float(text)
    if not math.isfinite(value):
        return PriceCheck(None, "non_finite")
    if value <= 0.0:
        # Also catches positive decimals too small for a double, which would read as 0.0.
        return PriceCheck(None, "non_positive")
    return PriceCheck(value, None)


@cache
def zone_names() -> frozenset[str]:
    """The time zones a tick may name: the IANA keys of this Python's time zone database.

    ``localtime`` (this machine's own zone, where the database has it) is no IANA name.
    """
    return frozenset(available_timezones() - {"localtime"})


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | None:
    return ZoneInfo(name) if name in zone_names() else None


def zone_name(time_zone: RawValue) -> str:
    """The zone an item's `time_zone` names: the text stripped, UTC when absent or blank."""
    return (as_text(time_zone) or "").strip() or DEFAULT_ZONE


def is_zone(name: str) -> bool:
    """True when `name` (as `zone_name` gives it) is a zone a tick may be written in."""
    return name == DEFAULT_ZONE or name in zone_names()


def in_other_zone(time_zone: RawValue) -> bool:
    """True when an item's `time_zone` names a valid zone other than UTC: its sort key is that
    zone's wall time, not a UTC one."""
    name = zone_name(time_zone)
    return name != DEFAULT_ZONE and is_zone(name)


# The producer's spelling of SOURCE_TIME_FORMAT, every field zero-padded: the form that
# datetime.fromisoformat reads exactly as strptime does. Any other spelling goes to strptime.
_PADDED_TIME: Final = (
    re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
    if SOURCE_TIME_FORMAT == "%Y-%m-%d %H:%M:%S"
    else None
)


def read_local_time(raw: RawValue) -> datetime | None:
    """`raw` read with SOURCE_TIME_FORMAT as ``strptime`` reads it (naive), or None."""
    text = as_text(raw)
    if text is None:
        return None
    try:
        if _PADDED_TIME is not None and _PADDED_TIME.fullmatch(text):
            return datetime.fromisoformat(text)  # same result as strptime, a tenth of the cost
        return datetime.strptime(text, SOURCE_TIME_FORMAT)
    except ValueError:
        return None


def to_utc(local: datetime, zone: str) -> datetime | None:
    """The naive wall time `local` in `zone` (a valid name) as UTC; None beyond years 1-9999.

    A wall time that a DST change repeats reads as its first occurrence (fold=0); one that a
    change skips reads with the offset before the change.
    """
    if zone == DEFAULT_ZONE:
        return local.replace(tzinfo=UTC)
    tz = _zone(zone)
    if tz is None:
        raise ValueError(f"no time zone {zone!r}")
    try:
        return local.replace(tzinfo=tz).astimezone(UTC)
    except OverflowError:
        return None


def parse_time(raw: RawValue, time_zone: RawValue) -> datetime | str:
    """`raw` read in `time_zone` (UTC when absent) as a UTC datetime, or a rejection reason."""
    local = read_local_time(raw)
    if local is None:
        return BAD_TIME
    zone = zone_name(time_zone)
    if not is_zone(zone):
        return UNKNOWN_TIME_ZONE
    when = to_utc(local, zone)
    return BAD_TIME if when is None else when


def epoch_micros(when: datetime) -> int:
    """An aware datetime as microseconds since the epoch (exact integer arithmetic)."""
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def clean_tick(
    raw_ticker: RawValue,
    last_refreshed: RawValue,
    bid_price: RawValue,
    ask_price: RawValue,
    time_zone: RawValue,
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
    return CleanTick(
        ticker=ticker,
        micros=epoch_micros(when),
        bid_price=bid.value,
        ask_price=ask.value,
        date=when.date(),
        hour=hour_partition(when.hour),
    )
