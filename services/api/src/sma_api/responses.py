"""JSON responses that clients may cache: `Cache-Control` until the next refresh, a strong ETag."""

from __future__ import annotations

import hashlib
import math

from fastapi import Request, Response
from pydantic import BaseModel

from sma_api.cache import RefreshClock
from sma_api.refresh_marker import RefreshMarker

JSON = "application/json"


def etag_of(body: bytes) -> str:
    """A strong validator: the same bytes give the same tag, any change gives another."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    # If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ prefixes do not matter.
    if if_none_match.strip() == "*":
        return True
    tags = (t.strip().removeprefix("W/") for t in if_none_match.split(","))
    return etag in tags


def cacheable_json(request: Request, body: BaseModel, clock: RefreshClock) -> Response:
    """200 with the body, or 304 when the client already holds exactly this body."""
    content = body.model_dump_json().encode()
    marker: RefreshMarker | None = getattr(request.app.state, "marker", None)
    state = marker.current() if marker is not None else None
    if marker is None or state is None:
        etag, max_age = etag_of(content), clock.seconds_left()
    else:
        # Keyed on the newest completed run: after it, an old tag is never confirmed, and
        # clients hold an answer only as long as the API waits between looks at the marker.
        etag = etag_of(state.version.encode() + content)
        max_age = max(1, math.ceil(marker.check_seconds))
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(content=content, media_type=JSON, headers=headers)
