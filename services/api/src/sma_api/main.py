"""The FastAPI app: wiring of settings, store, service, routes and the one error mapping.

`uvicorn --factory sma_api.main:create_app` serves it; `create_app(settings, store)` builds one
for tests or for the Lambda handler. Importing this module reads no settings and opens no store.
Besides the JSON routes it serves the chart page and the API docs, with their browser files under
/static (see `assets`).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import TracebackType

from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from sma.errors import SettingsError
from sma.tickers import InvalidTicker
from sma_api.answers import Answers
from sma_api.assets import STATIC_DIR, STATIC_URL, VENDOR_FILES, missing
from sma_api.cache import RefreshClock, TTLCache
from sma_api.config import Settings, get_settings
from sma_api.errors import BackendUnavailable, InvalidParameter, InvalidRange, TickerNotFound
from sma_api.fast_path import CachedLatest
from sma_api.live import LiveSource, source_keys
from sma_api.refresh_marker import RefreshMarker, marker_location
from sma_api.routes import chart, docs, health, latest, tickers
from sma_api.service import SmaService
from sma_api.store import SmaStore, build_store

logger = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    store: SmaStore | None = None,
    static_dir: Path = STATIC_DIR,
) -> FastAPI:
    """An app over `store`, or over the store `settings` (default: the environment) describe.

    `static_dir` holds the pages' browser files (tests point it elsewhere).
    """
    settings = settings or _settings_from_environment()
    store = store or build_store(settings)
    clock = RefreshClock(settings.refresh_minute, settings.refresh_grace_seconds)
    marker = refresh_marker_for(settings, store)
    version = (lambda: s.version if (s := marker.current()) else None) if marker else None
    cache = (
        TTLCache(
            clock, settings.cache_max_entries, max_bytes=settings.cache_max_bytes, version=version
        )
        if settings.cache_enabled
        else None
    )

    app = FastAPI(
        title="crypto-sma",
        summary="Exact simple moving averages over any window, their crossovers, live or hourly.",
        version="0.1.0",
        # Served by `routes.docs` from /static: FastAPI's own pages load them from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.marker = marker
    service = SmaService(
        store,
        max_signal_span=timedelta(days=settings.max_signal_days),
        deadline_seconds=settings.request_deadline_seconds,
    )
    live = LiveSource(
        settings.dynamo_table_name,
        source_keys(settings.source_tickers),
        region=settings.aws_region,
    )
    app.state.service = service
    app.state.answers = Answers(service, cache, live=live, live_seconds=settings.live_cache_seconds)
    # The history and signals routes before the latest one: its path would also match theirs.
    app.include_router(tickers.router)
    app.include_router(latest.router)
    app.include_router(health.router)
    app.include_router(chart.router)
    app.include_router(docs.router)
    app.state.static_dir = static_dir
    # Compressed for browsers that ask: the chart library is 198 KB as is, 62 KB gzipped.
    static_files = GZipMiddleware(StaticFiles(directory=static_dir), minimum_size=1024)
    app.mount(STATIC_URL, static_files, name="static")
    absent = missing(static_dir, *VENDOR_FILES)
    if absent:
        logger.warning(
            "web assets not built (%s): the chart and docs pages answer 503; run make web-assets",
            ", ".join(absent),
        )
    _add_error_handlers(app, retry_after=settings.retry_after_seconds)
    # Before routing: a cached latest answer needs none of what routing does.
    app.add_middleware(CachedLatest, answers=app.state.answers, clock=clock, marker=marker)
    return app


def refresh_marker_for(settings: Settings, store: SmaStore) -> RefreshMarker | None:
    """The job's refresh marker the app follows, handed to a store that can use it too."""
    location = marker_location(settings.backend, settings.lake_path, settings.refresh_marker)
    if location is None:
        return None
    marker = RefreshMarker(location, settings.refresh_check_seconds)
    follow = getattr(store, "follow_refresh_marker", None)
    if follow is not None:
        follow(marker)
    return marker


ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], object]


def _settings_from_environment() -> Settings:
    """The environment's settings. Unusable ones still raise; if nothing catches the error (a
    server started on them, ``uvicorn --factory``), it is printed as one line, not a trace."""
    try:
        return get_settings()
    except SettingsError:
        sys.excepthook = _settings_error_in_one_line(sys.excepthook)
        raise


def _settings_error_in_one_line(previous: ExceptHook) -> ExceptHook:
    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        if isinstance(error, SettingsError):
            print(f"sma-api: {error}", file=sys.stderr)
        else:
            previous(kind, error, trace)

    return hook


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

    @app.exception_handler(InvalidParameter)
    async def invalid_parameter(_request: Request, exc: InvalidParameter) -> JSONResponse:
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
