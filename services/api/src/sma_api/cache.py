"""How long an answer stays true: until the job's next hourly refresh lands.

The job starts at minute `refresh_minute` of every hour and its data is in place within
`grace_seconds`; until then every answer stays what it is, so it can be cached that long, both
here (an in-process TTL cache keyed by query, which spares repeat Athena queries) and by clients
(`Cache-Control: max-age`).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RefreshClock:
    """When the next refresh is expected; answers are fresh until then."""

    refresh_minute: int = 10
    grace_seconds: int = 300

    def next_refresh(self, now: datetime) -> datetime:
        """The first expected refresh strictly after `now` (UTC)."""
        now = now.astimezone(UTC)
        hour = now.replace(minute=0, second=0, microsecond=0)
        ready = hour + timedelta(minutes=self.refresh_minute, seconds=self.grace_seconds)
        while ready <= now:
            ready += timedelta(hours=1)
        while ready - timedelta(hours=1) > now:
            ready -= timedelta(hours=1)
        return ready

    def seconds_left(self, now: datetime | None = None) -> int:
        """Whole seconds until the next refresh, at least 1."""
        now = now or datetime.now(UTC)
        return max(1, int((self.next_refresh(now) - now).total_seconds()))


class TTLCache:
    """A small thread-safe cache whose entries all expire at the next refresh.

    Values are computed outside the lock: two threads missing the same key may both compute it,
    which costs a query but never blocks other keys behind a slow one.
    """

    def __init__(
        self,
        clock: RefreshClock,
        max_entries: int = 4096,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        version: Callable[[], str | None] | None = None,
    ) -> None:
        self._clock = clock
        # The refresh marker's version (sma_api.refresh_marker): a new one drops every entry.
        self._version = version
        self._seen_version: str | None = None
        self._max_entries = max_entries
        self._now = now
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[datetime, object]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        now = self._now()
        version = self._version() if self._version is not None else None
        with self._lock:
            if version != self._seen_version:
                self._entries.clear()
                self._seen_version = version
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[1]  # type: ignore[return-value]
            self.misses += 1
        value = compute()
        # Expiry by the wall clock: the refresh it waits for is a wall-clock time.
        expires = self._clock.next_refresh(now)
        with self._lock:
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
