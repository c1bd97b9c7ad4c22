"""Latency of the read API's latest endpoint on DuckDB, with the in-process cache on and off.

Builds a lake in the job's layout (one Parquet file per ticker/date/hour partition, SMAs from
``sma.reference.rolling_sma``), serves it with uvicorn (one worker, loopback, DuckDB backend) and
sends requests one after another over one keep-alive httpx connection, so each figure is one
request's full cost: HTTP, routing, cache, partition listing, DuckDB, JSON. With
``--in-process`` it goes through FastAPI's TestClient instead (no server; slower per request,
since the TestClient hops threads for every call). Prints p50/p99 per mode, then one JSON line.

    uv run --no-sync python bench/api_latency.py [--requests 3000] [--days 7] [--in-process]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]
from fastapi.testclient import TestClient

from sma.reference import rolling_sma
from sma.schema import DATA_COLUMN_NAMES, hour_partition
from sma.windows import SMA_COLUMNS, WINDOWS
from sma_api.config import Settings
from sma_api.main import create_app
from sma_api.store.duckdb_store import DuckDbStore

TICKERS = ("BTCUSD", "ETHUSD", "SOLUSD")
START = datetime(2025, 1, 13, tzinfo=UTC)


def build_lake(root: Path, days: int) -> int:
    """Minute ticks for `days` days per ticker; returns the number of files written."""
    schema = pa.schema(
        [
            pa.field(n, pa.timestamp("us", tz="UTC") if n == "last_refreshed" else pa.float64())
            for n in DATA_COLUMN_NAMES
        ]
    )
    files = 0
    for k, ticker in enumerate(TICKERS):
        count = days * 24 * 60
        bids = [1000.0 * (k + 1) + 25 * math.sin(i / 45) + i * 0.0013 for i in range(count)]
        smas = {c: rolling_sma(bids, n) for c, n in zip(SMA_COLUMNS, WINDOWS, strict=True)}
        for hour in range(days * 24):
            begin = START + timedelta(hours=hour)
            rows = [
                {
                    "ask_price": bids[i] + 0.5,
                    "bid_price": bids[i],
                    "last_refreshed": START + timedelta(minutes=i),
                    **{c: smas[c][i] for c in SMA_COLUMNS},
                }
                for i in range(hour * 60, hour * 60 + 60)
            ]
            folder = (
                root
                / f"ticker={ticker}"
                / f"date={begin.date()}"
                / f"hour={hour_partition(begin.hour)}"
            )
            folder.mkdir(parents=True)
            pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / "part-0.parquet")
            files += 1
    return files


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def uvicorn_client(root: Path, cache: bool) -> Iterator[httpx.Client]:
    """An httpx client on a uvicorn serving `root`, started and stopped here."""
    port = free_port()
    env = {
        **os.environ,
        "SMA_BACKEND": "duckdb",
        "SMA_LAKE_PATH": str(root),
        "SMA_CACHE_ENABLED": str(cache).lower(),
    }
    command = [sys.executable, "-m", "uvicorn", "sma_api.main:app", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    server = subprocess.Popen(command, env=env)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                time.sleep(0.2)
            yield client
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextmanager
def in_process_client(root: Path, cache: bool) -> Iterator[TestClient]:
    settings = Settings(backend="duckdb", lake_path=root, cache_enabled=cache)
    with TestClient(create_app(settings, DuckDbStore(root))) as client:
        yield client


def measure(root: Path, cache: bool, requests: int, in_process: bool) -> dict[str, float]:
    clients = in_process_client if in_process else uvicorn_client
    with clients(root, cache) as client:
        for ticker in TICKERS:  # warm-up: imports, first DuckDB query
            client.get(f"/tickers/{ticker}/sma")
        seconds: list[float] = []
        for i in range(requests):
            path = f"/tickers/{TICKERS[i % len(TICKERS)]}/sma"
            began = time.perf_counter()
            response = client.get(path)
            seconds.append(time.perf_counter() - began)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}: {response.text}")
    ms = sorted(s * 1000 for s in seconds)
    return {
        "p50_ms": round(statistics.median(ms), 3),
        "p99_ms": round(ms[min(len(ms) - 1, math.ceil(0.99 * len(ms)) - 1)], 3),
        "mean_ms": round(statistics.fmean(ms), 3),
        "max_ms": round(ms[-1], 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--in-process", action="store_true", help="TestClient, no server")
    args = parser.parse_args(argv)
    how = "in-process TestClient" if args.in_process else "uvicorn + httpx, one connection"
    with tempfile.TemporaryDirectory(prefix="sma-latency-") as tmp:
        root = Path(tmp) / "lake"
        files = build_lake(root, args.days)
        report: dict[str, object] = {"requests": args.requests, "files": files, "via": how}
        for cache in (True, False):
            figures = measure(root, cache, args.requests, args.in_process)
            mode = "cache_on" if cache else "cache_off"
            report[mode] = figures
            print(
                f"latest, {mode}, {how}: {args.requests} requests over {files} files, "
                f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms",
                file=sys.stderr,
            )
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
