import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sma.reference import rolling_sma
from sma.windows import WINDOWS

prices = st.lists(
    st.floats(min_value=1e-6, max_value=1e7, allow_nan=False, allow_infinity=False), max_size=150
)


def test_window_edges_n_minus_1_is_null_n_is_a_value() -> None:
    values = [float(i) for i in range(1, 11)]
    out = rolling_sma(values, 10)
    assert out[:9] == [None] * 9
    assert out[9] == 5.5
    assert rolling_sma(values[:9], 10) == [None] * 9
    assert rolling_sma([], 10) == []


def test_window_of_one_is_the_series() -> None:
    assert rolling_sma([1.5, 2.5], 1) == [1.5, 2.5]


def test_bad_window_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        rolling_sma([1.0], 0)


def test_awkward_decimals_are_exact() -> None:
    # 0.1 + 0.2 + 0.3 summed naively is 0.6000000000000001; fsum rounds once.
    assert rolling_sma([0.1, 0.2, 0.3], 3)[2] == 0.6 / 3
    assert rolling_sma([1e16, 1.0, -1e16], 3)[2] == pytest.approx(1 / 3, rel=1e-15)


@given(prices, st.integers(min_value=1, max_value=120))
def test_matches_naive_mean(values: list[float], n: int) -> None:
    out = rolling_sma(values, n)
    assert len(out) == len(values)
    for i, got in enumerate(out):
        if i < n - 1:
            assert got is None
        else:
            assert got is not None
            window = values[i - n + 1 : i + 1]
            assert len(window) == n
            assert math.isclose(got, sum(window) / n, rel_tol=1e-12)
            assert min(window) <= got <= max(window)


@pytest.mark.parametrize("symbol", ["BTC", "ETH", "DOGE"])
def test_matches_pandas_on_real_minute_data(symbol: str, shared_data: Path) -> None:
    frame = pd.read_csv(next(shared_data.glob(f"yahoo_{symbol}-USD_1m_*.csv")))
    closes = frame["Close"].astype(float)
    assert len(closes) > 30_000
    for n in WINDOWS:
        ours = rolling_sma(closes.tolist(), n)
        theirs = closes.rolling(n).mean().tolist()
        assert ours[: n - 1] == [None] * (n - 1)
        worst = max(
            abs(a - b) / abs(b) for a, b in zip(ours[n - 1 :], theirs[n - 1 :], strict=True)
        )
        assert worst <= 1e-12, f"{symbol} sma_{n}: max relative difference {worst:.3e}"
