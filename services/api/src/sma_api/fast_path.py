"""Cached latest answers without the framework's routing: the hot path of a busy server.

A cached `GET /tickers/{t}/sma` answer is bytes already; FastAPI's routing, dependency solving
and parameter validation around it cost several times what sending it does. This ASGI
middleware answers such a request straight from the cache when the request is one the routes
would take exactly so (a ticker the ticker rule accepts, known parameters in plain form, a key
already cached); anything else, a miss included, goes on to the routes, which stay the one
place that validates, queries and explains errors.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

from sma.tickers import InvalidTicker, normalize
from sma_api.answers import Answers, Latest, latest_key
from sma_api.cache import RefreshClock
from sma_api.errors import InvalidParameter
from sma_api.refresh_marker import RefreshMarker
from sma_api.responses import JSON, cache_control, keyed_on_marker, not_modified
from sma_api.spec import SmaSpec, make_spec

_PREFIX = "/tickers/"
_SUFFIX = "/sma"
_PARAMETERS = frozenset({"windows", "short", "long", "source"})


def _window(value: str | None) -> int | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()):
        raise InvalidParameter(value)
    return int(value)


def cache_key(path: str, query: bytes) -> tuple[str, SmaSpec, bool] | None:
    """(ticker, spec, live) of a latest request in the routes' plain form, else None."""
    if not (path.startswith(_PREFIX) and path.endswith(_SUFFIX)):
        return None
    try:
        ticker = normalize(path[len(_PREFIX) : -len(_SUFFIX)])
        found = dict(parse_qsl(query.decode("latin-1"), keep_blank_values=True))
        if not found.keys() <= _PARAMETERS or found.get("source", "lake") not in ("lake", "live"):
            return None
        spec = make_spec(
            found.get("windows"), _window(found.get("short")), _window(found.get("long"))
        )
    except (InvalidTicker, InvalidParameter, UnicodeDecodeError):
        return None
    return ticker, spec, found.get("source") == "live"


class CachedLatest:
    """Answers cached latest answers itself; hands everything else to `app`."""

    def __init__(
        self,
        app: ASGIApp,
        answers: Answers,
        clock: RefreshClock,
        marker: RefreshMarker | None = None,
    ) -> None:
        self.app = app
        self._answers = answers
        self._clock = clock
        self._marker = marker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope.get("root_path"):
            key = cache_key(scope["path"], scope["query_string"])
            found = self._answers.cached(latest_key(*key)) if key is not None else None
            if isinstance(found, Latest):
                await self._send(found, scope, send)
                return
        await self.app(scope, receive, send)

    async def _send(self, answer: Latest, scope: Scope, send: Send) -> None:
        now = time.time()
        fresh = answer.fresh_until
        max_age = self._clock.seconds_left() if fresh is None else max(1, int(fresh - now))
        etag, max_age = keyed_on_marker(self._marker, answer.etag, max_age)
        headers = [
            (b"etag", etag.encode()),
            (b"cache-control", cache_control(max_age).encode()),
        ]
        if_none_match = next((v for k, v in scope["headers"] if k == b"if-none-match"), None)
        if if_none_match is not None and not_modified(if_none_match.decode("latin-1"), etag):
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = answer.content(now)
        headers += [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", JSON.encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
