"""Answers as the routes send them: encoded once, kept in the cache as bytes, reused until the
next refresh (lake) or for `live_seconds` (live).

The cached latest answer is its JSON up to `age_seconds`, which each response completes with
its own now, so a cached answer costs a lookup and a concatenation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeVar

from sma_api import csv_body, encode
from sma_api.cache import TTLCache
from sma_api.deadline import one_request
from sma_api.errors import TickerNotFound
from sma_api.live import LiveSource
from sma_api.service import SmaService, resolve_range
from sma_api.spec import DEFAULT_SPEC, SmaSpec, column
from sma_api.sql import Order

T = TypeVar("T")

LIVE_SECONDS: Final[float] = 30.0


@dataclass(frozen=True, slots=True)
class Body:
    """An encoded JSON answer and its strong ETag."""

    content: bytes
    etag: str


@dataclass(frozen=True, slots=True)
class Latest:
    """A latest answer but for its age: `content(now)` completes it."""

    head: bytes
    newest: datetime
    etag: str  # weak: the bytes differ only in age_seconds from one second to the next
    fresh_until: float | None = None  # live answers: epoch seconds; lake: the next refresh

    def content(self, now: float) -> bytes:
        age = max(0, int(now - self.newest.timestamp()))
        return b"%s%d}" % (self.head, age)


@dataclass(frozen=True, slots=True)
class Many:
    """The latest answers of several tickers and those without data."""

    items: tuple[Latest, ...]
    not_found: tuple[str, ...]
    etag: str

    def content(self, now: float) -> bytes:
        items = b",".join(item.content(now) for item in self.items)
        missing = ",".join(f'"{t}"' for t in self.not_found)
        return b'{"items":[%s],"not_found":[%s]}' % (items, missing.encode())


@dataclass(frozen=True, slots=True)
class Csv:
    """A CSV answer's chunks, produced as they are sent (or replayed from the cache)."""

    chunks: Iterable[bytes]
    filename: str


@dataclass(frozen=True, slots=True)
class _Missing:
    """A cached 'no data for this ticker', so unknown tickers do not cost a query each time."""

    detail: str


def _weak_etag(*parts: bytes) -> str:
    return "W/" + encode.etag_of(b"\x00".join(parts))


def latest_key(ticker: str, spec: SmaSpec, live: bool) -> Hashable:
    return ("live" if live else "latest", ticker, spec)


class Answers:
    """The routes' answers from `service`, through `cache` (None: no cache)."""

    def __init__(
        self,
        service: SmaService,
        cache: TTLCache | None,
        *,
        live: LiveSource | None = None,
        live_seconds: float = LIVE_SECONDS,
    ) -> None:
        self.service = service
        self.cache = cache
        self.live_source = live
        self.live_seconds = live_seconds
        self.deadline_seconds = service.deadline_seconds

    def cached(self, key: Hashable) -> object | None:
        """What the cache holds under `key` (for the routes' fast path)."""
        if self.cache is None:
            return None
        found = self.cache.get(key)
        if isinstance(found, _Missing):
            return None  # let the slow path raise it
        return found

    @one_request
    def latest(self, ticker: str, spec: SmaSpec = DEFAULT_SPEC) -> Latest:
        def compute() -> Latest:
            tick = self.service.latest(ticker, spec)
            head = encode.latest_head(ticker, tick, "lake")
            return Latest(head, tick.last_refreshed, _weak_etag(head))

        return self._remember(latest_key(ticker, spec, live=False), compute)

    @one_request
    def live(self, ticker: str, spec: SmaSpec) -> Latest:
        if self.live_source is None:
            raise TickerNotFound(ticker, "live answers are not configured on this server")
        source = self.live_source

        def compute() -> Latest:
            ticks = source.recent(ticker, max(spec.needed))
            tick = self.service.live_tick(ticks, spec)
            head = encode.latest_head(ticker, tick, "live")
            fresh_until = time.time() + self.live_seconds
            return Latest(head, tick.last_refreshed, _weak_etag(head), fresh_until)

        key = latest_key(ticker, spec, live=True)
        return self._remember(key, compute, ttl=self.live_seconds, keep_missing=False)

    @one_request
    def latest_many(self, tickers: Sequence[str]) -> Many:
        def compute() -> Many:
            found = self.service.latest_many(tickers)
            items = tuple(
                Latest(
                    head := encode.latest_head(t, found[t], "lake"),
                    found[t].last_refreshed,
                    _weak_etag(head),
                )
                for t in tickers
                if t in found
            )
            missing = tuple(t for t in tickers if t not in found)
            etag = _weak_etag(*(i.head for i in items), ",".join(missing).encode())
            return Many(items, missing, etag)

        return self._remember(("many", tuple(tickers)), compute)

    def newest(self, ticker: str) -> datetime:
        """The time of the ticker's newest tick (TickerNotFound without one), from the cache."""
        return self.latest(ticker).newest

    @one_request
    def history(
        self,
        ticker: str,
        start: datetime | None,
        end: datetime | None,
        limit: int,
        order: Order,
        *,
        spec: SmaSpec,
        csv: bool = False,
    ) -> Body | Csv:
        lo, hi = resolve_range(start, end, self.newest(ticker))
        key = ("history", ticker, lo, hi, limit, order, spec, csv)
        found = self.cached(key)
        if isinstance(found, Body):
            return found
        name = f"{ticker}-history.csv"
        if isinstance(found, tuple):
            return Csv(found, name)
        result = self.service.history(ticker, lo, hi, limit, order, spec=spec)
        if csv:
            columns = [column(n) for n in spec.item_windows]
            return Csv(self._keep(key, csv_body.history_csv(ticker, result.ticks, columns)), name)
        meta = {
            "start": lo,
            "end": hi,
            "limit": limit,
            "order": order,
            "count": len(result.ticks),
            "truncated": result.truncated,
        }
        return self._body(key, encode.history_json(ticker, result.ticks, meta))

    @one_request
    def signals(
        self,
        ticker: str,
        start: datetime | None,
        end: datetime | None,
        spec: SmaSpec,
        *,
        csv: bool = False,
    ) -> Body | Csv:
        newest = self.newest(ticker)
        lo, hi = resolve_range(start, end, newest, max_span=self.service.max_signal_span)
        key = ("signals", ticker, lo, hi, spec.short, spec.long, csv)
        found = self.cached(key)
        if isinstance(found, Body):
            return found
        name = f"{ticker}-signals.csv"
        if isinstance(found, tuple):
            return Csv(found, name)
        result = self.service.signals(ticker, lo, hi, spec)
        if csv:
            columns = [column(spec.short), column(spec.long)]
            return Csv(self._keep(key, csv_body.signals_csv(result.events, columns)), name)
        meta = {"start": lo, "end": hi, "count": len(result.events), "ticks": result.ticks}
        return self._body(key, encode.signals_json(ticker, result.events, meta))

    @one_request
    def tickers(self) -> Body:
        found = self.cached(("tickers",))
        if isinstance(found, Body):
            return found
        return self._body(("tickers",), encode.tickers_json(self.service.tickers()))

    # -- the cache -----------------------------------------------------------------------

    def _remember(
        self,
        key: Hashable,
        compute: Callable[[], T],
        *,
        ttl: float | None = None,
        keep_missing: bool = True,
    ) -> T:
        found = self.cache.get(key) if self.cache is not None else None
        if found is None:
            try:
                found = compute()
            except TickerNotFound as exc:
                if not keep_missing:
                    raise
                found = _Missing(str(exc))
            if self.cache is not None:
                self.cache.put(key, found, _size(found), ttl)
        if isinstance(found, _Missing):
            raise TickerNotFound("", found.detail)
        return found  # type: ignore[return-value]

    def _body(self, key: Hashable, content: bytes) -> Body:
        body = Body(content, encode.etag_of(content))
        if self.cache is not None:
            self.cache.put(key, body, len(content))
        return body

    def _keep(self, key: Hashable, chunks: Iterator[bytes]) -> Iterator[bytes]:
        """Pass `chunks` on as they are made; once all went out, cache them."""
        sent: list[bytes] = []
        for chunk in chunks:
            sent.append(chunk)
            yield chunk
        if self.cache is not None:
            self.cache.put(key, tuple(sent), sum(len(c) for c in sent))


def _size(value: object) -> int:
    if isinstance(value, Latest):
        return len(value.head)
    if isinstance(value, Many):
        return sum(len(i.head) for i in value.items)
    return 0
