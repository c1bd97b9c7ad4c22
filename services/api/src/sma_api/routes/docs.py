"""`/docs` (Swagger UI) and `/redoc`, with their files served by the app instead of a CDN."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse

from sma_api.assets import (
    FAVICON,
    PAGE_HEADERS,
    REDOC_JS,
    SWAGGER_UI_CSS,
    SWAGGER_UI_JS,
    docs_csp,
    missing,
    not_built_page,
    static_url,
)
from sma_api.deps import StaticDir

router = APIRouter(include_in_schema=False)


def _page(response: HTMLResponse) -> HTMLResponse:
    page = bytes(response.body).decode()
    headers = {**PAGE_HEADERS, "Content-Security-Policy": docs_csp(page)}
    return HTMLResponse(page, headers=headers)


def _root(request: Request) -> str:
    root: str = request.scope.get("root_path", "")
    return root.rstrip("/")


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request, static_dir: StaticDir) -> HTMLResponse:
    absent = missing(static_dir, SWAGGER_UI_JS, SWAGGER_UI_CSS)
    if absent:
        return not_built_page(absent)
    root = _root(request)
    return _page(
        get_swagger_ui_html(
            openapi_url=root + request.app.openapi_url,
            title=f"{request.app.title} - Swagger UI",
            swagger_js_url=static_url(root, SWAGGER_UI_JS),
            swagger_css_url=static_url(root, SWAGGER_UI_CSS),
            swagger_favicon_url=static_url(root, FAVICON),
            # No badge that would ask swagger.io to validate the schema.
            swagger_ui_parameters={"validatorUrl": None},
        )
    )


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request, static_dir: StaticDir) -> HTMLResponse:
    absent = missing(static_dir, REDOC_JS)
    if absent:
        return not_built_page(absent)
    root = _root(request)
    return _page(
        get_redoc_html(
            openapi_url=root + request.app.openapi_url,
            title=f"{request.app.title} - ReDoc",
            redoc_js_url=static_url(root, REDOC_JS),
            redoc_favicon_url=static_url(root, FAVICON),
            with_google_fonts=False,
        )
    )
