"""`make demo` end to end: the demo's own code against moto's server, Spark, DuckDB and the API.

The demo runs as `make demo` runs it (the `sma-demo` command), on a few hours of
simulated ticks, reusing the test session's moto server, over a state folder an earlier run
left a stale partition in. Its answers over real HTTP are checked
against `rolling_sma` over the ticks the table holds.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

from sma.reference import rolling_sma
from sma.schema import SOURCE_TIME_FORMAT
from sma.signals import cross
from sma.signals import signal as sma_signal
from sma.tickers import normalize
from sma.windows import WINDOWS, sma_column
from sma_laptop.endpoint import is_healthy
from tests.support.net import free_port

pytestmark = [pytest.mark.slow, pytest.mark.spark]

READY_TIMEOUT = 480.0


@dataclass
class Demo:
    """A running demo process and everything it printed so far."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if "API ready" in line or "Serving until Ctrl-C" in line:
                self.ready.set()
        self.ready.set()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def start_demo(args: list[str], cwd: Path) -> Demo:
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("sma-demo")), *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    demo = Demo(process)
    threading.Thread(target=demo.pump, daemon=True).start()
    return demo


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


def table_ticks(endpoint: str) -> dict[str, list[tuple[datetime, float]]]:
    """Valid (time, bid) per normalised ticker, from what the table holds."""
    client = boto3.client("dynamodb", endpoint_url=endpoint)
    deserialize = TypeDeserializer().deserialize
    ticks: dict[str, list[tuple[datetime, float]]] = {}
    for page in client.get_paginator("scan").paginate(TableName="DataConsumerTable"):
        for raw in page["Items"]:
            item = {k: deserialize(v) for k, v in raw.items()}
            bid = item["bid_price"]
            if not isinstance(bid, Decimal) or not bid.is_finite() or bid <= 0:
                continue  # the job sets these aside
            when = datetime.strptime(item["last_refreshed"], SOURCE_TIME_FORMAT).replace(tzinfo=UTC)
            ticks.setdefault(normalize(item["ticker"]), []).append((when, float(bid)))
    return {ticker: sorted(rows) for ticker, rows in ticks.items()}


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def close_enough(got: float | None, want: float | None) -> bool:
    if got is None or want is None:
        return got is None and want is None
    return math.isclose(got, want, rel_tol=1e-12)


def stop(demo: Demo) -> int:
    if demo.process.poll() is None:
        demo.process.send_signal(signal.SIGINT)
    return demo.process.wait(timeout=60)


@pytest.fixture
def running_demo(moto_endpoint: str, demo_dir: Path, tmp_path: Path) -> Iterator[tuple[Demo, int]]:
    # What an earlier run left behind must be gone: the demo rewrites its lake.
    stale = demo_dir / "lake" / "ticker=OLDUSD" / "date=2020-01-01" / "hour=00"
    stale.mkdir(parents=True)
    (stale / "part-0.parquet").write_bytes(b"left from an earlier run")
    api_port = free_port()
    dynamodb_port = int(moto_endpoint.rsplit(":", 1)[1])
    demo = start_demo(
        [
            "--days",
            "0.125",
            "--api-port",
            str(api_port),
            "--dynamodb-port",
            str(dynamodb_port),
            "--state-dir",
            str(demo_dir),
        ],
        cwd=tmp_path,
    )
    try:
        assert demo.ready.wait(READY_TIMEOUT), "the demo did not get ready:\n" + demo.output
        assert demo.process.poll() is None, "the demo stopped:\n" + demo.output
        yield demo, api_port
    finally:
        if demo.process.poll() is None:
            # SIGTERM lets the demo stop the API it started; SIGKILL would orphan it.
            demo.process.terminate()
            try:
                demo.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                demo.process.kill()
                demo.process.wait()


def test_demo_serves_exact_smas_and_stops_on_ctrl_c(
    running_demo: tuple[Demo, int], moto_endpoint: str, demo_dir: Path
) -> None:
    demo, api_port = running_demo
    base = f"http://127.0.0.1:{api_port}"
    output = demo.output
    assert f"reusing the endpoint at {moto_endpoint}" in output
    assert "non_numeric_bid_price" in output or "rejected: none" in output

    ticks = table_ticks(moto_endpoint)
    assert set(ticks) == {"BTCUSD", "ETHUSD", "DOGEUSD"}
    lake = demo_dir / "lake"
    partitions = {str(p.relative_to(lake)) for p in lake.glob("ticker=*/date=*/hour=*")}
    assert partitions == {
        f"ticker={ticker}/date={when:%Y-%m-%d}/hour={when:%H}"
        for ticker, rows in ticks.items()
        for when, _ in rows
    }
    for ticker, rows in ticks.items():
        bids = [bid for _, bid in rows]
        oracle = {n: rolling_sma(bids, n) for n in WINDOWS}
        start = rows[0][0].strftime("%Y-%m-%dT%H:%M:%SZ")
        end = datetime.fromtimestamp(rows[-1][0].timestamp() + 60, UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        status, body = get(
            f"{base}/tickers/{ticker}/sma/history?start={start}&end={end}&limit=10000"
        )
        assert status == 200, body
        items = body["items"]
        assert [item["last_refreshed"] for item in items] == [
            when.strftime("%Y-%m-%dT%H:%M:%SZ") for when, _ in rows
        ]
        for i, item in enumerate(items):
            assert item["bid_price"] == bids[i]
            for n in WINDOWS:
                assert close_enough(item[sma_column(n)], oracle[n][i]), (ticker, i, n)

        status, latest = get(f"{base}/tickers/{ticker}/sma")
        assert status == 200
        assert (latest.pop("source"), latest.pop("age_seconds") >= 0) == ("lake", True)
        assert latest == {**items[-1], "ticker": ticker}

        # Live, from the table itself: the same newest tick, the same SMAs.
        status, live = get(f"{base}/tickers/{ticker}/sma?source=live")
        assert status == 200, live
        assert (live.pop("source"), live.pop("age_seconds") >= 0) == ("live", True)
        assert live["last_refreshed"] == latest["last_refreshed"]
        assert live["bid_price"] == bids[-1]
        for n in WINDOWS:
            assert close_enough(live[sma_column(n)], oracle[n][-1]), (ticker, n)

        # Crossovers: sma_10 against sma_30 from the oracle, neutral and undefined ticks skipped.
        sides = [
            (when, side)
            for (when, _), s10, s30 in zip(rows, oracle[10], oracle[30], strict=True)
            if (side := sma_signal(s10, s30)) in ("bullish", "bearish")
        ]
        expected = [
            (kind, after[0].strftime("%Y-%m-%dT%H:%M:%SZ"))
            for before, after in itertools.pairwise(sides)
            if (kind := cross(before[1], after[1])) is not None
        ]
        status, signals = get(f"{base}/tickers/{ticker}/signals?start={start}&end={end}")
        assert status == 200, signals
        assert [(e["type"], e["last_refreshed"]) for e in signals["events"]] == expected

    # Every command the demo told us to paste answers.
    curls = [line.split("curl ", 1)[1].strip('"') for line in demo.lines if "   curl " in line]
    assert len(curls) >= 4
    for command in curls:
        status, _ = get("http://" + command.replace("localhost", "127.0.0.1"))
        assert status == 200, command

    # ... and so does the sma-sql one.
    (sql_line,) = [line for line in demo.lines if line.strip().startswith("uv run sma-sql")]
    argv = shlex.split(sql_line.strip())[3:]  # after `uv run sma-sql`
    result = subprocess.run(
        [str(Path(sys.executable).with_name("sma-sql")), *argv],
        cwd=demo_dir.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("(10 rows)")

    # Ctrl-C stops the API; the endpoint it reused keeps running.
    assert stop(demo) == 0
    assert "stopping: the API" in demo.output
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", api_port)) != 0
    assert is_healthy(moto_endpoint)
