"""``sma-etl``: run the job locally (or anywhere Spark runs) and print a one-line JSON summary."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from sma.errors import SettingsError
from sma_etl.settings import DEFAULT_TABLE, load_settings


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
        action="store_true",
        default=None,
        help="also process every ticker in the table, found by a keys-only Scan (reads the "
        "whole table: meant for first runs)",
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
        help="one endpoint for DynamoDB and Glue (a local emulator); "
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
    p.add_argument("--quiet", action="store_true", help="only the JSON summary, no progress logs")
    return p


def options_from(args: argparse.Namespace) -> dict[str, str | None]:
    """The parsed flags under the job's setting names."""
    return {
        "OUTPUT": args.output,
        "START": args.start,
        "END": args.end,
        "NOW": args.now,
        "TICKERS": args.tickers,
        "DISCOVER_TICKERS": "true" if args.discover_tickers else None,
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
    try:
        settings = load_settings(options_from(args))
    except SettingsError as error:
        print(f"sma-etl: {error}", file=sys.stderr)
        return 2

    from pyspark.sql import SparkSession

    from sma_etl.run import is_short, run
    from sma_etl.spark import build_session

    began = time.perf_counter()
    # A session that was already running (a notebook, a test) is borrowed, not stopped.
    borrowed = SparkSession.getActiveSession() is not None
    # The JVM starts while the driver reads a small window from DynamoDB.
    with ThreadPoolExecutor(max_workers=1) as starter:
        spark = starter.submit(
            build_session,
            "sma-etl",
            shuffle_partitions=args.shuffle_partitions,
            master=args.master,
            short=is_short(settings),
        )
        session_seconds = time.perf_counter() - began
        try:
            summary = run(settings, spark)
        finally:
            if not borrowed and spark.exception() is None:
                spark.result().stop()
    summary.phases["session"] += session_seconds
    summary.seconds += session_seconds
    print(json.dumps(summary.as_json(), separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
