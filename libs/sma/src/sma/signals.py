"""The signal rule: how the short SMA stands against the long one."""

from typing import Final, Literal

from sma.windows import sma_column

Signal = Literal["bullish", "bearish", "neutral"]
Cross = Literal["bullish_cross", "bearish_cross"]

# The signal compares these two windows: the short SMA against the long one.
SHORT_WINDOW: Final[int] = 10
LONG_WINDOW: Final[int] = 30
SHORT_SMA: Final[str] = sma_column(SHORT_WINDOW)
LONG_SMA: Final[str] = sma_column(LONG_WINDOW)


def signal(sma_10: float | None, sma_30: float | None) -> Signal | None:
    """bullish when sma_10 > sma_30, bearish when <, neutral when equal, None when one is missing.

    A missing SMA (too little history) gives no signal; the original setup's SQL called it bearish.
    """
    if sma_10 is None or sma_30 is None:
        return None
    if sma_10 > sma_30:
        return "bullish"
    if sma_10 < sma_30:
        return "bearish"
    return "neutral"


def cross(before: Signal | None, after: Signal | None) -> Cross | None:
    """The crossover between two consecutive signals, if the short SMA moved to the other side.

    A move onto or off equality is not a cross; only bearish -> bullish and bullish -> bearish
    (through any number of neutral ticks, which the caller skips) count.
    """
    if before == "bearish" and after == "bullish":
        return "bullish_cross"
    if before == "bullish" and after == "bearish":
        return "bearish_cross"
    return None
