"""The local backend: embedded DuckDB over the Parquet lake folder, offline.

Each query reads an explicit list of files from the partition folders it needs (`lake_files`),
never a `**` glob. Timestamps are UTC; each worker thread keeps a cursor of its own, since DuckDB
connections are not thread-safe, and one watchdog thread interrupts a query at its deadline.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from sma.schema import DATA_COLUMN_NAMES, PARTITION_KEYS, ColumnType
from sma_api import sql
from sma_api.deadline import seconds_left
from sma_api.errors import BackendUnavailable, TickerNotFound
from sma_api.rows import SmaRow, as_utc, row_from_record
from sma_api.store.base import TICKS_PER_DAY, Scope, SmaStore, TickerLatest
from sma_api.store.lake_files import LakeFiles
from sma_api.store.watchdog import Watchdog

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


class DuckDbStore(SmaStore):
    """Reads `<lake>/ticker=X/date=YYYY-MM-DD/hour=HH/*.parquet` with one in-memory DuckDB."""

    name = "duckdb"
    source = SOURCE

    def __init__(
        self,
        lake: Path,
        *,
        timeout_seconds: float = 20.0,
        threads: int | None = None,
        ticks_per_day: int = TICKS_PER_DAY,
    ) -> None:
        import duckdb

        self._duckdb = duckdb
        self._lake = Path(lake)
        self._files = LakeFiles(self._lake)
        self._timeout = timeout_seconds
        self.ticks_per_day = ticks_per_day
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
        # A top-N over a few small files reads them twice with late materialization (first
        # the sort key, then the rows): twice the cost of the newest-tick lookup.
        with contextlib.suppress(duckdb.Error):  # a DuckDB without the setting
            self._con.execute("SET GLOBAL late_materialization_max_rows = 0")
        self._cursors = threading.local()
        self._watchdog = Watchdog()

    # -- the interface -------------------------------------------------------------------

    def recent(
        self, ticker: str, count: int, columns: tuple[str, ...] = DATA_COLUMN_NAMES
    ) -> list[SmaRow]:
        """First the newest hours that `count` ticks need at the assumed rate, then as the
        shared plan does (whole days, widening)."""
        dates = self._files.dates(ticker)
        if not dates:
            raise TickerNotFound(ticker)
        per_hour = max(self.ticks_per_day / 24, 1.0)
        hours = math.ceil((count - 1) / per_hour) + 1
        files, oldest, everything = self._files.newest_hours(dates, hours)
        if files and oldest is not None:
            since = oldest.date()
            text = sql.recent_sql(self.source, count, columns)
            records = self._run(text, sql.recent_params(ticker, since), files)
            if len(records) >= count or (everything and records):
                return [row_from_record(r) for r in reversed(records)]
        first, newest = dates[0][0], dates[-1][0]
        since = newest - timedelta(days=self._days_for(count - 1))
        return self._recent_from(ticker, count, columns, first=first, newest=newest, since=since)

    def latest_many(self, tickers: Sequence[str]) -> dict[str, SmaRow]:
        pairs: list[tuple[str, date]] = []
        files: list[str] = []
        for ticker in tickers:
            dates = self._files.dates(ticker)
            if dates:
                newest, _, _ = self._files.newest_hours(dates, 1)
                pairs.append((ticker, dates[-1][0]))
                files += newest
        found: dict[str, SmaRow] = {}
        if files:
            text = sql.latest_many_sql(self.source, len(pairs))
            for record in self._run(text, sql.pairs_params(pairs), files):
                found[str(record["ticker"])] = row_from_record(record)
        for ticker, _ in pairs:
            if ticker not in found:  # an empty newest hour: look further back
                try:
                    found[ticker] = self.latest(ticker)
                except TickerNotFound:
                    continue
        return found

    def tickers(self) -> list[TickerLatest]:
        newest: dict[str, date] = {}
        files: list[str] = []
        for ticker, ticker_dir in self._files.tickers():
            dates = self._files.dates(ticker, ticker_dir)
            if dates:
                newest[ticker] = dates[-1][0]
                files += self._files.newest_hours(dates, 1)[0]
        found: dict[str, datetime] = {}
        if files:
            text = sql.tickers_sql(self.source, len(newest))
            for record in self._run(text, sql.pairs_params(list(newest.items())), files):
                found[str(record["ticker"])] = as_utc(_timestamp(record["last_refreshed"]))
        return self._complete_tickers(set(newest), found)

    def ping(self) -> None:
        if not self._lake.is_dir():
            raise BackendUnavailable("the lake folder is not readable")
        self._execute("SELECT 1", [])

    # -- the shared plans' hooks ---------------------------------------------------------

    def _date_span(self, ticker: str) -> tuple[date, date] | None:
        dates = self._files.dates(ticker)
        return (dates[0][0], dates[-1][0]) if dates else None

    def _select(
        self, text: str, params: list[sql.Param], scope: Scope | None
    ) -> list[dict[str, object]]:
        if scope is None:
            raise ValueError("the DuckDB store needs a scope to find the files of a query")
        files = self._files.between(scope.ticker, scope.start, scope.end)
        return self._run(text, params, files) if files else []

    # -- queries -------------------------------------------------------------------------

    def _run(self, text: str, params: list[sql.Param], files: list[str]) -> list[dict[str, object]]:
        return self._execute(text, sql.duckdb_params(params, files))

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cursor: duckdb.DuckDBPyConnection | None = getattr(self._cursors, "cursor", None)
        if cursor is None:
            # DuckDB connections are not thread-safe; a cursor is a connection of its own.
            cursor = self._cursors.cursor = self._con.cursor()
        return cursor

    def _execute(self, query: str, params: list[object]) -> list[dict[str, object]]:
        # What is left of the request's deadline, at most this store's own timeout per query.
        timeout = seconds_left(self._timeout)
        if timeout <= 0:
            raise BackendUnavailable("the request's deadline passed before its next query")
        try:
            cursor = self._cursor()
            token = self._watchdog.watch(timeout, cursor.interrupt)
            try:
                cursor.execute(query, params)
                names = [d[0] for d in cursor.description or ()]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            finally:
                if self._watchdog.done(token):
                    # Interrupted (or about to be): this cursor starts no further query.
                    self._cursors.cursor = None
                    cursor.close()
        except self._duckdb.InterruptException as exc:
            raise BackendUnavailable(f"query took longer than {timeout:g} s") from exc
        except (self._duckdb.Error, OSError) as exc:
            logger.warning("DuckDB query failed: %s", exc)
            raise BackendUnavailable("the lake could not be read") from exc


def _timestamp(value: object) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"expected a timestamp, got {type(value).__name__}")
    return value
