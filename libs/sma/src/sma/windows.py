"""The SMA windows, in ticks, and the column that holds each."""

from typing import Final

WINDOWS: Final[tuple[int, ...]] = (10, 30, 60, 100)

# The longest window sets how much history a run must read before its first new tick.
MAX_WINDOW: Final[int] = max(WINDOWS)


def sma_column(window: int) -> str:
    """Name of the column holding the SMA over `window` ticks, e.g. ``sma_10``."""
    if window not in WINDOWS:
        raise ValueError(f"no SMA window of {window} ticks; windows are {WINDOWS}")
    return f"sma_{window}"


SMA_COLUMNS: Final[tuple[str, ...]] = tuple(sma_column(n) for n in WINDOWS)
