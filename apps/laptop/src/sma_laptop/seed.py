"""Fill a DynamoDB table with producer-shaped ticks: simulated, or real prices from CSV files.

The loading itself; ``sma-seed`` (:mod:`sma_laptop.seed_cli`) and the demo call :func:`seed`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final

from sma import names
from sma_laptop.csv_loader import CsvFormatError, CsvStats, parse_sources, read_ticks
from sma_laptop.endpoint import dynamodb_client
from sma_laptop.producer import Tick, create_source_table, put_ticks
from sma_laptop.seed_summary import SeedSummary, TickerLoad
from sma_laptop.simulator import (
    DEFAULT_TICKERS,
    SimulationParams,
    hour_floor,
    recent_period,
    simulate,
)

DEFAULT_TABLE: Final[str] = names.SOURCE_TABLE
DEFAULT_DAYS: Final[float] = 3.0
DEFAULT_SEED: Final[int] = 42


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
