import pytest

from sma.signals import cross, signal


@pytest.mark.parametrize(
    ("sma_10", "sma_30", "expected"),
    [
        (2.0, 1.0, "bullish"),
        (1.0, 2.0, "bearish"),
        (1.5, 1.5, "neutral"),
        (None, 1.0, None),
        (1.0, None, None),
        (None, None, None),
        (0.0, -0.0, "neutral"),
    ],
)
def test_signal_rule(sma_10: float | None, sma_30: float | None, expected: str | None) -> None:
    assert signal(sma_10, sma_30) == expected


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("bearish", "bullish", "bullish_cross"),
        ("bullish", "bearish", "bearish_cross"),
        ("bullish", "bullish", None),
        ("neutral", "bullish", None),
        ("bearish", "neutral", None),
        (None, "bullish", None),
    ],
)
def test_cross_rule(before: str | None, after: str | None, expected: str | None) -> None:
    assert cross(before, after) == expected  # type: ignore[arg-type]
