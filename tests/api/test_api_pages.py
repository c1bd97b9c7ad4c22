"""The chart page and the docs pages as HTTP answers: headers, asset URLs, the unbuilt case.

What the pages draw is checked in a real browser by test_api_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sma_api.assets import CHART_LIBRARY, REDOC_JS, STATIC_DIR, SWAGGER_UI_CSS, SWAGGER_UI_JS
from sma_api.main import create_app
from sma_api.store.duckdb_store import DuckDbStore
from tests.api.api_lake import Lake, settings_for

SCRIPT_TAG = re.compile(r"<script([^>]*)>(.*?)</script>", re.DOTALL)


def csp(response_header: str) -> dict[str, list[str]]:
    directives = (d.split() for d in response_header.split(";") if d.strip())
    return {name: values for name, *values in directives}


def test_the_chart_page_runs_only_its_own_files(client: TestClient) -> None:
    response = client.get("/tickers/BTC-USD/chart", params={"start": "2025-01-12T08:00:00Z"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = csp(response.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'"]
    page = response.text
    scripts = SCRIPT_TAG.findall(page)
    assert [attrs for attrs, body in scripts if body.strip() or "src=" not in attrs] == []
    assert "style=" not in page
    assert "<style" not in page
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert f"/static/{CHART_LIBRARY}" in sources
    assert "/static/chart.js" in sources
    # Every address the page loads is on this origin; the only other one is the licence's link.
    external = [s for s in sources if not s.startswith("/") and not s.startswith("#")]
    assert external == ["https://www.tradingview.com/"]
    assert 'data-ticker="BTC-USD"' in page


def test_the_ticker_is_escaped_into_the_page(client: TestClient) -> None:
    page = client.get('/tickers/"><script>alert(1)<%2Fscript>/chart').text
    assert "<script>alert" not in page
    assert 'data-ticker="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in page


def test_static_files_are_served(client: TestClient) -> None:
    for path, kind in [
        (f"/static/{CHART_LIBRARY}", "javascript"),
        ("/static/chart.js", "javascript"),
        ("/static/chart.css", "text/css"),
        (f"/static/{SWAGGER_UI_CSS}", "text/css"),
        ("/static/vendor/lightweight-charts/LICENSE.txt", "text/plain"),
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert kind in response.headers["content-type"], path
    assert client.get("/static/nothing.js").status_code == 404


def test_static_files_are_gzipped_for_browsers_that_ask(client: TestClient) -> None:
    plain = client.get(f"/static/{CHART_LIBRARY}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    packed = client.get(f"/static/{CHART_LIBRARY}", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.num_bytes_downloaded < len(plain.content) / 2
    assert packed.content == plain.content  # httpx unpacks it


@pytest.mark.parametrize(
    ("path", "assets"), [("/docs", [SWAGGER_UI_JS, SWAGGER_UI_CSS]), ("/redoc", [REDOC_JS])]
)
def test_docs_load_their_files_from_the_app(
    client: TestClient, path: str, assets: list[str]
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    page = response.text
    for asset in assets:
        assert f'"/static/{asset}"' in page
    assert "https://" not in page.replace("https://redocly.com", "")
    assert "fonts.googleapis" not in page
    # The page's one inline script (Swagger UI's set-up) is allowed by its hash, nothing else.
    policy = csp(response.headers["content-security-policy"])
    inline = [body for attrs, body in SCRIPT_TAG.findall(page) if "src=" not in attrs]
    hashes = [
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in inline
    ]
    assert policy["script-src"] == ["'self'", *hashes]
    assert policy["connect-src"] == ["'self'"]


def test_pages_under_a_root_path_address_their_files_there(lake: Lake) -> None:
    app = create_app(settings_for(lake.root), DuckDbStore(lake.root))
    with TestClient(app, root_path="/prod") as client:
        chart = client.get("/tickers/BTCUSD/chart").text
        docs = client.get("/docs").text
    assert 'data-root="/prod"' in chart
    assert 'src="/prod/static/chart.js"' in chart
    assert "'/prod/openapi.json'" in docs or '"/prod/openapi.json"' in docs
    assert f'"/prod/static/{SWAGGER_UI_JS}"' in docs


def test_unbuilt_assets_give_a_page_that_says_how_to_build_them(lake: Lake, tmp_path: Path) -> None:
    static = tmp_path / "static"
    shutil.copytree(STATIC_DIR, static, ignore=shutil.ignore_patterns("vendor"))
    app = create_app(settings_for(lake.root), DuckDbStore(lake.root), static_dir=static)
    with TestClient(app) as client:
        for path in ("/tickers/BTCUSD/chart", "/docs", "/redoc"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.headers["content-type"].startswith("text/html")
            assert "make web-assets" in response.text
            assert response.headers["cache-control"] == "no-store"
        assert client.get(f"/static/{CHART_LIBRARY}").status_code == 404
        # The JSON API does not need them.
        assert client.get("/tickers/BTCUSD/sma").status_code == 200


def test_the_pages_are_not_api_operations(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.endswith("/chart") or p in ("/docs", "/redoc")]
