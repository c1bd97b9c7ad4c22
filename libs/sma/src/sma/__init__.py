"""The one source of truth of crypto-sma: windows, table schema, ticker rule, signal rule."""

from sma.reference import rolling_sma
from sma.signals import Signal, signal
from sma.tickers import InvalidTicker, normalize
from sma.windows import SMA_COLUMNS, WINDOWS, sma_column

__all__ = [
    "SMA_COLUMNS",
    "WINDOWS",
    "InvalidTicker",
    "Signal",
    "normalize",
    "rolling_sma",
    "signal",
    "sma_column",
]
