"""Fill a DynamoDB table with producer-shaped ticks: simulated, or real prices from CSV files.

Console script ``sma-seed``. It writes only to an explicit endpoint (``--endpoint`` or
``AWS_ENDPOINT_URL_DYNAMODB`` / ``AWS_ENDPOINT_URL``): demo data has no business in a real table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from sma import names
from sma_etl.local.csv_loader import CsvFormatError, CsvStats, parse_sources, read_ticks
from sma_etl.local.endpoint import EndpointError, dynamodb_client, wait_healthy
from sma_etl.local.producer import Tick, create_source_table, put_ticks
from sma_etl.local.simulator import (
    DEFAULT_TICKERS,
    SimulationParams,
    hour_floor,
    is_malformed,
    recent_period,
    simulate,
)

DEFAULT_TABLE: Final[str] = names.SOURCE_TABLE
DEFAULT_DAYS: Final[float] = 3.0
DEFAULT_SEED: Final[int] = 42


@dataclass(slots=True)
class TickerLoad:
    """What was written for one ticker."""

    ticks: int = 0
    malformed: int = 0
    first: datetime | None = None
    last: datetime | None = None

    def add(self, tick: Tick) -> None:
        self.ticks += 1
        self.malformed += is_malformed(tick)
        if self.first is None or tick.last_refreshed < self.first:
            self.first = tick.last_refreshed
        if self.last is None or tick.last_refreshed > self.last:
            self.last = tick.last_refreshed


@dataclass(slots=True)
class SeedSummary:
    """What a seed run wrote, and the whole hours it covers (``end`` exclusive)."""

    table: str
    endpoint: str
    source: str
    start: datetime
    end: datetime
    tickers: dict[str, TickerLoad] = field(default_factory=dict)
    skipped: int = 0  # CSV rows without a readable time
    seconds: float = 0.0

    @property
    def ticks(self) -> int:
        return sum(load.ticks for load in self.tickers.values())

    @property
    def malformed(self) -> int:
        return sum(load.malformed for load in self.tickers.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "endpoint": self.endpoint,
            "source": self.source,
            "period": [_iso(self.start), _iso(self.end)],
            "ticks": self.ticks,
            "malformed": self.malformed,
            "skipped": self.skipped,
            "tickers": {
                name: {
                    "ticks": load.ticks,
                    "malformed": load.malformed,
                    "first": _iso(load.first),
                    "last": _iso(load.last),
                }
                for name, load in sorted(self.tickers.items())
            },
            "seconds": round(self.seconds, 2),
        }

    def lines(self) -> list[str]:
        """A human summary, one line per ticker."""
        out = [
            f"loaded {self.ticks:,} ticks ({self.malformed} malformed) into {self.table} at "
            f"{self.endpoint} in {self.seconds:.1f} s - source: {self.source}",
        ]
        for name, load in sorted(self.tickers.items()):
            out.append(
                f"  {name:<10} {load.ticks:>7,} ticks  {_short(load.first)} .. {_short(load.last)}"
                f"  {load.malformed} malformed"
            )
        if self.skipped:
            out.append(f"  {self.skipped} CSV rows skipped: no readable time")
        out.append(f"  period {_iso(self.start)} .. {_iso(self.end)} (whole hours, end exclusive)")
        return out


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _short(when: datetime | None) -> str:
    return "-" if when is None else when.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def write_ticks(
    endpoint_url: str, table_name: str, ticks: Iterable[Tick], *, reset: bool = False
) -> dict[str, TickerLoad]:
    """Create the table if needed (dropping it first when `reset`), write `ticks` to it."""
    import boto3

    client = dynamodb_client(endpoint_url)
    if reset:
        try:
            client.delete_table(TableName=table_name)
            client.get_waiter("table_not_exists").wait(TableName=table_name)
        except client.exceptions.ResourceNotFoundException:
            pass
    create_source_table(client, table_name)
    resource = boto3.resource(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=client.meta.region_name,
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "local"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
    )
    loads: dict[str, TickerLoad] = {}

    def counted(stream: Iterable[Tick]) -> Iterable[Tick]:
        for tick in stream:
            loads.setdefault(tick.ticker, TickerLoad()).add(tick)
            yield tick

    put_ticks(resource.Table(table_name), counted(ticks))
    return loads


def simulated_ticks(
    start: datetime, end: datetime, tickers: Sequence[str], seed: int
) -> Iterable[Tick]:
    return simulate(SimulationParams(start=start, end=end, tickers=tickers, seed=seed))


def csv_ticks(
    spec: str | Sequence[str], days: float | None, stats: list[CsvStats]
) -> tuple[list[Tick], datetime, datetime]:
    """Every file's ticks, trimmed to the last `days` days of the newest file when given."""
    ticks: list[Tick] = []
    for source in parse_sources(spec):
        if not source.path.is_file():
            raise CsvFormatError(f"no such CSV file: {source.path}")
        file_stats = CsvStats(source)
        ticks.extend(read_ticks(source, file_stats))
        stats.append(file_stats)
    if not ticks:
        raise CsvFormatError("the CSV files hold no rows with a readable time")
    end = hour_floor(max(t.last_refreshed for t in ticks)) + timedelta(hours=1)
    start = hour_floor(min(t.last_refreshed for t in ticks))
    if days:
        start = max(start, hour_floor(end - timedelta(days=days)))
        ticks = [t for t in ticks if t.last_refreshed >= start]
    return ticks, start, end


def seed(
    endpoint_url: str,
    table_name: str = DEFAULT_TABLE,
    *,
    csv: str | Sequence[str] | None = None,
    days: float | None = DEFAULT_DAYS,
    end: datetime | None = None,
    tickers: Sequence[str] = DEFAULT_TICKERS,
    seed_value: int = DEFAULT_SEED,
    reset: bool = False,
) -> SeedSummary:
    """Load simulated ticks (default) or CSV prices into `table_name`; returns what was loaded.

    Simulated data covers the `days` before `end` (default: the top of the current UTC hour).
    CSV data keeps the last `days` days of the files (all of them when `days` is None or 0).
    """
    began = time.monotonic()
    skipped = 0
    stream: Iterable[Tick]
    if csv:
        stats: list[CsvStats] = []
        stream, start, period_end = csv_ticks(csv, days, stats)
        skipped = sum(s.skipped for s in stats)
        source = "csv " + ", ".join(str(s.source.path) for s in stats)
    else:
        if end is None:
            start, period_end = recent_period(days or DEFAULT_DAYS)
            start = hour_floor(start)
        else:
            period_end = hour_floor(end)
            start = hour_floor(period_end - timedelta(days=days or DEFAULT_DAYS))
        stream = simulated_ticks(start, period_end, tickers, seed_value)
        source = f"simulator (seed {seed_value})"
    loads = write_ticks(endpoint_url, table_name, stream, reset=reset)
    return SeedSummary(
        table=table_name,
        endpoint=endpoint_url,
        source=source,
        start=start,
        end=period_end,
        tickers=loads,
        skipped=skipped,
        seconds=time.monotonic() - began,
    )


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
