"""The Lambda entry point: real API Gateway HTTP API (payload 2.0) events through Mangum."""

from __future__ import annotations

import base64
import gzip
import importlib
import json
import sys
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

import pytest

from sma_api import config
from tests.api.api_lake import Lake, latest_json, without_age

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class LambdaContext:
    function_name = "crypto-sma-api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:crypto-sma-api"
    aws_request_id = "6f0c1f6e-0000-4000-8000-000000000000"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 29_000


def http_api_event(
    path: str, query: str = "", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """An event as API Gateway HTTP API sends it to Lambda (payload format version 2.0).

    `rawPath` is the path as sent; `requestContext.http.path` is it percent-decoded.
    """
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "accept": "application/json",
            "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "user-agent": "curl/8.5.0",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https",
            **(headers or {}),
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {
                "method": "GET",
                "path": unquote(path),
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "13/Jan/2025:08:20:00 +0000",
            "timeEpoch": 1736756400000,
        },
        "isBase64Encoded": False,
    }


@pytest.fixture
def handler(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> Iterator[Handler]:
    """`sma_api.lambda_handler.handler` as Lambda imports it, configured by the environment."""
    monkeypatch.setenv("SMA_BACKEND", "duckdb")
    monkeypatch.setenv("SMA_LAKE_PATH", str(lake.root))
    config.get_settings.cache_clear()
    sys.modules.pop("sma_api.lambda_handler", None)
    module = importlib.import_module("sma_api.lambda_handler")
    yield module.handler
    sys.modules.pop("sma_api.lambda_handler", None)
    config.get_settings.cache_clear()


def test_latest_through_api_gateway(handler: Handler, lake: Lake) -> None:
    response = handler(http_api_event("/tickers/BTC-USD/sma"), LambdaContext())
    assert response["statusCode"] == 200
    assert response["headers"]["content-type"] == "application/json"
    assert without_age(json.loads(response["body"])) == latest_json("BTCUSD", lake.latest("BTCUSD"))
    assert response["headers"]["cache-control"].startswith("public, max-age=")


def test_an_encoded_slash_in_the_ticker(handler: Handler, lake: Lake) -> None:
    response = handler(http_api_event("/tickers/BTC%2FUSD/sma"), LambdaContext())
    assert response["statusCode"] == 200
    assert without_age(json.loads(response["body"])) == latest_json("BTCUSD", lake.latest("BTCUSD"))


def test_new_parameters_through_api_gateway(handler: Handler) -> None:
    """Windows, CSV and many tickers answer on Lambda as they do behind uvicorn."""
    query = "windows=20,50,200&limit=3&order=desc&format=csv"
    csv = handler(http_api_event("/tickers/BTCUSD/sma/history", query), LambdaContext())
    assert csv["statusCode"] == 200
    assert csv["headers"]["content-type"] == "text/csv; charset=utf-8"
    lines = csv["body"].splitlines()
    assert lines[0] == "ticker,last_refreshed,bid_price,ask_price,sma_20,sma_50,sma_200,signal"
    assert len(lines) == 4
    many = handler(http_api_event("/sma", "tickers=BTCUSD,ETH-USD,NOPE"), LambdaContext())
    assert many["statusCode"] == 200
    body = json.loads(many["body"])
    assert ([i["ticker"] for i in body["items"]], body["not_found"]) == (
        ["BTCUSD", "ETHUSD"],
        ["NOPE"],
    )


def test_history_query_string_and_304(handler: Handler) -> None:
    query = "start=2025-01-12T23:58:00Z&end=2025-01-13T00:00:00Z&order=desc"
    first = handler(http_api_event("/tickers/btcusd/sma/history", query), LambdaContext())
    assert first["statusCode"] == 200
    body = json.loads(first["body"])
    assert [i["last_refreshed"] for i in body["items"]] == [
        "2025-01-12T23:59:00Z",
        "2025-01-12T23:58:00Z",
    ]
    etag = first["headers"]["etag"]
    again = handler(
        http_api_event("/tickers/btcusd/sma/history", query, {"if-none-match": etag}),
        LambdaContext(),
    )
    assert again["statusCode"] == 304
    assert again["body"] == ""


def test_errors_through_api_gateway(handler: Handler) -> None:
    not_found = handler(http_api_event("/tickers/DOGEUSD/sma"), LambdaContext())
    assert not_found["statusCode"] == 404
    assert json.loads(not_found["body"]) == {"detail": "no data for ticker 'DOGEUSD'"}
    invalid = handler(http_api_event("/tickers/DOGE$USD/sma"), LambdaContext())
    assert invalid["statusCode"] == 422
    health = handler(http_api_event("/health"), LambdaContext())
    assert (health["statusCode"], json.loads(health["body"])["status"]) == (200, "ok")


def test_the_lambda_module_does_not_import_duckdb_for_athena() -> None:
    import subprocess

    code = (
        "import sys, sma_api.lambda_handler as h; "
        "print(h.handler is not None, 'duckdb' in sys.modules, 'pyarrow' in sys.modules)"
    )
    env = {
        "SMA_BACKEND": "athena",
        "ATHENA_WORKGROUP": "primary",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "PATH": "/usr/bin:/bin",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert out.stdout.split() == ["True", "False", "False"]


def test_the_chart_page_and_its_files_through_api_gateway(handler: Handler) -> None:
    from sma_api.assets import CHART_LIBRARY, STATIC_DIR

    page = handler(http_api_event("/tickers/BTC%2FUSD/chart", "start=2025-01-12"), LambdaContext())
    assert page["statusCode"] == 200
    assert page["headers"]["content-type"].startswith("text/html")
    assert "script-src 'self'" in page["headers"]["content-security-policy"]
    assert 'data-ticker="BTC/USD"' in page["body"]
    library = handler(http_api_event(f"/static/{CHART_LIBRARY}"), LambdaContext())
    assert library["statusCode"] == 200
    assert "javascript" in library["headers"]["content-type"]
    assert not library["isBase64Encoded"]
    assert library["body"] == (STATIC_DIR / CHART_LIBRARY).read_text(encoding="utf-8")
    # Gzipped for a browser that asks, which API Gateway gets as base64.
    event = http_api_event(f"/static/{CHART_LIBRARY}", headers={"accept-encoding": "gzip"})
    packed = handler(event, LambdaContext())
    assert (packed["headers"]["content-encoding"], packed["isBase64Encoded"]) == ("gzip", True)
    assert gzip.decompress(base64.b64decode(packed["body"])).decode() == library["body"]
    docs = handler(http_api_event("/docs"), LambdaContext())
    assert docs["statusCode"] == 200
    assert "/static/vendor/swagger-ui-dist/swagger-ui-bundle.js" in docs["body"]
