"""Running the job (in this process or as its console script) and reading the lake it wrote."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from tests.support.lake import LakeRow
from tests.support.times import iso

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sma_etl.run import RunSummary

REGION: Final = "us-east-1"


def job_options(
    *,
    endpoint: str,
    table: str,
    lake: Path,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
    tickers: Iterable[str] = (),
    discover: bool = False,
    **extra: str,
) -> dict[str, str]:
    """The job's options by their setting names (None-valued ones left out)."""
    options = {
        "OUTPUT": str(lake),
        "START": iso(start, "seconds") if start else None,
        "END": iso(end, "seconds") if end else None,
        "NOW": iso(now, "seconds") if now else None,
        "TICKERS": ",".join(tickers) or None,
        "DISCOVER_TICKERS": "true" if discover else None,
        "DYNAMO_TABLE_NAME": table,
        "ENDPOINT_URL": endpoint,
        **extra,
    }
    return {name: value for name, value in options.items() if value is not None}


def run_job(spark: SparkSession, **options: Any) -> RunSummary:
    """One run of the job, in this process, with settings built the way the CLI builds them.

    `options` are `job_options`' arguments; only they count, never this process's environment.
    """
    from sma_etl.run import run
    from sma_etl.settings import load_settings

    return run(load_settings(job_options(**options), env={"AWS_REGION": REGION}), spark)


# Setting names whose flag is not the name in lower case with dashes.
_FLAGS: Final = {
    "DYNAMO_TABLE_NAME": "--table",
    "GLUE_DATABASE_NAME": "--glue-database",
    "GLUE_TABLE_NAME": "--glue-table",
}


def job_command(options: Mapping[str, str]) -> list[str]:
    """The job's console script run with `options` (from `job_options`) as its flags, quiet:
    the JSON summary is the last line it prints."""
    script = Path(sys.executable).with_name("sma-etl")
    command = [str(script) if script.exists() else "sma-etl"]
    for name, value in options.items():
        flag = _FLAGS.get(name, "--" + name.lower().replace("_", "-"))
        command += [flag] if name == "DISCOVER_TICKERS" else [flag, value]
    return [*command, "--quiet"]


def lake_files(lake: Path) -> list[Path]:
    """The data files of the lake's partitions (not the rejected ticks, not hidden folders)."""
    return sorted(lake.glob("ticker=*/date=*/hour=*/*.parquet"))


def read_lake(lake: Path, *, naive_times: bool = False) -> list[LakeRow]:
    """Every lake row (data columns, then ticker, date, hour), ordered by ticker and time.

    Exact values; each file must hold exactly the data columns. `naive_times` gives
    ``last_refreshed`` as naive UTC, as Spark collects it in a UTC session.
    """
    import pyarrow.parquet as pq

    from sma.schema import DATA_COLUMN_NAMES

    rows: list[LakeRow] = []
    for path in lake_files(lake):
        ticker, day, hour = (d.name.split("=", 1)[1] for d in reversed(path.parents[:3]))
        table = pq.read_table(path)
        assert tuple(table.column_names) == DATA_COLUMN_NAMES, path
        for row in table.to_pylist():
            when: datetime = row["last_refreshed"]
            if naive_times:
                row["last_refreshed"] = when.astimezone(UTC).replace(tzinfo=None)
            rows.append({**row, "ticker": ticker, "date": date.fromisoformat(day), "hour": hour})
    return sorted(rows, key=lambda r: (r["ticker"], r["last_refreshed"]))
