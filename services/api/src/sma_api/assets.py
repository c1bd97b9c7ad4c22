"""The browser files the app serves itself, and the headers of the pages that use them.

The page's own files live in `static/`; the npm files (chart library, Swagger UI, ReDoc) are
copied into `static/vendor/` by `make web-assets`, pinned by `services/api/package-lock.json`.
Nothing is loaded from another origin, so the pages work offline and on Lambda.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path
from typing import Final

from fastapi.responses import HTMLResponse

STATIC_DIR: Final[Path] = Path(__file__).parent / "static"
STATIC_URL: Final[str] = "/static"

# Paths under static/, as `make web-assets` copies them (their node_modules paths).
CHART_LIBRARY: Final[str] = (
    "vendor/lightweight-charts/dist/lightweight-charts.standalone.production.js"
)
SWAGGER_UI_JS: Final[str] = "vendor/swagger-ui-dist/swagger-ui-bundle.js"
SWAGGER_UI_CSS: Final[str] = "vendor/swagger-ui-dist/swagger-ui.css"
REDOC_JS: Final[str] = "vendor/redoc/bundles/redoc.standalone.js"
VENDOR_FILES: Final[tuple[str, ...]] = (CHART_LIBRARY, SWAGGER_UI_JS, SWAGGER_UI_CSS, REDOC_JS)
FAVICON: Final[str] = "favicon.svg"

# The chart page runs only its own files: no inline script or style, no other origin.
CHART_CSP: Final[str] = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS: Final[dict[str, str]] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}

_INLINE_SCRIPT: Final[re.Pattern[str]] = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def missing(static_dir: Path, *paths: str) -> list[str]:
    """The given files (paths under static/) that are not there."""
    return [path for path in paths if not (static_dir / path).is_file()]


def static_url(root_path: str, path: str) -> str:
    return f"{root_path}{STATIC_URL}/{path}"


def docs_csp(page: str) -> str:
    """Same-origin only, for FastAPI's docs pages: their one inline script is allowed by hash.

    Swagger UI and ReDoc add style elements at run time, hence 'unsafe-inline' for styles only.
    """
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in _INLINE_SCRIPT.findall(page)
    )
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
        "worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def not_built_page(paths: list[str]) -> HTMLResponse:
    """503 naming the missing files and how to build them, instead of a blank page."""
    items = "".join(f"<li><code>{html.escape(p)}</code></li>" for p in paths)
    body = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Web assets not built</title></head><body>"
        "<h1>This page's browser files are not built into this deployment</h1>"
        f"<p>Missing under <code>sma_api/static/</code>:</p><ul>{items}</ul>"
        "<p>Run <code>make web-assets</code> (or <code>make setup</code>): it installs them from "
        "npm, pinned by <code>services/api/package-lock.json</code>, then redeploy. "
        "The JSON endpoints work without them.</p></body></html>"
    )
    return HTMLResponse(
        body,
        status_code=503,
        headers={**PAGE_HEADERS, "Cache-Control": "no-store", "Content-Security-Policy": CHART_CSP},
    )
