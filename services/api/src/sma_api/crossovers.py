"""Crossover events from a run of ticks, by the one signal rule in `sma.signals`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sma.signals import Cross, cross
from sma_api.rows import Tick


@dataclass(frozen=True, slots=True)
class CrossoverEvent:
    """The short SMA moved to the other side of the long one between `before` and `after`."""

    type: Cross
    before: Tick
    after: Tick


def find_crossovers(ticks: Iterable[Tick]) -> list[CrossoverEvent]:
    """Crossovers in time-ordered `ticks`: each compares a tick with the last one on a side.

    Ticks without a signal (SMAs not yet defined) and neutral ticks (equal SMAs) belong to no
    side, so a move through equality still counts once, between the two sided ticks around it.
    """
    events: list[CrossoverEvent] = []
    last_sided: Tick | None = None
    for tick in ticks:
        if tick.signal not in ("bullish", "bearish"):
            continue
        if last_sided is not None:
            kind = cross(last_sided.signal, tick.signal)
            if kind is not None:
                events.append(CrossoverEvent(kind, last_sided, tick))
        last_sided = tick
    return events
