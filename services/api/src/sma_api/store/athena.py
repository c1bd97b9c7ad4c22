"""The cloud backend: Athena over the Glue table (queries run by `athena_runner`).

A ticker's date partitions come from Athena's partition metadata table (`"table$partitions"`, no
data read); the data queries are the shared plans of `store.base`, whose date bounds prune
partitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sma_api import sql
from sma_api.config import Settings
from sma_api.errors import BackendUnavailable, TickerNotFound
from sma_api.refresh_marker import RefreshMarker
from sma_api.rows import SmaRow, as_utc, row_from_record
from sma_api.store.athena_runner import STOP_TIMEOUT_SECONDS, AthenaRunner
from sma_api.store.base import TICKS_PER_DAY, Scope, SmaStore, TickerLatest

__all__ = ["STOP_TIMEOUT_SECONDS", "AthenaStore"]


class AthenaStore(SmaStore):
    """Queries `database.table` in `workgroup`; results older than one refresh are not reused."""

    name = "athena"

    def __init__(
        self, runner: AthenaRunner, *, table: str, ticks_per_day: int = TICKS_PER_DAY
    ) -> None:
        self.source = sql.table_source(runner.database, table)
        self._partitions = sql.partitions_source(runner.database, table)
        self.ticks_per_day = ticks_per_day
        self._runner = runner

    def follow_refresh_marker(self, marker: RefreshMarker) -> None:
        """Reuse no Athena result older than the newest completed run (the job's marker)."""
        self._runner.marker = marker

    @classmethod
    def from_settings(cls, settings: Settings) -> AthenaStore:
        if not settings.athena_workgroup:
            raise ValueError("the Athena store needs ATHENA_WORKGROUP")
        runner = AthenaRunner(
            database=settings.glue_database_name,
            workgroup=settings.athena_workgroup,
            output_location=settings.athena_output_location,
            region=settings.aws_region,
            poll_seconds=settings.athena_poll_seconds,
            timeout_seconds=settings.query_timeout_seconds,
            result_reuse_minutes=settings.athena_result_reuse_minutes,
        )
        return cls(
            runner, table=settings.glue_table_name, ticks_per_day=settings.lookback_ticks_per_day
        )

    # -- the interface -------------------------------------------------------------------

    def latest_many(self, tickers: Sequence[str]) -> dict[str, SmaRow]:
        wanted = set(tickers)
        pairs = sorted((t, d) for t, d in self._newest_dates().items() if t in wanted)
        found: dict[str, SmaRow] = {}
        if pairs:
            text = sql.latest_many_sql(self.source, len(pairs))
            for record in self._runner.records(text, sql.pairs_params(pairs)):
                found[str(record["ticker"])] = row_from_record(record)
        for ticker, _ in pairs:
            if ticker not in found:  # an empty newest partition: look further back
                try:
                    found[ticker] = self.latest(ticker)
                except TickerNotFound:
                    continue
        return found

    def tickers(self) -> list[TickerLatest]:
        newest = self._newest_dates()
        found: dict[str, datetime] = {}
        if newest:
            pairs = sorted(newest.items())
            text = sql.tickers_sql(self.source, len(pairs))
            for ticker, stamp in self._runner.rows(text, sql.pairs_params(pairs)):
                if isinstance(stamp, datetime):
                    found[str(ticker)] = as_utc(stamp)
        return self._complete_tickers(set(newest), found)

    def ping(self) -> None:
        self._runner.ping()

    # -- the shared plans' hooks ---------------------------------------------------------

    def _date_span(self, ticker: str) -> tuple[date, date] | None:
        found = self._runner.rows(sql.date_span_sql(self._partitions), [ticker])
        if not found or found[0][1] is None:
            return None
        first, newest = found[0]
        if not isinstance(first, date) or not isinstance(newest, date):
            raise BackendUnavailable("Athena returned an unexpected partition date")
        return first, newest

    def _select(
        self, text: str, params: list[sql.Param], scope: Scope | None
    ) -> list[dict[str, object]]:
        return self._runner.records(text, params)  # the text's date bounds prune partitions

    def _newest_dates(self) -> dict[str, date]:
        newest: dict[str, date] = {}
        for ticker, day in self._runner.rows(sql.newest_dates_sql(self._partitions), []):
            if not isinstance(day, date):
                raise BackendUnavailable("Athena returned an unexpected partition date")
            newest[str(ticker)] = day
        return newest
