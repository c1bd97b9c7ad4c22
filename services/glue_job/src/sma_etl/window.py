"""Which ticks a run processes: the scheduled window, backfill windows and their chunks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sma.schema import SOURCE_TIME_FORMAT

HOUR = timedelta(hours=1)
# The scheduled run re-does the last two whole hours so ticks that arrive late are picked up.
SCHEDULED_HOURS = 2


class WindowError(ValueError):
    """A window that cannot be processed as asked."""


@dataclass(frozen=True, slots=True)
class Window:
    """Ticks with ``start <= last_refreshed < end`` (UTC, whole hours)."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name, value in (("start", self.start), ("end", self.end)):
            if value.tzinfo is None or value.utcoffset() != timedelta(0):
                raise WindowError(f"window {name} must be a UTC time, got {value.isoformat()}")
            if value != floor_hour(value):
                # The run replaces whole hour partitions: a partial hour would drop the rest of it.
                raise WindowError(f"window {name} must be on a whole hour, got {value.isoformat()}")
        if self.end <= self.start:
            raise WindowError(
                f"window end {self.end.isoformat()} must be after start {self.start.isoformat()}"
            )

    @property
    def hours(self) -> int:
        return int((self.end - self.start) / HOUR)

    def start_key(self) -> str:
        """The source sort key of the window's first second."""
        return self.start.strftime(SOURCE_TIME_FORMAT)

    def last_key(self) -> str:
        """An upper bound for every source sort key inside the window.

        The key of the last second plus a character above any that a time string holds, so a
        key with fractions of a second still falls in its own window (and is then judged).
        """
        return (self.end - timedelta(seconds=1)).strftime(SOURCE_TIME_FORMAT) + "\uffff"

    def as_json(self) -> list[str]:
        return [iso(self.start), iso(self.end)]

    def chunks(self, hours: int) -> Iterator[Window]:
        """The window cut into consecutive windows of at most `hours` hours."""
        if hours < 1:
            raise WindowError(f"chunk size must be at least one hour, got {hours}")
        start = self.start
        while start < self.end:
            end = min(start + hours * HOUR, self.end)
            yield Window(start, end)
            start = end


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_hour(when: datetime) -> datetime:
    return when.replace(minute=0, second=0, microsecond=0)


def scheduled_window(now: datetime) -> Window:
    """The window of the run started at `now`: at HH:10 UTC, ``[HH-2:00, HH:00)``."""
    end = floor_hour(now.astimezone(UTC))
    return Window(end - SCHEDULED_HOURS * HOUR, end)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 time or date as an aware UTC datetime; no offset means UTC."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise WindowError(
            f"cannot read {text!r} as a time: use ISO 8601, e.g. 2025-01-13T07:00:00Z or 2025-01-13"
        ) from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def resolve_window(start: str | None, end: str | None, now: datetime) -> Window:
    """The backfill window from `start`/`end`, or the scheduled window for `now` when neither."""
    if start is None and end is None:
        return scheduled_window(now)
    if start is None:
        raise WindowError("--end needs --start: a backfill names both ends (UTC)")
    end_time = parse_instant(end) if end is not None else scheduled_window(now).end
    return Window(parse_instant(start), end_time)
