"""`windows`, `short` and `long`: any SMA window, exact, with the history before the range."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sma.reference import rolling_sma
from sma.signals import signal
from sma_api.store.duckdb_store import DuckDbStore
from tests.api.api_lake import BTC_START, AppFactory, Lake, Row, iso, write_series

WINDOWS = (20, 50, 200)


def _close(got: float | None, want: float | None) -> bool:
    if got is None or want is None:
        return got is want
    return math.isclose(got, want, rel_tol=1e-12, abs_tol=0.0)


def _reference(lake: Lake, ticker: str, windows: tuple[int, ...]) -> dict[datetime, dict[int, Any]]:
    """Every tick's reference SMA per window, over the ticker's whole series (time order)."""
    rows = lake.rows[ticker]
    bids = [r["bid_price"] for r in rows]
    smas = {n: rolling_sma(bids, n) for n in windows}
    return {r["last_refreshed"]: {n: smas[n][i] for n in windows} for i, r in enumerate(rows)}


def _check_items(
    items: list[dict[str, Any]], lake: Lake, windows: tuple[int, ...], short: int, long: int
) -> None:
    reference = _reference(lake, "BTCUSD", tuple({*windows, short, long}))
    for item in items:
        want = reference[datetime.fromisoformat(item["last_refreshed"].replace("Z", "+00:00"))]
        assert [k for k in item if k.startswith("sma_")] == [f"sma_{n}" for n in windows]
        for n in windows:
            assert _close(item[f"sma_{n}"], want[n]), (item["last_refreshed"], n)
        assert item["signal"] == signal(want[short], want[long])


def test_latest_with_any_windows_is_the_reference(client: TestClient, lake: Lake) -> None:
    body = client.get("/tickers/BTCUSD/sma", params={"windows": "200,20,50,20"}).json()
    assert list(body) == [
        "ticker", "last_refreshed", "bid_price", "ask_price",
        "sma_20", "sma_50", "sma_200", "signal", "source", "age_seconds",
    ]  # fmt: skip
    assert body["last_refreshed"] == iso(lake.latest("BTCUSD")["last_refreshed"])
    _check_items([body], lake, WINDOWS, 10, 30)
    bids = [r["bid_price"] for r in lake.rows["BTCUSD"]]
    # Not only close: the same doubles as the reference.
    assert body["sma_200"] == rolling_sma(bids, 200)[-1]


def test_window_edges_n_minus_1_ticks_null_n_ticks_a_value(client: TestClient, lake: Lake) -> None:
    rows = lake.rows["BTCUSD"]
    params = {
        "windows": "7,8",
        "start": iso(BTC_START),
        "end": iso(BTC_START + timedelta(minutes=9)),
    }
    items = client.get("/tickers/BTCUSD/sma/history", params=params).json()["items"]
    assert [i["sma_8"] is None for i in items] == [True] * 7 + [False, False]
    assert [i["sma_7"] is None for i in items] == [True] * 6 + [False] * 3
    assert items[7]["sma_8"] == rolling_sma([r["bid_price"] for r in rows[:8]], 8)[-1]
    # NEWUSD has 7 ticks: a window of 7 has one value, of 8 none.
    new = client.get("/tickers/NEWUSD/sma", params={"windows": "7,8"}).json()
    assert new["sma_8"] is None
    assert new["sma_7"] is not None


@pytest.mark.parametrize("order", ["asc", "desc"])
@pytest.mark.parametrize(
    ("start", "hours"),
    [
        (datetime(2025, 1, 12, 23, 50, tzinfo=UTC), 1),  # lookback from the day before
        (BTC_START + timedelta(minutes=30), 3),  # lookback reaches the ticker's first tick
        (datetime(2025, 1, 13, 4, 0, tzinfo=UTC), 5),
    ],
)
def test_history_counts_the_ticks_before_start(
    client: TestClient, lake: Lake, order: str, start: datetime, hours: int
) -> None:
    end = start + timedelta(hours=hours)
    params = {"windows": "20,50,200", "start": iso(start), "end": iso(end), "order": order}
    body = client.get("/tickers/BTCUSD/sma/history", params={**params, "limit": 10000}).json()
    expected = [r for r in lake.rows["BTCUSD"] if start <= r["last_refreshed"] < end]
    times = [iso(r["last_refreshed"]) for r in expected]
    assert [i["last_refreshed"] for i in body["items"]] == (
        times if order == "asc" else times[::-1]
    )
    _check_items(body["items"], lake, WINDOWS, 10, 30)
    assert body["meta"]["truncated"] is False
    limited = client.get("/tickers/BTCUSD/sma/history", params={**params, "limit": 7}).json()
    assert limited["items"] == body["items"][:7]
    assert limited["meta"]["truncated"] is True


def test_the_default_range_and_a_golden_cross_signal(client: TestClient, lake: Lake) -> None:
    body = client.get(
        "/tickers/BTCUSD/sma/history", params={"short": 50, "long": 200, "limit": 10000}
    ).json()
    assert len(body["items"]) == 24 * 60
    # Without `windows` the items carry the lake's own columns, the signal compares 50 and 200.
    reference = _reference(lake, "BTCUSD", (50, 200))
    rows = {iso(r["last_refreshed"]): r for r in lake.rows["BTCUSD"]}
    for item in body["items"]:
        row = rows[item["last_refreshed"]]
        assert [item[c] for c in ("sma_10", "sma_30", "sma_60", "sma_100")] == [
            row[c] for c in ("sma_10", "sma_30", "sma_60", "sma_100")
        ]
        want = reference[row["last_refreshed"]]
        assert item["signal"] == signal(want[50], want[200])


def test_signals_of_any_pair(client: TestClient, lake: Lake) -> None:
    start, end = BTC_START + timedelta(hours=4), BTC_START + timedelta(hours=20)
    body = client.get(
        "/tickers/BTCUSD/signals",
        params={"start": iso(start), "end": iso(end), "short": 20, "long": 50},
    ).json()
    reference = _reference(lake, "BTCUSD", (20, 50))
    sides: list[tuple[Row, str]] = []
    for row in lake.rows["BTCUSD"]:
        if start <= row["last_refreshed"] < end:
            side = signal(
                reference[row["last_refreshed"]][20], reference[row["last_refreshed"]][50]
            )
            if side in ("bullish", "bearish"):
                sides.append((row, side))
    expected = [
        (f"{after}_cross", iso(a["last_refreshed"]), iso(b["last_refreshed"]))
        for (b, before), (a, after) in itertools.pairwise(sides)
        if before != after
    ]
    assert len(expected) >= 4
    got = [(e["type"], e["last_refreshed"], e["before"]["last_refreshed"]) for e in body["events"]]
    assert got == expected
    first = body["events"][0]
    assert set(first["before"]) == {"last_refreshed", "signal", "sma_20", "sma_50"}
    assert _close(
        first["after"]["sma_20"],
        reference[datetime.fromisoformat(first["last_refreshed"].replace("Z", "+00:00"))][20],
    )


class CountingStore(DuckDbStore):
    """The real DuckDB store, counting the queries it runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queries: list[str] = []

    def _run(self, text: str, params: Any, files: list[str]) -> list[dict[str, object]]:
        self.queries.append(text)
        return super()._run(text, params, files)


def test_one_query_per_request_and_a_second_step_only_when_the_days_held_too_few(
    make_client: AppFactory, lake: Lake, tmp_path: Path
) -> None:
    params = {"windows": "200", "start": "2025-01-13T00:30:00Z", "end": "2025-01-13T01:00:00Z"}
    store = CountingStore(lake.root)
    client = make_client(store=store)
    client.get("/tickers/BTCUSD/sma")  # the newest tick, which every history answer needs
    store.queries.clear()
    dense = client.get("/tickers/BTCUSD/sma/history", params=params).json()
    assert len(store.queries) == 1
    assert "UNION ALL" in store.queries[0]
    _check_items(dense["items"], lake, (200,), 10, 30)

    # A tick every 30 minutes: the day before the range holds 48, not the 199 a window of 200
    # needs; a second, bounded step reads further back. Told the rate, one query does.
    start = datetime(2025, 1, 1, tzinfo=UTC)
    times = [start + timedelta(minutes=30 * i) for i in range(48 * 20)]
    bids = [100 + (i % 17) * 0.37 + i * 0.01 for i in range(len(times))]
    rows = write_series(tmp_path, "SLOWUSD", times, [(b, b + 1) for b in bids])
    sparse = {"windows": "200", "start": "2025-01-18T00:00:00Z", "end": "2025-01-18T06:00:00Z"}
    expected = [
        (iso(r["last_refreshed"]), want)
        for r, want in zip(rows, rolling_sma(bids, 200), strict=True)
        if "2025-01-18T00" <= iso(r["last_refreshed"]) < "2025-01-18T06"
    ]
    for per_day, queries in ((24 * 60, 2), (48, 1)):
        counting = CountingStore(tmp_path, ticks_per_day=per_day)
        slow = make_client(store=counting, root=tmp_path)
        slow.get("/tickers/SLOWUSD/sma")
        counting.queries.clear()
        items = slow.get("/tickers/SLOWUSD/sma/history", params=sparse).json()["items"]
        assert [(i["last_refreshed"], i["sma_200"]) for i in items] == expected
        assert len(counting.queries) == queries, per_day


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"windows": "1"}, "windows: a window is 2 to 1000 ticks, got 1"),
        ({"windows": "20,1001"}, "got 1001"),
        ({"windows": "2,3,4,5,6,7,8,9,10"}, "at most 8 windows"),
        ({"windows": "20;50"}, "whole numbers separated by commas"),
        ({"windows": ""}, "whole numbers separated by commas"),
        ({"windows": "-5"}, "whole numbers"),
        ({"short": 30, "long": 10}, "short (30) must be a shorter window than long (10)"),
        ({"short": 20}, "short (20)"),  # above... no: 20 < 30 is fine; see below
    ],
)
def test_bad_windows_are_422_with_a_message(
    client: TestClient, params: dict[str, Any], message: str
) -> None:
    if params == {"short": 20}:
        params = {"short": 40}
        message = "short (40) must be a shorter window than long (30)"
    for path in ("/tickers/BTCUSD/sma", "/tickers/BTCUSD/sma/history"):
        response = client.get(path, params=params)
        assert response.status_code == 422, path
        assert message in response.json()["detail"], response.text


@pytest.mark.parametrize("params", [{"short": 1}, {"long": 1001}, {"short": "x"}])
def test_out_of_range_signal_windows_are_422(client: TestClient, params: dict[str, Any]) -> None:
    for path in ("/tickers/BTCUSD/sma", "/tickers/BTCUSD/signals"):
        response = client.get(path, params=params)
        assert response.status_code == 422
        assert "detail" in response.json()


def test_truncated_only_when_more_ticks_exist(client: TestClient) -> None:
    params = {"start": "2025-01-13T00:00:00Z", "end": "2025-01-13T00:10:00Z"}
    for extra in ({}, {"windows": "20"}):
        for order in ("asc", "desc"):
            exact = {**params, **extra, "limit": 10, "order": order}
            body = client.get("/tickers/BTCUSD/sma/history", params=exact).json()
            assert (body["meta"]["count"], body["meta"]["truncated"]) == (10, False)
            fewer = {**exact, "limit": 9}
            body = client.get("/tickers/BTCUSD/sma/history", params=fewer).json()
            assert (body["meta"]["count"], body["meta"]["truncated"]) == (9, True)
