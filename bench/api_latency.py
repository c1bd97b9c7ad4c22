"""API latency over real HTTP: uvicorn serving a 28-day lake of 3 tickers with DuckDB.

Two uvicorn processes on free loopback ports serve the same lake, one with the in-process
cache on and one with it off (``SMA_CACHE_ENABLED``). For each concurrency (1, 16, 64
clients) and endpoint (``/tickers/{t}/sma``, the same with ``windows=20,50,200``, and
``/tickers/{t}/sma/history``), the cache-on and cache-off servers are measured back to back with
the same requests spread over the 3 tickers. Every cell records the 1-minute load at its end.
Clients are asyncio keep-alive HTTP/1.1 connections (light, so the 2 cores go to the server);
latency is from sending a request to its last body byte. Errors: any status but 200, or a
failed connection. ``python -m bench.api_latency [--quick] [--requests 2000] [--lake PATH]``
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from bench.data import TickSpec, ticker_names
from bench.lake import lake_rows
from bench.procstat import tree_cpu
from bench.report import print_json, print_table
from sma.tickers import normalize
from tests.support.api_server import ApiServer, serve_api
from tests.support.lake import write_table

CONCURRENCY: Final = (1, 16, 64)
# Latest, cached, 16 clients; latest uncached, 1 client; latest with windows uncached, 1 client.
TARGET_P50_MS: Final = 3.0
TARGET_P99_MS: Final = 15.0
TARGET_AT_CLIENTS: Final = 16
TARGET_UNCACHED_P50_MS: Final = 2.0
TARGET_WINDOWS_P50_MS: Final = 30.0
LATEST: Final = "/tickers/{t}/sma"
WINDOWS: Final = "/tickers/{t}/sma?windows=20,50,200"


def serve(lake: Path, cache: bool) -> AbstractContextManager[ApiServer]:
    """uvicorn serving `lake` on a free loopback port."""
    cached = "true" if cache else "false"
    return serve_api(
        {"SMA_BACKEND": "duckdb", "SMA_LAKE_PATH": str(lake), "SMA_CACHE_ENABLED": cached}
    )


@dataclass
class Cell:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] * 1000

    def summary(self) -> dict[str, Any]:
        done = len(self.latencies)
        return {
            "requests": done + self.errors,
            "errors": self.errors,
            "p50_ms": round(self.percentile(50), 3),
            "p95_ms": round(self.percentile(95), 3),
            "p99_ms": round(self.percentile(99), 3),
            "mean_ms": round(statistics.fmean(self.latencies) * 1000, 3) if done else None,
            "requests_per_second": round(done / self.seconds, 1) if self.seconds else None,
        }


async def _get(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str
) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding":
            raise ValueError("chunked answers are not expected from this API")
    await reader.readexactly(length)
    return status


async def _client(url: str, paths: Iterator[str], cell: Cell) -> None:
    host_port = url.removeprefix("http://")
    host, port = host_port.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        for path in paths:
            began = time.perf_counter()
            try:
                status = await _get(reader, writer, host_port, path)
            except (OSError, ValueError, asyncio.IncompleteReadError):
                cell.errors += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, int(port))
                continue
            elapsed = time.perf_counter() - began
            cell.statuses[status] = cell.statuses.get(status, 0) + 1
            if status == 200:
                cell.latencies.append(elapsed)
            else:
                cell.errors += 1
    finally:
        writer.close()


async def _load(url: str, paths: Sequence[str], clients: int, requests: int) -> Cell:
    cell = Cell()
    shared = iter(list(itertools.islice(itertools.cycle(paths), requests)))
    began = time.perf_counter()
    await asyncio.gather(*(_client(url, shared, cell) for _ in range(clients)))
    cell.seconds = time.perf_counter() - began
    return cell


def endpoint_paths(tickers: Sequence[str]) -> dict[str, list[str]]:
    return {
        LATEST: [f"/tickers/{t}/sma" for t in tickers],
        WINDOWS: [f"/tickers/{t}/sma?windows=20,50,200" for t in tickers],
        "/tickers/{t}/sma/history": [f"/tickers/{t}/sma/history" for t in tickers],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="API latency over HTTP, cache on and off.")
    parser.add_argument("--requests", type=int, default=2000, help="per cell")
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--tickers", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="300 requests per cell")
    parser.add_argument("--lake", type=Path, help="serve this lake instead of generating one")
    parser.add_argument("--warmup", type=int, default=50, help="requests per server first")
    args = parser.parse_args()
    requests = 300 if args.quick else args.requests

    scratch = Path(tempfile.mkdtemp(prefix="bench-api-"))
    try:
        if args.lake:
            lake = args.lake
            tickers = sorted(p.name.split("=", 1)[1] for p in lake.glob("ticker=*"))
            partitions = sum(1 for _ in lake.glob("ticker=*/date=*/hour=*"))
        else:
            lake = scratch / "lake"
            per_ticker = int(timedelta(days=args.days) / timedelta(minutes=1))
            spec = TickSpec(ticks=per_ticker * args.tickers, tickers=args.tickers)
            began = time.perf_counter()
            partitions = write_table(lake_rows(spec), lake)
            print(
                f"lake: {spec.ticks:,} rows, {partitions:,} partitions in "
                f"{time.perf_counter() - began:.1f} s",
                flush=True,
            )
            tickers = [normalize(n) for n in ticker_names(args.tickers)]
        results: dict[str, dict[str, Any]] = {}
        with serve(lake, cache=True) as cached, serve(lake, cache=False) as uncached:
            servers = {"on": cached, "off": uncached}
            for server in servers.values():  # first queries open files and warm DuckDB
                for paths in endpoint_paths(tickers).values():
                    asyncio.run(_load(server.url, paths, 1, args.warmup))
            for clients in CONCURRENCY:
                for endpoint, paths in endpoint_paths(tickers).items():
                    for cache, server in servers.items():
                        before = tree_cpu(server.pid)
                        cell = asyncio.run(_load(server.url, paths, clients, requests))
                        cpu = (tree_cpu(server.pid) - before).total
                        key = f"{endpoint} c={clients} cache={cache}"
                        results[key] = {
                            "endpoint": endpoint,
                            "clients": clients,
                            "cache": cache,
                            **cell.summary(),
                            # Server CPU per answer: what the load on the box disturbs least.
                            "server_cpu_ms_per_request": round(1000 * cpu / requests, 3),
                            "load_1m": round(os.getloadavg()[0], 2),
                        }
                        cell_text = (
                            f"p50 {results[key]['p50_ms']} ms, load {results[key]['load_1m']}"
                        )
                        print(f"  {key}: {cell_text}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    rows = [
        [
            r["endpoint"],
            r["clients"],
            r["cache"],
            r["p50_ms"],
            r["p95_ms"],
            r["p99_ms"],
            r["errors"],
            r["requests_per_second"],
            r["server_cpu_ms_per_request"],
            r["load_1m"],
        ]
        for r in results.values()
    ]
    print()
    print_table(
        [
            "endpoint",
            "clients",
            "cache",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "errors",
            "req/s",
            "server cpu ms/req",
            "load 1m",
        ],
        rows,
    )
    cached_latest = results[f"{LATEST} c={TARGET_AT_CLIENTS} cache=on"]
    uncached_latest = results[f"{LATEST} c=1 cache=off"]
    uncached_windows = results[f"{WINDOWS} c=1 cache=off"]
    targets = {
        "latest_cached_16_clients": {
            "p50_ms": cached_latest["p50_ms"],
            "p99_ms": cached_latest["p99_ms"],
            "target": [TARGET_P50_MS, TARGET_P99_MS],
            "met": cached_latest["p50_ms"] <= TARGET_P50_MS
            and cached_latest["p99_ms"] <= TARGET_P99_MS,
            "load_1m": cached_latest["load_1m"],
        },
        "latest_uncached_1_client": {
            "p50_ms": uncached_latest["p50_ms"],
            "target": TARGET_UNCACHED_P50_MS,
            "met": uncached_latest["p50_ms"] <= TARGET_UNCACHED_P50_MS,
            "load_1m": uncached_latest["load_1m"],
        },
        "latest_windows_uncached_1_client": {
            "p50_ms": uncached_windows["p50_ms"],
            "target": TARGET_WINDOWS_P50_MS,
            "met": uncached_windows["p50_ms"] <= TARGET_WINDOWS_P50_MS,
            "load_1m": uncached_windows["load_1m"],
        },
    }
    print_table(
        ["target", "p50 ms", "p99 ms", "target ms", "met", "load 1m"],
        [
            [name, t["p50_ms"], t.get("p99_ms", "-"), str(t["target"]), t["met"], t["load_1m"]]
            for name, t in targets.items()
        ],
    )
    speedups = {
        f"{e} c={c}": round(
            results[f"{e} c={c} cache=off"]["p50_ms"] / results[f"{e} c={c} cache=on"]["p50_ms"],
            2,
        )
        for e in endpoint_paths(tickers)
        for c in CONCURRENCY
    }
    print_table(["cell", "p50 cache off / on"], list(speedups.items()))
    print_json(
        {
            "requests_per_cell": requests,
            "lake_partitions": partitions,
            "tickers": tickers,
            "cells": list(results.values()),
            "cache_p50_speedup": speedups,
            "targets": targets,
            "errors": sum(r["errors"] for r in results.values()),
        }
    )


if __name__ == "__main__":
    main()
