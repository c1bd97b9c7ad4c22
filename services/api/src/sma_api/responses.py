"""JSON responses that clients may cache: `Cache-Control` until the next refresh, a strong ETag."""

from __future__ import annotations

import hashlib

from fastapi import Request, Response
from pydantic import BaseModel

from sma_api.cache import RefreshClock

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
    etag = etag_of(content)
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={clock.seconds_left()}",
    }
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(content=content, media_type=JSON, headers=headers)
