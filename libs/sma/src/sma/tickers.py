"""The ticker rule: one spelling per pair, safe in S3 paths and SQL."""

import re
from typing import Final

TICKER_PATTERN: Final[re.Pattern[str]] = re.compile(r"^[A-Z0-9]{2,20}$")

# ASCII letters and digits in groups, one separator ('/', '-' or '_') between groups: what
# people and producers write between two currency codes, and nothing that could reach a path.
_SPELLING: Final[re.Pattern[str]] = re.compile(r"^[A-Za-z0-9]+(?:[/\-_][A-Za-z0-9]+)*$")
_SEPARATORS: Final[re.Pattern[str]] = re.compile(r"[/\-_]")


class InvalidTicker(ValueError):
    """A ticker that cannot be normalised to ``^[A-Z0-9]{2,20}$``."""

    def __init__(self, raw: object) -> None:
        self.raw = raw
        super().__init__(
            f"invalid ticker {raw!r}: expected 2-20 letters or digits, optionally split by "
            "'/', '-' or '_' (e.g. 'BTC/USD', 'btc-usd', 'BTCUSD')"
        )


def normalize(raw: str) -> str:
    """``'BTC/USD'``, ``'btc-usd'``, ``' btcusd '``, ``'BTC_USD'`` -> ``'BTCUSD'``."""
    if not isinstance(raw, str):
        raise InvalidTicker(raw)
    stripped = raw.strip()
    # Checked before upper-casing: str.upper() would turn e.g. 'ß' into 'SS' and let it through.
    if not _SPELLING.fullmatch(stripped):
        raise InvalidTicker(raw)
    candidate = _SEPARATORS.sub("", stripped).upper()
    if not TICKER_PATTERN.fullmatch(candidate):
        raise InvalidTicker(raw)
    return candidate


def is_valid(ticker: str) -> bool:
    """True when `ticker` is already in normal form."""
    return TICKER_PATTERN.fullmatch(ticker) is not None
