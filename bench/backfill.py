"""Backfill throughput: the job's transform and partitioned write against DuckDB, same rows.

Input: N generated ticks over T tickers as the job reads them (text values, ``RAW_COLUMNS`` of
``sma_etl.source``), from a local Parquet file (DynamoDB reading is benchmark 1's business).
Spark side, with the job's own session and code (``sma_etl.spark.build_session``,
``sma_etl.transform``, ``sma_etl.sink.write_partitions``):

- compute: parse + tick rule + dedupe + SMAs + lake columns, persisted and counted;
- write: the dynamic-overwrite partitioned Parquet write (one file per ticker/date/hour);
- SMA only: ``compute_smas`` over already clean, cached ticks, into Spark's no-op sink.

DuckDB side (``bench.duckdb_ref``): parse + SMAs into a table, then ``COPY ... PARTITION_BY``,
and SMA only over typed ticks. Both outputs are spot-checked against
``sma.reference.rolling_sma``. Ratios are Spark / DuckDB in the same run.

``python -m bench.backfill [--ticks 1000000] [--tickers 3] [--quick] [--no-write]``
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from bench.data import TickSpec, source_table, tick_table
from bench.duckdb_ref import connect, run_reference
from bench.oracle import max_relative_error
from bench.procstat import tree_cpu
from bench.report import print_json, print_table
from sma.windows import WINDOWS, sma_column

TARGET_SECONDS_1E6: Final = 25.0
TARGET_ROWS_PER_SECOND: Final = 40_000
TARGET_SMA_RATIO: Final = 5.0


def raw_input_file(spec: TickSpec, path: Path) -> None:
    """The ticks in the job's read shape: source texts under RAW_COLUMNS, no lookback rows."""
    from sma_etl.source import LOOKBACK_COLUMN, RAW_COLUMNS

    source = source_table(spec)
    table = pa.table(
        {
            **dict(zip(RAW_COLUMNS, source.columns, strict=True)),
            LOOKBACK_COLUMN: pa.array([False] * source.num_rows, pa.bool_()),
        }
    )
    pq.write_table(table, path)


def spark_side(spec: TickSpec, input_path: Path, lake: Path, write: bool) -> dict[str, Any]:
    from pyspark import StorageLevel
    from pyspark.sql import functions as sf

    from sma_etl.sink import write_partitions
    from sma_etl.spark import build_session
    from sma_etl.transform import (
        clean_ticks,
        compute_smas,
        dedupe_ticks,
        lake_rows,
        parse_ticks,
    )

    began = time.perf_counter()
    spark = build_session("bench-backfill", shuffle_partitions=2)
    session = time.perf_counter() - began
    jvm: Any = spark.sparkContext._jvm
    jvm_pid = int(jvm.ProcessHandle.current().pid())
    file_impl = spark.sparkContext._jsc.hadoopConfiguration().get("fs.file.impl")
    start = int(spec.start.timestamp()) * 1_000_000
    end = int(spec.end.timestamp()) * 1_000_000
    figures: dict[str, Any] = {"session_seconds": session, "fs_file_impl": file_impl}
    try:
        cpu0, t0 = tree_cpu(jvm_pid), time.perf_counter()
        # The job reads one Spark partition per ticker (a Query task each): the same here.
        raw = spark.read.parquet(str(input_path)).repartitionByRange(spec.tickers, "raw_ticker")
        parsed = parse_ticks(raw, start, end).persist(StorageLevel.MEMORY_AND_DISK)
        clean = dedupe_ticks(clean_ticks(parsed)).persist(StorageLevel.MEMORY_AND_DISK)
        rows = lake_rows(compute_smas(clean)).persist(StorageLevel.MEMORY_AND_DISK)
        figures["rows"] = rows.count()
        t1, cpu1 = time.perf_counter(), tree_cpu(jvm_pid)
        figures["compute_seconds"] = t1 - t0
        figures["compute_cpu_seconds"] = (cpu1 - cpu0).total
        if write:
            write_partitions(rows, str(lake))
            t2, cpu2 = time.perf_counter(), tree_cpu(jvm_pid)
            figures["write_seconds"] = t2 - t1
            figures["write_cpu_seconds"] = (cpu2 - cpu1).total
        # SMA only: the window functions over clean cached ticks, nothing else.
        t3, cpu3 = time.perf_counter(), tree_cpu(jvm_pid)
        compute_smas(clean).select(*(sf.col(sma_column(n)) for n in WINDOWS)).write.format(
            "noop"
        ).mode("overwrite").save()
        figures["sma_only_seconds"] = time.perf_counter() - t3
        figures["sma_only_cpu_seconds"] = (tree_cpu(jvm_pid) - cpu3).total
        for frame in (rows, clean, parsed):
            frame.unpersist()
    finally:
        spark.stop()
    return figures


def duckdb_sma_only(spec: TickSpec) -> tuple[float, float]:
    """(wall, CPU) seconds of the window functions alone over typed ticks."""
    con = connect(threads=2)
    con.register("ticks", tick_table(spec))
    smas = ", ".join(
        f"CASE WHEN row_number() OVER w >= {n} THEN avg(bid_price) OVER "
        f"(w ROWS BETWEEN {n - 1} PRECEDING AND CURRENT ROW) END AS {sma_column(n)}"
        for n in WINDOWS
    )
    began, cpu = time.perf_counter(), time.process_time()
    con.execute(
        f"CREATE TABLE smas AS SELECT {smas} FROM ticks "
        "WINDOW w AS (PARTITION BY ticker ORDER BY last_refreshed)"
    )
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    con.close()
    return seconds, cpu


def check_lake(lake: Path, ticker: str, rows: int = 2_000) -> float:
    """Largest relative difference from rolling_sma over one ticker's first rows in the lake."""
    table = (
        ds.dataset(lake, format="parquet", partitioning="hive")
        .to_table(filter=ds.field("ticker") == ticker)
        .sort_by("last_refreshed")
        .slice(0, rows)
    )
    return max_relative_error(
        table.column("bid_price").to_pylist(),
        {n: table.column(sma_column(n)).to_pylist() for n in WINDOWS},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Backfill throughput: Spark job vs DuckDB.")
    parser.add_argument("--ticks", type=int, default=1_000_000)
    parser.add_argument("--tickers", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100k ticks")
    parser.add_argument(
        "--no-write", action="store_true", help="compute only (for sizes whose partitions "
        "would not fit the time: 1e7 ticks on 100 tickers is 167k partitions)",
    )  # fmt: skip
    args = parser.parse_args()
    spec = TickSpec(ticks=100_000 if args.quick else args.ticks, tickers=args.tickers)
    write = not args.no_write
    partitions = spec.tickers * spec.hours()
    print(
        f"{spec.ticks:,} ticks, {spec.tickers} tickers, {partitions:,} hour partitions",
        flush=True,
    )
    scratch = Path(tempfile.mkdtemp(prefix="bench-backfill-"))
    try:
        input_path = scratch / "raw.parquet"
        raw_input_file(spec, input_path)
        duck = (
            run_reference(source_table(spec), scratch / "duckdb-lake", threads=2) if write else None
        )
        duck_sma, duck_sma_cpu = duckdb_sma_only(spec)
        print("duckdb done", flush=True)
        spark = spark_side(spec, input_path, scratch / "spark-lake", write)
        print("spark done", flush=True)
        spark_error = check_lake(scratch / "spark-lake", "BTCUSD") if write else None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    rows = int(spark["rows"])
    table: list[list[object]] = []
    figures: dict[str, Any] = {
        "ticks": spec.ticks,
        "tickers": spec.tickers,
        "partitions": partitions,
        "spark": spark,
        "duckdb_sma_only_seconds": duck_sma,
        "duckdb_sma_only_cpu_seconds": duck_sma_cpu,
        "sma_only_ratio_spark_over_duckdb": spark["sma_only_seconds"] / duck_sma,
        "sma_only_cpu_ratio_spark_over_duckdb": spark["sma_only_cpu_seconds"] / duck_sma_cpu,
    }
    if duck is not None:
        spark_total = spark["compute_seconds"] + spark["write_seconds"]
        figures["duckdb"] = {
            "rows": duck.rows,
            "partitions": duck.partitions,
            "files": duck.files,
            "compute_seconds": duck.compute_seconds,
            "write_seconds": duck.write_seconds,
            "compute_cpu_seconds": duck.compute_cpu_seconds,
            "write_cpu_seconds": duck.write_cpu_seconds,
            "max_relative_error": duck.max_relative_error,
        }
        spark_cpu = spark["compute_cpu_seconds"] + spark["write_cpu_seconds"]
        duck_cpu = duck.compute_cpu_seconds + duck.write_cpu_seconds
        figures.update(
            {
                "spark_end_to_end_seconds": spark_total,
                "spark_rows_per_second": rows / spark_total,
                "duckdb_rows_per_second": duck.rows / duck.total_seconds,
                "end_to_end_ratio_spark_over_duckdb": spark_total / duck.total_seconds,
                "write_ratio_spark_over_duckdb": spark["write_seconds"] / duck.write_seconds,
                "compute_ratio_spark_over_duckdb": spark["compute_seconds"] / duck.compute_seconds,
                "spark_max_relative_error": spark_error,
            }
        )
        table = [
            [
                "compute (parse+rule+SMAs)",
                spark["compute_seconds"],
                duck.compute_seconds,
                spark["compute_cpu_seconds"],
                duck.compute_cpu_seconds,
            ],
            [
                "partitioned write",
                spark["write_seconds"],
                duck.write_seconds,
                spark["write_cpu_seconds"],
                duck.write_cpu_seconds,
            ],
            ["end to end", spark_total, duck.total_seconds, spark_cpu, duck_cpu],
            ["rows/s end to end", rows / spark_total, duck.rows / duck.total_seconds, "", ""],
        ]
    table.append(
        [
            "SMA only (window functions)",
            spark["sma_only_seconds"],
            duck_sma,
            spark["sma_only_cpu_seconds"],
            duck_sma_cpu,
        ]
    )
    table.append(["Spark session start", spark["session_seconds"], "-", "", ""])
    print()
    print_table(["step", "Spark s", "DuckDB s", "Spark cpu s", "DuckDB cpu s"], table)
    print_table(
        ["ratio Spark / DuckDB", "x"],
        [[k, v] for k, v in figures.items() if k.endswith("_over_duckdb")],
    )
    print_json(figures)


if __name__ == "__main__":
    main()
