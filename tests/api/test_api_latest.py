"""GET /tickers/{ticker}/sma over a real DuckDB on a real Parquet lake."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from sma.windows import SMA_COLUMNS
from tests.api.api_lake import Lake, latest_json, without_age


@pytest.mark.parametrize("ticker", ["BTCUSD", "ETHUSD"])
def test_latest_is_the_newest_tick_with_its_smas_and_signal(
    client: TestClient, lake: Lake, ticker: str
) -> None:
    response = client.get(f"/tickers/{ticker}/sma")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert without_age(response.json()) == latest_json(ticker, lake.latest(ticker))


def test_keys_come_in_the_documented_order(client: TestClient) -> None:
    body = client.get("/tickers/BTCUSD/sma").json()
    expected = [
        "ticker",
        "last_refreshed",
        "bid_price",
        "ask_price",
        *SMA_COLUMNS,
        "signal",
        "source",
        "age_seconds",
    ]
    assert list(body) == expected
    assert body["last_refreshed"].endswith("Z")


@pytest.mark.parametrize("spelling", ["btcusd", "BTC-USD", "BTC%2FUSD", "btc_usd", "%20BTCUSD%20"])
def test_every_usual_spelling_finds_the_same_ticker(
    client: TestClient, lake: Lake, spelling: str
) -> None:
    response = client.get(f"/tickers/{spelling}/sma")
    assert response.status_code == 200
    assert without_age(response.json()) == latest_json("BTCUSD", lake.latest("BTCUSD"))


def test_too_few_ticks_give_null_smas_and_no_signal(client: TestClient, lake: Lake) -> None:
    body = client.get("/tickers/newusd/sma").json()
    assert without_age(body) == latest_json("NEWUSD", lake.latest("NEWUSD"))
    assert all(body[c] is None for c in SMA_COLUMNS)
    assert body["signal"] is None
    assert body["bid_price"] == lake.latest("NEWUSD")["bid_price"]


@pytest.mark.parametrize("bad", ["B", "BTC$USD", "BTC--USD", "x" * 21, "BTC.USD", "%C3%9F%C3%9F"])
def test_an_invalid_ticker_is_422_naming_it(client: TestClient, bad: str) -> None:
    response = client.get(f"/tickers/{bad}/sma")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "invalid ticker" in detail
    assert "Traceback" not in response.text


def test_a_valid_ticker_without_data_is_404(client: TestClient) -> None:
    response = client.get("/tickers/DOGE-EUR/sma")
    assert response.status_code == 404
    assert response.json() == {"detail": "no data for ticker 'DOGEEUR'"}


def test_an_unknown_path_is_a_json_404(client: TestClient) -> None:
    response = client.get("/tickers/BTCUSD/nothing")
    assert response.status_code == 404
    assert "detail" in response.json()
