"""Helpers of the hardening tests: fill a table on moto's server, run the job, read the lake."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sma_etl.run import RunSummary

LakeRow = tuple[Any, ...]


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def fill_table(endpoint: str, table: str, items: Iterable[Mapping[str, Any]]) -> int:
    """Create `table` on `endpoint` (the producer's key schema) and put `items` into it."""
    import boto3

    from sma_laptop.producer import create_source_table, put_items

    create_source_table(boto3.client("dynamodb", endpoint_url=endpoint), table)
    resource = boto3.resource("dynamodb", endpoint_url=endpoint)
    return put_items(resource.Table(table), items)


def run_job(
    spark: SparkSession,
    *,
    endpoint: str,
    table: str,
    lake: Path,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
    tickers: Iterable[str] = (),
    discover: bool = False,
    **extra: str,
) -> RunSummary:
    """One run of the job, in this process, with settings built the way the CLI builds them.

    `extra` holds further job options by their setting names, e.g. ``MAX_ATTEMPTS="3"``.
    """
    from sma_etl.run import run
    from sma_etl.settings import load_settings

    options: dict[str, str | None] = {
        "OUTPUT": str(lake),
        "START": iso(start) if start else None,
        "END": iso(end) if end else None,
        "NOW": iso(now) if now else None,
        "TICKERS": ",".join(tickers) or None,
        "DISCOVER_TICKERS": "true" if discover else None,
        "DYNAMO_TABLE_NAME": table,
        "ENDPOINT_URL": endpoint,
        **extra,
    }
    return run(load_settings(options, env={"AWS_REGION": "us-east-1"}), spark)


def lake_files(lake: Path) -> list[Path]:
    """The data files of the lake's partitions (not the rejected ticks, not hidden folders)."""
    return sorted(lake.glob("ticker=*/date=*/hour=*/*.parquet"))


def read_lake(lake: Path) -> list[LakeRow]:
    """Every lake row as (ticker, date, hour, data columns...), sorted; exact values."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    from sma.schema import DATA_COLUMN_NAMES

    rows: list[LakeRow] = []
    for path in lake_files(lake):
        hour_dir, date_dir, ticker_dir = path.parents[0], path.parents[1], path.parents[2]
        partition = tuple(d.name.split("=", 1)[1] for d in (ticker_dir, date_dir, hour_dir))
        table = pq.read_table(path)
        assert tuple(table.column_names) == DATA_COLUMN_NAMES, path
        rows.extend(partition + tuple(r.values()) for r in table.to_pylist())
    return sorted(rows, key=lambda r: (r[0], r[1], r[2], r[5]))


def partitions_of(lake: Path) -> list[str]:
    return sorted(str(p.parent.relative_to(lake)) for p in lake_files(lake))


def minute_items(
    tickers: Iterable[str], start: datetime, end: datetime, seed: int = 1
) -> list[dict[str, Any]]:
    """Producer items, one a minute per ticker in ``[start, end)``, prices a seeded walk."""
    import random
    from datetime import timedelta
    from decimal import Decimal

    from sma_laptop.producer import Tick, producer_item

    items: list[dict[str, Any]] = []
    for ticker in tickers:
        walk = random.Random(f"{seed}-{ticker}")
        price = Decimal(walk.randrange(1_000, 100_000))
        when = start
        while when < end:
            price = (price * Decimal(1 + walk.uniform(-0.002, 0.002))).quantize(Decimal("0.0001"))
            items.append(producer_item(Tick(ticker, when, price, price + Decimal("0.25"))))
            when += timedelta(minutes=1)
    return items


def stray_parquet(lake: Path) -> list[Path]:
    """Parquet files a reader of the lake could pick up outside the partition folders."""
    visible = (
        path
        for path in lake.rglob("*.parquet")
        if not any(part.startswith((".", "_")) for part in path.relative_to(lake).parts)
    )
    return sorted(set(visible) - set(lake_files(lake)))


def write_lake(root: Path, tickers: Iterable[str], start: datetime, minutes: int) -> int:
    """A lake in the job's layout written with pyarrow, one tick a minute, SMAs from the oracle.

    For the API's tests, which need a lake but not the job's cost of making one.
    """
    import math
    from datetime import timedelta

    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    from sma.reference import rolling_sma
    from sma.schema import DATA_COLUMN_NAMES, hour_partition
    from sma.windows import SMA_COLUMNS, WINDOWS

    written = 0
    for number, ticker in enumerate(tickers):
        times = [start + timedelta(minutes=i) for i in range(minutes)]
        # Waves of different periods, so the short SMA crosses the long one now and then.
        bids = [
            1000.0 * (number + 1) + 25.0 * math.sin(i / (17.0 + number)) + i * 0.01 + 1 / 3
            for i in range(minutes)
        ]
        smas = {c: rolling_sma(bids, n) for c, n in zip(SMA_COLUMNS, WINDOWS, strict=True)}
        hours: dict[tuple[str, str], list[int]] = {}
        for index, when in enumerate(times):
            hours.setdefault((when.date().isoformat(), hour_partition(when.hour)), []).append(index)
        for (day, hour), indexes in hours.items():
            values = {
                "ask_price": [bids[i] + 0.5 for i in indexes],
                "bid_price": [bids[i] for i in indexes],
                "last_refreshed": [times[i] for i in indexes],
                **{c: [smas[c][i] for i in indexes] for c in SMA_COLUMNS},
            }
            arrays = [
                pa.array(values[name], pa.timestamp("us", tz="UTC"))
                if name == "last_refreshed"
                else pa.array(values[name], pa.float64())
                for name in DATA_COLUMN_NAMES
            ]
            folder = root / f"ticker={ticker}" / f"date={day}" / f"hour={hour}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                pa.table(arrays, names=list(DATA_COLUMN_NAMES)), folder / "part-0.parquet"
            )
            written += len(indexes)
    return written
