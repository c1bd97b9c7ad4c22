"""The API's logic between the answers and a store: ranges, defaults, SMAs, crossovers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sma.ticks import CleanTick
from sma_api.computed import columns_for, computed_windows, stored_tick, ticks_from
from sma_api.crossovers import CrossoverEvent, find_crossovers
from sma_api.deadline import one_request
from sma_api.errors import InvalidRange
from sma_api.rows import SmaRow, Tick, as_utc
from sma_api.spec import SmaSpec
from sma_api.sql import Order
from sma_api.store.base import SmaStore, TickerLatest

DEFAULT_SPAN: Final[timedelta] = timedelta(hours=24)
# Tick times are whole seconds (the source's format), so ending the default range one second
# after the newest tick takes exactly the ticks up to and including it, in every backend.
_AFTER_NEWEST: Final[timedelta] = timedelta(seconds=1)
# Ticks read to find crossovers: far above a month of minute ticks, far below what hurts.
SIGNAL_ROW_CAP: Final[int] = 500_000
_EPOCH: Final[datetime] = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class HistoryResult:
    ticks: list[Tick]
    start: datetime
    end: datetime
    truncated: bool


@dataclass(frozen=True, slots=True)
class SignalsResult:
    events: list[CrossoverEvent]
    start: datetime
    end: datetime
    ticks: int


class SmaService:
    """Answers the endpoints' questions from a store (caching is the answers' business).

    Each answer runs its queries within one deadline of `deadline_seconds` (None: none).
    """

    def __init__(
        self,
        store: SmaStore,
        *,
        max_signal_span: timedelta = timedelta(days=31),
        deadline_seconds: float | None = None,
    ) -> None:
        self.store = store
        self.max_signal_span = max_signal_span
        self.deadline_seconds = deadline_seconds

    @one_request
    def latest(self, ticker: str, spec: SmaSpec) -> Tick:
        """The newest tick of `ticker` with the SMAs `spec` asks for."""
        if spec.stored:
            return stored_tick(self.store.latest(ticker), spec)
        count = spec.lookback + 1
        series = self.store.recent(ticker, count, columns_for(spec))
        return ticks_from(series, len(series) - 1, spec)[0]

    def live_tick(self, ticks: Sequence[CleanTick], spec: SmaSpec) -> Tick:
        """The newest of `ticks` (clean, in time order, from the source table) with every SMA
        of `spec` computed from their bid prices."""
        series = [
            SmaRow(_EPOCH + timedelta(microseconds=t.micros), t.ask_price, t.bid_price, {})
            for t in ticks
        ]
        return ticks_from(series, len(series) - 1, spec, compute=spec.needed)[0]

    @one_request
    def latest_many(self, tickers: Sequence[str]) -> dict[str, Tick]:
        found = self.store.latest_many(tickers)
        return {t: stored_tick(row, SmaSpec()) for t, row in found.items()}

    @one_request
    def history(
        self,
        ticker: str,
        start: datetime,
        end: datetime,
        limit: int,
        order: Order,
        *,
        spec: SmaSpec,
    ) -> HistoryResult:
        """At most `limit` ticks of [start, end) in `order`; `truncated` when more exist."""
        if not computed_windows(spec):
            rows = self.store.history(ticker, start, end, limit + 1, order)
            ticks = [stored_tick(r, spec) for r in rows[:limit]]
            return HistoryResult(ticks, start, end, truncated=len(rows) > limit)
        # Newest first, the oldest answered tick's window lies in the range itself when the
        # range holds more ticks: read that many more of it.
        fetch = limit + 1 if order == "asc" else limit + max(1, spec.lookback)
        found = self.store.history_with_lookback(
            ticker,
            start,
            end,
            fetch,
            order,
            lookback=spec.lookback,
            columns=columns_for(spec),
        )
        answered = min(limit, len(found.rows))
        in_time = found.rows if order == "asc" else found.rows[::-1]
        if order == "asc":
            series = found.before + in_time[:answered]
            first = len(found.before)
        else:
            series = found.before + in_time
            first = len(series) - answered
        ticks = ticks_from(series, first, spec)
        if order == "desc":
            ticks.reverse()
        return HistoryResult(ticks, start, end, truncated=len(found.rows) > limit)

    @one_request
    def signals(self, ticker: str, start: datetime, end: datetime, spec: SmaSpec) -> SignalsResult:
        """Crossovers of `spec.short` over `spec.long` in [start, end).

        Each side of an event carries the two SMAs the rule compares, nothing else.
        """
        pair = SmaSpec(windows=(spec.short, spec.long), short=spec.short, long=spec.long)
        found = self.history(ticker, start, end, SIGNAL_ROW_CAP, "asc", spec=pair)
        return SignalsResult(find_crossovers(found.ticks), start, end, len(found.ticks))

    @one_request
    def tickers(self) -> list[TickerLatest]:
        return self.store.tickers()

    @one_request
    def ping(self) -> None:
        self.store.ping()


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
