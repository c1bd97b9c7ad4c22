"""Exact rolling means: `sma.reference.rolling_sma`'s values, bit for bit, in one pass.

`rolling_sma` sums each window afresh with `math.fsum` (the correctly rounded sum), which costs
O(rows x window). Here every price becomes an exact integer (a double is an integer times a power
of two), windows are differences of exact integer prefix sums, and one correctly rounded integer
division gives what `fsum` gives; dividing that by n as `rolling_sma` does gives the same double.
So a window of 1,000 over 10,000 rows costs 10,000 subtractions, not ten million additions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def _exact_integers(values: Sequence[float | None]) -> tuple[list[int | None], int]:
    """Each value as an integer multiple of 2**-shift (None stays None), and that shift."""
    ratios = [None if v is None else v.as_integer_ratio() for v in values]
    shift = max((r[1].bit_length() - 1 for r in ratios if r is not None), default=0)
    scaled: list[int | None] = []
    for ratio in ratios:
        if ratio is None:
            scaled.append(None)
        else:
            numerator, denominator = ratio  # denominator is a power of two
            scaled.append(numerator << (shift - (denominator.bit_length() - 1)))
    return scaled, shift


def rolling_means(
    values: Sequence[float | None], windows: Iterable[int], first: int = 0
) -> dict[int, list[float | None]]:
    """For each window n: ``rolling_sma(values, n)[first:]``, exactly.

    A window that holds a missing value (None) has no mean either.
    """
    scaled, shift = _exact_integers(values)
    scale = 1 << shift
    sums = [0]
    missing = [0]
    for value in scaled:
        sums.append(sums[-1] + (value or 0))
        missing.append(missing[-1] + (value is None))
    out: dict[int, list[float | None]] = {}
    for n in windows:
        if n < 1:
            raise ValueError(f"window must be at least 1, got {n}")
        means: list[float | None] = []
        for i in range(first, len(values)):
            lo = i + 1 - n
            if lo < 0 or missing[i + 1] != missing[lo]:
                means.append(None)
            else:
                # int / int is correctly rounded: the double math.fsum gives for the window.
                means.append(((sums[i + 1] - sums[lo]) / scale) / n)
        out[n] = means
    return out


def last_means(
    values: Sequence[float | None], windows: Iterable[int]
) -> Mapping[int, float | None]:
    """Each window's mean at the last value (None below n values)."""
    last = len(values) - 1
    found = rolling_means(values, windows, first=max(last, 0))
    return {n: (means[0] if means else None) for n, means in found.items()}
