"""What the routes need, injected: the answers, the service, the clock and normalised tickers.

The dependencies are async on purpose: they never block, and FastAPI would run a plain `def`
dependency on the thread pool, one thread hop per dependency per request.
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated

from fastapi import Depends, Path, Request

from sma.tickers import normalize
from sma_api.answers import Answers
from sma_api.cache import RefreshClock
from sma_api.service import SmaService


async def get_answers(request: Request) -> Answers:
    answers: Answers = request.app.state.answers
    return answers


async def get_service(request: Request) -> SmaService:
    service: SmaService = request.app.state.service
    return service


async def get_clock(request: Request) -> RefreshClock:
    clock: RefreshClock = request.app.state.clock
    return clock


async def get_static_dir(request: Request) -> FilePath:
    """The folder the app serves under /static (its pages' files and the vendored npm files)."""
    static_dir: FilePath = request.app.state.static_dir
    return static_dir


async def get_ticker(
    ticker: Annotated[
        str,
        Path(
            description="a pair in any usual spelling: BTCUSD, btcusd, BTC-USD, BTC/USD (encoded)",
            examples=["BTCUSD"],
        ),
    ],
) -> str:
    """The path's ticker in normal form; InvalidTicker (-> 422) names a bad one."""
    return normalize(ticker)


AnswersDep = Annotated[Answers, Depends(get_answers)]
Service = Annotated[SmaService, Depends(get_service)]
Clock = Annotated[RefreshClock, Depends(get_clock)]
Ticker = Annotated[str, Depends(get_ticker)]
StaticDir = Annotated[FilePath, Depends(get_static_dir)]
