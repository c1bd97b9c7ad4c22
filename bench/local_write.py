"""Small-file cost of local partitioned writes: where it goes and what removes it.

The same lake rows (N ticks over T tickers, one Parquet file per ``ticker=/date=/hour=``
partition, written by the job's own ``sma_etl.sink.write_partitions``) are written by one fresh
Spark process per variant, variants interleaved, so each figure has its rivals measured
beside it under the same machine load:

- ``checksum``: Hadoop's default local file system (``LocalFileSystem``: a ``.crc`` per file);
- ``raw``: ``RawLocalFileSystem``, the job's file system before the fix (no ``.crc``);
- ``raw-umask``: the same with ``fs.permissions.umask-mode=022`` (does a umask spare the chmod?);
- ``forkless``: ``sma_etl.forkless_fs`` (permissions set in process), what the job uses now;
- ``forkless-v2``: the same with the v2 file output committer;
- ``forkless-fscache``: the same with Hadoop's FileSystem cache on (the job turns it off);
- ``arrow``: the partition files written by pyarrow from ``mapInArrow`` on the executors, into
  the same layout, bypassing Hadoop (no commit protocol: measured only, not used).

Per variant: write wall time, CPU seconds of the Spark process tree during the write (JVM and
Python workers; ``forked`` = CPU of reaped child processes, i.e. the chmods), files and folders,
and with ``--strace`` the chmod processes started (``strace -f --seccomp-bpf -e trace=execve``).
Layout check: every variant but ``checksum`` must leave the same folders, one
``part-*.parquet`` each, with the same rows.

``python -m bench.local_write --quick`` (100k ticks, 1.7k partitions) or default 1e6 ticks on 3
tickers (16.7k partitions).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from bench.data import TickSpec
from bench.lake import lake_rows
from bench.procstat import TreeCpu, tree_cpu
from bench.report import print_json, print_table
from sma.schema import DATA_COLUMN_NAMES, PARTITION_KEY_NAMES
from tests.support.lake import partition_slices

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

STOCK_RAW: Final = "org.apache.hadoop.fs.RawLocalFileSystem"
# Settings a variant replaces wholesale (the job's session may carry the forkless ones).
_FS_KEYS: Final = (
    "spark.hadoop.fs.file.impl",
    "spark.driver.extraClassPath",
    "spark.executor.extraClassPath",
)


def variant_conf(name: str) -> dict[str, str]:
    from sma_etl import forkless_fs

    forkless = forkless_fs.spark_conf()
    if name.startswith("forkless") and not forkless:
        raise SystemExit("the forkless file system needs a JDK with javac")
    table: dict[str, dict[str, str]] = {
        "checksum": {"spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.LocalFileSystem"},
        "raw": {"spark.hadoop.fs.file.impl": STOCK_RAW},
        "raw-umask": {
            "spark.hadoop.fs.file.impl": STOCK_RAW,
            "spark.hadoop.fs.permissions.umask-mode": "022",
        },
        "forkless": forkless,
        "forkless-v2": {
            **forkless,
            "spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version": "2",
        },
        "forkless-fscache": {**forkless, "spark.hadoop.fs.file.impl.disable.cache": "false"},
        "arrow": {"spark.hadoop.fs.file.impl": STOCK_RAW},
    }
    return table[name]


VARIANTS: Final = (
    "checksum",
    "raw",
    "raw-umask",
    "forkless",
    "forkless-v2",
    "forkless-fscache",
    "arrow",
)
DEFAULT_VARIANTS: Final = (
    "raw",
    "forkless",
    "forkless-v2",
    "forkless-fscache",
    "arrow",
    "checksum",
    "raw-umask",
)


def lake_rows_file(spec: TickSpec, path: Path) -> int:
    """The lake rows of `spec` (SMAs from the DuckDB reference) in one Parquet file."""
    table = lake_rows(spec)
    pq.write_table(table, path)
    return int(table.num_rows)


# ---- child: one variant in its own Spark process ------------------------------------------


def _session(variant: str) -> SparkSession:
    from pyspark.sql import SparkSession

    from sma_etl import spark as job_spark

    conf: dict[str, str] = {
        **job_spark.SINGLE_MACHINE_CONF,
        **{f"spark.hadoop.{k}": v for k, v in job_spark.HADOOP_CONF.items()},
    }
    for key in _FS_KEYS:
        conf.pop(key, None)
    conf.update(variant_conf(variant))
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master("local[2]").appName(f"bench-local-write-{variant}")
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    for key, value in job_spark.SQL_CONF.items():
        spark.conf.set(key, value)
    spark.conf.set("spark.sql.shuffle.partitions", "2")
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _arrow_partition_writer(root: str) -> Any:
    """mapInArrow function: write each partition's rows as one Parquet file under `root`."""

    def write(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        table = pa.Table.from_batches(list(batches))
        written = 0
        if table.num_rows:
            task = uuid.uuid4()
            for offset, length in partition_slices(table):
                part = table.slice(offset, length)
                folder = Path(root).joinpath(
                    *(f"{k}={part.column(k)[0].as_py()}" for k in PARTITION_KEY_NAMES)
                )
                folder.mkdir(parents=True, exist_ok=True)
                pq.write_table(
                    part.select(list(DATA_COLUMN_NAMES)),
                    folder / f"part-00000-{task}.c000.snappy.parquet",
                    compression="snappy",
                )
                written += 1
        yield pa.RecordBatch.from_pydict({"files": [written]})

    return write


def _write(spark: SparkSession, variant: str, rows: DataFrame, root: str) -> None:
    from sma_etl.sink import write_partitions

    if variant != "arrow":
        write_partitions(rows, root)
        return
    keys = list(PARTITION_KEY_NAMES)
    shutil.rmtree(root, ignore_errors=True)
    (
        rows.repartition(*keys)
        .sortWithinPartitions(*keys, "last_refreshed")
        .mapInArrow(_arrow_partition_writer(root), "files long")
        .collect()
    )


def child(variant: str, rows_path: Path, output: Path) -> None:
    began = time.perf_counter()
    spark = _session(variant)
    session_seconds = time.perf_counter() - began
    jvm: Any = spark.sparkContext._jvm
    jvm_pid = int(jvm.ProcessHandle.current().pid())
    rows = spark.read.parquet(str(rows_path)).cache()
    count = rows.count()
    before, clock = tree_cpu(jvm_pid), time.perf_counter()
    _write(spark, variant, rows, str(output))
    seconds = time.perf_counter() - clock
    cpu: TreeCpu = tree_cpu(jvm_pid) - before
    spark.stop()
    print(
        json.dumps(
            {
                "variant": variant,
                "rows": count,
                "session_seconds": session_seconds,
                "write_seconds": seconds,
                "cpu_seconds": cpu.total,
                "forked_cpu_seconds": cpu.reaped,
            }
        )
    )


# ---- parent: variants side by side ----------------------------------------------------------

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True, slots=True)
class Layout:
    folders: int
    files: int
    crc_files: int
    other_files: int
    shape: frozenset[tuple[str, str]]  # (partition folder, file name with task ids blanked)


def layout(root: Path) -> Layout:
    folders = files = crc = other = 0
    shape: set[tuple[str, str]] = set()
    for folder, dirs, names in os.walk(root):
        folders += len(dirs)
        relative = os.path.relpath(folder, root)
        for name in names:
            if name.endswith(".crc"):
                crc += 1
            elif name.startswith("part-") and name.endswith(".parquet"):
                files += 1
                shape.add((relative, re.sub(r"part-\d+", "part-N", _UUID.sub("U", name))))
            else:
                other += 1
    return Layout(folders, files, crc, other, frozenset(shape))


def lake_digest(root: Path) -> str:
    """Rows of a lake, read back with hive partitioning and sorted, as a digest."""
    import hashlib

    import pyarrow.dataset as ds

    table = ds.dataset(root, format="parquet", partitioning="hive").to_table()
    table = table.sort_by([(k, "ascending") for k in (*PARTITION_KEY_NAMES, "last_refreshed")])
    digest = hashlib.sha256()
    for name in sorted(table.column_names):
        digest.update(name.encode())
        digest.update(str(table.column(name).cast(pa.string()).to_pylist()).encode())
    return digest.hexdigest()[:16]


def run_child(variant: str, rows_path: Path, output: Path, strace: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.local_write", "--child", variant]
    command += ["--rows", str(rows_path), "--output", str(output)]
    trace = output.with_suffix(".strace")
    if strace:
        command = [
            "strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=execve", "-e", "signal=none",
            "-o", str(trace), *command,
        ]  # fmt: skip
    began = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=Path(__file__).parents[1]
    )
    if done.returncode != 0:
        raise SystemExit(f"variant {variant} failed:\n{done.stderr[-4000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures["process_seconds"] = time.perf_counter() - began
    if strace:
        started = [
            line for line in trace.read_text().splitlines() if "execve(" in line and "= 0" in line
        ]
        figures["chmod_processes"] = sum('"chmod"' in line for line in started)
        figures["processes"] = len(started)
        trace.unlink()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description="Local partitioned write: small-file cost.")
    parser.add_argument("--ticks", type=int, default=1_000_000)
    parser.add_argument("--tickers", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="100k ticks (1.7k partitions)")
    parser.add_argument("--variants", default=",".join(DEFAULT_VARIANTS))
    parser.add_argument("--repeat", type=int, default=1, help="rounds of all variants")
    parser.add_argument("--strace", action="store_true", help="count chmod processes (slower)")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows, args.output)
        return

    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; known: {', '.join(VARIANTS)}")
    if args.strace and shutil.which("strace") is None:
        parser.error("--strace needs strace (apt-get install strace)")
    spec = TickSpec(ticks=100_000 if args.quick else args.ticks, tickers=args.tickers)
    results: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    layouts: dict[str, Layout] = {}
    digests: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-local-write-") as scratch:
        rows_path = Path(scratch) / "rows.parquet"
        rows = lake_rows_file(spec, rows_path)
        print(
            f"{rows:,} rows, {spec.tickers} tickers x {spec.hours():,} hours = "
            f"{spec.tickers * spec.hours():,} partitions; variants {', '.join(variants)}",
            flush=True,
        )
        for round_number in range(args.repeat):
            for variant in variants:
                output = Path(scratch) / f"{variant}-{round_number}"
                figures = run_child(variant, rows_path, output, args.strace)
                results[variant].append(figures)
                print(
                    f"  round {round_number + 1} {variant}: write {figures['write_seconds']:.1f} s,"
                    f" cpu {figures['cpu_seconds']:.1f} s",
                    flush=True,
                )
                if round_number == 0:
                    layouts[variant] = layout(output)
                    digests[variant] = lake_digest(output)
                shutil.rmtree(output, ignore_errors=True)

    def best(variant: str, key: str) -> float:
        return float(min(r[key] for r in results[variant]))

    base = "raw" if "raw" in variants else variants[0]
    reference = layouts[base]
    table_rows: list[list[object]] = []
    summary: dict[str, Any] = {"ticks": spec.ticks, "tickers": spec.tickers, "variants": {}}
    for variant in variants:
        shape = layouts[variant]
        same = shape.shape == reference.shape and shape.other_files == reference.other_files
        same_layout = same and shape.crc_files == reference.crc_files
        entry = {
            "write_seconds": [round(r["write_seconds"], 3) for r in results[variant]],
            "cpu_seconds": [round(r["cpu_seconds"], 3) for r in results[variant]],
            "forked_cpu_seconds": [round(r["forked_cpu_seconds"], 3) for r in results[variant]],
            "files": shape.files,
            "crc_files": shape.crc_files,
            "folders": shape.folders,
            "same_layout_as_raw": same_layout,
            "same_rows_as_raw": digests[variant] == digests[base],
            "write_speedup_vs_raw": round(
                best(base, "write_seconds") / best(variant, "write_seconds"), 2
            ),
            "cpu_ratio_vs_raw": round(best(variant, "cpu_seconds") / best(base, "cpu_seconds"), 3),
        }
        if args.strace:
            entry["chmod_processes"] = results[variant][0]["chmod_processes"]
        summary["variants"][variant] = entry
        table_rows.append(
            [
                variant,
                best(variant, "write_seconds"),
                entry["write_speedup_vs_raw"],
                best(variant, "cpu_seconds"),
                best(variant, "forked_cpu_seconds"),
                entry.get("chmod_processes", "-"),
                shape.files,
                shape.crc_files,
                "yes" if same_layout and entry["same_rows_as_raw"] else "NO",
            ]
        )
    print()
    print_table(
        [
            "variant",
            "write s",
            "x vs raw",
            "cpu s",
            "forked cpu s",
            "chmods",
            "files",
            ".crc",
            "same lake",
        ],
        table_rows,
    )
    print_json(summary)


if __name__ == "__main__":
    main()
