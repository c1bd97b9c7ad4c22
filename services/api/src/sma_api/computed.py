"""Ticks as an answer carries them: the lake's SMA columns, or SMAs computed from bid prices.

Computed SMAs are exact (`rolling`: `sma.reference.rolling_sma`'s values, bit for bit) over the
bid prices of a time-ordered series that starts early enough for the longest window.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sma.schema import DATA_COLUMN_NAMES
from sma.signals import signal
from sma.windows import WINDOWS
from sma_api.rolling import rolling_means
from sma_api.rows import SmaRow, Tick
from sma_api.spec import SmaSpec, column
from sma_api.sql import PRICE_COLUMNS

_STORED: Final[frozenset[int]] = frozenset(WINDOWS)


def computed_windows(spec: SmaSpec) -> tuple[int, ...]:
    """The windows computed from bid prices: none when the lake holds every one needed; all of
    them when the request names its windows (so only prices are read); else the signal's."""
    if spec.stored:
        return ()
    if spec.windows is not None:
        return spec.needed
    return tuple(n for n in spec.needed if n not in _STORED)


def columns_for(spec: SmaSpec) -> tuple[str, ...]:
    """The columns the rows of `spec`'s answer need from the lake."""
    if spec.windows is not None and not spec.stored:
        return PRICE_COLUMNS
    return DATA_COLUMN_NAMES


def ticks_from(
    series: Sequence[SmaRow], first: int, spec: SmaSpec, *, compute: Sequence[int] | None = None
) -> list[Tick]:
    """`series[first:]` as answered ticks; `series` is in time order, its start the lookback.

    `compute` names the windows to compute from bid prices (default: `computed_windows`).
    """
    windows = computed_windows(spec) if compute is None else compute
    computed = rolling_means([r.bid_price for r in series], windows, first)
    item_columns = [(n, column(n)) for n in spec.item_windows]
    pair = ((spec.short, column(spec.short)), (spec.long, column(spec.long)))
    ticks: list[Tick] = []
    for k, row in enumerate(series[first:]):
        values = {
            name: found[k] if (found := computed.get(n)) is not None else row.smas.get(name)
            for n, name in (*item_columns, *pair)
        }
        ticks.append(
            Tick(
                row.last_refreshed,
                row.bid_price,
                row.ask_price,
                {name: values[name] for _, name in item_columns},
                signal(values[pair[0][1]], values[pair[1][1]]),
            )
        )
    return ticks


def stored_tick(row: SmaRow, spec: SmaSpec) -> Tick:
    """One lake row with its own columns (`spec.stored`)."""
    return ticks_from([row], 0, spec)[0]
