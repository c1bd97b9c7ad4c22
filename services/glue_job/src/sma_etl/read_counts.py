"""What a window's read held, per source ticker: for discovery's report and the late-tick record.

``tickers_without_ticks`` needs the source tickers of which the run read any item;
``late_ticks`` records the items per ticker and key hour (``YYYY-MM-DD HH``) read under the
window's own keys. A window read in the driver is counted from its rows, with no Spark job; a
window read by Spark tasks in one small aggregate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sma_etl.source import LOOKBACK_COLUMN, RAW_COLUMNS, RawRow

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


@dataclass
class ReadCounts:
    tickers: set[str] = field(default_factory=set)  # source tickers with any item read
    key_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # window keys only

    def add(self, ticker: str | None, key: str | None, lookback: bool, n: int) -> None:
        if not ticker:
            return
        self.tickers.add(ticker)
        if not lookback and key is not None:
            hours = self.key_counts.setdefault(ticker, {})
            hours[key[:13]] = hours.get(key[:13], 0) + n


def counted_rows(rows: Iterable[RawRow]) -> ReadCounts:
    """The counts of rows read in the driver."""
    counts = ReadCounts()
    for row in rows:
        counts.add(row[0], row[1], row[5], 1)
    return counts


def counted_frame(raw: DataFrame) -> ReadCounts:
    """The counts of a raw frame (one Spark job)."""
    from pyspark.sql import functions as sf

    ticker, key = RAW_COLUMNS[0], RAW_COLUMNS[1]
    groups = (
        raw.groupBy(ticker, LOOKBACK_COLUMN, sf.substring(key, 1, 13).alias("hour"))
        .count()
        .collect()
    )
    counts = ReadCounts()
    for group in groups:
        counts.add(group[ticker], group["hour"], group[LOOKBACK_COLUMN], group["count"])
    return counts
