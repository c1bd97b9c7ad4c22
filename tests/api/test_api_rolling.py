"""The API's exact rolling means are `sma.reference.rolling_sma`'s values, bit for bit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sma.reference import rolling_sma
from sma_api.rolling import last_means, rolling_means

PRICES = st.one_of(
    st.floats(min_value=1e-8, max_value=1e7, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=10**12).map(lambda n: n / 10**8),  # 8-decimal prices
    st.sampled_from([0.1, 1 / 3, 94_123.45678901, 5e-324, 1e300]),
)


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(PRICES, max_size=80),
    windows=st.lists(st.integers(min_value=1, max_value=90), min_size=1, max_size=4),
    first=st.integers(min_value=0, max_value=80),
)
def test_the_same_doubles_as_the_reference(
    values: list[float], windows: list[int], first: int
) -> None:
    found = rolling_means(values, windows, first)
    for n in windows:
        assert found[n] == rolling_sma(values, n)[first:]


def test_the_last_mean_and_missing_values() -> None:
    values = [1.0, 2.0, 4.0, 8.0]
    assert last_means(values, [2, 4, 5]) == {2: 6.0, 4: 3.75, 5: None}
    assert last_means([], [3]) == {3: None}
    holes = rolling_means([1.0, None, 3.0, 4.0], [2])[2]
    assert holes == [None, None, None, 3.5]
    with pytest.raises(ValueError, match="at least 1"):
        rolling_means([1.0], [0])
