import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sma.tickers import TICKER_PATTERN, InvalidTicker, is_valid, normalize


@pytest.mark.parametrize("raw", ["BTC/USD", "btc-usd", " btcusd ", "BTC_USD", "BtC/uSd", "BTCUSD"])
def test_spellings_of_one_pair_normalise_alike(raw: str) -> None:
    assert normalize(raw) == "BTCUSD"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        "B",
        "BTC/USD; DROP TABLE x",
        "../etc",
        "BTC USD",
        "BTC%2FUSD",
        "ß" * 3,
        "BTC/USD/",
        "A" * 21,
        "BTC\nUSD",
        "€UR",
        "\uff11\uff12\uff13",
    ],
)
def test_bad_tickers_raise_naming_the_input(raw: str) -> None:
    with pytest.raises(InvalidTicker) as info:
        normalize(raw)
    assert repr(raw) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_non_string_is_invalid() -> None:
    with pytest.raises(InvalidTicker):
        normalize(None)  # type: ignore[arg-type]


@given(st.text(max_size=30))
def test_normalize_never_returns_outside_the_pattern(raw: str) -> None:
    try:
        out = normalize(raw)
    except InvalidTicker:
        return
    assert re.fullmatch(r"[A-Z0-9]{2,20}", out)
    assert is_valid(out)


@given(st.from_regex(TICKER_PATTERN, fullmatch=True))
def test_normal_form_is_a_fixed_point(ticker: str) -> None:
    assert normalize(ticker) == ticker


@given(st.text(alphabet="abcXYZ019/-_ ", max_size=30))
def test_normalize_is_idempotent(raw: str) -> None:
    try:
        once = normalize(raw)
    except InvalidTicker:
        return
    assert normalize(once) == once
