"""``sma-etl``: run the job locally (or anywhere Spark runs) and print a one-line JSON summary."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sma.errors import SettingsError
from sma_etl.java_runtime import JavaUnavailable, require_java
from sma_etl.metrics import MetricsTarget, publish_run_metrics, publishing_enabled
from sma_etl.settings import DEFAULT_TABLE, Settings, load_settings
from sma_etl.source_check import SourceUnavailable, check_source, describe_failure

# The JobName dimension of metrics published from this command (the deployed job files its
# runs under its own name).
DEFAULT_JOB_NAME = "sma-etl"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="sma-etl",
        description=(
            "Read price ticks from DynamoDB, compute exact SMAs and write the Parquet lake "
            "(ticker=/date=/hour=). Without --start/--end it processes the scheduled window: "
            "the last two whole UTC hours before now."
        ),
    )
    p.add_argument(
        "--output",
        help="lake root: a folder or s3://bucket/prefix (default s3://$S3_BUCKET_NAME/$S3_PREFIX)",
    )
    p.add_argument("--start", help="backfill start, UTC whole hour (e.g. 2025-01-13T00:00:00Z)")
    p.add_argument("--end", help="backfill end, exclusive (default: end of the scheduled window)")
    p.add_argument("--now", help="pin the clock for the scheduled window (reproducible runs)")
    p.add_argument("--tickers", help="source tickers as stored, comma-separated (BTC/USD,ETH/USD)")
    p.add_argument(
        "--discover-tickers",
        nargs="?",
        const="true",
        default=None,
        help="also process every ticker in the table, found by a keys-only Scan (reads the "
        "whole table); 'daily': scan once a UTC day, kept in <output>/_discovery.json",
    )
    p.add_argument(
        "--max-catchup-hours",
        help="a scheduled run catches up from the newest hour written, this many hours at most "
        "(default 48); beyond, it writes that span and fails",
    )
    p.add_argument(
        "--refresh-marker",
        choices=("true", "false"),
        help="write <output>/_refresh.json when the run completes (default: scheduled runs and "
        "runs with the catalog on)",
    )
    p.add_argument(
        "--table", help=f"DynamoDB table (default $DYNAMO_TABLE_NAME or {DEFAULT_TABLE})"
    )
    p.add_argument("--glue-database", help="register partitions in this Glue database")
    p.add_argument("--glue-table", help="register partitions in this Glue table")
    p.add_argument(
        "--catalog",
        choices=("true", "false"),
        help="force partition registration on (default names) or off",
    )
    p.add_argument(
        "--endpoint-url",
        help="one endpoint for DynamoDB, Glue and CloudWatch (a local emulator); "
        "default: the AWS_ENDPOINT_URL* variables",
    )
    p.add_argument("--chunk-hours", help="hours per chunk of a long backfill (default 168)")
    p.add_argument(
        "--no-rejected-output",
        action="store_true",
        help="count rejected ticks but do not write them to <output>/_rejected/",
    )
    p.add_argument("--master", default="local[2]", help="Spark master (default local[2])")
    p.add_argument("--shuffle-partitions", type=int, default=2, help="Spark shuffle partitions")
    p.add_argument(
        "--publish-metrics",
        action="store_const",
        const="true",
        help="put the run's metrics to CloudWatch once it completes (default $SMA_PUBLISH_METRICS, "
        "else off)",
    )
    p.add_argument(
        "--job-name",
        default=DEFAULT_JOB_NAME,
        help=f"the JobName dimension of published metrics (default {DEFAULT_JOB_NAME})",
    )
    p.add_argument("--quiet", action="store_true", help="only the JSON summary, no progress logs")
    p.add_argument(
        "--verbose",
        action="store_true",
        help="on a failure, the full traceback instead of one line",
    )
    return p


def options_from(args: argparse.Namespace) -> dict[str, str | None]:
    """The parsed flags under the job's setting names."""
    return {
        "OUTPUT": args.output,
        "START": args.start,
        "END": args.end,
        "NOW": args.now,
        "TICKERS": args.tickers,
        "DISCOVER_TICKERS": args.discover_tickers,
        "MAX_CATCHUP_HOURS": args.max_catchup_hours,
        "REFRESH_MARKER": args.refresh_marker,
        "DYNAMO_TABLE_NAME": args.table,
        "GLUE_DATABASE_NAME": args.glue_database,
        "GLUE_TABLE_NAME": args.glue_table,
        "CATALOG": args.catalog,
        "ENDPOINT_URL": args.endpoint_url,
        "CHUNK_HOURS": args.chunk_hours,
        "WRITE_REJECTED": "false" if args.no_rejected_output else None,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # botocore's INFO lines (where it found credentials, ...) are not the job's progress.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    try:
        settings = load_settings(options_from(args))
        publish = publishing_enabled(args.publish_metrics, os.environ)
    except SettingsError as error:
        print(f"sma-etl: {error}", file=sys.stderr)
        return 2
    try:
        summary = run_job(args, settings)
    except (JavaUnavailable, SourceUnavailable) as error:
        if args.verbose:
            raise
        print(f"sma-etl: {error}", file=sys.stderr)
        return 1
    print(json.dumps(summary, separators=(",", ":")))
    if summary.get("catchup_hours_left"):
        print(
            f"sma-etl: catch-up incomplete: {summary['catchup_hours_left']} hours left past "
            f"--max-catchup-hours; the next runs go on from {summary['window'][1]}",
            file=sys.stderr,
        )
        return 1
    if publish:
        target = MetricsTarget(args.job_name, settings.region, args.endpoint_url)
        publish_run_metrics(summary, target)
    return 0


def run_job(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """Java and the source checked, then the run on a Spark session; its JSON summary."""
    from pyspark.sql import SparkSession

    from sma_etl.run import is_short_run, run
    from sma_etl.spark import build_session

    # A session that was already running (a notebook, a test) is borrowed, not stopped.
    borrowed = SparkSession.getActiveSession() is not None
    if not borrowed:
        require_java()
    check_source(settings)
    began = time.perf_counter()
    # The JVM starts while the driver plans the run and reads a small window from DynamoDB.
    with ThreadPoolExecutor(max_workers=1) as starter:
        spark = starter.submit(
            build_session,
            "sma-etl",
            shuffle_partitions=args.shuffle_partitions,
            master=args.master,
            short=is_short_run(settings),
        )
        session_seconds = time.perf_counter() - began
        try:
            summary = run(settings, spark)
        except Exception as error:
            # The same causes can still surface from the executors (a table deleted since).
            message = describe_failure(error, settings)
            if message is None:
                raise
            raise SourceUnavailable(message) from error
        finally:
            if not borrowed and spark.exception() is None:
                spark.result().stop()
    summary.phases["session"] += session_seconds
    summary.seconds += session_seconds
    return summary.as_json()


if __name__ == "__main__":
    sys.exit(main())
