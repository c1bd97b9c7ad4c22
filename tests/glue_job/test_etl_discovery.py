"""Tickers nobody reads: configured ones without ticks are listed; new ones found once a day."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bench.counting_proxy import counting_proxy
from tests.glue_job.conftest import DAY, TABLE, Source, minute_ticks, walk
from tests.support import job

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark

H = timedelta(hours=1)
SCAN = "DynamoDB_20120810.Scan"
QUERY = "DynamoDB_20120810.Query"


def test_a_typo_is_listed_and_a_new_ticker_is_found_by_one_scan_a_day(
    spark: SparkSession, source: Source, tmp_path: Path
) -> None:
    for seed, ticker in enumerate(("BTC/USD", "ETH/USD", "SOL/USD"), start=1):
        source.put_ticks(minute_ticks(ticker, DAY, walk(6 * 60, seed)))
    lake = tmp_path / "lake"
    reads = []
    with counting_proxy(source.endpoint) as (endpoint, tally):
        for hour in (3, 4, 5):
            tally.reset()
            summary = job.run_job(
                spark, endpoint=endpoint, table=TABLE, lake=lake,
                now=DAY + hour * H + timedelta(minutes=10),
                tickers=("BTC/USD", "BTC-USD"), DISCOVER_TICKERS="daily",
            )  # fmt: skip
            reads.append(tally.snapshot())
            assert summary.tickers == 4
            assert summary.as_json()["tickers_without_ticks"] == ["BTC-USD"]
    # One keys-only Scan, on the day's first run; later runs read only their Queries.
    assert [r["requests"].get(SCAN, 0) for r in reads] == [1, 0, 0]
    # The same Queries each run (the late-tick check's keys-only ones grow with the horizon's
    # history, not with discovery).
    assert reads[1]["requests"][QUERY] == reads[2]["requests"][QUERY]
    assert SCAN not in reads[1]["items"]
    assert SCAN not in reads[2]["items"]
    marker = json.loads((lake / "_discovery.json").read_text())
    assert marker == {
        "date": "2025-01-13",
        "table": TABLE,
        "tickers": ["BTC/USD", "ETH/USD", "SOL/USD"],
    }
    assert sorted(p.name for p in lake.glob("ticker=*")) == [
        "ticker=BTCUSD",
        "ticker=ETHUSD",
        "ticker=SOLUSD",
    ]
    print("reads per run:", json.dumps(reads))
