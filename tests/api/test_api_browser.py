"""The chart and docs pages in a real browser: Debian's headless Chromium, driven by Playwright
over the DevTools protocol, loading them from uvicorn over a real Parquet lake.

Chromium is installed with apt-get when missing (CI runs as root); without it these tests fail,
they never skip. Every request to another origin is recorded and aborted, so a page that needs
the network fails here as it would offline. The chart test saves docs/chart.png.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, Response, Route, sync_playwright

from tests.api.api_lake import BTC_START, Lake
from tests.support.api_server import serve_api
from tests.support.times import iso

REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "docs" / "chart.png"
# Eight hours of BTCUSD: its prices wave with a 90-minute period, so sma_10 crosses sma_30 often.
RANGE = {"start": iso(BTC_START + timedelta(hours=10)), "end": iso(BTC_START + timedelta(hours=18))}
WAIT_MS = 30_000


def chromium() -> str:
    """Debian's Chromium, installed now if missing; a failure here fails the test."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() != 0:
        pytest.fail("Chromium is missing and only root can install it: apt-get install chromium")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
    ):
        done = subprocess.run(
            command, check=False, env=env, capture_output=True, text=True, timeout=900
        )
        if done.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    found = shutil.which("chromium")
    if not found:
        pytest.fail("apt-get installed chromium, but there is no chromium on PATH")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        # The system browser: Playwright's own downloads are neither needed nor possible here.
        launched = playwright.chromium.launch(executable_path=chromium())
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def server(lake: Lake) -> Iterator[str]:
    """Uvicorn serving the app over the lake with the DuckDB store, in its own process."""
    with serve_api({"SMA_BACKEND": "duckdb", "SMA_LAKE_PATH": str(lake.root)}, timeout=60) as api:
        yield api.url


@dataclass
class Visit:
    """One page load and what the browser saw: console errors, other origins, responses."""

    page: Page
    errors: list[str] = field(default_factory=list)
    other_origins: list[str] = field(default_factory=list)
    aborted: list[str] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.page.evaluate("() => window.__chart")
        return state


@pytest.fixture
def visit(browser: Browser, server: str) -> Iterator[Callable[[str], Visit]]:
    # A zone far from UTC: the page must still show UTC.
    context = browser.new_context(
        viewport={"width": 1280, "height": 700}, timezone_id="America/Los_Angeles"
    )
    visits: list[Visit] = []

    def load(path: str) -> Visit:
        page = context.new_page()
        seen = Visit(page)
        visits.append(seen)

        def offline(route: Route) -> None:
            seen.aborted.append(route.request.url)
            route.abort()

        def request(req: Request) -> None:
            if not req.url.startswith((server, "data:", "blob:")):
                seen.other_origins.append(req.url)

        def response(answer: Response) -> None:
            # Playwright wraps handlers; a bound builtin such as list.append cannot be one.
            seen.responses.append(answer)

        page.route(lambda url: not url.startswith((server, "data:", "blob:")), offline)
        page.on("request", request)
        page.on("response", response)
        page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: seen.errors.append(f"uncaught: {e}"))
        page.goto(server + path)
        return seen

    yield load
    context.close()


def wait_for_state(seen: Visit) -> dict[str, Any]:
    seen.page.wait_for_selector("body:not([data-state=loading])", timeout=WAIT_MS)
    return seen.state()


# Counts the chart canvases' pixels of each series' colour: a drawn line leaves many.
COUNT_COLOURS = """(colors) => {
  const rgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  const targets = Object.entries(colors).map(([key, hex]) => [key, rgb(hex)]);
  const counts = Object.fromEntries(targets.map(([key]) => [key, 0]));
  for (const canvas of document.querySelectorAll("#chart canvas")) {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < data.length; i += 4) {
      for (const [key, [r, g, b]] of targets) {
        const near = Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b);
        if (near < 16 && data[i + 3] > 200) counts[key] += 1;
      }
    }
  }
  return counts;
}"""


def test_the_chart_draws_what_the_api_serves(
    visit: Callable[[str], Visit], server: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seen = visit(f"/tickers/BTCUSD/chart?{urlencode(RANGE)}")
    state = wait_for_state(seen)
    assert state["state"] == "drawn", state["message"]
    page = seen.page

    with httpx.Client(base_url=server) as api:
        signals = api.get("/tickers/BTCUSD/signals", params=RANGE).json()
        history = api.get("/tickers/BTCUSD/sma/history", params={**RANGE, "limit": 10000}).json()
        latest = api.get("/tickers/BTCUSD/sma").json()

    # One marker per crossover the API reports for the same range, both kinds present.
    assert {e["type"] for e in signals["events"]} == {"bullish_cross", "bearish_cross"}
    assert state["markers"] == state["crossovers"] == signals["meta"]["count"] >= 6
    assert state["ticks"] == history["meta"]["count"] == 8 * 60
    assert page.inner_text("#crossovers").startswith(f"{signals['meta']['count']} (")

    # The canvas holds every series' colour: the bid and each SMA line were drawn.
    counts = page.evaluate(COUNT_COLOURS, state["colors"])
    assert set(counts) == {"bid_price", "sma_10", "sma_30", "sma_60", "sma_100"}
    assert all(n > 200 for n in counts.values()), counts

    # The latest values shown are /sma's, times in UTC whatever the browser's zone.
    shown = {
        cell.get_attribute("data-field"): (cell.get_attribute("data-value"), cell.inner_text())
        for cell in page.query_selector_all("#latest dd")
    }
    # Every value of the tick (where it came from and its age are not the chart's business).
    assert set(shown) == set(latest) - {"ticker", "source", "age_seconds"}
    for name, (value, text) in shown.items():
        expected = latest[name]
        if name == "last_refreshed":
            assert (value, text) == (expected, expected.replace("T", " ").replace("Z", " UTC"))
        elif name == "signal":
            assert value == text == expected
        else:
            assert float(value or "nan") == expected, name
            assert float(text) == float(f"{expected:.10g}"), name
    legend = page.inner_text("#legend")
    for name in ("bid", "sma_10", "sma_30", "sma_60", "sma_100", "bullish", "bearish"):
        assert name in legend

    # The picker offers every ticker /tickers lists.
    options = page.eval_on_selector_all("#picker option", "(os) => os.map((o) => o.value)")
    assert options == ["BTCUSD", "ETHUSD", "NEWUSD"]

    assert seen.errors == []
    assert seen.other_origins == []

    page.screenshot(path=str(SCREENSHOT))
    weight = page_weight(seen.responses)
    with capsys.disabled():
        print(
            f"\nchart page: drawn {state['drawnMs']:.0f} ms after navigation; "
            f"HTML+CSS+JS {weight['raw'] / 1024:.1f} KiB, {weight['sent'] / 1024:.1f} KiB as sent"
        )
    assert state["drawnMs"] < 15_000
    assert weight["sent"] < 100 * 1024


def test_the_chart_takes_windows_and_the_signal_pair(
    visit: Callable[[str], Visit], server: str
) -> None:
    query = {**RANGE, "windows": "20,50,200", "short": "20", "long": "50"}
    seen = visit(f"/tickers/BTCUSD/chart?{urlencode(query)}")
    state = wait_for_state(seen)
    assert state["state"] == "drawn", state["message"]
    with httpx.Client(base_url=server) as api:
        signals = api.get("/tickers/BTCUSD/signals", params={**RANGE, "short": 20, "long": 50})
    assert state["markers"] == state["crossovers"] == signals.json()["meta"]["count"] > 0
    assert set(state["colors"]) == {"bid_price", "sma_20", "sma_50", "sma_200"}
    counts = seen.page.evaluate(COUNT_COLOURS, state["colors"])
    assert all(n > 200 for n in counts.values()), counts
    fields = {c.get_attribute("data-field") for c in seen.page.query_selector_all("#latest dd")}
    assert {"sma_20", "sma_50", "sma_200"} <= fields
    assert seen.page.inner_text("#pair") == "sma_20 crossing above sma_50"
    assert seen.errors == []


def page_weight(responses: list[Response]) -> dict[str, int]:
    """Bytes of the page's own document, styles and scripts: unpacked, and as sent (bodies)."""
    page = [r for r in responses if r.request.resource_type in {"document", "stylesheet", "script"}]
    return {
        "raw": sum(len(r.body()) for r in page),
        "sent": sum(r.request.sizes()["responseBodySize"] for r in page),
    }


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/tickers/DOGEUSD/chart", "DOGEUSD: no data for ticker 'DOGEUSD'"),
        ("/tickers/NOT$A$TICKER/chart", "NOT$A$TICKER: "),
        (
            "/tickers/BTCUSD/chart?start=2024-03-01T00:00:00Z&end=2024-03-02T00:00:00Z",
            "No ticks for BTCUSD from 2024-03-01 00:00:00 UTC to 2024-03-02 00:00:00 UTC",
        ),
        ("/tickers/BTCUSD/chart?start=yesterday", "BTCUSD: start: "),
    ],
)
def test_a_bad_ticker_or_an_empty_range_shows_a_message(
    visit: Callable[[str], Visit], path: str, message: str
) -> None:
    seen = visit(path)
    state = wait_for_state(seen)
    assert state["state"] in {"error", "empty"}
    shown = seen.page.locator("#message")
    assert shown.is_visible()
    assert shown.inner_text().startswith(message)
    assert seen.page.locator("#chart").is_hidden()
    assert seen.page.locator("#chart canvas").count() == 0
    assert seen.other_origins == []
    # The browser logs the API's 404/422 answers; nothing else may fail.
    assert [e for e in seen.errors if "status of 4" not in e] == []


def test_swagger_ui_lists_the_operations_offline(visit: Callable[[str], Visit]) -> None:
    seen = visit("/docs")
    operations = seen.page.locator(".opblock-summary-path")
    operations.nth(4).wait_for(timeout=WAIT_MS)
    paths = sorted(operations.all_inner_texts())
    assert [p.replace("\u200b", "") for p in paths] == [
        "/health",
        "/sma",
        "/tickers",
        "/tickers/{ticker}/signals",
        "/tickers/{ticker}/sma",
        "/tickers/{ticker}/sma/history",
    ]
    assert seen.errors == []
    assert seen.other_origins == []


def test_redoc_lists_the_operations_offline(visit: Callable[[str], Visit]) -> None:
    seen = visit("/redoc")
    headings = seen.page.locator("h2")
    headings.filter(has_text="Latest Sma").wait_for(timeout=WAIT_MS)
    for name in ("List Tickers", "Sma History", "Signals", "Health"):
        assert headings.filter(has_text=name).count() >= 1, name
    # ReDoc's sidebar credit asks cdn.redoc.ly for a logo; the page's CSP stops it in the
    # browser (it never reaches the network, so nothing got to the abort above).
    assert seen.other_origins == ["https://cdn.redoc.ly/redoc/logo-mini.svg"]
    assert seen.aborted == []
    assert [e for e in seen.errors if "logo-mini.svg" not in e] == []
