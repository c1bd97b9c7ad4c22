"""The demo's child processes: finding console scripts, starting the API, waiting, stopping."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

from sma_laptop.errors import DemoError


class Stop(Exception):
    """SIGTERM, handled like Ctrl-C."""


@contextmanager
def sigterm_as_stop() -> Iterator[None]:
    """Raise :class:`Stop` on SIGTERM inside the block, so each step stops what it started."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise Stop

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def console_script(name: str) -> str:
    """The path of an installed console script of this environment (``sma-etl``)."""
    beside = Path(sys.executable).with_name(name)
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise DemoError(f"{name} is not installed: run `make setup` (uv sync) first")
    return found


def start_api(
    host: str, port: int, lake: Path, log_path: Path, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """uvicorn serving ``sma_api.main:create_app`` over the lake with the DuckDB backend;
    `env` adds to this process's environment (the source table for live answers)."""
    env = {
        **os.environ,
        **(env or {}),
        "SMA_BACKEND": "duckdb",
        "SMA_LAKE_PATH": str(lake.resolve()),
    }
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "sma_api.main:create_app",
                "--host",
                host,
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
    """Block until ``/health`` answers 200; a process that exits first is an error."""
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
    """SIGTERM, then SIGKILL if it has not exited after `timeout` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)
