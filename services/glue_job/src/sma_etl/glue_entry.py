"""The job as AWS Glue runs it: Glue's ``--KEY value`` arguments in, the same run as the CLI."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, Final

from sma.errors import SettingsError
from sma_etl.settings import ENV_NAMES, load_settings

log = logging.getLogger(__name__)

# The job arguments the job reads; Glue adds others (--JOB_ID, --JOB_RUN_ID, --JOB_NAME,
# --TempDir, --job-bookmark-option, ...), which are ignored.
JOB_ARGUMENTS: Final[tuple[str, ...]] = (
    *ENV_NAMES,
    "START",
    "END",
    "NOW",
    "OUTPUT",
    "CATALOG",
    "CHUNK_HOURS",
    "WRITE_REJECTED",
)


def parse_job_args(argv: Sequence[str]) -> dict[str, str]:
    """Every ``--KEY value`` (or ``--KEY=value``) pair in `argv`; a key without value maps to ''."""
    found: dict[str, str] = {}
    index = 0
    while index < len(argv):
        token = argv[index]
        index += 1
        if not token.startswith("--"):
            continue  # a stray value (Glue passes none, but a person might)
        key, equals, value = token[2:].partition("=")
        if not equals:
            if index < len(argv) and not argv[index].startswith("--"):
                value = argv[index]
                index += 1
            else:
                value = ""
        found[key] = value
    return found


def job_options(argv: Sequence[str]) -> dict[str, str | None]:
    """The job's own settings among `argv`; empty values count as not given."""
    args = parse_job_args(argv)
    return {name: (args.get(name) or None) for name in JOB_ARGUMENTS}


def _glue_job(args: dict[str, str]) -> Any:
    """Glue's Job object when running on Glue (awsglue importable), else None."""
    try:
        from awsglue.context import GlueContext
        from awsglue.job import Job
        from pyspark.context import SparkContext
    except ImportError:
        return None
    job = Job(GlueContext(SparkContext.getOrCreate()))
    job.init(args.get("JOB_NAME", "sma-etl"), args)
    return job


def main(argv: Sequence[str] | None = None) -> int:
    """Run the job with Glue-style arguments; prints the one-line JSON summary."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    raw = list(sys.argv[1:] if argv is None else argv)
    try:
        settings = load_settings(job_options(raw))
    except SettingsError as error:
        log.error("bad job arguments: %s", error)
        raise SystemExit(2) from None

    from pyspark.sql import SparkSession

    from sma_etl.run import run
    from sma_etl.spark import build_session

    job = _glue_job(parse_job_args(raw))
    # On Glue, under spark-submit (which sets PYSPARK_GATEWAY_PORT) or beside a running
    # session: join it. Run as a plain script elsewhere: start a local one.
    running = (
        job is not None
        or "PYSPARK_GATEWAY_PORT" in os.environ
        or SparkSession.getActiveSession() is not None
    )
    spark = build_session("sma-etl", master=None if running else "local[2]")
    summary = run(settings, spark)
    print(json.dumps(summary.as_json(), separators=(",", ":")))
    if job is not None:
        job.commit()
    return 0
