"""The scheduled run, end to end, and what it reads as the table's history grows.

moto's server (real HTTP on loopback) holds the source tables and the Glue catalog; a counting
proxy (``bench.counting_proxy``) sits between the job and it, so every DynamoDB request and
every item it returned is counted on the wire. Each table holds 1, 7 or 28 days of minute ticks
of 3 tickers up to the pinned "now"; ``sma-etl`` (the console script, a fresh process: Spark
start included) processes the scheduled window, the last two whole hours.

1. Scheduled run (1-day table): wall time of the process and the job's own phases, repeated
   ``--runs`` times; and what it would cost on Glue (2 x G.1X, 1-minute minimum, hourly).
2. Read cost vs history: items the job read per run, beside the seed's approach (a Scan of the
   whole table with a filter on the window, every page) on the same tables.

``python -m bench.scheduled [--quick] [--runs 3] [--days 1,7,28]``
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from bench.counting_proxy import counting_proxy
from bench.data import TickSpec, producer_items, ticker_names
from bench.report import print_json, print_table
from sma import names
from sma.schema import SOURCE_SORT_KEY, SOURCE_TIME_FORMAT
from sma.windows import MAX_WINDOW
from tests.support.catalog import create_catalog
from tests.support.job import job_command, job_options
from tests.support.moto_server import serve_moto
from tests.support.source_table import fill_table

NOW: Final = datetime(2025, 2, 10, 12, 10, tzinfo=UTC)  # the job's schedule: HH:10
WINDOW_HOURS: Final = 2
TARGET_SECONDS: Final = 8.0
DATABASE: Final = names.GLUE_DATABASE
TABLE: Final = names.GLUE_TABLE
# AWS list prices, us-east-1: Glue Spark jobs per DPU-hour, standard and Flex.
GLUE_DPU_HOUR_USD: Final = 0.44
GLUE_FLEX_DPU_HOUR_USD: Final = 0.29
GLUE_DPUS: Final = 2  # 2 x G.1X workers, 1 DPU each
GLUE_MINIMUM_SECONDS: Final = 60
RUNS_PER_MONTH: Final = 730  # hourly; AWS prices a month as 730 hours
QUERY: Final = "DynamoDB_20120810.Query"
SCAN: Final = "DynamoDB_20120810.Scan"


def glue_month_usd(seconds: float, rate: float) -> float:
    billed = max(float(GLUE_MINIMUM_SECONDS), seconds)
    return GLUE_DPUS * billed / 3600 * rate * RUNS_PER_MONTH


def aws_env(endpoint: str) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_GLUE"):
        env.pop(key, None)
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL": endpoint,
            "PYSPARK_PYTHON": sys.executable,
            "TZ": "UTC",
        }
    )
    return env


def fill_days(endpoint: str, name: str, days: int) -> int:
    """The table `name` holding `days` days of minute ticks of 3 tickers up to NOW's hour."""
    hour = NOW.replace(minute=0, second=0, microsecond=0)
    spec = TickSpec(ticks=days * 24 * 60 * 3, tickers=3, start=hour - timedelta(days=days))
    return fill_table(endpoint, name, producer_items(spec))


def run_job(endpoint: str, table: str, lake: Path) -> dict[str, Any]:
    """`sma-etl` for the scheduled window at NOW; its JSON summary plus the process's wall time."""
    options = job_options(
        endpoint=endpoint,
        table=table,
        lake=lake,
        now=NOW,
        tickers=ticker_names(3),
        GLUE_DATABASE_NAME=DATABASE,
        GLUE_TABLE_NAME=TABLE,
    )
    began = time.perf_counter()
    done = subprocess.run(
        job_command(options), capture_output=True, text=True, env=aws_env(endpoint), check=False
    )
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"sma-etl failed ({done.returncode}):\n{done.stderr[-4000:]}")
    summary: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    summary["process_seconds"] = wall
    summary["load_1m"] = round(os.getloadavg()[0], 2)
    return summary


def seed_scan(endpoint: str, table: str) -> int:
    """The seed's read: Scan the whole table, filtered to the window (all pages); items read."""
    import boto3

    client = boto3.session.Session(region_name="us-east-1").client(
        "dynamodb", endpoint_url=endpoint
    )
    end = NOW.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(hours=WINDOW_HOURS)
    request: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "#r BETWEEN :a AND :b",
        "ExpressionAttributeNames": {"#r": SOURCE_SORT_KEY},
        "ExpressionAttributeValues": {
            ":a": {"S": start.strftime(SOURCE_TIME_FORMAT)},
            ":b": {"S": (end - timedelta(seconds=1)).strftime(SOURCE_TIME_FORMAT)},
        },
    }
    scanned = 0
    while True:
        page = client.scan(**request)
        scanned += int(page["ScannedCount"])
        if "LastEvaluatedKey" not in page:
            return scanned
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def main() -> None:
    parser = argparse.ArgumentParser(description="Scheduled run and read cost vs history.")
    parser.add_argument("--days", default="1,7,28", help="history held by each table")
    parser.add_argument("--runs", type=int, default=3, help="scheduled runs on the 1-day table")
    parser.add_argument("--quick", action="store_true", help="days 1,7 and one run")
    args = parser.parse_args()
    days = [1, 7] if args.quick else [int(d) for d in args.days.split(",")]
    runs = 1 if args.quick else args.runs

    results: dict[int, dict[str, Any]] = {}
    timings: list[dict[str, Any]] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-scheduled-") as scratch,
        serve_moto(quiet=True) as upstream,
    ):
        os.environ.update(aws_env(upstream))
        lake = Path(scratch) / "lake"
        create_catalog(upstream, str(lake))
        for d in days:
            began = time.perf_counter()
            items = fill_days(upstream, f"ticks_{d}d", d)
            print(f"table ticks_{d}d: {items:,} items in {time.perf_counter() - began:.0f} s")
        with counting_proxy(upstream) as (proxy, tally):
            for d in days:
                tally.reset()
                summary = run_job(proxy, f"ticks_{d}d", lake)
                job_reads = tally.snapshot()
                tally.reset()
                scanned = seed_scan(proxy, f"ticks_{d}d")
                seed_reads = tally.snapshot()
                results[d] = {
                    "table_items": d * 24 * 60 * 3,
                    "job_summary": summary,
                    "job_query_requests": job_reads["requests"].get(QUERY, 0),
                    "job_items_read": job_reads["items"].get(QUERY, 0),
                    "job_scan_requests": job_reads["requests"].get(SCAN, 0),
                    "seed_scan_requests": seed_reads["requests"].get(SCAN, 0),
                    "seed_items_read": scanned,
                }
                print(f"history {d} d: job read {results[d]['job_items_read']:,} items")
                if d == 1:
                    timings.append(summary)
            for _ in range(runs - 1 if 1 in days else 0):
                timings.append(run_job(proxy, "ticks_1d", lake))

    window_items = 3 * WINDOW_HOURS * 60
    # The window, each ticker's history, and the one item of the source check before the run.
    bound = window_items + 3 * (MAX_WINDOW - 1) + 1
    print()
    print_table(
        ["history", "table items", "job Query reqs", "job items read", "bound", "seed Scan items",
         "seed / job"],
        [
            [f"{d} d", r["table_items"], r["job_query_requests"], r["job_items_read"], bound,
             r["seed_items_read"], r["seed_items_read"] / max(1, r["job_items_read"])]
            for d, r in results.items()
        ],
    )  # fmt: skip
    phases = ["session", "read", "compute", "write", "catalog"]
    if timings:
        print_table(
            ["run", "process s", "job s", *phases, "Spark jobs", "load"],
            [
                [i + 1, t["process_seconds"], t["seconds"], *(t["phases"][p] for p in phases),
                 sum(t.get("spark_jobs", {}).values()), t["load_1m"]]
                for i, t in enumerate(timings)
            ],
        )  # fmt: skip
    median = statistics.median(t["process_seconds"] for t in timings) if timings else None
    figures: dict[str, Any] = {
        "now": NOW.isoformat(),
        "read_cost": {
            f"{d}d": {k: v for k, v in r.items() if k != "job_summary"} for d, r in results.items()
        },
        "job_items_read_bound": bound,
        "read_cost_constant": len({r["job_items_read"] for r in results.values()}) == 1,
        "read_cost_within_bound": all(r["job_items_read"] <= bound for r in results.values()),
        "scheduled_runs": [
            {
                "process_seconds": round(t["process_seconds"], 3),
                "phases": t["phases"],
                "spark_jobs": t.get("spark_jobs"),
                "load_1m": t["load_1m"],
            }
            for t in timings
        ],
    }
    if median is not None:
        figures.update(
            {
                "scheduled_median_seconds": round(median, 3),
                "scheduled_target_seconds": TARGET_SECONDS,
                "scheduled_target_met": median <= TARGET_SECONDS,
                "glue_usd_per_month_standard": round(glue_month_usd(median, GLUE_DPU_HOUR_USD), 2),
                "glue_usd_per_month_flex": round(glue_month_usd(median, GLUE_FLEX_DPU_HOUR_USD), 2),
            }
        )
        print_table(
            ["Glue, 2 x G.1X hourly (730 runs)", "$ / month"],
            [
                ["standard ($0.44/DPU-h, 1 min minimum)", figures["glue_usd_per_month_standard"]],
                ["Flex ($0.29/DPU-h, 1 min minimum)", figures["glue_usd_per_month_flex"]],
            ],
        )
    print_json(figures)


if __name__ == "__main__":
    main()
