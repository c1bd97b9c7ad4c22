"""Spot checks of any engine's SMAs against ``sma.reference.rolling_sma``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sma.reference import rolling_sma


def max_relative_error(bids: Sequence[float], smas: Mapping[int, Sequence[float | None]]) -> float:
    """Largest relative difference from the oracle; inf if a null stands where a value should."""
    worst = 0.0
    for n, got_values in smas.items():
        for got, want in zip(got_values, rolling_sma(bids, n), strict=True):
            if (got is None) != (want is None):
                return float("inf")
            if got is not None and want is not None:
                worst = max(worst, abs(got - want) / abs(want))
    return worst
