"""HTTP responses of encoded answers: `Cache-Control` until they go stale, ETags and 304, CSV.

Lake answers stay true until the next refresh; live ones for the few seconds they are cached.
"""

from __future__ import annotations

import math
import time
from typing import Final, Literal

from fastapi import Request, Response
from fastapi.responses import StreamingResponse

from sma_api import csv_body
from sma_api.answers import Body, Csv, Latest, Many
from sma_api.cache import RefreshClock
from sma_api.refresh_marker import RefreshMarker

JSON: Final[str] = "application/json"
Format = Literal["json", "csv"]


def not_modified(if_none_match: str, etag: str) -> bool:
    # If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ prefixes do not matter.
    if if_none_match.strip() == "*":
        return True
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return etag.removeprefix("W/") in tags


def keyed_on_marker(marker: RefreshMarker | None, etag: str, max_age: int) -> tuple[str, int]:
    """The ETag and max-age keyed on the newest completed run (the job's refresh marker).

    After a run an old tag is never confirmed, and clients hold an answer only as long as the
    API waits between looks at the marker.
    """
    state = marker.current() if marker is not None else None
    if marker is None or state is None:
        return etag, max_age
    weak, tag = etag.startswith("W/"), etag.removeprefix("W/").strip('"')
    tagged = ("W/" if weak else "") + f'"{state.version}-{tag}"'
    return tagged, min(max_age, max(1, math.ceil(marker.check_seconds)))


def cache_control(max_age: int) -> str:
    return f"public, max-age={max_age}"


def json_answer(request: Request, content: bytes, etag: str, max_age: int) -> Response:
    """200 with the body, or 304 when the client already holds this body (by its ETag)."""
    etag, max_age = keyed_on_marker(getattr(request.app.state, "marker", None), etag, max_age)
    headers = {"ETag": etag, "Cache-Control": cache_control(max_age)}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and not_modified(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(content=content, media_type=JSON, headers=headers)


def body_answer(request: Request, body: Body, clock: RefreshClock) -> Response:
    return json_answer(request, body.content, body.etag, clock.seconds_left())


def latest_answer(request: Request, answer: Latest | Many, clock: RefreshClock) -> Response:
    """A latest answer completed with its age now; a live one is fresh for its cache's life."""
    now = time.time()
    fresh_until = answer.fresh_until if isinstance(answer, Latest) else None
    max_age = clock.seconds_left() if fresh_until is None else max(1, int(fresh_until - now))
    return json_answer(request, answer.content(now), answer.etag, max_age)


def csv_answer(answer: Csv, clock: RefreshClock) -> StreamingResponse:
    """The CSV rows as they are made (no ETag: the body is not known before it is sent)."""
    return StreamingResponse(
        iter(answer.chunks),
        media_type=csv_body.MEDIA_TYPE,
        headers={
            "Cache-Control": cache_control(clock.seconds_left()),
            "Content-Disposition": f'inline; filename="{answer.filename}"',
        },
    )


def wants_csv(request: Request, format: Format | None) -> bool:
    """`format=csv`, or no `format` and an Accept header that asks for text/csv."""
    if format is not None:
        return format == "csv"
    accept = request.headers.get("accept", "")
    return "text/csv" in accept and "application/json" not in accept
