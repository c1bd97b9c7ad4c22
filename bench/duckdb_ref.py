"""The reference engine for the backfill benchmark: DuckDB computing the same SMAs and lake.

Given the same source rows the job reads (texts as DynamoDB returns them), DuckDB parses them,
computes ``sma_n`` with window functions (mean of the last n bids, null while fewer than n ticks
exist) and writes the ``ticker=/date=/hour=`` Parquet layout with ``COPY ... PARTITION_BY``.
Compute and write are timed apart. Run alone: ``python -m bench.duckdb_ref --ticks 1000000``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from bench.data import TickSpec, source_table
from bench.oracle import max_relative_error
from bench.report import print_json, print_table
from sma.schema import DATA_COLUMN_NAMES, PARTITION_KEY_NAMES
from sma.windows import WINDOWS, sma_column


def sma_select_sql(source: str) -> str:
    """SELECT of the lake rows (data columns, then partition keys) from a source-text relation."""
    smas = ",\n       ".join(
        f"CASE WHEN row_number() OVER by_time >= {n} THEN avg(bid_price) OVER "
        f"(by_time ROWS BETWEEN {n - 1} PRECEDING AND CURRENT ROW) END AS {sma_column(n)}"
        for n in WINDOWS
    )
    return f"""
WITH parsed AS (
    SELECT upper(regexp_replace(trim(ticker), '[/_-]', '', 'g')) AS ticker,
           strptime(last_refreshed, '%Y-%m-%d %H:%M:%S') AS last_refreshed,
           CAST(bid_price AS DOUBLE) AS bid_price,
           TRY_CAST(ask_price AS DOUBLE) AS ask_price
    FROM {source}
)
SELECT ask_price, bid_price, last_refreshed,
       {smas},
       ticker,
       CAST(last_refreshed AS DATE) AS date,
       strftime(last_refreshed, '%H') AS hour
FROM parsed
WINDOW by_time AS (PARTITION BY ticker ORDER BY last_refreshed)
"""


@dataclass(frozen=True, slots=True)
class DuckdbTimes:
    rows: int
    partitions: int
    files: int
    compute_seconds: float
    write_seconds: float
    compute_cpu_seconds: float  # all of DuckDB's threads: less disturbed by the box's load
    write_cpu_seconds: float
    max_relative_error: float  # spot check against sma.reference.rolling_sma

    @property
    def total_seconds(self) -> float:
        return self.compute_seconds + self.write_seconds


def connect(threads: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"SET threads = {int(threads)}")
    return con


def run_reference(source: pa.Table, output: Path, threads: int = 2) -> DuckdbTimes:
    """Compute the lake rows of `source` (timed), then write them partitioned (timed)."""
    con = connect(threads)
    con.register("source_ticks", source)
    began, cpu0 = time.perf_counter(), time.process_time()
    con.execute(f"CREATE TABLE lake_rows AS {sma_select_sql('source_ticks')}")
    computed, cpu1 = time.perf_counter(), time.process_time()
    shutil.rmtree(output, ignore_errors=True)
    columns = ", ".join([*DATA_COLUMN_NAMES, *PARTITION_KEY_NAMES])
    keys = ", ".join(PARTITION_KEY_NAMES)
    con.execute(
        f"COPY (SELECT {columns} FROM lake_rows) TO '{output}' "
        f"(FORMAT PARQUET, PARTITION_BY ({keys}))"
    )
    written, cpu2 = time.perf_counter(), time.process_time()
    rows, partitions = con.execute(
        f"SELECT count(*), count(DISTINCT ({keys})) FROM lake_rows"
    ).fetchone() or (0, 0)
    error = spot_check(con)
    con.close()
    files = sum(1 for _ in output.rglob("*.parquet"))
    return DuckdbTimes(
        rows=int(rows),
        partitions=int(partitions),
        files=files,
        compute_seconds=computed - began,
        write_seconds=written - computed,
        compute_cpu_seconds=cpu1 - cpu0,
        write_cpu_seconds=cpu2 - cpu1,
        max_relative_error=error,
    )


def spot_check(con: duckdb.DuckDBPyConnection, rows_per_ticker: int = 2_000) -> float:
    """Largest relative difference from ``rolling_sma`` over the first rows of two tickers."""
    worst = 0.0
    tickers = [
        r[0] for r in con.execute("SELECT DISTINCT ticker FROM lake_rows ORDER BY 1").fetchall()
    ]
    for ticker in tickers[:1] + tickers[-1:]:
        rows = con.execute(
            f"SELECT bid_price, {', '.join(sma_column(n) for n in WINDOWS)} FROM lake_rows "
            "WHERE ticker = ? ORDER BY last_refreshed LIMIT ?",
            [ticker, rows_per_ticker],
        ).fetchall()
        error = max_relative_error(
            [r[0] for r in rows], {n: [r[i] for r in rows] for i, n in enumerate(WINDOWS, 1)}
        )
        worst = max(worst, error)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=1_000_000)
    parser.add_argument("--tickers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="100k ticks")
    args = parser.parse_args()
    spec = TickSpec(ticks=100_000 if args.quick else args.ticks, tickers=args.tickers)
    source = source_table(spec)
    with tempfile.TemporaryDirectory(prefix="bench-duckdb-") as scratch:
        times = run_reference(source, Path(scratch) / "lake", threads=args.threads)
    figures: dict[str, Any] = {"ticks": spec.ticks, "tickers": spec.tickers, **asdict(times)}
    figures["rows_per_second"] = round(times.rows / times.total_seconds)
    print_table(
        ["step", "seconds", "rows/s"],
        [
            ["compute (parse + SMAs)", times.compute_seconds, times.rows / times.compute_seconds],
            ["COPY partitioned", times.write_seconds, times.rows / times.write_seconds],
            ["total", times.total_seconds, times.rows / times.total_seconds],
        ],
    )
    print_json(figures)


if __name__ == "__main__":
    main()
