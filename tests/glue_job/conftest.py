"""Fixtures for the job's tests: the source table on moto's server and a way to run the job."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from sma_etl.run import RunSummary
from sma_laptop.producer import Tick, create_source_table, put_items, put_ticks
from tests.support import job

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

TABLE = "DataConsumerTable"
DAY = datetime(2025, 1, 13, tzinfo=UTC)


@dataclass
class Source:
    """The source table on moto's server."""

    endpoint: str
    table: Any  # boto3 Table resource
    client: Any  # boto3 DynamoDB client

    def put_ticks(self, ticks: Iterable[Tick]) -> int:
        return put_ticks(self.table, ticks)

    def put_items(self, items: Iterable[Mapping[str, Any]]) -> int:
        return put_items(self.table, items)


@pytest.fixture
def source(moto_endpoint: str) -> Source:
    client = boto3.client("dynamodb", endpoint_url=moto_endpoint)
    create_source_table(client, TABLE)
    table = boto3.resource("dynamodb", endpoint_url=moto_endpoint).Table(TABLE)
    return Source(moto_endpoint, table, client)


def minute_ticks(
    ticker: str, start: datetime, prices: Sequence[Decimal | str], step: timedelta | None = None
) -> list[Tick]:
    """One tick a minute (or every `step`) from `start`, bid = ask = price."""
    every = step or timedelta(minutes=1)
    return [Tick(ticker, start + i * every, p, p) for i, p in enumerate(prices)]


def walk(count: int, seed: int = 1) -> list[Decimal]:
    """A deterministic price walk with awkward decimals (up to 10 places)."""
    prices = []
    value = 12345.6789012
    state = seed
    for _ in range(count):
        state = (state * 1103515245 + 12345) % 2**31
        value *= 1 + ((state % 2001) - 1000) / 1_000_000
        prices.append(Decimal(f"{value:.10f}"))
    return prices


RunJob = Callable[..., RunSummary]


@pytest.fixture
def run_job(spark: SparkSession, source: Source, tmp_path: Path) -> RunJob:
    """Run the job in-process on the shared session: `run_job(start, end, tickers, **options)`."""

    def _run(
        start: datetime,
        end: datetime,
        tickers: Sequence[str] = ("BTC/USD",),
        output: Path | None = None,
        **options: str,
    ) -> RunSummary:
        return job.run_job(
            spark,
            endpoint=source.endpoint,
            table=TABLE,
            lake=output or tmp_path / "lake",
            start=start,
            end=end,
            tickers=tickers,
            **options,
        )

    return _run


LakeRows = Callable[[Path], list[dict[str, Any]]]


@pytest.fixture
def read_lake() -> LakeRows:
    """Every row of a lake folder, partition values included, ordered by ticker and time."""
    return functools.partial(job.read_lake, naive_times=True)
