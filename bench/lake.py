"""A lake in the job's layout, made without Spark, for the benchmarks that only read one.

Rows: the generator's ticks with SMAs from the DuckDB reference (checked against
``sma.reference.rolling_sma``). Files: ``ticker=/date=/hour=/part-00000-<uuid>.c000.snappy.parquet``
holding exactly the data columns of ``sma.schema``, ``last_refreshed`` as UTC TIMESTAMP_MICROS,
as the job writes them.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.data import TickSpec, source_table
from bench.duckdb_ref import connect, sma_select_sql
from sma.schema import DATA_COLUMN_NAMES, PARTITION_KEY_NAMES


def lake_rows(spec: TickSpec) -> pa.Table:
    """Data columns then partition keys, ``last_refreshed`` as ``timestamp[us, UTC]``."""
    con = connect(threads=2)
    con.register("source_ticks", source_table(spec))
    table = con.sql(sma_select_sql("source_ticks")).to_arrow_table()
    con.close()
    index = table.schema.get_field_index("last_refreshed")
    column = table.column(index)
    if not (pa.types.is_timestamp(column.type) and column.type.tz):
        # DuckDB's naive timestamps hold UTC wall times: label them so.
        column = column.cast(pa.timestamp("us")).cast(pa.timestamp("us", "UTC"))
    return table.set_column(index, "last_refreshed", column)


def partition_slices(table: pa.Table) -> list[tuple[int, int]]:
    """(offset, length) of each run of equal partition keys; `table` sorted by them."""
    keys = pc.binary_join_element_wise(
        *(table.column(k).cast(pa.string()) for k in PARTITION_KEY_NAMES), "\x00"
    )
    codes = pc.dictionary_encode(keys).combine_chunks().indices.to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    return [(int(s), int(e - s)) for s, e in zip(starts, ends, strict=True)]


def write_lake(table: pa.Table, root: Path) -> int:
    """Write `table` (lake rows) under `root` in the job's layout; returns partitions written."""
    order = [(k, "ascending") for k in (*PARTITION_KEY_NAMES, "last_refreshed")]
    table = table.sort_by(order)
    task = uuid.uuid4()
    slices = partition_slices(table)
    for offset, length in slices:
        part = table.slice(offset, length)
        folder = root.joinpath(*(f"{k}={part.column(k)[0].as_py()}" for k in PARTITION_KEY_NAMES))
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(
            part.select(list(DATA_COLUMN_NAMES)),
            folder / f"part-00000-{task}.c000.snappy.parquet",
            compression="snappy",
        )
    return len(slices)
