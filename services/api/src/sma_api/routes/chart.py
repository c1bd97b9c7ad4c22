"""`/tickers/{ticker}/chart`: an HTML page that draws the ticker's JSON endpoints in the browser.

The page is the same shell for every ticker and range: its script (static/chart.js) reads
`start`/`end` from the address and fetches `/sma`, `/sma/history` and `/signals`, so what it
draws is what the API serves, and a bad ticker or an empty range shows the API's own answer.
"""

from __future__ import annotations

import html
from functools import cache
from importlib.resources import files
from string import Template

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sma_api.assets import (
    CHART_CSP,
    CHART_LIBRARY,
    PAGE_HEADERS,
    STATIC_URL,
    missing,
    not_built_page,
)
from sma_api.deps import StaticDir

router = APIRouter(tags=["pages"])


@cache
def _template() -> Template:
    return Template(files("sma_api").joinpath("templates/chart.html").read_text(encoding="utf-8"))


@router.get("/tickers/{ticker:path}/chart", response_class=HTMLResponse, include_in_schema=False)
def chart_page(request: Request, ticker: str, static_dir: StaticDir) -> HTMLResponse:
    """The chart page; 503 with instructions when the chart library was not built in."""
    absent = missing(static_dir, CHART_LIBRARY)
    if absent:
        return not_built_page(absent)
    root = request.scope.get("root_path", "").rstrip("/")
    page = _template().substitute(
        root=html.escape(root),
        static=html.escape(root + STATIC_URL),
        library=CHART_LIBRARY,
        ticker=html.escape(ticker),
    )
    return HTMLResponse(page, headers={**PAGE_HEADERS, "Content-Security-Policy": CHART_CSP})
