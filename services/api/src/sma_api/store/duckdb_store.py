"""The local backend: embedded DuckDB over the Parquet lake folder, offline.

DuckDB lists every file a glob matches on every query, which costs seconds on a lake of many
small files, so each query reads an explicit list of files from the partition folders it needs
(found with os.scandir), never a `**` glob.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sma.schema import PARTITION_KEYS, ColumnType
from sma.tickers import is_valid
from sma_api import sql
from sma_api.deadline import seconds_left
from sma_api.errors import BackendUnavailable, TickerNotFound
from sma_api.rows import SmaRow, as_utc, row_from_record
from sma_api.sql import Order
from sma_api.store.base import SmaStore, TickerLatest

if TYPE_CHECKING:
    import duckdb

logger = logging.getLogger(__name__)

_DUCKDB_TYPES: Final[dict[ColumnType, str]] = {
    "string": "VARCHAR",
    "date": "DATE",
    "double": "DOUBLE",
    "timestamp": "TIMESTAMP",
}
# Partition values come from the folder names, typed as the Glue table types them (hour stays
# the zero-padded string '07', not the number 7).
_HIVE_TYPES: Final[str] = ", ".join(f"'{c.name}': {_DUCKDB_TYPES[c.type]}" for c in PARTITION_KEYS)
SOURCE: Final[str] = (
    f"read_parquet(?, hive_partitioning = true, hive_types = {{{_HIVE_TYPES}}}, "
    "hive_types_autocast = false)"
)
_WIDEN_DAYS: Final[int] = 7


class DuckDbStore(SmaStore):
    """Reads `<lake>/ticker=X/date=YYYY-MM-DD/hour=HH/*.parquet` with one in-memory DuckDB."""

    name = "duckdb"

    def __init__(
        self, lake: Path, *, timeout_seconds: float = 20.0, threads: int | None = None
    ) -> None:
        import duckdb

        self._duckdb = duckdb
        self._lake = Path(lake)
        self._timeout = timeout_seconds
        config: dict[str, Any] = {
            # Offline by design: parquet is built in; nothing may be downloaded or auto-loaded.
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
        if threads is not None:
            config["threads"] = threads
        self._con: duckdb.DuckDBPyConnection = duckdb.connect(":memory:", config=config)
        # The lake's timestamps are UTC instants: casts and comparisons must not use the
        # machine's zone. GLOBAL, so every cursor (a connection of its own) inherits it.
        self._con.execute("SET GLOBAL TimeZone = 'UTC'")

    # -- the interface -------------------------------------------------------------------

    def latest(self, ticker: str) -> SmaRow:
        dates = self._dates(ticker)
        if not dates:
            raise TickerNotFound(ticker)
        query = sql.latest_sql(SOURCE)
        tried: set[tuple[str, ...]] = set()
        for since, files in self._newest_first(dates):
            key = tuple(files)
            if not files or key in tried:
                continue
            tried.add(key)
            records = self._query(query, files, [ticker, since])
            if records:
                return row_from_record(records[0])
        raise TickerNotFound(ticker)

    def history(
        self, ticker: str, start: datetime, end: datetime, limit: int, order: Order
    ) -> list[SmaRow]:
        files = self._files_between(ticker, start, end)
        if not files:
            return []
        params = sql.history_params(ticker, start, end)
        records = self._query(sql.history_sql(SOURCE, order, limit), files, params)
        return [row_from_record(r) for r in records]

    def tickers(self) -> list[TickerLatest]:
        newest: dict[str, tuple[date, list[str]]] = {}
        for ticker, ticker_dir in self._subdirs(self._lake, "ticker"):
            if not is_valid(ticker):
                continue
            dates = self._dates(ticker, ticker_dir)
            if not dates:
                continue
            day, day_dir = dates[-1]
            hours = self._subdirs(day_dir, "hour")
            files = self._files(hours[-1][1]) if hours else []
            newest[ticker] = (day, files)
        files = [f for _, fs in newest.values() for f in fs]
        found: dict[str, datetime] = {}
        if files:
            params: list[sql.Param] = [v for t, (d, _) in newest.items() for v in (t, d)]
            for record in self._query(sql.tickers_sql(SOURCE, len(newest)), files, params):
                found[str(record["ticker"])] = as_utc(_timestamp(record["last_refreshed"]))
        return self._complete_tickers(set(newest), found)

    def ping(self) -> None:
        if not self._lake.is_dir():
            raise BackendUnavailable("the lake folder is not readable")
        self._execute("SELECT 1", [])

    # -- partitions on disk --------------------------------------------------------------

    def _subdirs(self, parent: Path, key: str) -> list[tuple[str, Path]]:
        """(value, path) of each `key=value` folder under `parent`, sorted by value."""
        prefix = f"{key}="
        try:
            with os.scandir(parent) as entries:
                found = [
                    (e.name[len(prefix) :], Path(e.path))
                    for e in entries
                    if e.name.startswith(prefix) and e.is_dir()
                ]
        except FileNotFoundError:
            if parent == self._lake:
                raise BackendUnavailable("the lake folder does not exist") from None
            return []
        except OSError as exc:
            logger.warning("cannot list %s: %s", parent, exc)
            raise BackendUnavailable("the lake folder is not readable") from exc
        return sorted(found)

    def _dates(self, ticker: str, ticker_dir: Path | None = None) -> list[tuple[date, Path]]:
        if not is_valid(ticker):
            raise TickerNotFound(ticker)
        if ticker_dir is None:
            if not self._lake.is_dir():
                raise BackendUnavailable("the lake folder is not readable")
            ticker_dir = self._lake / f"ticker={ticker}"
        dates: list[tuple[date, Path]] = []
        for value, path in self._subdirs(ticker_dir, "date"):
            try:
                dates.append((date.fromisoformat(value), path))
            except ValueError:
                logger.warning("ignoring a folder that is no date partition: %s", path)
        return sorted(dates)

    def _files(self, hour_dir: Path) -> list[str]:
        try:
            with os.scandir(hour_dir) as entries:
                return sorted(e.path for e in entries if _is_data_file(e.name) and e.is_file())
        except FileNotFoundError:
            return []
        except OSError as exc:
            logger.warning("cannot list %s: %s", hour_dir, exc)
            raise BackendUnavailable("the lake folder is not readable") from exc

    def _day_files(self, day_dir: Path) -> list[str]:
        return [f for _, hour_dir in self._subdirs(day_dir, "hour") for f in self._files(hour_dir)]

    def _newest_first(self, dates: Sequence[tuple[date, Path]]) -> Iterator[tuple[date, list[str]]]:
        """Ever wider (since_date, files) sets: newest hour, newest day, last week, everything."""
        newest, newest_dir = dates[-1]
        hours = self._subdirs(newest_dir, "hour")
        if hours:
            yield newest, self._files(hours[-1][1])
        yield newest, self._day_files(newest_dir)
        week = newest - timedelta(days=_WIDEN_DAYS)
        yield week, [f for d, p in dates if d >= week for f in self._day_files(p)]
        yield sql.ALL_DATES, [f for _, p in dates for f in self._day_files(p)]

    def _files_between(self, ticker: str, start: datetime, end: datetime) -> list[str]:
        """Files of the hour partitions that overlap [start, end)."""
        files: list[str] = []
        start, end = as_utc(start), as_utc(end)
        first_day, last_day = start.date(), end.date()
        for day, day_dir in self._dates(ticker):
            if not first_day <= day <= last_day:
                continue
            for value, hour_dir in self._subdirs(day_dir, "hour"):
                if not (len(value) == 2 and value.isdigit() and int(value) < 24):
                    continue
                hour_start = datetime(day.year, day.month, day.day, int(value), tzinfo=UTC)
                if hour_start < end and hour_start + timedelta(hours=1) > start:
                    files.extend(self._files(hour_dir))
        return files

    # -- queries -------------------------------------------------------------------------

    def _query(
        self, query: str, files: list[str], params: list[sql.Param]
    ) -> list[dict[str, object]]:
        return self._execute(query, [files, *sql.duckdb_params(params)])

    def _execute(self, query: str, params: list[object]) -> list[dict[str, object]]:
        # What is left of the request's deadline, at most this store's own timeout per query.
        timeout = seconds_left(self._timeout)
        if timeout <= 0:
            raise BackendUnavailable("the request's deadline passed before its next query")
        try:
            # DuckDB connections are not thread-safe; a cursor is a connection of its own.
            cursor = self._con.cursor()
            watchdog = threading.Timer(timeout, cursor.interrupt)
            watchdog.daemon = True
            watchdog.start()
            try:
                cursor.execute(query, params)
                names = [d[0] for d in cursor.description or ()]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            finally:
                watchdog.cancel()
                cursor.close()
        except self._duckdb.InterruptException as exc:
            raise BackendUnavailable(f"query took longer than {timeout:g} s") from exc
        except (self._duckdb.Error, OSError) as exc:
            logger.warning("DuckDB query failed: %s", exc)
            raise BackendUnavailable("the lake could not be read") from exc


def _is_data_file(name: str) -> bool:
    # Spark leaves _SUCCESS markers and .crc checksums beside its part files.
    return name.endswith(".parquet") and not name.startswith((".", "_"))


def _timestamp(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"expected a timestamp, got {type(value).__name__}")
    return value
