"""Python's rules for reading text, as Java regular expressions and character sets.

The tick rule (``sma.ticks``) reads text the way CPython does: ``str.strip()`` strips Unicode
whitespace, ``strptime``'s ``\\d`` matches any Unicode decimal digit, ``Decimal()`` drops
underscores and reads non-ASCII digits. The Spark form of the rule (``sma_etl.judge``) needs
the same sets inside the JVM, whose regular expressions define ``\\s`` and ``\\d`` differently
(and whose Unicode tables may be older). So the sets are taken from this Python, on the driver,
and spelled out character by character.
"""

from __future__ import annotations

import importlib
import re
import sys
import unicodedata
from functools import cache
from typing import Any, Final

_ASCII_DIGITS: Final = "0123456789"


def _all_chars() -> list[str]:
    return [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c <= 0xDFFF]


@cache
def whitespace() -> str:
    """Every character ``str.isspace()`` holds true for (what ``str.strip()`` strips)."""
    return "".join(c for c in _all_chars() if c.isspace())


@cache
def other_digits() -> tuple[str, str]:
    """Non-ASCII decimal digits and, at the same positions, the ASCII digit of each."""
    digits = [c for c in _all_chars() if c.isdecimal() and c not in _ASCII_DIGITS]
    return "".join(digits), "".join(str(unicodedata.decimal(c)) for c in digits)


def other_whitespace() -> str:
    """Whitespace outside ASCII: ``Decimal()`` reads each as a plain space."""
    return "".join(c for c in whitespace() if ord(c) > 0x7F)


def _java_char(code: int) -> str:
    return f"\\x{{{code:X}}}"


def java_class(chars: str) -> str:
    """A Java regex character class of exactly `chars`, in ranges, each spelled as a code."""
    codes = sorted({ord(c) for c in chars})
    ranges: list[str] = []
    start = previous = codes[0]
    for code in [*codes[1:], -1]:
        if code != previous + 1:
            first, last = _java_char(start), _java_char(previous)
            ranges.append(first if start == previous else f"{first}-{last}")
            start = code
        previous = code
    return "[" + "".join(ranges) + "]"


def digit_class() -> str:
    """Python's ``\\d`` for text: every Unicode decimal digit."""
    return java_class(_ASCII_DIGITS + other_digits()[0])


def space_class() -> str:
    """Python's ``\\s`` for text: every character ``str.isspace()`` holds true for."""
    return java_class(whitespace())


# What the strptime pattern of our format may contain besides literal text: named groups of
# alternatives over digit classes, Python's \d and \s, and escaped literals.
_PYTHON_ONLY: Final = re.compile(r"\\[^ds\\.^$*+?(){}\[\]|]")


@cache
def strptime_regex(time_format: str) -> str:
    """The Java regex that matches exactly the texts ``datetime.strptime(text, time_format)``
    reads, group for group (``(?<Y>...)``, ``(?<m>...)``, ...).

    Built from this Python's own ``_strptime`` pattern. ``strptime`` matches from the start and
    then refuses unconverted data at the end; for a format whose fields are separated by
    literals, that is a match of the whole text.
    """
    time_re: Any = importlib.import_module("_strptime")._TimeRE_cache
    pattern = str(time_re.pattern(time_format))
    if _PYTHON_ONLY.search(pattern) or "(?P=" in pattern:
        raise ValueError(f"strptime pattern of {time_format!r} uses unsupported syntax: {pattern}")
    translated = (
        pattern.replace("(?P<", "(?<").replace(r"\d", digit_class()).replace(r"\s", space_class())
    )
    return f"^(?:{translated})\\z"
