"""A lake in the job's layout, written with pyarrow, SMAs from the reference definition.

``ticker=/date=/hour=`` folders, one Parquet file each holding exactly the data columns of
``sma.schema`` (``last_refreshed`` as UTC TIMESTAMP_MICROS), partition values only in the paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sma.reference import rolling_sma
from sma.schema import DATA_COLUMN_NAMES, PARTITION_KEY_NAMES, hour_partition
from sma.windows import SMA_COLUMNS, WINDOWS

# The data columns as the job writes them.
ARROW_SCHEMA: Final = pa.schema(
    [
        pa.field(name, pa.timestamp("us", tz="UTC") if name == "last_refreshed" else pa.float64())
        for name in DATA_COLUMN_NAMES
    ]
)
# Lake rows as readers see them: the data columns, then the partition keys.
ROW_SCHEMA: Final = (
    ARROW_SCHEMA.append(pa.field("ticker", pa.string()))
    .append(pa.field("date", pa.date32()))
    .append(pa.field("hour", pa.string()))
)
PART_FILE: Final = "part-00000-c000.snappy.parquet"

LakeRow = dict[str, Any]
# (time, bid, ask) of one tick.
Tick = tuple[datetime, float, float]


def partition_slices(table: pa.Table) -> list[tuple[int, int]]:
    """(offset, length) of each run of equal partition keys; `table` sorted by them."""
    keys = pc.binary_join_element_wise(
        *(table.column(k).cast(pa.string()) for k in PARTITION_KEY_NAMES), "\x00"
    )
    codes = pc.dictionary_encode(keys).combine_chunks().indices.to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    return [(int(s), int(e - s)) for s, e in zip(starts, ends, strict=True)]


def write_table(
    table: pa.Table, root: Path, *, file_name: str = PART_FILE, spark_litter: bool = False
) -> int:
    """Write `table` (lake rows) under `root` in the job's layout; returns partitions written.

    `spark_litter` adds what Spark leaves beside its part files (``_SUCCESS``, a ``.crc``),
    which a reader of the lake must pass over.
    """
    table = table.sort_by([(k, "ascending") for k in (*PARTITION_KEY_NAMES, "last_refreshed")])
    slices = partition_slices(table)
    for offset, length in slices:
        part = table.slice(offset, length)
        folder = root.joinpath(*(f"{k}={part.column(k)[0].as_py()}" for k in PARTITION_KEY_NAMES))
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(part.select(list(DATA_COLUMN_NAMES)).cast(ARROW_SCHEMA), folder / file_name)
        if spark_litter:
            (folder / "_SUCCESS").write_bytes(b"")
            (folder / f".{file_name}.crc").write_bytes(b"not parquet")
    return len(slices)


def ticker_rows(ticker: str, ticks: Sequence[Tick]) -> list[LakeRow]:
    """The lake rows of one normalised ticker's `ticks` (time order), SMAs over the bids."""
    bids = [bid for _, bid, _ in ticks]
    smas = {column: rolling_sma(bids, n) for column, n in zip(SMA_COLUMNS, WINDOWS, strict=True)}
    return [
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


def write_ticker(
    root: Path,
    ticker: str,
    ticks: Sequence[Tick],
    *,
    file_name: str = PART_FILE,
    spark_litter: bool = False,
) -> list[LakeRow]:
    """Write one normalised ticker's `ticks` as the job would; returns its rows, the oracle."""
    rows = ticker_rows(ticker, ticks)
    if rows:
        table = pa.Table.from_pylist(rows, schema=ROW_SCHEMA)
        write_table(table, root, file_name=file_name, spark_litter=spark_litter)
    return rows
