"""Athena economy: queries the API sends per request, and partitions its latest lookup touches.

The API runs in uvicorn with the Athena backend against the local Athena of the tests
(``tests.support.athena_service``, real HTTP on loopback), which holds every query to Athena's
rules, runs it for real in DuckDB over the benchmark's lake and records each query it received:
its SQL text, execution parameters and whether Athena's result reuse would have answered it.

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
import shutil
import tempfile
import time
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from bench.data import TickSpec, ticker_names
from bench.lake import lake_rows
from bench.report import print_json, print_table
from sma import names
from sma.schema import PARTITION_KEYS
from sma.tickers import normalize
from tests.support.api_server import ApiServer, serve_api
from tests.support.athena_service import SUCCEEDED, AthenaService
from tests.support.lake import write_table

WORKGROUP: Final = "crypto-sma"
DATABASE: Final = names.GLUE_DATABASE
TABLE: Final = names.GLUE_TABLE
REGION: Final = "us-east-1"
TARGET_DATES: Final = 2


def api_server(endpoint: str, cache: bool) -> AbstractContextManager[ApiServer]:
    """The API over the Athena store, its AWS endpoint `endpoint`."""
    return serve_api(
        {
            "SMA_BACKEND": "athena",
            "ATHENA_WORKGROUP": WORKGROUP,
            "GLUE_DATABASE_NAME": DATABASE,
            "GLUE_TABLE_NAME": TABLE,
            "AWS_ENDPOINT_URL_ATHENA": endpoint,
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


def measure(service: AthenaService, tickers: list[str], n: int, *, cache: bool) -> dict[str, Any]:
    """Serve the API on the local Athena, send `n` requests; what reached Athena."""
    paths = [f"/tickers/{tickers[i % len(tickers)]}/sma" for i in range(n)]
    with api_server(service.url, cache) as server:
        url = server.url
        service.reset()  # a fresh Athena: no result of another run to reuse
        began = time.perf_counter()
        statuses = send(url, paths)
        seconds = time.perf_counter() - began
        executions = service.executions
    distinct = {(e.query, tuple(e.parameters)) for e in executions}
    return {
        "requests": n,
        "statuses": statuses,
        "seconds": seconds,
        "queries": len(executions),
        "distinct_queries": len(distinct),
        "queries_per_distinct": len(executions) / max(1, len(distinct)),
        "queries_not_succeeded": sum(e.state != SUCCEEDED for e in executions),
        "answered_by_result_reuse": sum(e.reused for e in executions),
        "result_reuse_minutes": sorted({e.reuse_minutes or 0 for e in executions}),
        "sent": [(e.query, e.parameters) for e in executions],
    }


def partitions_touched(lake_root: Path, query: str, params: list[str]) -> dict[str, Any]:
    """Run Athena's SQL text in DuckDB over the lake under the Glue names; what it read."""
    import duckdb

    con = duckdb.connect(
        ":memory:",
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    con.execute("SET TimeZone = 'UTC'")
    types = {"string": "VARCHAR", "date": "DATE"}
    hive = ", ".join(f"'{c.name}': {types[c.type]}" for c in PARTITION_KEYS)
    files = (lake_root / "*" / "*" / "*" / "*.parquet").as_posix()
    con.execute(f'CREATE SCHEMA "{DATABASE}"')
    con.execute(
        f'CREATE VIEW "{DATABASE}"."{TABLE}" AS SELECT * FROM read_parquet('
        f"'{files}', hive_partitioning = true, hive_types = {{{hive}}})"
    )
    values = [p[1:-1].replace("''", "'") if p.startswith("'") else int(p) for p in params]
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
    parser = argparse.ArgumentParser(
        description="Athena economy of the API, against the local Athena over a lake."
    )
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument(
        "--uncached-requests",
        type=int,
        default=200,
        help="requests with the cache off (each runs its Athena queries for real)",
    )
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--quick", action="store_true", help="200 requests, 7-day lake")
    args = parser.parse_args()
    n = 200 if args.quick else args.requests
    days = 7 if args.quick else args.days

    tickers = [normalize(t) for t in ticker_names(3)]
    scratch = Path(tempfile.mkdtemp(prefix="bench-athena-"))
    try:
        per_ticker = int(timedelta(days=days) / timedelta(minutes=1))
        write_table(lake_rows(TickSpec(ticks=per_ticker * 3, tickers=3)), scratch / "lake")
        with AthenaService(scratch / "lake", workgroups=[WORKGROUP]) as service:
            cached = measure(service, tickers, n, cache=True)
            uncached = measure(service, tickers, min(n, args.uncached_requests), cache=False)
        latest_sql, latest_params = next(
            (q, p) for q, p in cached["sent"] if "$partitions" not in q
        )
        touched = partitions_touched(scratch / "lake", latest_sql, latest_params)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print_table(
        ["cache", "requests", "Athena queries", "distinct", "queries / distinct",
         "answered by result reuse", "failed", "statuses"],
        [
            [label, m["requests"], m["queries"], m["distinct_queries"], m["queries_per_distinct"],
             m["answered_by_result_reuse"], m["queries_not_succeeded"], m["statuses"]]
            for label, m in (("on", cached), ("off", uncached))
        ],
    )  # fmt: skip
    print_table(
        ["latest lookup SQL (as sent)", "value"],
        [
            ["text", latest_sql],
            ["parameters", latest_params],
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
            "all_queries_succeeded": cached["queries_not_succeeded"]
            + uncached["queries_not_succeeded"]
            == 0,
            "latest_sql": latest_sql,
            "latest_params": latest_params,
            "latest_partitions": touched,
            "target_dates_met": len(touched["dates_read"]) <= TARGET_DATES,
        }
    )


if __name__ == "__main__":
    main()
