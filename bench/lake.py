"""Lake rows made without Spark, for the benchmarks that only read a lake.

Rows: the generator's ticks with SMAs from the DuckDB reference (checked against
``sma.reference.rolling_sma``); ``tests.support.lake.write_table`` writes them in the job's layout.
"""

from __future__ import annotations

import pyarrow as pa

from bench.data import TickSpec, source_table
from bench.duckdb_ref import connect, sma_select_sql


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
