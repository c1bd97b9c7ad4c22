"""Soak the read API: 10,000 requests at 64 concurrency over real HTTP, zero errors allowed.

Builds a lake in the job's layout (``ticker=/date=/hour=`` Parquet holding exactly the table's
data columns, SMAs from ``sma.reference.rolling_sma``), serves it with uvicorn on a free loopback
port (DuckDB backend), fires a seeded mix of every endpoint at it, and reports throughput and
latency percentiles. An error is a transport failure, a timeout, a 5xx, or any status or body the
request should not get (the mix includes requests whose right answer is 404 or 422).

    uv run --no-sync python -m bench.soak [--requests 10000] [--concurrency 64] [--url URL]

Exits non-zero on any error or when the run overruns ``--max-seconds``. Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import httpx

from tests.support.api_server import serve_api
from tests.support.lake import write_ticker
from tests.support.prices import price_file, real_closes
from tests.support.times import iso

# Producer ticker -> the symbol of the real minute closes it is built from, when shared/ is there.
TICKERS: Final[dict[str, str]] = {"BTCUSD": "BTC-USD", "ETHUSD": "ETH-USD", "DOGEUSD": "DOGE-USD"}
START: Final[datetime] = datetime(2025, 1, 13, tzinfo=UTC)
# Spellings a client may use for each ticker; the API normalises them all.
SPELLINGS: Final[dict[str, tuple[str, ...]]] = {
    "BTCUSD": ("BTCUSD", "btcusd", "BTC-USD", "btc_usd"),
    "ETHUSD": ("ETHUSD", "eth-usd", "ETH_USD"),
    "DOGEUSD": ("DOGEUSD", "doge-usd"),
}


# ---------------------------------------------------------------- the lake


def minute_closes(ticker: str, days: int, seed: int) -> list[tuple[datetime, float]]:
    """The first `days` days of real minute closes, or a seeded random walk without shared/."""
    if price_file(TICKERS[ticker]) is not None:
        closes = real_closes(TICKERS[ticker], START, START + timedelta(days=days))
        return [(when, float(close)) for when, close in closes]
    walk = random.Random(f"{seed}-{ticker}")
    price = {"BTCUSD": 94_000.0, "ETHUSD": 3_300.0, "DOGEUSD": 0.33}[ticker]
    rows: list[tuple[datetime, float]] = []
    for minute in range(days * 24 * 60):
        price *= math.exp(walk.gauss(0.0, 0.001))
        rows.append((START + timedelta(minutes=minute), price))
    return rows


def build_lake(root: Path, days: int, seed: int) -> int:
    """Write the lake (ask = bid = the close); returns the number of rows written."""
    total = 0
    for ticker in TICKERS:
        ticks = [(when, price, price) for when, price in minute_closes(ticker, days, seed)]
        total += len(write_ticker(root, ticker, ticks))
    return total


# ---------------------------------------------------------------- the server


@contextmanager
def serve(lake: Path, workers: int) -> Iterator[str]:
    """uvicorn serving `lake` through the DuckDB backend, on a free loopback port; its URL."""
    with serve_api({"SMA_BACKEND": "duckdb", "SMA_LAKE_PATH": str(lake)}, workers=workers) as api:
        yield api.url


# ---------------------------------------------------------------- the load


@dataclass(frozen=True, slots=True)
class Planned:
    endpoint: str  # a label for the report
    path: str
    params: dict[str, str]
    expected: int


def plan_requests(count: int, days: int, seed: int) -> list[Planned]:
    """A seeded mix of every endpoint, weighted towards what dashboards poll."""
    rng = random.Random(seed)
    span_minutes = days * 24 * 60
    kinds = ("latest", "history", "signals", "tickers", "health", "not_found", "invalid")
    weights = (35, 30, 15, 10, 5, 3, 2)
    planned: list[Planned] = []
    for kind in rng.choices(kinds, weights, k=count):
        ticker = rng.choice(list(TICKERS))
        spelling = rng.choice(SPELLINGS[ticker])
        start = START + timedelta(minutes=rng.randrange(span_minutes - 60))
        end = start + timedelta(minutes=rng.choice((30, 60, 180, 720)))
        if kind == "latest":
            planned.append(Planned(kind, f"/tickers/{spelling}/sma", {}, 200))
        elif kind == "history":
            params = {
                "start": iso(start),
                "end": iso(end),
                "limit": str(rng.choice((10, 100, 500))),
                "order": rng.choice(("asc", "desc")),
            }
            planned.append(Planned(kind, f"/tickers/{spelling}/sma/history", params, 200))
        elif kind == "signals":
            params = {"start": iso(start), "end": iso(end)}
            planned.append(Planned(kind, f"/tickers/{spelling}/signals", params, 200))
        elif kind == "tickers":
            planned.append(Planned(kind, "/tickers", {}, 200))
        elif kind == "health":
            planned.append(Planned(kind, "/health", {}, 200))
        elif kind == "not_found":
            planned.append(
                Planned(kind, f"/tickers/{rng.choice(('XRPUSD', 'ADAEUR'))}/sma", {}, 404)
            )
        else:
            bad = rng.choice(("BTC..USD", "BTC%20USD", "x", "BTC;DROP"))
            planned.append(Planned(kind, f"/tickers/{bad}/sma", {}, 422))
    return planned


@dataclass
class Outcome:
    endpoint: str
    status: int  # 0 for a transport failure or timeout
    seconds: float
    error: str | None


def check_body(planned: Planned, response: httpx.Response) -> str | None:
    """Why the response is wrong for its request, or None when it is right."""
    if response.status_code != planned.expected:
        return f"status {response.status_code} for {planned.path} (expected {planned.expected})"
    try:
        body = response.json()
    except ValueError:
        return f"a body that is not JSON for {planned.path}"
    if planned.expected != 200:
        return None if isinstance(body, dict) and "detail" in body else "no detail in error"
    if planned.endpoint == "latest" and not (isinstance(body, dict) and "sma_10" in body):
        return f"no sma_10 in the latest answer for {planned.path}"
    if planned.endpoint in {"history"} and not isinstance(body.get("items"), list):
        return f"no items list in the history answer for {planned.path}"
    return None


async def fire(
    url: str, planned: Sequence[Planned], concurrency: int, outcomes: list[Outcome]
) -> None:
    """Send `planned` with `concurrency` requests in flight, appending to `outcomes` as they end."""
    queue: asyncio.Queue[Planned] = asyncio.Queue()
    for item in planned:
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(30.0)

    async def worker(client: httpx.AsyncClient) -> None:
        while True:
            try:
                item = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            began = time.perf_counter()
            try:
                response = await client.get(item.path, params=item.params)
                error = check_body(item, response)
                status = response.status_code
            except httpx.HTTPError as exc:
                error, status = f"{type(exc).__name__}: {exc}", 0
            outcomes.append(Outcome(item.endpoint, status, time.perf_counter() - began, error))

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))


def percentile(sorted_values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    rank = max(1, math.ceil(share * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    if not ordered:
        return {}
    return {
        "p50": round(percentile(ordered, 0.50) * 1000, 2),
        "p95": round(percentile(ordered, 0.95) * 1000, 2),
        "p99": round(percentile(ordered, 0.99) * 1000, 2),
        "max": round(ordered[-1] * 1000, 2),
    }


def report(outcomes: Sequence[Outcome], seconds: float, args: argparse.Namespace) -> dict[str, Any]:
    errors = [o for o in outcomes if o.error is not None]
    by_endpoint: dict[str, list[float]] = defaultdict(list)
    for outcome in outcomes:
        by_endpoint[outcome.endpoint].append(outcome.seconds)
    return {
        "requests": len(outcomes),
        "planned": args.requests,
        "concurrency": args.concurrency,
        "workers": args.workers,
        "errors": len(errors) + (args.requests - len(outcomes)),
        "first_errors": sorted({e.error for e in errors if e.error})[:5],
        "status": dict(sorted(Counter(str(o.status) for o in outcomes).items())),
        "seconds": round(seconds, 2),
        "throughput_rps": round(len(outcomes) / seconds, 1) if seconds else 0.0,
        "latency_ms": latency_summary([o.seconds for o in outcomes]),
        "latency_ms_by_endpoint": {
            name: latency_summary(values) for name, values in sorted(by_endpoint.items())
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--days", type=int, default=2, help="days of minute ticks in the lake")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--seed", type=int, default=20250113)
    parser.add_argument("--max-seconds", type=float, default=300.0, help="give up after this")
    parser.add_argument("--url", help="soak an API already running here instead of starting one")
    parser.add_argument("--lake", type=Path, help="serve this lake instead of building one")
    args = parser.parse_args(argv)

    planned = plan_requests(args.requests, args.days, args.seed)
    with tempfile.TemporaryDirectory(prefix="sma-soak-") as scratch:
        server: AbstractContextManager[str] = (
            nullcontext(str(args.url))
            if args.url
            else serve(_lake(args, Path(scratch)), args.workers)
        )
        with server as url:
            print(f"soak: {args.requests} requests at {args.concurrency} concurrency -> {url}")
            outcomes: list[Outcome] = []
            began = time.perf_counter()
            try:
                asyncio.run(
                    asyncio.wait_for(
                        fire(url, planned, args.concurrency, outcomes), args.max_seconds
                    )
                )
                overran = False
            except TimeoutError:
                overran = True
            seconds = time.perf_counter() - began
    summary = report(outcomes, seconds, args)
    summary["overran"] = overran
    for line in summary["first_errors"]:
        print(f"soak: error: {line}")
    latency = summary["latency_ms"]
    print(
        f"soak: {summary['requests']} requests in {summary['seconds']} s = "
        f"{summary['throughput_rps']} req/s; latency ms p50 {latency.get('p50')} "
        f"p95 {latency.get('p95')} p99 {latency.get('p99')} max {latency.get('max')}; "
        f"errors {summary['errors']}"
    )
    print(json.dumps(summary, sort_keys=True))
    return 1 if summary["errors"] or overran else 0


def _lake(args: argparse.Namespace, scratch: Path) -> Path:
    if args.lake is not None:
        return Path(args.lake)
    lake = scratch / "lake"
    began = time.perf_counter()
    rows = build_lake(lake, args.days, args.seed)
    print(f"soak: built a lake of {rows} rows in {time.perf_counter() - began:.1f} s at {lake}")
    return lake


if __name__ == "__main__":
    sys.exit(main())
