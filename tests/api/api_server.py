"""The API served by uvicorn in its own process, on a free loopback port, until healthy."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from tests.support.net import free_port


@dataclass(frozen=True, slots=True)
class ApiServer:
    url: str
    pid: int


@contextmanager
def serve_api(env: Mapping[str, str], *, timeout: float = 60.0) -> Iterator[ApiServer]:
    """``uvicorn --factory sma_api.main:create_app`` with `env` over this process's environment."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "sma_api.main:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env={**os.environ, **env})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not come up on {url}")
            time.sleep(0.1)
        yield ApiServer(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_bytes(pid: int) -> int:
    """The process's resident set size, from /proc."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")
