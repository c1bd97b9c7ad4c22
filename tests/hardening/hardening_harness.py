"""The hardening tests' scenes: minute ticks for the source table, a lake for the API, and what a
reader of the lake could trip over. Running the job and reading its lake: ``tests.support.job``."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sma_laptop.producer import Tick, producer_item
from tests.support.job import lake_files
from tests.support.lake import write_ticker


def partitions_of(lake: Path) -> list[str]:
    return sorted(str(p.parent.relative_to(lake)) for p in lake_files(lake))


def minute_items(
    tickers: Iterable[str], start: datetime, end: datetime, seed: int = 1
) -> list[dict[str, Any]]:
    """Producer items, one a minute per ticker in ``[start, end)``, prices a seeded walk."""
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
    """A lake of normalised `tickers`, one tick a minute; returns the rows written.

    For the API's tests, which need a lake but not the job's cost of making one.
    """
    written = 0
    for number, ticker in enumerate(tickers):
        # Waves of different periods, so the short SMA crosses the long one now and then.
        bids = [
            1000.0 * (number + 1) + 25.0 * math.sin(i / (17.0 + number)) + i * 0.01 + 1 / 3
            for i in range(minutes)
        ]
        ticks = [(start + timedelta(minutes=i), bid, bid + 0.5) for i, bid in enumerate(bids)]
        written += len(write_ticker(root, ticker, ticks))
    return written
