"""One tick of the output table as the stores hand it to the logic."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sma.signals import LONG_SMA, SHORT_SMA, Signal, signal
from sma.windows import SMA_COLUMNS


@dataclass(frozen=True, slots=True)
class SmaRow:
    """A tick: prices, its time (UTC-aware) and SMA columns by name (None until defined)."""

    last_refreshed: datetime
    ask_price: float | None
    bid_price: float | None
    smas: Mapping[str, float | None]

    @property
    def signal(self) -> Signal | None:
        return signal(self.smas.get(SHORT_SMA), self.smas.get(LONG_SMA))

    def signal_of(self, short: str, long: str) -> Signal | None:
        """The signal rule over the columns `short` and `long` (e.g. ``sma_50``, ``sma_200``)."""
        return signal(self.smas.get(short), self.smas.get(long))


def as_utc(value: datetime) -> datetime:
    """A timestamp from a backend as UTC-aware: naive means UTC (Athena), aware is converted."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def row_from_record(record: Mapping[str, object]) -> SmaRow:
    """Build a row from a backend record keyed by column name; absent SMA columns stay absent."""
    stamp = record["last_refreshed"]
    if not isinstance(stamp, datetime):
        raise TypeError(f"last_refreshed is {type(stamp).__name__}, expected a timestamp")
    return SmaRow(
        last_refreshed=as_utc(stamp),
        ask_price=_float_or_none(record["ask_price"]),
        bid_price=_float_or_none(record["bid_price"]),
        smas={name: _float_or_none(record[name]) for name in SMA_COLUMNS if name in record},
    )


def _float_or_none(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    raise TypeError(f"expected a number, got {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class Tick:
    """One tick as an answer carries it: its SMA fields (in order) and its signal."""

    last_refreshed: datetime
    bid_price: float | None
    ask_price: float | None
    smas: Mapping[str, float | None]
    signal: Signal | None
