"""`format=csv` (or `Accept: text/csv`) on /sma/history and /signals: the JSON, as CSV rows."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.api_lake import BTC_START, iso

RANGE = {"start": iso(BTC_START), "end": "2025-01-14T00:00:00Z"}


def _rows(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def _cell(value: Any) -> str:
    """How the CSV writes a JSON value: null empty, numbers as read back, text as it is."""
    if value is None:
        return ""
    return value if isinstance(value, str) else repr(float(value))


def _flat(item: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in item.items():
        if isinstance(value, dict):
            out |= _flat(value, f"{prefix}{key}.")
        else:
            out[f"{prefix}{key}"] = value
    return out


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 10000},
        {"limit": 50, "order": "desc", "windows": "20,50,200", "short": 20, "long": 50},
        {"limit": 10000, "start": "2020-01-01", "end": "2020-01-02"},  # no rows: the header
    ],
)
def test_history_as_csv_is_the_json_items_row_by_row(
    client: TestClient, params: dict[str, Any]
) -> None:
    query = {**RANGE, **params}
    as_json = client.get("/tickers/BTCUSD/sma/history", params=query).json()
    answer = client.get("/tickers/BTCUSD/sma/history", params={**query, "format": "csv"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert "content-length" not in answer.headers  # streamed
    assert answer.text.endswith("\r\n")
    header, rows = _rows(answer.text)
    fields = ["ticker", "last_refreshed", "bid_price", "ask_price"]
    fields += [f"sma_{n}" for n in params.get("windows", "10,30,60,100").split(",")] + ["signal"]
    assert header == fields
    assert len(rows) == len(as_json["items"])
    for row, item in zip(rows, as_json["items"], strict=True):
        assert list(item) == header
        assert row == {k: _cell(v) for k, v in item.items()}
    assert rows == [] or rows[0]["last_refreshed"].endswith("Z")


def test_accept_text_csv_asks_for_csv_and_format_wins(client: TestClient) -> None:
    by_format = client.get("/tickers/BTCUSD/sma/history", params={"format": "csv"})
    by_accept = client.get("/tickers/BTCUSD/sma/history", headers={"Accept": "text/csv"})
    assert by_accept.headers["content-type"].startswith("text/csv")
    assert by_accept.text == by_format.text
    json_wins = client.get(
        "/tickers/BTCUSD/sma/history", params={"format": "json"}, headers={"Accept": "text/csv"}
    )
    assert json_wins.headers["content-type"] == "application/json"
    assert client.get("/tickers/BTCUSD/sma/history", params={"format": "xml"}).status_code == 422


def test_the_cached_csv_answer_is_the_same_bytes(client: TestClient) -> None:
    """(Streaming over a real socket, in chunks: test_api_cache_memory.)"""
    query = {**RANGE, "limit": 10000, "format": "csv"}
    first = client.get("/tickers/BTCUSD/sma/history", params=query)
    again = client.get("/tickers/BTCUSD/sma/history", params=query)
    assert len(first.text.splitlines()) == 1 + 26 * 60 + 17
    assert again.content == first.content


def test_signals_as_csv_flatten_each_side(client: TestClient) -> None:
    query = {**RANGE, "short": 10, "long": 30}
    as_json = client.get("/tickers/BTCUSD/signals", params=query).json()
    answer = client.get("/tickers/BTCUSD/signals", params={**query, "format": "csv"})
    header, rows = _rows(answer.text)
    assert header == [
        "type",
        "last_refreshed",
        "before.last_refreshed",
        "before.signal",
        "before.sma_10",
        "before.sma_30",
        "after.last_refreshed",
        "after.signal",
        "after.sma_10",
        "after.sma_30",
    ]
    assert len(rows) == len(as_json["events"]) >= 6
    for row, event in zip(rows, as_json["events"], strict=True):
        assert row == {k: _cell(v) for k, v in _flat(event).items()}


def test_errors_stay_json(client: TestClient) -> None:
    for path in ("/tickers/NOPE/sma/history", "/tickers/NOPE/signals"):
        answer = client.get(path, params={"format": "csv"})
        assert answer.status_code == 404
        assert answer.json() == {"detail": "no data for ticker 'NOPE'"}
