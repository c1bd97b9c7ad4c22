"""What a seed run loaded: per-ticker counts and the period, as JSON or as lines to print."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sma_laptop.producer import Tick
from sma_laptop.simulator import is_malformed


@dataclass(slots=True)
class TickerLoad:
    """What was written for one ticker."""

    ticks: int = 0
    malformed: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def add(self, tick: Tick) -> None:
        self.ticks += 1
        self.malformed += is_malformed(tick)
        if self.first is None or tick.last_refreshed < self.first:
            self.first = tick.last_refreshed
        if self.last is None or tick.last_refreshed > self.last:
            self.last = tick.last_refreshed


@dataclass(slots=True)
class SeedSummary:
    """What a seed run wrote, and the whole hours it covers (``end`` exclusive)."""

    table: str
    endpoint: str
    source: str
    start: datetime
    end: datetime
    tickers: dict[str, TickerLoad] = field(default_factory=dict)
    skipped: int = 0  # CSV rows without a readable time
    seconds: float = 0.0

    @property
    def ticks(self) -> int:
        return sum(load.ticks for load in self.tickers.values())

    @property
    def malformed(self) -> int:
        return sum(load.malformed for load in self.tickers.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "endpoint": self.endpoint,
            "source": self.source,
            "period": [_iso(self.start), _iso(self.end)],
            "ticks": self.ticks,
            "malformed": self.malformed,
            "skipped": self.skipped,
            "tickers": {
                name: {
                    "ticks": load.ticks,
                    "malformed": load.malformed,
                    "first": _iso(load.first),
                    "last": _iso(load.last),
                }
                for name, load in sorted(self.tickers.items())
            },
            "seconds": round(self.seconds, 2),
        }

    def lines(self) -> list[str]:
        """A human summary, one line per ticker."""
        out = [
            f"loaded {self.ticks:,} ticks ({self.malformed} malformed) into {self.table} at "
            f"{self.endpoint} in {self.seconds:.1f} s - source: {self.source}",
        ]
        for name, load in sorted(self.tickers.items()):
            out.append(
                f"  {name:<10} {load.ticks:>7,} ticks  {_short(load.first)} .. {_short(load.last)}"
                f"  {load.malformed} malformed"
            )
        if self.skipped:
            out.append(f"  {self.skipped} CSV rows skipped: no readable time")
        out.append(f"  period {_iso(self.start)} .. {_iso(self.end)} (whole hours, end exclusive)")
        return out


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _short(when: datetime | None) -> str:
    return "-" if when is None else when.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
