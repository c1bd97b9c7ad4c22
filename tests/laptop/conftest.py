"""A small lake in the job's layout, written with pyarrow, for the local tooling's tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sma.reference import rolling_sma
from sma.schema import DATA_COLUMN_NAMES, hour_partition
from sma.windows import SMA_COLUMNS, WINDOWS

LakeRow = dict[str, object]
LakeWriter = Callable[[str, Sequence[tuple[datetime, float, float]]], list[LakeRow]]

_ARROW_SCHEMA = pa.schema(
    [
        pa.field(name, pa.timestamp("us", tz="UTC") if name == "last_refreshed" else pa.float64())
        for name in DATA_COLUMN_NAMES
    ]
)


def write_lake(
    root: Path, ticker: str, ticks: Sequence[tuple[datetime, float, float]]
) -> list[LakeRow]:
    """Write `ticks` (time, bid, ask) of one normalised ticker as the job would; returns the rows.

    SMAs come from the reference; one file per hour partition, partition values only in paths.
    """
    bids = [bid for _, bid, _ in ticks]
    smas = {column: rolling_sma(bids, n) for column, n in zip(SMA_COLUMNS, WINDOWS, strict=True)}
    rows: list[LakeRow] = [
        {
            "ask_price": ask,
            "bid_price": bid,
            "last_refreshed": when,
            **{column: smas[column][i] for column in SMA_COLUMNS},
            "ticker": ticker,
            "date": when.date(),
            "hour": hour_partition(when.hour),
        }
        for i, (when, bid, ask) in enumerate(ticks)
    ]
    by_partition: dict[tuple[str, str], list[LakeRow]] = {}
    for row in rows:
        by_partition.setdefault((str(row["date"]), str(row["hour"])), []).append(row)
    for (day, hour), part in by_partition.items():
        folder = root / f"ticker={ticker}" / f"date={day}" / f"hour={hour}"
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(
            [{name: row[name] for name in DATA_COLUMN_NAMES} for row in part], schema=_ARROW_SCHEMA
        )
        pq.write_table(table, folder / "part-00000.snappy.parquet")
    return rows


@pytest.fixture
def lake_writer(tmp_path: Path) -> tuple[Path, LakeWriter]:
    root = tmp_path / "lake"
    root.mkdir()

    def write(ticker: str, ticks: Sequence[tuple[datetime, float, float]]) -> list[LakeRow]:
        return write_lake(root, ticker, ticks)

    return root, write
