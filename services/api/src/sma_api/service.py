"""The API's logic between the routes and a store: ranges, defaults, crossovers, caching."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Concatenate, Final, ParamSpec, TypeVar

from sma_api.cache import TTLCache
from sma_api.crossovers import CrossoverEvent, find_crossovers
from sma_api.deadline import request_deadline
from sma_api.errors import InvalidRange, TickerNotFound
from sma_api.rows import SmaRow, as_utc
from sma_api.sql import Order
from sma_api.store.base import SmaStore, TickerLatest

T = TypeVar("T")
P = ParamSpec("P")

DEFAULT_SPAN: Final[timedelta] = timedelta(hours=24)
# Tick times are whole seconds (the source's format), so ending the default range one second
# after the newest tick takes exactly the ticks up to and including it, in every backend.
_AFTER_NEWEST: Final[timedelta] = timedelta(seconds=1)
# Ticks read to find crossovers: far above a month of minute ticks, far below what hurts.
SIGNAL_ROW_CAP: Final[int] = 500_000


@dataclass(frozen=True, slots=True)
class HistoryResult:
    rows: list[SmaRow]
    start: datetime
    end: datetime
    truncated: bool


@dataclass(frozen=True, slots=True)
class SignalsResult:
    events: list[CrossoverEvent]
    start: datetime
    end: datetime
    ticks: int


@dataclass(frozen=True, slots=True)
class _Missing:
    """A cached 'no data for this ticker', so unknown tickers do not cost a query each time."""

    ticker: str


def _one_request(
    answer: Callable[Concatenate[SmaService, P], T],
) -> Callable[Concatenate[SmaService, P], T]:
    """An answer is one request: every query it runs shares one deadline (`sma_api.deadline`)."""

    @functools.wraps(answer)
    def within_deadline(service: SmaService, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with request_deadline(service.deadline_seconds):
            return answer(service, *args, **kwargs)

    return within_deadline


class SmaService:
    """Answers the endpoints' questions from a store, remembering answers until the next refresh.

    Each answer runs its queries within one deadline of `deadline_seconds` (None: none).
    """

    def __init__(
        self,
        store: SmaStore,
        cache: TTLCache | None = None,
        *,
        max_signal_span: timedelta = timedelta(days=31),
        deadline_seconds: float | None = None,
    ) -> None:
        self.store = store
        self.cache = cache
        self.max_signal_span = max_signal_span
        self.deadline_seconds = deadline_seconds

    @_one_request
    def latest(self, ticker: str) -> SmaRow:
        def lookup() -> SmaRow | _Missing:
            try:
                return self.store.latest(ticker)
            except TickerNotFound:
                return _Missing(ticker)

        found = self._cached(("latest", ticker), lookup)
        if isinstance(found, _Missing):
            raise TickerNotFound(ticker)
        return found

    @_one_request
    def history(
        self,
        ticker: str,
        start: datetime | None,
        end: datetime | None,
        limit: int,
        order: Order,
    ) -> HistoryResult:
        newest = self.latest(ticker).last_refreshed
        lo, hi = resolve_range(start, end, newest)
        rows = self._cached(
            ("history", ticker, lo, hi, limit, order),
            lambda: self.store.history(ticker, lo, hi, limit, order),
        )
        return HistoryResult(rows, lo, hi, truncated=len(rows) >= limit)

    @_one_request
    def signals(self, ticker: str, start: datetime | None, end: datetime | None) -> SignalsResult:
        newest = self.latest(ticker).last_refreshed
        lo, hi = resolve_range(start, end, newest, max_span=self.max_signal_span)

        def compute() -> SignalsResult:
            rows = self.store.history(ticker, lo, hi, SIGNAL_ROW_CAP, "asc")
            return SignalsResult(find_crossovers(rows), lo, hi, len(rows))

        return self._cached(("signals", ticker, lo, hi), compute)

    @_one_request
    def tickers(self) -> list[TickerLatest]:
        return self._cached(("tickers",), self.store.tickers)

    @_one_request
    def ping(self) -> None:
        self.store.ping()

    def _cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        if self.cache is None:
            return compute()
        return self.cache.get_or_compute(key, compute)


def resolve_range(
    start: datetime | None,
    end: datetime | None,
    newest: datetime,
    *,
    span: timedelta = DEFAULT_SPAN,
    max_span: timedelta | None = None,
) -> tuple[datetime, datetime]:
    """[start, end) in UTC; a missing bound lies `span` from the other, or from the newest tick.

    Naive datetimes are taken as UTC; `start >= end` and ranges over `max_span` are refused.
    """
    try:
        lo = as_utc(start) if start is not None else None
        hi = as_utc(end) if end is not None else None
        if lo is None and hi is None:
            hi = newest.astimezone(UTC) + _AFTER_NEWEST
        if hi is None:
            assert lo is not None
            hi = lo + span
        if lo is None:
            lo = hi - span
    except OverflowError:
        raise InvalidRange("start or end lies too close to the ends of the calendar") from None
    if lo >= hi:
        raise InvalidRange(f"start ({lo.isoformat()}) must be before end ({hi.isoformat()})")
    if max_span is not None and hi - lo > max_span:
        raise InvalidRange(f"the range may span at most {max_span.days} days")
    return lo, hi
