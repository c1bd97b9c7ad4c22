"""How long an answer stays true, and the in-process cache that keeps encoded answers that long.

The job starts at minute `refresh_minute` of every hour and its data is in place within
`grace_seconds`; until then every lake answer stays what it is, so it can be cached that long,
both here (an in-process cache keyed by query, which spares repeat Athena queries) and by clients
(`Cache-Control: max-age`). Live answers keep at most `ttl` seconds.

The cache holds encoded answers (bytes), bounded by their total size as well as their number: a
few thousand 10,000-tick histories would otherwise take gigabytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, TypeVar

T = TypeVar("T")

# What an entry costs besides its bytes: its key, the entry itself, the bookkeeping.
ENTRY_OVERHEAD: Final[int] = 512


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


@dataclass(frozen=True, slots=True)
class _Entry:
    expires: datetime
    value: object
    nbytes: int


class TTLCache:
    """A thread-safe LRU cache whose entries expire at the next refresh (or sooner, by `ttl`),
    holding at most `max_entries` entries and `max_bytes` bytes of them.

    Values are computed outside the lock: two threads missing the same key may both compute it,
    which costs a query but never blocks other keys behind a slow one.
    """

    def __init__(
        self,
        clock: RefreshClock,
        max_entries: int = 4096,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        max_bytes: int = 64 * 2**20,
        version: Callable[[], str | None] | None = None,
    ) -> None:
        self._clock = clock
        # The refresh marker's version (sma_api.refresh_marker): a new one drops every entry.
        self._version = version
        self._seen_version: str | None = None
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._now = now
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self.nbytes = 0
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _follow_version(self) -> None:
        """Drop every entry when the job's refresh marker changed (called under the lock)."""
        version = self._version() if self._version is not None else None
        if version != self._seen_version:
            self._entries.clear()
            self.nbytes = 0
            self._seen_version = version

    def get(self, key: Hashable) -> object | None:
        """The live value under `key`, or None (a miss)."""
        now = self._now()
        with self._lock:
            self._follow_version()
            entry = self._entries.get(key)
            if entry is not None and entry.expires > now:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry.value
            self.misses += 1
            return None

    def put(self, key: Hashable, value: object, nbytes: int = 0, ttl: float | None = None) -> None:
        """Keep `value` (about `nbytes` bytes) until the next refresh, or `ttl` s if sooner."""
        now = self._now()
        # Expiry by the wall clock: the refresh it waits for is a wall-clock time.
        expires = self._clock.next_refresh(now)
        if ttl is not None:
            expires = min(expires, now + timedelta(seconds=ttl))
        size = nbytes + ENTRY_OVERHEAD
        with self._lock:
            self._follow_version()
            old = self._entries.pop(key, None)
            if old is not None:
                self.nbytes -= old.nbytes
            if size > self._max_bytes:
                return  # larger than the whole cache: answered, not kept
            self._entries[key] = _Entry(expires, value, size)
            self.nbytes += size
            while len(self._entries) > self._max_entries or self.nbytes > self._max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self.nbytes -= evicted.nbytes

    def get_or_compute(
        self,
        key: Hashable,
        compute: Callable[[], T],
        size: Callable[[T], int] = lambda _: 0,
        ttl: float | None = None,
    ) -> T:
        found = self.get(key)
        if found is not None:
            return found  # type: ignore[return-value]
        value = compute()
        self.put(key, value, size(value), ttl)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.nbytes = 0
