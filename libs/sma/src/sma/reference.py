"""The reference SMA: the exact definition every engine must match."""

import math
from collections.abc import Sequence


def rolling_sma(values: Sequence[float], n: int) -> list[float | None]:
    """Mean of the last `n` values up to and including each one; None for the first n-1.

    Each window is summed afresh with ``math.fsum`` (correctly rounded), so no error builds up
    along the series the way a running sum's does.
    """
    if n < 1:
        raise ValueError(f"window must be at least 1, got {n}")
    out: list[float | None] = [None] * min(n - 1, len(values))
    out.extend(math.fsum(values[i - n + 1 : i + 1]) / n for i in range(n - 1, len(values)))
    return out
