"""Cached latest answers go out before routing; every other request reaches the routes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from sma_api.fast_path import CachedLatest, cache_key
from sma_api.spec import SmaSpec
from tests.api.api_lake import AppFactory


@pytest.mark.parametrize(
    ("path", "query", "key"),
    [
        ("/tickers/btc-usd/sma", b"", ("BTCUSD", SmaSpec(), False)),
        ("/tickers/BTC/USD/sma", b"source=live", ("BTCUSD", SmaSpec(), True)),
        (
            "/tickers/BTCUSD/sma",
            b"windows=200,20&short=050&long=200&source=lake",
            ("BTCUSD", SmaSpec((20, 200), 50, 200), False),
        ),
        ("/tickers/BTCUSD/sma", b"short=%2B50", None),  # not the plain form: the routes decide
        ("/tickers/BTCUSD/sma", b"short=5_0", None),
        ("/tickers/BTCUSD/sma", b"windows=1", None),  # invalid: the routes explain it
        ("/tickers/BTCUSD/sma", b"source=both", None),
        ("/tickers/BTCUSD/sma", b"other=1", None),
        ("/tickers/B$D/sma", b"", None),
        ("/tickers/BTCUSD/sma/history", b"", None),
        ("/sma", b"tickers=BTCUSD", None),
    ],
)
def test_only_requests_in_the_routes_plain_form_have_a_key(
    path: str, query: bytes, key: tuple[str, SmaSpec, bool] | None
) -> None:
    assert cache_key(path, query) == key


def test_a_cached_answer_never_reaches_the_routes(make_client: AppFactory) -> None:
    client = make_client()
    first = client.get("/tickers/BTCUSD/sma", params={"windows": "20,50"})
    assert first.status_code == 200
    app = client.app
    reached: list[str] = []

    async def routes(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    fast = CachedLatest(routes, app.state.answers, app.state.clock)  # type: ignore[attr-defined]
    sent: list[dict[str, Any]] = []

    async def call(path: str, query: bytes, headers: list[tuple[bytes, bytes]]) -> int:
        sent.clear()
        scope = {"type": "http", "method": "GET", "path": path, "query_string": query}
        scope |= {"root_path": "", "headers": headers}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await fast(scope, receive, send)
        return int(sent[0]["status"])

    assert asyncio.run(call("/tickers/btcusd/sma", b"windows=50,20", [])) == 200
    assert sent[1]["body"].startswith(first.content[: first.content.index(b'"age_seconds"')])
    etag = first.headers["etag"].encode()
    assert asyncio.run(call("/tickers/BTCUSD/sma", b"windows=20,50", [(b"if-none-match", etag)]))
    assert sent[0]["status"] == 304
    assert reached == []
    for path, query in (
        ("/tickers/BTCUSD/sma", b""),  # not cached yet
        ("/tickers/BTCUSD/sma", b"windows=20,50&format=csv"),
        ("/tickers/BTCUSD/sma/history", b"windows=20,50"),
    ):
        assert asyncio.run(call(path, query, [])) == 418
    assert len(reached) == 3
