"""The job as AWS Glue runs it: Glue's ``--KEY value`` arguments in, the same run as the CLI."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from importlib.util import find_spec
from typing import Any, Final

from sma import names
from sma.errors import SettingsError
from sma_etl.glue_args import resolve_options
from sma_etl.metrics import JOB_ARGUMENT, MetricsTarget, publish_run_metrics, publishing_enabled
from sma_etl.settings import ENV_NAMES, load_settings

log = logging.getLogger(__name__)

# The job arguments the job reads, each optional (the environment variable of the same name is
# the fallback). Glue's own arguments parse as Glue parses them; any others are ignored.
JOB_ARGUMENTS: Final[tuple[str, ...]] = (
    *ENV_NAMES,
    "START",
    "END",
    "NOW",
    "OUTPUT",
    "CATALOG",
    "CHUNK_HOURS",
    "WRITE_REJECTED",
    "REFRESH_MARKER",
    JOB_ARGUMENT,
)
# Glue passes the job's name; Job.init takes it.
JOB_NAME: Final = "JOB_NAME"


def glue_arguments(argv: Sequence[str]) -> dict[str, str | None]:
    """Glue's arguments and the job's, resolved as Glue resolves them (``sma_etl.glue_args``)."""
    return resolve_options(argv, optional=(*JOB_ARGUMENTS, JOB_NAME))


def job_options(args: Mapping[str, str | None]) -> dict[str, str | None]:
    """The job's own settings among resolved `args`; empty values count as not given."""
    return {name: (args.get(name) or None) for name in JOB_ARGUMENTS}


def _glue_job(args: dict[str, str | None]) -> Any:
    """Glue's Job object when running on Glue (awsglue importable), else None."""
    try:
        from awsglue.context import GlueContext
        from awsglue.job import Job
        from pyspark.context import SparkContext
    except ImportError:
        return None
    job = Job(GlueContext(SparkContext.getOrCreate()))
    job.init(args.get(JOB_NAME) or "sma-etl", args)
    return job


def main(argv: Sequence[str] | None = None) -> int:
    """Run the job with Glue-style arguments; prints the one-line JSON summary."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        args = glue_arguments(sys.argv[1:] if argv is None else argv)
        settings = load_settings(job_options(args))
        # On by default where awsglue is: a deployed job files its runs for the alarms.
        publish = publishing_enabled(
            args.get(JOB_ARGUMENT), os.environ, default=find_spec("awsglue") is not None
        )
    except SettingsError as error:
        log.error("bad job arguments: %s", error)
        raise SystemExit(2) from None

    from pyspark.sql import SparkSession

    from sma_etl.run import run
    from sma_etl.spark import build_session

    job = _glue_job(args)
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
    if summary.catchup_hours_left:
        # Not a success: the alarm on successful runs notices (no RunSucceeded is published).
        log.error("%d hours left to catch up: failing the run", summary.catchup_hours_left)
        raise SystemExit(1)
    if publish:
        target = MetricsTarget(args.get(JOB_NAME) or names.GLUE_JOB, settings.region)
        publish_run_metrics(summary.as_json(), target)
    if job is not None:
        job.commit()
    return 0
