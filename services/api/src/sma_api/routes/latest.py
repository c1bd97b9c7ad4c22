"""The latest SMAs: of one ticker (from the lake, or live from the source table), or of many."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from sma.tickers import normalize
from sma_api.answers import Latest, Many, latest_key
from sma_api.deps import AnswersDep, Clock, Ticker
from sma_api.errors import InvalidParameter
from sma_api.models import LatestMany, SmaLatest
from sma_api.responses import latest_answer
from sma_api.routes.params import ERRORS, Long, Short, Source, Windows
from sma_api.spec import make_spec

router = APIRouter(tags=["tickers"])

MAX_TICKERS: Final[int] = 50


@router.get("/tickers/{ticker:path}/sma", response_model=SmaLatest, responses=ERRORS)
async def latest_sma(
    *,
    request: Request,
    answers: AnswersDep,
    clock: Clock,
    ticker: Ticker,
    windows: Windows = None,
    short: Short = None,
    long: Long = None,
    source: Source = "lake",
) -> Response:
    """The newest tick of a ticker with its SMAs and signal, from the lake or live."""
    spec = make_spec(windows, short, long)
    live = source == "live"
    found = answers.cached(latest_key(ticker, spec, live))
    if isinstance(found, Latest):
        return latest_answer(request, found, clock)
    answer = answers.live if live else answers.latest
    return latest_answer(request, await run_in_threadpool(answer, ticker, spec), clock)


def parse_tickers(text: str) -> tuple[str, ...]:
    """``"BTCUSD, eth-usd"`` -> ``("BTCUSD", "ETHUSD")``: 1 to 50 tickers, first spelling first."""
    found = tuple(dict.fromkeys(normalize(t) for t in text.split(",") if t.strip()))
    if not 1 <= len(found) <= MAX_TICKERS:
        raise InvalidParameter(f"tickers: 1 to {MAX_TICKERS} tickers, got {len(found)}")
    return found


@router.get("/sma", response_model=LatestMany, responses=ERRORS)
async def latest_many(
    *,
    request: Request,
    answers: AnswersDep,
    clock: Clock,
    tickers: Annotated[
        str,
        Query(
            description=f"1 to {MAX_TICKERS} tickers, comma-separated, in any usual spelling",
            examples=["BTCUSD,ETHUSD,DOGE-USD"],
        ),
    ],
) -> Response:
    """The latest answer of each ticker (lake), in one query; tickers without data are listed
    in `not_found`."""
    wanted = parse_tickers(tickers)
    found = answers.cached(("many", wanted))
    if isinstance(found, Many):
        return latest_answer(request, found, clock)
    return latest_answer(request, await run_in_threadpool(answers.latest_many, wanted), clock)
