"""The query parameters the ticker endpoints share, as they appear in the OpenAPI schema."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from fastapi import Query
from pydantic import BeforeValidator

from sma.signals import LONG_WINDOW, SHORT_WINDOW
from sma_api.models import ErrorBody
from sma_api.responses import Format
from sma_api.spec import MAX_TICKS, MAX_WINDOWS, MIN_TICKS

ERRORS: Final[dict[int | str, dict[str, Any]]] = {
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
Windows = Annotated[
    str | None,
    Query(
        description=f"SMA windows in ticks, comma-separated: 1 to {MAX_WINDOWS} windows of "
        f"{MIN_TICKS} to {MAX_TICKS} ticks, each answered as `sma_<n>` (exact, the history "
        "before the range included); default: the lake's sma_10, sma_30, sma_60, sma_100",
        examples=["20,50,200"],
    ),
]
Short = Annotated[
    int | None,
    Query(
        ge=MIN_TICKS,
        le=MAX_TICKS,
        description=f"the signal's short window in ticks (default {SHORT_WINDOW})",
        examples=[50],
    ),
]
Long = Annotated[
    int | None,
    Query(
        ge=MIN_TICKS,
        le=MAX_TICKS,
        description=f"the signal's long window in ticks, above `short` (default {LONG_WINDOW})",
        examples=[200],
    ),
]
FormatParam = Annotated[
    Format | None,
    Query(
        alias="format",
        description="json (default) or csv: a header row of the JSON field names, one row per "
        "item; `Accept: text/csv` asks for csv too",
    ),
]
Source = Annotated[
    Literal["lake", "live"],
    Query(
        description="lake: the hourly job's output (default); live: the newest ticks read from "
        "the source table now, cached at most 30 s"
    ),
]
