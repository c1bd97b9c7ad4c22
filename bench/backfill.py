"""Backfill throughput: the job's transform and partitioned write against DuckDB, same rows.

Input: N generated ticks over T tickers as the job reads them (text values, ``RAW_COLUMNS`` of
``sma_etl.source``), from a local Parquet file (DynamoDB reading is benchmark 1's business).
Spark side, with the job's own session and code (``sma_etl.spark.build_session``,
``sma_etl.transform.transform``, ``sma_etl.sink.write_partitions``), in one process:

1. end to end, first, in the fresh JVM as a job run meets it: transform (judge, tally, SMAs)
   and the partitioned write, fused as the job runs them;
2. compute: the same transform again, its lake rows persisted and counted;
3. write: the persisted rows, partitioned (one file per ticker/date/hour);
4. SMA only: ``compute_smas`` over already clean, persisted ticks, into Spark's no-op sink.

DuckDB side (``bench.duckdb_ref``): parse + SMAs into a table, then ``COPY ... PARTITION_BY``,
and SMA only over typed ticks. Both lakes are checked against ``sma.reference.rolling_sma``
and against each other (rows, partitions). Ratios are Spark / DuckDB in the same run; each
figure carries the 1-minute load at its end.

``python -m bench.backfill [--ticks 1000000] [--tickers 3] [--quick] [--no-write]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from bench.data import TickSpec, source_table, tick_table
from bench.duckdb_ref import connect, run_reference
from bench.oracle import max_relative_error
from bench.procstat import peak_rss_mib, tree_cpu
from bench.report import print_json, print_table
from sma.windows import WINDOWS, sma_column

ROW_GROUP: Final = 65_536  # several row groups, so Spark reads the file in parallel splits


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
    pq.write_table(table, path, row_group_size=ROW_GROUP)


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def spark_side(spec: TickSpec, input_path: Path, scratch: Path, write: bool) -> dict[str, Any]:
    from pyspark import StorageLevel

    from sma_etl.run import is_short
    from sma_etl.sink import write_partitions
    from sma_etl.smas import compute_smas
    from sma_etl.spark import build_session
    from sma_etl.transform import clean_ticks, transform

    began = time.perf_counter()
    # The session the job would start for a window of these ticks.
    hours = -(-spec.per_ticker * int(spec.interval.total_seconds()) // 3_600)
    spark = build_session(
        "bench-backfill", shuffle_partitions=2, short=is_short(spec.tickers, hours)
    )
    jvm: Any = spark.sparkContext._jvm
    jvm_pid = int(jvm.ProcessHandle.current().pid())
    # The job's windows are whole hours: the hour after the last tick's.
    start = int(spec.start.timestamp()) * 1_000_000
    end = (int(spec.end.timestamp()) + 3_599) // 3_600 * 3_600 * 1_000_000
    figures: dict[str, Any] = {"session_seconds": time.perf_counter() - began}

    def timed(name: str, step: Callable[[], object]) -> None:
        cpu0, t0 = tree_cpu(jvm_pid), time.perf_counter()
        step()
        seconds, cpu = time.perf_counter() - t0, (tree_cpu(jvm_pid) - cpu0).total
        figures[f"{name}_seconds"], figures[f"{name}_cpu_seconds"] = seconds, cpu
        figures[f"{name}_cores_busy"], figures[f"{name}_load"] = cpu / seconds, _load()
        print(f"spark {name}: {seconds:.2f} s, cpu {cpu:.2f} s, load {_load()}", flush=True)

    try:
        raw = spark.read.parquet(str(input_path))
        if write:
            lake = scratch / "spark-lake"
            timed(
                "end_to_end",
                lambda: write_partitions(
                    transform(raw, start, end).rows, str(lake), clustered=True
                ),
            )
        else:
            # The job's first query pays the JVM's warm-up (JIT, code generation): outside the
            # compute figure, as the end to end run takes it when writing.
            timed(
                "warm_up",
                lambda: (
                    transform(raw, start, end).rows.write.format("noop").mode("overwrite").save()
                ),
            )
        result = transform(raw, start, end)
        rows = result.rows.persist(StorageLevel.MEMORY_AND_DISK)
        timed("compute", rows.count)
        figures["rows"] = sum(result.count_rows().values())
        figures["segments"] = len(result.plan.segments) if result.plan else 0
        if write:
            again = scratch / "spark-lake-from-cache"
            timed("write", lambda: write_partitions(rows, str(again), clustered=True))
            shutil.rmtree(again, ignore_errors=True)
        rows.unpersist()
        dedupe = bool(result.tally.repeat_hours)
        clean = clean_ticks(result.judged, with_raw=dedupe).persist(StorageLevel.MEMORY_AND_DISK)
        clean.count()
        assert result.plan is not None
        smas = compute_smas(clean, result.plan, dedupe=dedupe)
        columns = [sma_column(n) for n in WINDOWS]
        timed(
            "sma_only", lambda: smas.select(*columns).write.format("noop").mode("overwrite").save()
        )
        clean.unpersist()
        figures["peak_rss_mib"] = peak_rss_mib(jvm_pid)
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


def lake_shape(lake: Path) -> tuple[int, int]:
    """(rows, partition folders) of a lake."""
    folders = {p.parent for p in lake.rglob("*.parquet")}
    return ds.dataset(lake, format="parquet", partitioning="hive").count_rows(), len(folders)


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
    print(f"{spec.ticks:,} ticks, {spec.tickers} tickers, {partitions:,} hour partitions")
    scratch = Path(tempfile.mkdtemp(prefix="bench-backfill-"))
    figures: dict[str, Any] = {"ticks": spec.ticks, "tickers": spec.tickers}
    try:
        input_path = scratch / "raw.parquet"
        raw_input_file(spec, input_path)
        duck = (
            run_reference(source_table(spec), scratch / "duckdb-lake", threads=2) if write else None
        )
        duck_sma, duck_sma_cpu = duckdb_sma_only(spec)
        print(f"duckdb done, load {_load()}", flush=True)
        spark = spark_side(spec, input_path, scratch, write)
        figures["spark"] = spark
        if duck is not None:
            spark_lake, duck_lake = scratch / "spark-lake", scratch / "duckdb-lake"
            figures["spark_max_relative_error"] = check_lake(spark_lake, "BTCUSD")
            figures["same_rows_and_partitions"] = lake_shape(spark_lake) == lake_shape(duck_lake)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report(
        figures, spark, duck, duck_sma=duck_sma, duck_sma_cpu=duck_sma_cpu, partitions=partitions
    )


def report(
    figures: dict[str, Any],
    spark: dict[str, Any],
    duck: Any,
    *,
    duck_sma: float,
    duck_sma_cpu: float,
    partitions: int,
) -> None:
    figures.update(
        {
            "partitions": partitions,
            "duckdb_sma_only_seconds": duck_sma,
            "duckdb_sma_only_cpu_seconds": duck_sma_cpu,
            "sma_only_ratio_spark_over_duckdb": spark["sma_only_seconds"] / duck_sma,
            "compute_cores_busy": spark["compute_cores_busy"],
        }
    )
    table: list[list[object]] = []
    if duck is not None:
        figures["duckdb"] = {k: getattr(duck, k) for k in duck.__dataclass_fields__}
        figures.update(
            {
                "end_to_end_ratio_spark_over_duckdb": spark["end_to_end_seconds"]
                / duck.total_seconds,
                "compute_ratio_spark_over_duckdb": spark["compute_seconds"] / duck.compute_seconds,
                "write_ratio_spark_over_duckdb": spark["write_seconds"] / duck.write_seconds,
                "spark_rows_per_second": spark["rows"] / spark["end_to_end_seconds"],
                "spark_partitions_per_second": partitions / spark["end_to_end_seconds"],
                "duckdb_rows_per_second": duck.rows / duck.total_seconds,
            }
        )
        table = [
            ["end to end (cold JVM)", spark["end_to_end_seconds"], duck.total_seconds,
             spark["end_to_end_cpu_seconds"], duck.compute_cpu_seconds + duck.write_cpu_seconds,
             spark["end_to_end_load"]],
            ["compute (parse+rule+dedupe+SMAs)", spark["compute_seconds"], duck.compute_seconds,
             spark["compute_cpu_seconds"], duck.compute_cpu_seconds, spark["compute_load"]],
            ["partitioned write", spark["write_seconds"], duck.write_seconds,
             spark["write_cpu_seconds"], duck.write_cpu_seconds, spark["write_load"]],
        ]  # fmt: skip
    table.append(
        ["SMA only", spark["sma_only_seconds"], duck_sma, spark["sma_only_cpu_seconds"],
         duck_sma_cpu, spark["sma_only_load"]]
    )  # fmt: skip
    table.append(["Spark session start", spark["session_seconds"], "-", "", "", ""])
    print()
    print_table(["step", "Spark s", "DuckDB s", "Spark cpu s", "DuckDB cpu s", "load"], table)
    print_table(
        ["figure", "value"],
        [[k, v] for k, v in figures.items() if k.endswith(("_over_duckdb", "_busy", "_second"))],
    )
    print_json(figures)


if __name__ == "__main__":
    main()
