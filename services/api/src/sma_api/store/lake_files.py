"""The lake's partition folders on disk: which files a query needs, found with os.scandir.

DuckDB lists every file a glob matches on every query, which costs seconds on a lake of many
small files, so the DuckDB store reads an explicit list of files from the partition folders it
needs, never a `**` glob.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sma.tickers import is_valid
from sma_api.errors import BackendUnavailable, TickerNotFound

logger = logging.getLogger(__name__)

_HOUR = timedelta(hours=1)


class LakeFiles:
    """`<lake>/ticker=X/date=YYYY-MM-DD/hour=HH/*.parquet`, listed on demand."""

    def __init__(self, lake: Path) -> None:
        # Paths as text: a pathlib object per folder entry cost more than the listing.
        self.lake = str(lake)

    def subdirs(self, parent: str, key: str) -> list[tuple[str, str]]:
        """(value, path) of each `key=value` folder under `parent`, sorted by value."""
        prefix = f"{key}="
        cut = len(prefix)
        try:
            with os.scandir(parent) as entries:
                found = [
                    (e.name[cut:], e.path)
                    for e in entries
                    if e.name.startswith(prefix) and e.is_dir()
                ]
        except FileNotFoundError:
            if parent == self.lake:
                raise BackendUnavailable("the lake folder does not exist") from None
            return []
        except OSError as exc:
            logger.warning("cannot list %s: %s", parent, exc)
            raise BackendUnavailable("the lake folder is not readable") from exc
        return sorted(found)

    def tickers(self) -> list[tuple[str, str]]:
        return [(t, p) for t, p in self.subdirs(self.lake, "ticker") if is_valid(t)]

    def dates(self, ticker: str, ticker_dir: str | None = None) -> list[tuple[date, str]]:
        """The ticker's date partitions, oldest first."""
        if not is_valid(ticker):
            raise TickerNotFound(ticker)
        if ticker_dir is None:
            if not os.path.isdir(self.lake):
                raise BackendUnavailable("the lake folder is not readable")
            ticker_dir = os.path.join(self.lake, f"ticker={ticker}")
        found: list[tuple[date, str]] = []
        for value, path in self.subdirs(ticker_dir, "date"):
            try:
                found.append((date.fromisoformat(value), path))
            except ValueError:
                logger.warning("ignoring a folder that is no date partition: %s", path)
        return sorted(found)

    def hours(self, day: date, day_dir: str) -> list[tuple[datetime, str]]:
        """(start of the hour, folder) of a date's valid hour partitions, oldest first."""
        found = []
        for value, hour_dir in self.subdirs(day_dir, "hour"):
            if len(value) == 2 and value.isdigit() and int(value) < 24:
                found.append(
                    (datetime(day.year, day.month, day.day, int(value), tzinfo=UTC), hour_dir)
                )
        return found

    def files(self, hour_dir: str) -> list[str]:
        try:
            with os.scandir(hour_dir) as entries:
                return sorted(e.path for e in entries if _is_data_file(e.name) and e.is_file())
        except FileNotFoundError:
            return []
        except OSError as exc:
            logger.warning("cannot list %s: %s", hour_dir, exc)
            raise BackendUnavailable("the lake folder is not readable") from exc

    def between(self, ticker: str, start: datetime, end: datetime) -> list[str]:
        """Files of the ticker's hour partitions that overlap [start, end)."""
        files: list[str] = []
        first_day, last_day = start.astimezone(UTC).date(), end.astimezone(UTC).date()
        for day, day_dir in self.dates(ticker):
            if first_day <= day <= last_day:
                for hour_start, hour_dir in self.hours(day, day_dir):
                    if hour_start < end and hour_start + _HOUR > start:
                        files.extend(self.files(hour_dir))
        return files

    def newest_hours(
        self, dates: list[tuple[date, str]], count: int
    ) -> tuple[list[str], datetime | None, bool]:
        """Files of the `count` newest hour partitions, the oldest hour taken, and whether
        those are all the ticker's hours."""
        files: list[str] = []
        oldest: datetime | None = None
        taken = 0
        for day, day_dir in reversed(dates):
            for hour_start, hour_dir in reversed(self.hours(day, day_dir)):
                if taken == count:
                    return files, oldest, False
                files.extend(self.files(hour_dir))
                oldest = hour_start
                taken += 1
        return files, oldest, True


def _is_data_file(name: str) -> bool:
    # Spark leaves _SUCCESS markers and .crc checksums beside its part files.
    return name.endswith(".parquet") and not name.startswith((".", "_"))
