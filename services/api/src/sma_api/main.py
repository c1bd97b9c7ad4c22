"""The FastAPI app: wiring of settings, store, service, routes and the one error mapping.

`uvicorn sma_api.main:app` serves it; `create_app(settings, store)` builds one for tests or
for the Lambda handler.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sma.tickers import InvalidTicker
from sma_api.cache import RefreshClock, TTLCache
from sma_api.config import Settings, get_settings
from sma_api.errors import BackendUnavailable, InvalidRange, TickerNotFound
from sma_api.routes import health, tickers
from sma_api.service import SmaService
from sma_api.store import SmaStore, build_store

logger = logging.getLogger(__name__)

app: FastAPI  # built on first access, see __getattr__ below


def create_app(settings: Settings | None = None, store: SmaStore | None = None) -> FastAPI:
    """An app over `store`, or over the store `settings` (default: the environment) describe."""
    settings = settings or get_settings()
    store = store or build_store(settings)
    clock = RefreshClock(settings.refresh_minute, settings.refresh_grace_seconds)
    cache = TTLCache(clock, settings.cache_max_entries) if settings.cache_enabled else None

    app = FastAPI(
        title="crypto-sma",
        summary="Exact simple moving averages (10/30/60/100 ticks) and crossover signals.",
        version="0.1.0",
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.service = SmaService(
        store,
        cache,
        max_signal_span=timedelta(days=settings.max_signal_days),
        deadline_seconds=settings.request_deadline_seconds,
    )
    app.include_router(tickers.router)
    app.include_router(health.router)
    _add_error_handlers(app, retry_after=settings.retry_after_seconds)
    return app


def _add_error_handlers(app: FastAPI, *, retry_after: int) -> None:
    """The one place where domain errors become HTTP statuses."""

    def detail(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
        return JSONResponse({"detail": message}, status_code=status, headers=headers)

    @app.exception_handler(InvalidTicker)
    async def invalid_ticker(_request: Request, exc: InvalidTicker) -> JSONResponse:
        return detail(422, str(exc))

    @app.exception_handler(InvalidRange)
    async def invalid_range(_request: Request, exc: InvalidRange) -> JSONResponse:
        return detail(422, str(exc))

    @app.exception_handler(TickerNotFound)
    async def ticker_not_found(_request: Request, exc: TickerNotFound) -> JSONResponse:
        return detail(404, str(exc))

    @app.exception_handler(BackendUnavailable)
    async def backend_unavailable(_request: Request, exc: BackendUnavailable) -> JSONResponse:
        return detail(
            503,
            f"data backend unavailable: {exc}",
            {"Retry-After": str(retry_after), "Cache-Control": "no-store"},
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Last resort: log the traceback here, show the client no internals.
        logger.error("unhandled error on %s", request.url.path, exc_info=exc)
        return detail(500, "internal error")


def __getattr__(name: str) -> FastAPI:
    # `app` is built on first access (uvicorn's `sma_api.main:app`), so importing this module
    # for `create_app` reads no settings and opens no store.
    if name == "app":
        global app  # noqa: PLW0603
        app = create_app()
        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
