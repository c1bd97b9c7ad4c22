"""A class data archive for the Spark sessions started here: Spark's classes mapped, not loaded.

A short run spends seconds of its JVM's life loading and verifying Spark's classes (the
scheduled run: ~2.5 s of ~12 on this project's 2-core machine). ``make setup`` runs one small
run of the job's own chain in a JVM started with ``-XX:ArchiveClassesAtExit`` (JDK 13+), which
writes every class it loaded to ``services/glue_job/build/spark-classes.jsa`` (git-ignored);
sessions started here map that archive with ``-XX:SharedArchiveFile``. A JVM that cannot use
it (another JDK, another class path) loads classes as usual, silently. ``SMA_CLASS_ARCHIVE``
names an archive elsewhere. On Glue nothing of it runs.

``python -m sma_etl.class_archive PATH`` writes the archive.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Final

ARCHIVE_ENV: Final = "SMA_CLASS_ARCHIVE"
BUILT_ARCHIVE: Final = Path(__file__).resolve().parents[2] / "build" / "spark-classes.jsa"
# A JVM that cannot map the archive says so on stdout, where the job prints its summary.
_QUIET: Final = "-Xlog:cds=off -Xlog:cds+dynamic=off"


def archive_path() -> Path | None:
    """The archive sessions map: ``$SMA_CLASS_ARCHIVE`` if set, else the built one if there."""
    configured = os.environ.get(ARCHIVE_ENV)
    path = Path(configured) if configured else BUILT_ARCHIVE
    return path if path.is_file() else None


def java_options() -> str:
    """JVM options that map the archive, or nothing when there is none."""
    path = archive_path()
    return f"-XX:SharedArchiveFile={path} {_QUIET}" if path is not None else ""


def _training_run(output: Path, java_options: str) -> None:
    """One window of the job's chain on a few ticks, in every spelling the rule knows."""
    from sma_etl.read_plan import raw_schema
    from sma_etl.sink import write_partitions, write_rejected
    from sma_etl.spark import build_session
    from sma_etl.transform import transform

    spark = build_session("sma-etl-class-archive", short=True, java_options=java_options)
    try:
        rows: list[tuple[str, str, str, str, str | None, bool]] = [
            ("BTC/USD", f"2025-01-13 0{h}:{m:02d}:00", f"{94000 + m}.25", "94500.5", None, h < 2)
            for h in range(1, 4)
            for m in range(60)
        ]
        rows.append(("btc-usd ", "2025-01-13 02:30:30", " 1e2", "-", "Europe/Paris", False))
        rows.append(("BTC USD", "2025-01-13 02:31:30", "1", "1", "UTC", False))
        raw = spark.createDataFrame(rows, raw_schema())
        start = 1_736_733_600 * 1_000_000  # 2025-01-13T02:00:00Z
        result = transform(raw, start, start + 3_600_000_000)
        write_partitions(result.rows, str(output / "lake"), clustered=True)
        write_rejected(result.rejected, str(output / "lake"), "training")
    finally:
        spark.stop()


def main(argv: list[str]) -> int:
    """Write the archive to `argv[0]` (its folder is created)."""
    if len(argv) != 1:
        print("usage: python -m sma_etl.class_archive ARCHIVE.jsa", file=sys.stderr)
        return 2
    target = Path(argv[0]).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    os.environ[ARCHIVE_ENV] = os.devnull  # the dumping JVM must not map an older archive
    with tempfile.TemporaryDirectory(prefix="sma-class-archive-") as scratch:
        _training_run(Path(scratch), f"-XX:ArchiveClassesAtExit={target} {_QUIET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
