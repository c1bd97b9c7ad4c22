"""Athena economy: queries the API sends per request, and partitions its latest lookup touches.

The API runs in uvicorn with the Athena backend against moto's server (real HTTP on loopback),
through a counting proxy (``bench.counting_proxy``) that counts ``StartQueryExecution`` calls on
the wire and keeps their SQL text and execution parameters. moto runs no SQL: it answers each
query with the next canned result set, queued here in request order (requests are sequential).

1. ``--requests`` (1,000) ``GET /tickers/{t}/sma`` over 3 tickers, round robin, within one
   refresh period, with the in-process cache on, and the same with it off, side by side.
2. The latest-lookup SQL text and parameters exactly as Athena received them, run unchanged by
   DuckDB over a 28-day lake under the Glue names: the files (= hour partitions) and dates its
   partition filters let it read, from DuckDB's own profile and file-system log.

``python -m bench.athena_economy [--requests 1000] [--quick]``
"""

from __future__ import annotations

import argparse
import http.client
import json
import tempfile
import time
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

from bench.counting_proxy import Tally, counting_proxy
from bench.data import TickSpec, ticker_names
from bench.lake import lake_rows
from bench.report import print_json, print_table
from sma import names
from sma.tickers import normalize
from tests.support.api_server import ApiServer, serve_api
from tests.support.athena import create_workgroup, data_result, newest_date_result, seed_results
from tests.support.glue_view import from_athena_literal, glue_named_duckdb
from tests.support.lake import write_table
from tests.support.moto_server import reset, serve_moto

START: Final = "AmazonAthena.StartQueryExecution"
WORKGROUP: Final = "crypto-sma"
DATABASE: Final = names.GLUE_DATABASE
TABLE: Final = names.GLUE_TABLE
REGION: Final = "us-east-1"
TARGET_DATES: Final = 2


def canned_answers(lake: pa.Table, ticker: str) -> list[dict[str, Any]]:
    """What Athena would answer to the latest lookup's two queries for `ticker`."""
    rows = lake.filter(pc.equal(lake.column("ticker"), ticker)).sort_by(
        [("last_refreshed", "descending")]
    )
    newest = rows.slice(0, 1).to_pylist()[0]
    return [newest_date_result(newest["date"]), data_result([newest])]


def api_server(endpoint: str, cache: bool) -> AbstractContextManager[ApiServer]:
    """The API over the Athena store, its AWS endpoint `endpoint`."""
    return serve_api(
        {
            "SMA_BACKEND": "athena",
            "ATHENA_WORKGROUP": WORKGROUP,
            "GLUE_DATABASE_NAME": DATABASE,
            "GLUE_TABLE_NAME": TABLE,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "SMA_ATHENA_POLL_SECONDS": "0.01",
            "SMA_CACHE_ENABLED": "true" if cache else "false",
        }
    )


def send(url: str, paths: list[str]) -> dict[int, int]:
    """GET each path in order over one keep-alive connection; statuses counted."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    statuses: dict[int, int] = {}
    for path in paths:
        connection.request("GET", path)
        answer = connection.getresponse()
        answer.read()
        statuses[answer.status] = statuses.get(answer.status, 0) + 1
    connection.close()
    return statuses


def measure(
    endpoints: tuple[str, str],
    tally: Tally,
    lake: pa.Table,
    tickers: list[str],
    n: int,
    *,
    cache: bool,
) -> dict[str, Any]:
    """Serve the API through the proxy, send `n` requests; what reached Athena."""
    upstream, proxy = endpoints
    paths = [f"/tickers/{tickers[i % len(tickers)]}/sma" for i in range(n)]
    answers = {t: canned_answers(lake, t) for t in tickers}
    # Sequential requests: with the cache on only the first of each ticker queries (2 each);
    # without it every request does. Queue enough answers, in request order, for the worst case.
    queue = [a for i in range(n) for a in answers[tickers[i % len(tickers)]]]
    seed_results(upstream, *queue, region=REGION)
    with api_server(proxy, cache) as server:
        url = server.url
        tally.reset()
        began = time.perf_counter()
        statuses = send(url, paths)
        seconds = time.perf_counter() - began
        sent = list(tally.bodies.get(START, []))
    distinct = {(b["QueryString"], tuple(b.get("ExecutionParameters", []))) for b in sent}
    return {
        "requests": n,
        "statuses": statuses,
        "seconds": seconds,
        "queries": len(sent),
        "distinct_queries": len(distinct),
        "queries_per_distinct": len(sent) / max(1, len(distinct)),
        "result_reuse": sent[0].get("ResultReuseConfiguration") if sent else None,
        "sent": sent,
    }


def partitions_touched(lake_root: Path, query: str, params: list[str]) -> dict[str, Any]:
    """Run Athena's SQL text in DuckDB over the lake under the Glue names; what it read."""
    con = glue_named_duckdb(lake_root, DATABASE, TABLE)
    values = [from_athena_literal(p) for p in params]
    profile = lake_root.parent / "profile.json"
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{profile}'")
    con.execute("CALL enable_logging('FileSystem')")
    rows = con.execute(query, values).fetchall()
    con.execute("PRAGMA disable_profiling")
    log = [json.loads(m) for (m,) in con.execute(
        "SELECT message FROM duckdb_logs WHERE type = 'FileSystem'"
    ).fetchall()]  # fmt: skip
    con.close()
    scans: list[str] = []

    def walk(node: dict[str, Any]) -> None:
        extra = node.get("extra_info") or {}
        if "Scanning Files" in extra:
            scans.append(str(extra["Scanning Files"]))
        for child in node.get("children", []):
            walk(child)

    for node in json.loads(profile.read_text()).get("operator", []):
        walk(node)
    # The view's first file (glob order) is read for its schema, before any filter applies.
    probe = min(str(p) for p in lake_root.glob("*/*/*/*.parquet"))
    read = {e["path"] for e in log if e.get("op") == "READ"} - {probe}
    dates = sorted({p.split("date=")[1].split("/")[0] for p in read})
    return {
        "rows": len(rows),
        "scanning_files": scans,
        "dates_read": dates,
        "files_read": len(read),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Athena economy of the API, against moto.")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument(
        "--uncached-requests",
        type=int,
        default=200,
        help="requests with the cache off (each costs Athena round trips on moto)",
    )
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--quick", action="store_true", help="200 requests, 7-day lake")
    args = parser.parse_args()
    n = 200 if args.quick else args.requests
    days = 7 if args.quick else args.days

    tickers = [normalize(t) for t in ticker_names(3)]
    with (
        tempfile.TemporaryDirectory(prefix="bench-athena-") as scratch_dir,
        serve_moto(quiet=True) as upstream,
    ):
        scratch = Path(scratch_dir)
        per_ticker = int(timedelta(days=days) / timedelta(minutes=1))
        lake = lake_rows(TickSpec(ticks=per_ticker * 3, tickers=3))
        write_table(lake, scratch / "lake")
        create_workgroup(upstream, WORKGROUP, REGION)
        with counting_proxy(upstream, keep_bodies=frozenset({START})) as (proxy, tally):
            cached = measure((upstream, proxy), tally, lake, tickers, n, cache=True)
            reset(upstream)  # drop unconsumed canned answers
            create_workgroup(upstream, WORKGROUP, REGION)
            uncached = measure(
                (upstream, proxy), tally, lake, tickers, min(n, args.uncached_requests), cache=False
            )
        latest = [b for b in cached["sent"] if "$partitions" not in b["QueryString"]]
        touched = partitions_touched(
            scratch / "lake", latest[0]["QueryString"], latest[0]["ExecutionParameters"]
        )

    print_table(
        ["cache", "requests", "Athena queries", "distinct", "queries / distinct", "statuses"],
        [
            ["on", n, cached["queries"], cached["distinct_queries"],
             cached["queries_per_distinct"], cached["statuses"]],
            ["off", uncached["requests"], uncached["queries"], uncached["distinct_queries"],
             uncached["queries_per_distinct"], uncached["statuses"]],
        ],
    )  # fmt: skip
    print_table(
        ["latest lookup SQL (as sent)", "value"],
        [
            ["text", latest[0]["QueryString"]],
            ["parameters", latest[0]["ExecutionParameters"]],
            ["DuckDB scanning files", ", ".join(touched["scanning_files"])],
            ["dates read", ", ".join(touched["dates_read"])],
            ["files read", touched["files_read"]],
        ],
    )
    print_json(
        {
            "requests": n,
            "tickers": tickers,
            "cache_on": {k: v for k, v in cached.items() if k != "sent"},
            "cache_off": {k: v for k, v in uncached.items() if k != "sent"},
            "queries_per_request_cache_on": cached["queries"] / n,
            "queries_per_request_cache_off": uncached["queries"] / uncached["requests"],
            "target_queries_per_distinct_met": cached["queries_per_distinct"] <= 1,
            "latest_sql": latest[0]["QueryString"],
            "latest_params": latest[0]["ExecutionParameters"],
            "latest_partitions": touched,
            "target_dates_met": len(touched["dates_read"]) <= TARGET_DATES,
        }
    )


if __name__ == "__main__":
    main()
