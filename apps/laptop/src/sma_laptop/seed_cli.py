"""``sma-seed``: fill a DynamoDB table with producer-shaped ticks, from the command line.

It writes only to an explicit endpoint (``--endpoint`` or ``AWS_ENDPOINT_URL_DYNAMODB`` /
``AWS_ENDPOINT_URL``): demo data has no business in a real table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

from sma import names
from sma_laptop.csv_loader import CsvFormatError
from sma_laptop.endpoint import EndpointError, wait_healthy
from sma_laptop.seed import DEFAULT_DAYS, DEFAULT_SEED, DEFAULT_TABLE, seed
from sma_laptop.simulator import DEFAULT_TICKERS


def _parse_when(text: str) -> datetime:
    value = text.strip().replace("Z", "+00:00").replace("z", "+00:00")
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sma-seed",
        description="Fill a local DynamoDB table with producer-shaped price ticks.",
    )
    parser.add_argument(
        "--endpoint",
        default=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL"),
        help="DynamoDB endpoint URL (default: $AWS_ENDPOINT_URL_DYNAMODB, then $AWS_ENDPOINT_URL)",
    )
    parser.add_argument(
        "--table",
        default=os.environ.get("DYNAMO_TABLE_NAME") or DEFAULT_TABLE,
        help=f"table name (default: $DYNAMO_TABLE_NAME or {names.SOURCE_TABLE})",
    )
    parser.add_argument(
        "--csv",
        default=os.environ.get("DEMO_CSV") or None,
        help="load these CSV files instead of simulating: path[,path...] or TICKER=path "
        "(default: $DEMO_CSV)",
    )
    parser.add_argument(
        "--days",
        type=float,
        default=None,
        help=f"days of data: simulated (default {DEFAULT_DAYS:g}) or the last days of the CSV "
        "files (default: all)",
    )
    parser.add_argument(
        "--end",
        type=_parse_when,
        default=None,
        help="simulated data ends here, e.g. 2025-01-16T00:00:00Z (default: this UTC hour)",
    )
    parser.add_argument(
        "--tickers",
        default=",".join(DEFAULT_TICKERS),
        help="simulated tickers, comma-separated (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="simulator seed")
    parser.add_argument(
        "--reset", action="store_true", help="drop and recreate the table before loading"
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long for the endpoint to answer first (for containers starting up)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line, not a table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.endpoint:
        print(
            "sma-seed: no endpoint; pass --endpoint or set AWS_ENDPOINT_URL_DYNAMODB "
            "(it never writes demo data to AWS itself)",
            file=sys.stderr,
        )
        return 2
    if (urlsplit(args.endpoint).hostname or "").endswith(".amazonaws.com"):
        print("sma-seed: refusing to write demo data to an AWS endpoint", file=sys.stderr)
        return 2
    tickers = [t.strip() for t in args.tickers.split(",") if t.strip()]
    days = args.days if args.days is not None else (None if args.csv else DEFAULT_DAYS)
    try:
        if args.wait:
            wait_healthy(args.endpoint, timeout=args.wait)
        summary = seed(
            args.endpoint,
            args.table,
            csv=args.csv,
            days=days,
            end=args.end,
            tickers=tickers,
            seed_value=args.seed,
            reset=args.reset,
        )
    except (CsvFormatError, EndpointError, ValueError, OSError) as error:
        print(f"sma-seed: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(summary.to_json()))
    else:
        print("\n".join(summary.lines()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
