"""GET /tickers/{ticker}/sma/history: ranges, bounds, ordering, limits, meta."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.api.api_lake import BTC_START, Lake, tick_json
from tests.support.times import iso


def _expected(lake: Lake, ticker: str, start: datetime, end: datetime) -> list[dict[str, object]]:
    return [tick_json(ticker, r) for r in lake.rows[ticker] if start <= r["last_refreshed"] < end]


def test_default_is_the_last_24_hours_of_data_oldest_first(client: TestClient, lake: Lake) -> None:
    newest = lake.latest("BTCUSD")["last_refreshed"]
    body = client.get("/tickers/BTCUSD/sma/history", params={"limit": 10000}).json()
    expected = [
        tick_json("BTCUSD", r)
        for r in lake.rows["BTCUSD"]
        if newest - timedelta(hours=24) < r["last_refreshed"] <= newest
    ]
    assert len(expected) == 24 * 60
    assert body["items"] == expected
    assert body["meta"] == {
        "start": iso(newest - timedelta(hours=24) + timedelta(seconds=1)),
        "end": iso(newest + timedelta(seconds=1)),
        "limit": 10000,
        "order": "asc",
        "count": len(expected),
        "truncated": False,
    }
    assert body["ticker"] == "BTCUSD"


def test_start_is_inclusive_end_exclusive_across_midnight(client: TestClient, lake: Lake) -> None:
    start = datetime(2025, 1, 12, 23, 58, tzinfo=UTC)
    end = datetime(2025, 1, 13, 0, 3, tzinfo=UTC)
    body = client.get(
        "/tickers/btc-usd/sma/history", params={"start": iso(start), "end": iso(end)}
    ).json()
    assert [i["last_refreshed"] for i in body["items"]] == [
        "2025-01-12T23:58:00Z",
        "2025-01-12T23:59:00Z",
        "2025-01-13T00:00:00Z",
        "2025-01-13T00:01:00Z",
        "2025-01-13T00:02:00Z",
    ]
    assert body["items"] == _expected(lake, "BTCUSD", start, end)
    assert body["meta"]["start"] == iso(start)
    assert body["meta"]["end"] == iso(end)


def test_desc_order_with_a_limit_gives_the_newest_first(client: TestClient, lake: Lake) -> None:
    start = BTC_START + timedelta(hours=3)
    end = start + timedelta(hours=2)
    body = client.get(
        "/tickers/BTCUSD/sma/history",
        params={"start": iso(start), "end": iso(end), "limit": 7, "order": "desc"},
    ).json()
    assert body["items"] == list(reversed(_expected(lake, "BTCUSD", start, end)))[:7]
    assert body["meta"]["count"] == 7
    assert body["meta"]["truncated"] is True
    assert body["meta"]["order"] == "desc"


def test_only_start_means_the_24_hours_after_it(client: TestClient, lake: Lake) -> None:
    start = BTC_START + timedelta(minutes=30)
    body = client.get(
        "/tickers/BTCUSD/sma/history", params={"start": iso(start), "limit": 10000}
    ).json()
    assert body["meta"]["end"] == iso(start + timedelta(hours=24))
    assert body["items"] == _expected(lake, "BTCUSD", start, start + timedelta(hours=24))


def test_only_end_means_the_24_hours_before_it(client: TestClient, lake: Lake) -> None:
    end = BTC_START + timedelta(hours=2)
    body = client.get(
        "/tickers/BTCUSD/sma/history", params={"end": iso(end), "limit": 10000}
    ).json()
    assert body["meta"]["start"] == iso(end - timedelta(hours=24))
    assert body["items"] == _expected(lake, "BTCUSD", end - timedelta(hours=24), end)


def test_offsets_are_converted_and_naive_times_are_utc(client: TestClient, lake: Lake) -> None:
    start = BTC_START + timedelta(hours=1)
    end = start + timedelta(minutes=10)
    with_offset = client.get(
        "/tickers/BTCUSD/sma/history",
        params={"start": "2025-01-12T09:00:00+02:00", "end": "2025-01-12T09:10:00+02:00"},
    ).json()
    naive = client.get(
        "/tickers/BTCUSD/sma/history",
        params={"start": "2025-01-12T07:00:00", "end": "2025-01-12T07:10:00"},
    ).json()
    assert with_offset["items"] == naive["items"] == _expected(lake, "BTCUSD", start, end)
    assert naive["meta"]["start"] == "2025-01-12T07:00:00Z"


def test_a_range_without_data_is_an_empty_list(client: TestClient) -> None:
    body = client.get(
        "/tickers/BTCUSD/sma/history",
        params={"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"},
    ).json()
    assert body["items"] == []
    assert body["meta"]["count"] == 0


def test_limit_max_is_10000(client: TestClient) -> None:
    start = iso(BTC_START)
    ok = client.get(
        "/tickers/BTCUSD/sma/history", params={"limit": 10000, "start": start, "end": "2025-01-14"}
    )
    assert ok.status_code == 200
    assert ok.json()["meta"]["count"] == 26 * 60 + 17
    too_many = client.get("/tickers/BTCUSD/sma/history", params={"limit": 10001})
    assert too_many.status_code == 422
    assert "limit" in too_many.text


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": "ten"},
        {"order": "sideways"},
        {"start": "yesterday"},
        {"start": "1.9"},
        {"end": "1736755200"},
        {"end": "2025-13-45T00:00:00Z"},
    ],
)
def test_bad_query_parameters_are_422(client: TestClient, params: dict[str, object]) -> None:
    response = client.get("/tickers/BTCUSD/sma/history", params=params)
    assert response.status_code == 422
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2025-01-13T00:00:00Z", "2025-01-13T00:00:00Z"),
        ("2025-01-13T01:00:00Z", "2025-01-13T00:00:00Z"),
    ],
)
def test_start_not_before_end_is_422(client: TestClient, start: str, end: str) -> None:
    response = client.get("/tickers/BTCUSD/sma/history", params={"start": start, "end": end})
    assert response.status_code == 422
    assert "must be before end" in response.json()["detail"]


def test_history_of_a_ticker_without_data_is_404(client: TestClient) -> None:
    assert client.get("/tickers/XRPUSD/sma/history").status_code == 404


def test_history_of_an_invalid_ticker_is_422(client: TestClient) -> None:
    response = client.get(f"/tickers/{quote('BTC USD')}/sma/history")
    assert response.status_code == 422
    assert "BTC USD" in response.json()["detail"]
