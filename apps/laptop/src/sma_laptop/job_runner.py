"""The job's own command, ``sma-etl``, run against the local endpoint as a child process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from sma_laptop.endpoint import LOCAL_CREDENTIALS
from sma_laptop.errors import DemoError
from sma_laptop.guide import job_progress
from sma_laptop.supervisor import console_script

# How ``sma-etl`` starts the one line it prints when it cannot run.
ERROR_PREFIX = "sma-etl: "
# A backfill is cut into about this many chunks: a progress line each, and Spark computes one
# chunk while the job reads the next.
BACKFILL_CHUNKS: Final = 5


def backfill_chunk_hours(hours: int) -> int:
    """Chunks of whole days, about ``BACKFILL_CHUNKS`` of them, for a backfill of `hours`."""
    days = -(-hours // 24)
    return 24 * max(1, -(-days // BACKFILL_CHUNKS))


def etl_environment(endpoint_url: str, table: str) -> dict[str, str]:
    """This process's environment, pointed at `endpoint_url` and `table`."""
    env = {**LOCAL_CREDENTIALS, **os.environ, "AWS_ENDPOINT_URL_DYNAMODB": endpoint_url}
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    env.setdefault("TZ", "UTC")
    env["DYNAMO_TABLE_NAME"] = table
    return env


def run_etl(
    args: Sequence[str], env: Mapping[str, str], log_path: Path, say: Callable[[str], None]
) -> dict[str, Any]:
    """Run ``sma-etl`` with `args`; pass its progress lines to `say`, return its JSON summary.

    Everything it prints, Spark included, is appended to `log_path`; its one-line error, if it
    ends with one, is the error's message.
    """
    command = [console_script("sma-etl"), *args]
    say("   $ sma-etl " + " ".join(args))
    summary: dict[str, Any] | None = None
    error: str | None = None
    with log_path.open("a", encoding="utf-8") as log:
        log.write("$ " + " ".join(command) + "\n")
        log.flush()
        process = subprocess.Popen(
            command,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert process.stdout is not None
        try:
            for line in process.stdout:
                log.write(line)
                if line.lstrip().startswith("{"):
                    summary = json.loads(line)
                elif line.startswith(ERROR_PREFIX):
                    error = line[len(ERROR_PREFIX) :].strip()
                elif (progress := job_progress(line)) is not None:
                    say("     " + progress)
        finally:
            if process.poll() is None:
                process.terminate()
            process.wait()
    if process.returncode != 0 or summary is None:
        cause = f": {error}" if error else ""
        raise DemoError(f"sma-etl failed (exit {process.returncode}){cause}; see {log_path}")
    return summary
