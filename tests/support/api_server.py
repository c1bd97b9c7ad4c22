"""The API served by uvicorn in its own process, on a free loopback port."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from tests.support.net import free_port, wait_for_http


@dataclass(frozen=True, slots=True)
class ApiServer:
    url: str
    pid: int  # uvicorn's main process


@contextmanager
def serve_api(
    env: Mapping[str, str], *, workers: int = 1, timeout: float = 120.0
) -> Iterator[ApiServer]:
    """Uvicorn serving ``create_app`` with `env` over this process's environment, until healthy.

    It runs in a process group of its own, so stopping it stops its workers too.
    """
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "sma_api.main:create_app",
        "--host",
        "127.0.0.1",
    ]
    command += ["--port", str(port), "--workers", str(workers)]
    command += ["--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, env={**os.environ, **env}, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/health", process=process, timeout=timeout)
        yield ApiServer(url, process.pid)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
