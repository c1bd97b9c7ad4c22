"""GET /tickers/{ticker}/signals: sma_10 crossing sma_30, with the ticks on both sides."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from sma.signals import signal
from tests.api.api_lake import BTC_START, Lake, Row
from tests.support.times import iso


def _oracle_crossovers(rows: list[Row]) -> list[dict[str, Any]]:
    """Crossovers straight from the reference SMAs: a change of side between sided ticks."""
    events = []
    previous: Row | None = None
    for row in rows:
        side = signal(row["sma_10"], row["sma_30"])
        if side not in ("bullish", "bearish"):
            continue
        if previous is not None:
            before = signal(previous["sma_10"], previous["sma_30"])
            if before != side:
                events.append(
                    {
                        "type": f"{side}_cross",
                        "last_refreshed": iso(row["last_refreshed"]),
                        "before": _side(previous, before),
                        "after": _side(row, side),
                    }
                )
        previous = row
    return events


def _side(row: Row, side: str | None) -> dict[str, Any]:
    return {
        "last_refreshed": iso(row["last_refreshed"]),
        "signal": side,
        "sma_10": row["sma_10"],
        "sma_30": row["sma_30"],
    }


def test_crossovers_match_the_reference_smas(client: TestClient, lake: Lake) -> None:
    start, end = BTC_START, BTC_START + timedelta(hours=12)
    body = client.get(
        "/tickers/BTC-USD/signals", params={"start": iso(start), "end": iso(end)}
    ).json()
    rows = [r for r in lake.rows["BTCUSD"] if start <= r["last_refreshed"] < end]
    expected = _oracle_crossovers(rows)
    # The generated prices wave: there must be crossovers both ways to check.
    assert {e["type"] for e in expected} == {"bullish_cross", "bearish_cross"}
    assert len(expected) >= 6
    assert body["events"] == expected
    assert body["meta"] == {
        "start": iso(start),
        "end": iso(end),
        "count": len(expected),
        "ticks": len(rows),
    }


def test_each_event_has_the_values_on_both_sides(client: TestClient) -> None:
    for event in client.get("/tickers/BTCUSD/signals").json()["events"]:
        before, after = event["before"], event["after"]
        assert before["last_refreshed"] < after["last_refreshed"] == event["last_refreshed"]
        if event["type"] == "bullish_cross":
            assert before["sma_10"] < before["sma_30"]
            assert after["sma_10"] > after["sma_30"]
        else:
            assert before["sma_10"] > before["sma_30"]
            assert after["sma_10"] < after["sma_30"]


def test_default_range_is_the_last_24_hours_of_data(client: TestClient, lake: Lake) -> None:
    newest = lake.latest("BTCUSD")["last_refreshed"]
    body = client.get("/tickers/BTCUSD/signals").json()
    rows = [
        r
        for r in lake.rows["BTCUSD"]
        if newest - timedelta(hours=24) < r["last_refreshed"] <= newest
    ]
    assert body["events"] == _oracle_crossovers(rows)
    assert body["meta"]["ticks"] == len(rows)


def test_null_smas_give_no_events(client: TestClient, lake: Lake) -> None:
    body = client.get("/tickers/NEWUSD/signals").json()
    assert body["events"] == []
    assert body["meta"]["ticks"] == len(lake.rows["NEWUSD"])


def test_signals_errors(client: TestClient) -> None:
    assert client.get("/tickers/NOPE/signals").status_code == 404
    assert client.get("/tickers/N%24PE/signals").status_code == 422
    reversed_range = client.get(
        "/tickers/BTCUSD/signals", params={"start": "2025-01-13", "end": "2025-01-12"}
    )
    assert reversed_range.status_code == 422
    too_long = client.get(
        "/tickers/BTCUSD/signals", params={"start": "2024-01-01", "end": "2025-01-12"}
    )
    assert too_long.status_code == 422
    assert "at most 31 days" in too_long.json()["detail"]
