"""`/tickers`: the list of tickers, and each ticker's SMA history and crossover signals."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from sma_api.answers import Body
from sma_api.deps import AnswersDep, Clock, Ticker
from sma_api.models import History, Signals, Tickers
from sma_api.responses import body_answer, csv_answer, wants_csv
from sma_api.routes.params import ERRORS, End, FormatParam, Long, Short, Start, Windows
from sma_api.spec import make_spec
from sma_api.sql import Order

router = APIRouter(prefix="/tickers", tags=["tickers"])

MAX_LIMIT: Final[int] = 10_000
_CSV: Final[dict[int | str, dict[str, object]]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
}


@router.get("", response_model=Tickers, responses=ERRORS)
async def list_tickers(request: Request, answers: AnswersDep, clock: Clock) -> Response:
    """Every ticker with data and the time of its newest tick."""
    found = answers.cached(("tickers",))
    body = found if isinstance(found, Body) else await run_in_threadpool(answers.tickers)
    return body_answer(request, body, clock)


@router.get("/{ticker:path}/sma/history", response_model=History, responses={**ERRORS, **_CSV})
def sma_history(
    *,
    request: Request,
    answers: AnswersDep,
    clock: Clock,
    ticker: Ticker,
    start: Start = None,
    end: End = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="most items returned")] = 100,
    order: Annotated[Order, Query(description="by time: asc or desc")] = "asc",
    windows: Windows = None,
    short: Short = None,
    long: Long = None,
    format: FormatParam = None,
) -> Response:
    """The ticks in [start, end), the last 24 h of data by default."""
    spec = make_spec(windows, short, long)
    csv = wants_csv(request, format)
    found = answers.history(ticker, start, end, limit, order, spec=spec, csv=csv)
    if isinstance(found, Body):
        return body_answer(request, found, clock)
    return csv_answer(found, clock)


@router.get("/{ticker:path}/signals", response_model=Signals, responses={**ERRORS, **_CSV})
def signals(
    *,
    request: Request,
    answers: AnswersDep,
    clock: Clock,
    ticker: Ticker,
    start: Start = None,
    end: End = None,
    short: Short = None,
    long: Long = None,
    format: FormatParam = None,
) -> Response:
    """Times when the short SMA crossed the long one in [start, end), with the ticks on both
    sides (default sma_10 and sma_30; `short=50&long=200` for the golden cross)."""
    spec = make_spec(None, short, long)
    csv = wants_csv(request, format)
    found = answers.signals(ticker, start, end, spec, csv=csv)
    if isinstance(found, Body):
        return body_answer(request, found, clock)
    return csv_answer(found, clock)
