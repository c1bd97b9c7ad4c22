"""The tick rule reads every spelling of a time exactly as ``strptime`` with the source format."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from sma.schema import SOURCE_TIME_FORMAT
from sma.ticks import BAD_TIME, parse_time

_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=4)
# Mostly well-formed shapes (the fast path), some with odd widths or separators (strptime's).
_TIMES = st.one_of(
    st.builds(
        "{}-{}-{}{}{}:{}:{}".format,
        _DIGITS, _DIGITS, _DIGITS, st.sampled_from([" ", "T", "  "]), _DIGITS, _DIGITS, _DIGITS,
    ),
    st.datetimes().map(lambda d: d.strftime(SOURCE_TIME_FORMAT)),
    st.text(max_size=25),
)  # fmt: skip


def _strptime_reading(raw: str) -> datetime | str:
    try:
        return datetime.strptime(raw, SOURCE_TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return BAD_TIME


@given(_TIMES)
def test_time_text_reads_as_strptime_reads_it(raw: str) -> None:
    assert parse_time(raw, "UTC") == _strptime_reading(raw)
