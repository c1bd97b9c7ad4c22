"""Freshness from the data: a run completes, and within seconds every endpoint shows it."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import httpx
import pytest

from sma_laptop.producer import Tick, create_source_table, put_ticks
from tests.support import job
from tests.support.api_server import serve_api

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

TABLE = "DataConsumerTable"
DAY = datetime(2025, 1, 13, tzinfo=UTC)
H = timedelta(hours=1)
# The API looks at the marker at most this often.
CHECK_SECONDS = 1.0


def _newest(client: httpx.Client) -> dict[str, Any]:
    """What each endpoint says is the newest tick of BTCUSD, and the latest answer's ETag."""
    sma = client.get("/tickers/BTCUSD/sma")
    tickers = client.get("/tickers").json()
    history = client.get("/tickers/BTCUSD/sma/history", params={"order": "desc", "limit": 1})
    return {
        "sma": sma.json()["last_refreshed"],
        "tickers": next(t["last_refreshed"] for t in tickers["tickers"] if t["ticker"] == "BTCUSD"),
        "history": history.json()["items"][0]["last_refreshed"],
        "etag": sma.headers["etag"],
    }


def test_every_endpoint_shows_a_completed_run_within_seconds(
    spark: SparkSession, moto_endpoint: str, tmp_path: Path
) -> None:
    create_source_table(boto3.client("dynamodb", endpoint_url=moto_endpoint), TABLE)
    table = boto3.resource("dynamodb", endpoint_url=moto_endpoint).Table(TABLE)
    ticks = [Tick("BTC/USD", DAY + i * timedelta(minutes=1), "100.5", "100.75") for i in range(300)]
    put_ticks(table, ticks)
    lake = tmp_path / "lake"
    common: dict[str, Any] = {"endpoint": moto_endpoint, "table": TABLE, "lake": lake}
    job.run_job(spark, now=DAY + 3 * H + timedelta(minutes=10), tickers=("BTC/USD",), **common)

    env = {
        "SMA_BACKEND": "duckdb",
        "SMA_LAKE_PATH": str(lake),
        "SMA_REFRESH_CHECK_SECONDS": str(CHECK_SECONDS),
    }
    with serve_api(env, timeout=60) as api, httpx.Client(base_url=api.url) as client:
        before = _newest(client)
        assert {before[k] for k in ("sma", "tickers", "history")} == {"2025-01-13T02:59:00Z"}
        assert (
            client.get("/tickers/BTCUSD/sma", headers={"If-None-Match": before["etag"]}).status_code
            == 304
        )

        job.run_job(spark, now=DAY + 4 * H + timedelta(minutes=10), tickers=("BTC/USD",), **common)
        marker = json.loads((lake / "_refresh.json").read_text())
        ended = datetime.fromisoformat(marker["ended"].replace("Z", "+00:00"))

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = _newest(client)
            if {now[k] for k in ("sma", "tickers", "history")} == {"2025-01-13T03:59:00Z"}:
                break
            time.sleep(0.1)
        seconds = (datetime.now(UTC) - ended).total_seconds()
        print(f"every endpoint fresh {seconds:.2f} s after the run's end")
        assert {now[k] for k in ("sma", "tickers", "history")} == {"2025-01-13T03:59:00Z"}
        assert seconds < CHECK_SECONDS + 5
        # An ETag from before the run is not confirmed: the client gets the new answer.
        again = client.get("/tickers/BTCUSD/sma", headers={"If-None-Match": before["etag"]})
        assert again.status_code == 200
        assert again.json()["last_refreshed"] == "2025-01-13T03:59:00Z"
        # Cached answers sent before routing carry the same marker-keyed tag.
        fresh_tag = again.headers["etag"]
        assert client.get("/tickers/BTCUSD/sma").headers["etag"] == fresh_tag
        assert (
            client.get("/tickers/BTCUSD/sma", headers={"If-None-Match": fresh_tag}).status_code
            == 304
        )
