"""``make demo``: the whole pipeline on this machine, one step after another, then the API.

1. a local DynamoDB endpoint (moto's server; a healthy one on the port is reused) and the table
2. producer-shaped ticks: the seeded simulator, or real prices from ``DEMO_CSV`` files
3. the job's own command, ``sma-etl``: a backfill over the loaded hours, then the latest window
   exactly as the hourly schedule runs it (``--now`` pinned to ten past the last loaded hour)
4. the API (uvicorn, DuckDB over the lake) on 127.0.0.1, with commands to paste
5. ``sma-sql`` over the same lake

It runs until Ctrl-C, which stops what it started. State lives in ``.demo/`` (lake and logs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any, Final

from sma import names
from sma.tickers import normalize
from sma_etl.local.endpoint import (
    LOCAL_CREDENTIALS,
    EndpointError,
    LocalEndpoint,
    port_in_use,
    start_or_reuse,
)
from sma_etl.local.seed import DEFAULT_DAYS, DEFAULT_SEED, DEFAULT_TABLE, SeedSummary, seed

HOST: Final[str] = "127.0.0.1"
DEFAULT_API_PORT: Final[int] = 8000
DEFAULT_DYNAMODB_PORT: Final[int] = 8001
SCHEDULE_MINUTE: Final[int] = 10  # the hourly job runs at HH:10
BACKFILL_CHUNK_HOURS: Final[int] = 24  # one progress line per day of backfill
CATALOG_TABLE: Final[str] = f"{names.GLUE_DATABASE}.{names.GLUE_TABLE}"
EXAMPLE_QUERY: Final[str] = f"SELECT * FROM {CATALOG_TABLE} LIMIT 10"
SUMMARY_QUERY: Final[str] = (
    "SELECT ticker, count(*) AS rows, min(last_refreshed) AS first, "
    "max(last_refreshed) AS latest, round(avg(bid_price), 4) AS avg_bid "
    f"FROM {CATALOG_TABLE} GROUP BY ticker ORDER BY ticker"
)


class DemoError(RuntimeError):
    """A step failed; the message says which and where its log is."""


class Stop(Exception):
    """SIGTERM, handled like Ctrl-C."""


@dataclass(frozen=True, slots=True)
class DemoConfig:
    state_dir: Path
    api_port: int
    dynamodb_port: int
    table: str
    csv: str | None
    days: float | None
    seed_value: int
    serve: bool

    @property
    def lake(self) -> Path:
        return self.state_dir / "lake"


def say(text: str = "") -> None:
    print(text, flush=True)


def step(number: int, text: str) -> None:
    say(f"\n== {number}. {text}")


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def console_script(name: str) -> str:
    """The path of an installed console script of this environment (``sma-etl``)."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise DemoError(f"{name} is not installed: run `make setup` (uv sync) first")
    return found


def etl_environment(endpoint_url: str) -> dict[str, str]:
    env = {**LOCAL_CREDENTIALS, **os.environ, "AWS_ENDPOINT_URL_DYNAMODB": endpoint_url}
    env.setdefault("PYSPARK_PYTHON", sys.executable)
    env.setdefault("TZ", "UTC")
    return env


def run_etl(args: Sequence[str], env: Mapping[str, str], log_path: Path) -> dict[str, Any]:
    """Run ``sma-etl`` with `args`; stream its progress lines, return its JSON summary."""
    command = [console_script("sma-etl"), *args]
    say("   $ sma-etl " + " ".join(args))
    summary: dict[str, Any] | None = None
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
                text = line.strip()
                if text.startswith("{"):
                    summary = json.loads(text)
                elif " sma_etl." in text and (" INFO " in text or " ERROR " in text):
                    # Progress of the job itself; Spark's own chatter stays in the log.
                    say("     " + text.split(": ", 1)[-1])
                elif text.startswith("sma-etl:"):
                    say("     " + text)
        finally:
            if process.poll() is None:
                process.terminate()
            process.wait()
    if process.returncode != 0 or summary is None:
        raise DemoError(f"sma-etl failed (exit {process.returncode}); see {log_path}")
    return summary


def describe_run(name: str, summary: Mapping[str, Any]) -> str:
    window = summary.get("window", ["?", "?"])
    rejected = summary.get("rows_rejected") or {}
    rejected_text = ", ".join(f"{reason} {n}" for reason, n in rejected.items()) or "none"
    return (
        f"   {name}: window {window[0]} .. {window[1]}: {summary.get('items_read', 0):,} items "
        f"read, {summary.get('rows_written', 0):,} rows written, rejected: {rejected_text}; "
        f"{summary.get('partitions', 0)} partitions in {summary.get('seconds', 0):.1f} s"
    )


def start_api(lake: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """uvicorn serving ``sma_api.main:app`` over the lake with the DuckDB backend."""
    env = {**os.environ, "SMA_BACKEND": "duckdb", "SMA_LAKE_PATH": str(lake.resolve())}
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "sma_api.main:app",
                "--host",
                HOST,
                "--port",
                str(port),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )


def get_json(url: str, timeout: float = 10.0) -> tuple[int, Any]:
    """Status and decoded body of a GET; HTTP errors are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def wait_for_api(
    base_url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float = 60.0
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise DemoError(f"the API exited with code {process.returncode}; see {log_path}")
        try:
            status, _ = get_json(f"{base_url}/health", timeout=2.0)
            if status == 200:
                return
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise DemoError(f"the API did not answer {base_url}/health in {timeout:.0f}s")
        time.sleep(0.25)


def stop_process(process: subprocess.Popen[Any], timeout: float = 10.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


@contextmanager
def sigterm_as_stop() -> Iterator[None]:
    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise Stop

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def ready_text(base: str, lake: Path, first_ticker: str) -> list[str]:
    sql_lake = _display_path(lake)
    return [
        f"   curl {base}/tickers",
        f"   curl {base}/tickers/{first_ticker}/sma",
        f'   curl "{base}/tickers/{first_ticker}/sma/history?limit=5&order=desc"',
        f"   curl {base}/tickers/{first_ticker}/signals",
        f"   open {base}/docs",
        "",
        f"   Ad-hoc SQL over the lake ({CATALOG_TABLE} is the lake):",
        f'   uv run sma-sql --lake {sql_lake} "{EXAMPLE_QUERY}"',
    ]


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path.resolve())


def run_demo(config: DemoConfig) -> int:
    """Every step; returns the exit code. Stops what it started on Ctrl-C, SIGTERM or error."""
    began = time.monotonic()
    config.state_dir.mkdir(parents=True, exist_ok=True)
    base_url = f"http://{HOST}:{config.api_port}"
    if port_in_use(HOST, config.api_port):
        raise DemoError(
            f"port {config.api_port} is in use (is another demo still running?): stop it or "
            "set DEMO_API_PORT"
        )
    with ExitStack() as stack:
        step(1, "Local DynamoDB endpoint")
        endpoint: LocalEndpoint = stack.enter_context(
            start_or_reuse(config.dynamodb_port, HOST, log_file=config.state_dir / "dynamodb.log")
        )
        how = "started moto's server" if endpoint.started_here else "reusing the endpoint"
        say(f"   {how} at {endpoint.url}")

        step(2, f"Ticks into {config.table} ({'CSV files' if config.csv else 'simulator'})")
        for name, value in LOCAL_CREDENTIALS.items():
            os.environ.setdefault(name, value)
        loaded: SeedSummary = seed(
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

        step(3, "The job (sma-etl, Spark local[2]) into the lake")
        if config.lake.exists():
            shutil.rmtree(config.lake)
        tickers = ",".join(sorted(loaded.tickers))
        env = etl_environment(endpoint.url)
        env["DYNAMO_TABLE_NAME"] = config.table
        log = config.state_dir / "etl.log"
        log.write_text("")
        lake = str(config.lake)
        say(f"   backfill over the loaded history ({iso(loaded.start)} .. {iso(loaded.end)}):")
        backfill = run_etl(
            [
                "--output",
                lake,
                "--start",
                iso(loaded.start),
                "--end",
                iso(loaded.end),
                "--tickers",
                tickers,
                "--chunk-hours",
                str(BACKFILL_CHUNK_HOURS),
            ],
            env,
            log,
        )
        now = loaded.end + timedelta(minutes=SCHEDULE_MINUTE)
        say(f"   the latest scheduled window, as the hourly run at {iso(now)} does it:")
        scheduled = run_etl(
            ["--output", lake, "--now", iso(now), "--tickers", tickers, "--quiet"], env, log
        )
        say(describe_run("backfill ", backfill))
        say(describe_run("scheduled", scheduled))

        step(4, f"The API on {base_url} (DuckDB over {_display_path(config.lake)})")
        first_ticker = normalize(sorted(loaded.tickers)[0])
        api_log = config.state_dir / "api.log"
        api = start_api(config.lake, config.api_port, api_log)
        stack.callback(stop_process, api)
        wait_for_api(base_url, api, api_log)
        say(f"   API ready after {time.monotonic() - began:.0f} s - paste these:")
        for line in ready_text(f"localhost:{config.api_port}", config.lake, first_ticker):
            say(line)
        status, body = get_json(f"{base_url}/tickers/{first_ticker}/sma")
        say(f"\n   GET /tickers/{first_ticker}/sma -> {status}")
        say("   " + json.dumps(body))

        step(5, "Ad-hoc SQL: sma-sql over the same lake")
        say(f'   $ uv run sma-sql --lake {_display_path(config.lake)} "{SUMMARY_QUERY}"')
        result = subprocess.run(
            [console_script("sma-sql"), "--lake", str(config.lake), SUMMARY_QUERY],
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


def env_float(name: str) -> float | None:
    value = os.environ.get(name, "").strip()
    return float(value) if value else None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sma_etl.local.demo",
        description="The whole crypto-sma pipeline locally: endpoint, ticks, job, lake, API.",
    )
    parser.add_argument(
        "--csv",
        default=os.environ.get("DEMO_CSV") or None,
        help="load real prices from CSV files (path[,path...]) instead of simulating "
        "(default: $DEMO_CSV)",
    )
    parser.add_argument(
        "--days",
        type=float,
        default=env_float("DEMO_DAYS"),
        help=f"days of ticks: simulated (default {DEFAULT_DAYS:g}), or the last days of the CSV "
        f"files (default {DEFAULT_DAYS:g}; 0 = all) ($DEMO_DAYS)",
    )
    parser.add_argument(
        "--seed", type=int, default=int(os.environ.get("DEMO_SEED") or DEFAULT_SEED)
    )
    parser.add_argument(
        "--api-port", type=int, default=int(os.environ.get("DEMO_API_PORT") or DEFAULT_API_PORT)
    )
    parser.add_argument(
        "--dynamodb-port",
        type=int,
        default=int(os.environ.get("DEMO_DYNAMODB_PORT") or DEFAULT_DYNAMODB_PORT),
    )
    parser.add_argument("--table", default=os.environ.get("DYNAMO_TABLE_NAME") or DEFAULT_TABLE)
    parser.add_argument(
        "--state-dir", type=Path, default=Path(os.environ.get("DEMO_DIR") or ".demo")
    )
    parser.add_argument(
        "--exit-when-ready",
        action="store_true",
        help="run every step, then stop what was started and exit: for scripts and timing",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    days = args.days if args.days is not None else DEFAULT_DAYS
    config = DemoConfig(
        state_dir=args.state_dir,
        api_port=args.api_port,
        dynamodb_port=args.dynamodb_port,
        table=args.table,
        csv=args.csv,
        days=days or None,
        seed_value=args.seed,
        serve=not args.exit_when_ready,
    )
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
