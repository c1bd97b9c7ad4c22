"""`/tickers`: the latest SMAs, their history and crossover signals of each ticker."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request, Response
from pydantic import BeforeValidator

from sma.signals import LONG_SMA, SHORT_SMA
from sma_api.crossovers import CrossoverEvent
from sma_api.deps import Clock, Service, Ticker
from sma_api.models import (
    Crossover,
    CrossSide,
    ErrorBody,
    History,
    HistoryMeta,
    Signals,
    SignalsMeta,
    SmaTick,
    TickerInfo,
    Tickers,
)
from sma_api.responses import cacheable_json
from sma_api.rows import SmaRow
from sma_api.sql import Order

router = APIRouter(prefix="/tickers", tags=["tickers"])

MAX_LIMIT: Final[int] = 10_000

_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    404: {"model": ErrorBody, "description": "a valid ticker with no data"},
    422: {"description": "an invalid ticker or query parameter"},
    503: {"model": ErrorBody, "description": "the backend failed or timed out; see Retry-After"},
}

# ISO 8601 only: pydantic alone would also read a bare number such as `1.9` as Unix seconds.
_ISO_8601: Final[re.Pattern[str]] = re.compile(
    r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)?)?"
)


def _iso_8601(value: object) -> object:
    if isinstance(value, str) and not _ISO_8601.fullmatch(value.strip()):
        raise ValueError("expected an ISO 8601 time, e.g. 2025-01-13T07:00:00Z")
    return value


IsoTime = Annotated[datetime, BeforeValidator(_iso_8601)]
Start = Annotated[
    IsoTime | None,
    Query(description="inclusive, ISO 8601 (UTC when no offset); default: end - 24 h"),
]
End = Annotated[
    IsoTime | None,
    Query(description="exclusive, ISO 8601; default: start + 24 h, or just after the newest tick"),
]


def tick_body(ticker: str, row: SmaRow) -> Any:
    return SmaTick.model_validate(
        {
            "ticker": ticker,
            "last_refreshed": row.last_refreshed,
            "bid_price": row.bid_price,
            "ask_price": row.ask_price,
            **row.smas,
            "signal": row.signal,
        }
    )


def _side(row: SmaRow) -> Any:
    fields = {name: row.smas[name] for name in (SHORT_SMA, LONG_SMA)}
    return CrossSide.model_validate(
        {"last_refreshed": row.last_refreshed, "signal": row.signal, **fields}
    )


def _crossover(event: CrossoverEvent) -> Crossover:
    return Crossover(
        type=event.type,
        last_refreshed=event.after.last_refreshed,
        before=_side(event.before),
        after=_side(event.after),
    )


@router.get("", response_model=Tickers, responses=_ERRORS)
def list_tickers(request: Request, service: Service, clock: Clock) -> Response:
    """Every ticker with data and the time of its newest tick."""
    found = service.tickers()
    items = [TickerInfo(ticker=t.ticker, last_refreshed=t.last_refreshed) for t in found]
    body = Tickers(tickers=items)
    return cacheable_json(request, body, clock)


@router.get("/{ticker:path}/sma/history", response_model=History, responses=_ERRORS)
def sma_history(
    *,
    request: Request,
    service: Service,
    clock: Clock,
    ticker: Ticker,
    start: Start = None,
    end: End = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="most items returned")] = 100,
    order: Annotated[Order, Query(description="by time: asc or desc")] = "asc",
) -> Response:
    """The ticks in [start, end), the last 24 h of data by default."""
    result = service.history(ticker, start, end, limit, order)
    body = History(
        ticker=ticker,
        items=[tick_body(ticker, row) for row in result.rows],
        meta=HistoryMeta(
            start=result.start,
            end=result.end,
            limit=limit,
            order=order,
            count=len(result.rows),
            truncated=result.truncated,
        ),
    )
    return cacheable_json(request, body, clock)


@router.get("/{ticker:path}/sma", response_model=SmaTick, responses=_ERRORS)
def latest_sma(request: Request, service: Service, clock: Clock, ticker: Ticker) -> Response:
    """The newest tick of a ticker with its SMAs and signal."""
    return cacheable_json(request, tick_body(ticker, service.latest(ticker)), clock)


@router.get("/{ticker:path}/signals", response_model=Signals, responses=_ERRORS)
def signals(
    *,
    request: Request,
    service: Service,
    clock: Clock,
    ticker: Ticker,
    start: Start = None,
    end: End = None,
) -> Response:
    """Times when sma_10 crossed sma_30 in [start, end), with the ticks on both sides."""
    result = service.signals(ticker, start, end)
    body = Signals(
        ticker=ticker,
        events=[_crossover(e) for e in result.events],
        meta=SignalsMeta(
            start=result.start, end=result.end, count=len(result.events), ticks=result.ticks
        ),
    )
    return cacheable_json(request, body, clock)
