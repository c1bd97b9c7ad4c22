"""``sma-demo`` (``make demo``): the whole pipeline on this machine, step by step, then the API.

1. a local DynamoDB endpoint (moto's server; a healthy one on the port is reused) and the table
2. producer-shaped ticks: the seeded simulator, or real prices from ``DEMO_CSV`` files
3. the job's own command, ``sma-etl``: a backfill over the loaded hours, then the latest window
   exactly as the hourly schedule runs it (``--now`` pinned to ten past the last loaded hour)
4. the API (uvicorn, DuckDB over the lake) on 127.0.0.1, with commands to paste
5. ``sma-sql`` over the same lake

It runs until Ctrl-C, which stops what it started. State lives in ``.demo/`` (lake and logs).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Final

from sma.tickers import normalize
from sma_etl.java_runtime import JavaUnavailable, require_java
from sma_laptop.demo_config import HOST, DemoConfig, parse_config
from sma_laptop.endpoint import LOCAL_CREDENTIALS, EndpointError, port_in_use, start_or_reuse
from sma_laptop.errors import DemoError
from sma_laptop.guide import (
    SUMMARY_QUERY,
    describe_run,
    display_path,
    heading,
    iso,
    ready_text,
)
from sma_laptop.job_runner import backfill_chunk_hours, etl_environment, run_etl
from sma_laptop.seed import seed
from sma_laptop.supervisor import (
    Stop,
    console_script,
    get_json,
    sigterm_as_stop,
    start_api,
    stop_process,
    wait_for_api,
)

SCHEDULE_MINUTE: Final[int] = 10  # the hourly job runs at HH:10


def say(text: str = "") -> None:
    print(text, flush=True)


def run_demo(config: DemoConfig) -> int:
    """Every step; returns the exit code. Stops what it started on Ctrl-C, SIGTERM or error."""
    began = time.monotonic()
    try:
        require_java()  # the job's Spark needs it: say so before anything starts
    except JavaUnavailable as error:
        raise DemoError(str(error)) from None
    config.state_dir.mkdir(parents=True, exist_ok=True)
    base_url = f"http://{HOST}:{config.api_port}"
    lake_shown = display_path(config.lake, Path.cwd())
    if port_in_use(HOST, config.api_port):
        raise DemoError(
            f"port {config.api_port} is in use (is another demo still running?): stop it or "
            "set DEMO_API_PORT"
        )
    with ExitStack() as stack:
        say(heading(1, "Local DynamoDB endpoint"))
        endpoint = stack.enter_context(
            start_or_reuse(config.dynamodb_port, HOST, log_file=config.state_dir / "dynamodb.log")
        )
        how = "started moto's server" if endpoint.started_here else "reusing the endpoint"
        say(f"   {how} at {endpoint.url}")

        source = "CSV files" if config.csv else "simulator"
        say(heading(2, f"Ticks into {config.table} ({source})"))
        for name, value in LOCAL_CREDENTIALS.items():
            os.environ.setdefault(name, value)
        loaded = seed(
            endpoint.url,
            config.table,
            csv=config.csv,
            days=config.days,
            seed_value=config.seed_value,
            reset=True,
        )
        for line in loaded.lines():
            say("   " + line)
        if loaded.ticks == 0:
            raise DemoError("nothing was loaded, so there is nothing to process")

        say(heading(3, "The job (sma-etl, Spark local[2]) into the lake"))
        if config.lake.exists():
            shutil.rmtree(config.lake)
        tickers = ",".join(sorted(loaded.tickers))
        env = etl_environment(endpoint.url, config.table)
        log = config.state_dir / "etl.log"
        log.write_text("")
        lake = str(config.lake)
        say(f"   backfill over the loaded history ({iso(loaded.start)} .. {iso(loaded.end)}):")
        backfill_args = ["--output", lake, "--start", iso(loaded.start), "--end", iso(loaded.end)]
        chunk_hours = backfill_chunk_hours(int((loaded.end - loaded.start) / timedelta(hours=1)))
        backfill_args += ["--tickers", tickers, "--chunk-hours", str(chunk_hours)]
        backfill = run_etl(backfill_args, env, log, say)
        now = loaded.end + timedelta(minutes=SCHEDULE_MINUTE)
        say(f"   the latest scheduled window, as the hourly run at {iso(now)} does it:")
        scheduled_args = ["--output", lake, "--now", iso(now), "--tickers", tickers, "--quiet"]
        scheduled = run_etl(scheduled_args, env, log, say)
        say(describe_run("backfill ", backfill))
        say(describe_run("scheduled", scheduled))

        say(heading(4, f"The API on {base_url} (DuckDB over {lake_shown})"))
        first_ticker = normalize(sorted(loaded.tickers)[0])
        api_log = config.state_dir / "api.log"
        # Live answers (?source=live) read the same table the job read, at the same endpoint.
        live = {**env, "TICKERS": tickers}
        api = start_api(HOST, config.api_port, config.lake, api_log, live)
        stack.callback(stop_process, api)
        wait_for_api(base_url, api, api_log)
        say(f"   API ready after {time.monotonic() - began:.0f} s - paste these:")
        for line in ready_text(f"localhost:{config.api_port}", lake_shown, first_ticker):
            say(line)
        # The lake's newest hour, then the same SMAs straight from the source table.
        for query in ("", "?source=live"):
            status, body = get_json(f"{base_url}/tickers/{first_ticker}/sma{query}")
            say(f"\n   GET /tickers/{first_ticker}/sma{query} -> {status}")
            say("   " + json.dumps(body))

        say(heading(5, "Ad-hoc SQL: sma-sql over the same lake"))
        say(f'   $ uv run sma-sql --lake {lake_shown} "{SUMMARY_QUERY}"')
        result = subprocess.run(
            [console_script("sma-sql"), "--lake", lake, SUMMARY_QUERY],
            capture_output=True,
            text=True,
            check=False,
        )
        for line in (result.stdout or result.stderr).splitlines():
            say("   " + line)
        say("\n   The three Athena queries in README.md run the same way.")
        if not config.serve:
            say(f"\ndemo complete in {time.monotonic() - began:.0f} s (--exit-when-ready)")
            return 0

        say("\n   Serving until Ctrl-C.")
        try:
            while api.poll() is None:
                time.sleep(0.5)
            raise DemoError(f"the API exited with code {api.returncode}; see {api_log}")
        except (KeyboardInterrupt, Stop):
            say("\nstopping: the API" + (" and moto's server" if endpoint.started_here else ""))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    config = parse_config(argv)
    # Ctrl-C must work even when the demo was started with SIGINT ignored (from a script's
    # background job, say): each step stops what it started on KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with sigterm_as_stop():
            return run_demo(config)
    except (DemoError, EndpointError, ValueError, OSError) as error:
        print(f"\nmake demo: {error}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, Stop):
        print("\nstopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
