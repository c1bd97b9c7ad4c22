"""The interface every data backend implements, and the query plans both share.

A store answers with `SmaRow`s; the plans (which SQL, which partitions, when to widen) are the
same for Athena and DuckDB, so both backends run the same texts in the same order. Each backend
supplies `_select` (run one text over the partitions of a `Scope`) and `_date_span` (a ticker's
first and newest date partition, from metadata or folder names, never from data files).
"""

from __future__ import annotations

import abc
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from sma.schema import DATA_COLUMN_NAMES
from sma_api import sql
from sma_api.errors import TickerNotFound
from sma_api.rows import SmaRow, row_from_record
from sma_api.sql import Order

# When a first read finds too few ticks (gaps in the data, or the start of a ticker's history),
# the next one reaches this much further back, then to the first partition.
WIDEN: Final[timedelta] = timedelta(days=7)
# Ticks per day the lookback estimate assumes: the producer writes one tick a minute.
TICKS_PER_DAY: Final[int] = 24 * 60


@dataclass(frozen=True, slots=True)
class TickerLatest:
    """A ticker with data and the time of its newest tick (UTC-aware)."""

    ticker: str
    last_refreshed: datetime


@dataclass(frozen=True, slots=True)
class Scope:
    """The partitions a query may read: one ticker, the hours that overlap [start, end)."""

    ticker: str
    start: datetime
    end: datetime

    @classmethod
    def dates(cls, ticker: str, first: date, last: date) -> Scope:
        """Whole date partitions, `first` to `last` inclusive."""
        return cls(ticker, _midnight(first), _midnight(last) + timedelta(days=1))


@dataclass(frozen=True, slots=True)
class RangeRows:
    """Ticks of a range in the order asked, and the lookback before its start, oldest first."""

    rows: list[SmaRow]
    before: list[SmaRow]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class SmaStore(abc.ABC):
    """Read access to the output table. Tickers are already normalised (``BTCUSD``).

    Implementations raise ``TickerNotFound`` for a ticker with no data and ``BackendUnavailable``
    for any failure of the backend itself, never a library's own exception.
    """

    name: str
    source: str  # the FROM source of every text
    ticks_per_day: int = TICKS_PER_DAY

    # -- what each backend supplies ------------------------------------------------------

    @abc.abstractmethod
    def _select(
        self, text: str, params: list[sql.Param], scope: Scope | None
    ) -> list[dict[str, object]]:
        """Records of one query; `scope` bounds the partitions it needs (None: the newest ones
        the text's own parameters name, for the multi-ticker texts)."""

    @abc.abstractmethod
    def _date_span(self, ticker: str) -> tuple[date, date] | None:
        """The ticker's first and newest date partitions, without reading data files."""

    @abc.abstractmethod
    def latest_many(self, tickers: Sequence[str]) -> dict[str, SmaRow]:
        """The newest tick of each ticker that has data, in one query of its newest partitions."""

    @abc.abstractmethod
    def tickers(self) -> list[TickerLatest]:
        """Every ticker with data, sorted, with its newest tick time."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Return when the backend answers; raise BackendUnavailable otherwise."""

    # -- the plans -----------------------------------------------------------------------

    def latest(self, ticker: str) -> SmaRow:
        """The newest tick of `ticker`, reading only its newest partitions."""
        return self.recent(ticker, 1)[-1]

    def recent(
        self, ticker: str, count: int, columns: tuple[str, ...] = DATA_COLUMN_NAMES
    ) -> list[SmaRow]:
        """The newest `count` ticks (fewer where the history is shorter), oldest first.

        The first read covers the days that `count` minute ticks span back from the newest
        partition; it widens (a week further, then everything) only when that held too few.
        """
        span = self._date_span(ticker)
        if span is None:
            raise TickerNotFound(ticker)
        first, newest = span
        since = newest - timedelta(days=self._days_for(count - 1))
        return self._recent_from(ticker, count, columns, first=first, newest=newest, since=since)

    def _recent_from(
        self,
        ticker: str,
        count: int,
        columns: tuple[str, ...],
        *,
        first: date,
        newest: date,
        since: date,
    ) -> list[SmaRow]:
        text = sql.recent_sql(self.source, count, columns)
        records: list[dict[str, object]] = []
        for bound in self._bounds(first, since):
            scope = Scope.dates(ticker, bound, newest)
            records = self._select(text, sql.recent_params(ticker, bound), scope)
            if len(records) >= count:
                break
        if not records:
            raise TickerNotFound(ticker)
        return [row_from_record(r) for r in reversed(records)]

    def history(
        self,
        ticker: str,
        start: datetime,
        end: datetime,
        limit: int,
        order: Order,
        *,
        columns: tuple[str, ...] = DATA_COLUMN_NAMES,
    ) -> list[SmaRow]:
        """At most `limit` ticks with start <= last_refreshed < end, in `order` of time."""
        text = sql.history_sql(self.source, order, limit, columns)
        records = self._select(
            text, sql.history_params(ticker, start, end), Scope(ticker, start, end)
        )
        return [row_from_record(r) for r in records]

    def history_with_lookback(
        self,
        ticker: str,
        start: datetime,
        end: datetime,
        limit: int,
        order: Order,
        *,
        lookback: int,
        columns: tuple[str, ...],
    ) -> RangeRows:
        """`history`, plus the `lookback` ticks before `start` (fewer where history ends).

        One query (`sql.history_lookback_sql`) reads the range and the days that `lookback`
        minute ticks span before it; only when those days held too few ticks does a second,
        bounded step read further back (`_more_before`).
        """
        if lookback < 1:
            return RangeRows(self.history(ticker, start, end, limit, order, columns=columns), [])
        first = sql.utc_date(start) - timedelta(days=self._days_for(lookback))
        text = sql.history_lookback_sql(self.source, order, limit, lookback, columns)
        params = sql.history_params(ticker, start, end) + sql.before_params(ticker, first, start)
        scope = Scope(ticker, min(start, _midnight(first)), end)
        rows: list[SmaRow] = []
        before: list[SmaRow] = []
        for record in self._select(text, params, scope):
            row = row_from_record(record)
            (before if row.last_refreshed < start else rows).append(row)
        rows.sort(key=_time, reverse=order == "desc")
        before.sort(key=_time)
        if len(before) < lookback:
            before = self._more_before(
                ticker, before, start=start, lookback=lookback, searched_from=first, columns=columns
            )
        return RangeRows(rows, before)

    def _more_before(
        self,
        ticker: str,
        before: list[SmaRow],
        *,
        start: datetime,
        lookback: int,
        searched_from: date,
        columns: tuple[str, ...],
    ) -> list[SmaRow]:
        """Ticks before those found, from dates before `searched_from`, if there are any."""
        span = self._date_span(ticker)
        if span is None or span[0] >= searched_from:
            return before  # the search already reached the ticker's first partition
        until = before[0].last_refreshed if before else start
        wanted = lookback - len(before)
        text = sql.before_sql(self.source, wanted, columns)
        found: list[dict[str, object]] = []
        for bound in self._bounds(span[0], searched_from - WIDEN):
            scope = Scope(ticker, _midnight(bound), until)
            found = self._select(text, sql.before_params(ticker, bound, until), scope)
            if len(found) >= wanted:
                break
        return [row_from_record(r) for r in reversed(found)] + before

    # -- helpers -------------------------------------------------------------------------

    def _days_for(self, ticks: int) -> int:
        """Whole days before a date partition that hold `ticks` ticks at `ticks_per_day`."""
        return math.ceil(max(ticks, 0) / max(self.ticks_per_day, 1))

    @staticmethod
    def _bounds(first: date, since: date) -> list[date]:
        """Ever earlier lower date bounds: `since`, a week before it, everything."""
        bounds = [since]
        for bound in (since - WIDEN, sql.ALL_DATES):
            if bounds[-1] > first:
                bounds.append(max(bound, sql.ALL_DATES))
        return bounds

    def _complete_tickers(
        self, candidates: set[str], found: dict[str, datetime]
    ) -> list[TickerLatest]:
        """`found` plus, for each candidate its newest partition left out (an empty newest hour),
        the newest tick from further back; sorted."""
        for ticker in candidates - found.keys():
            try:
                found[ticker] = self.latest(ticker).last_refreshed
            except TickerNotFound:
                continue
        return [TickerLatest(t, found[t]) for t in sorted(found)]


def _time(row: SmaRow) -> datetime:
    return row.last_refreshed
