"""The window rule: which ticks a run processes."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from sma_etl.window import Window, WindowError, parse_instant, resolve_window, scheduled_window


def at(hour: int, minute: int = 0, second: int = 0, day: int = 13) -> datetime:
    return datetime(2025, 1, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        (at(7, 10), at(5), at(7)),  # the scheduled run at HH:10
        (at(7, 0), at(5), at(7)),
        (at(7, 59, 59), at(5), at(7)),
        (at(1, 10), at(23, day=12), at(1)),  # across midnight
    ],
)
def test_scheduled_window_is_the_last_two_whole_hours(
    now: datetime, start: datetime, end: datetime
) -> None:
    window = scheduled_window(now)
    assert (window.start, window.end) == (start, end)
    assert window.hours == 2


def test_scheduled_window_reads_now_in_any_zone_as_utc() -> None:
    now = datetime(2025, 1, 13, 9, 10, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("Europe/Berlin")
    )
    assert scheduled_window(now) == Window(at(7), at(9))


def test_resolve_window_without_bounds_is_scheduled_and_with_bounds_is_backfill() -> None:
    assert resolve_window(None, None, at(7, 10)) == Window(at(5), at(7))
    assert resolve_window("2025-01-13", "2025-01-14T00:00:00Z", at(7)) == Window(
        at(0), at(0, day=14)
    )
    # only a start: up to the end of the scheduled window
    assert resolve_window("2025-01-13T01:00:00+00:00", None, at(7, 10)) == Window(at(1), at(7))


def test_parse_instant_takes_offsets_and_naive_times_as_utc() -> None:
    assert parse_instant("2025-01-13T09:00:00+02:00") == at(7)
    assert parse_instant("2025-01-13 07:00:00") == at(7)
    assert parse_instant("2025-01-13T07:00:00Z") == at(7)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2025-01-13T07:30:00Z", "2025-01-13T09:00:00Z", "whole hour"),
        ("2025-01-13T09:00:00Z", "2025-01-13T07:00:00Z", "must be after"),
        ("2025-01-13T09:00:00Z", "2025-01-13T09:00:00Z", "must be after"),
        ("yesterday", "2025-01-13T09:00:00Z", "ISO 8601"),
        (None, "2025-01-13T09:00:00Z", "--end needs --start"),
    ],
)
def test_bad_windows_fail_with_a_clear_message(start: str | None, end: str, message: str) -> None:
    with pytest.raises(WindowError, match=message):
        resolve_window(start, end, at(12))


def test_chunks_cover_the_window_exactly_in_order() -> None:
    window = Window(at(0), at(0, day=14) + timedelta(hours=5))
    chunks = list(window.chunks(7))
    assert chunks[0].start == window.start
    assert chunks[-1].end == window.end
    assert all(a.end == b.start for a, b in itertools.pairwise(chunks))
    assert [c.hours for c in chunks] == [7, 7, 7, 7, 1]


def test_window_keys_bracket_every_key_of_the_window() -> None:
    window = Window(at(5), at(7))
    assert window.start_key() == "2025-01-13 05:00:00"
    assert "2025-01-13 06:59:59" < window.last_key() < "2025-01-13 07:00:00"
    assert window.last_key() > "2025-01-13 06:59:59.5"
