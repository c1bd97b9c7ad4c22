"""A local DynamoDB endpoint for laptop runs: moto's server on the loopback interface.

It is a real HTTP endpoint, so the job reaches it the way it reaches AWS: through
``AWS_ENDPOINT_URL_DYNAMODB``. A healthy endpoint already listening on the port is reused (and
left running); otherwise one is started as a child process and stopped with :meth:`close`.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Final
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

DEFAULT_HOST: Final[str] = "127.0.0.1"
LOOPBACK_HOSTS: Final[frozenset[str]] = frozenset({"127.0.0.1", "localhost", "::1"})

# Local endpoints accept any credentials; these keep boto3 from looking for real ones.
LOCAL_CREDENTIALS: Final[dict[str, str]] = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
}


class EndpointError(RuntimeError):
    """The local endpoint could not be reached or started."""


def dynamodb_client(endpoint_url: str, *, timeout: float = 10.0, retries: int = 3) -> Any:
    """A boto3 DynamoDB client for `endpoint_url`; local credentials unless real ones are set."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"max_attempts": retries, "mode": "standard"},
    )
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=os.environ.get("AWS_DEFAULT_REGION", LOCAL_CREDENTIALS["AWS_DEFAULT_REGION"]),
        aws_access_key_id=os.environ.get(
            "AWS_ACCESS_KEY_ID", LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"]
        ),
        aws_secret_access_key=os.environ.get(
            "AWS_SECRET_ACCESS_KEY", LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
        ),
        config=config,
    )


def is_healthy(endpoint_url: str, timeout: float = 2.0) -> bool:
    """True when `endpoint_url` answers a DynamoDB ListTables call."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        dynamodb_client(endpoint_url, timeout=timeout, retries=1).list_tables(Limit=1)
    except (BotoCoreError, ClientError, OSError):
        return False
    return True


def wait_healthy(endpoint_url: str, timeout: float = 30.0) -> None:
    """Block until `endpoint_url` answers, or raise EndpointError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not is_healthy(endpoint_url):
        if time.monotonic() > deadline:
            raise EndpointError(
                f"no DynamoDB endpoint answered at {endpoint_url} in {timeout:.0f}s"
            )
        time.sleep(0.2)


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@dataclass
class LocalEndpoint:
    """A DynamoDB endpoint on the loopback interface, started here or found running."""

    url: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def started_here(self) -> bool:
        return self.process is not None

    def close(self) -> None:
        """Stop the server if this process started it; a reused one keeps running."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def __enter__(self) -> LocalEndpoint:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def start_or_reuse(
    port: int, host: str = DEFAULT_HOST, log_file: Path | None = None, timeout: float = 30.0
) -> LocalEndpoint:
    """Reuse the healthy endpoint at host:port, or start moto's server there.

    A port held by something that does not speak DynamoDB is an error, not a silent fallback.
    """
    if host not in LOOPBACK_HOSTS:
        raise EndpointError(f"the local endpoint must listen on the loopback interface, not {host}")
    url = f"http://{host}:{port}"
    if port_in_use(host, port):
        if is_healthy(url):
            logger.info("reusing the DynamoDB endpoint at %s", url)
            return LocalEndpoint(url)
        raise EndpointError(
            f"port {port} on {host} is taken by something that is not a DynamoDB endpoint; "
            "stop it or choose another port"
        )
    output = log_file.open("ab") if log_file is not None else subprocess.DEVNULL
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "sma_laptop.local_dynamodb", "-H", host, "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    finally:
        if log_file is not None and not isinstance(output, int):
            output.close()
    endpoint = LocalEndpoint(url, process)
    deadline = time.monotonic() + timeout
    while not is_healthy(url):
        if process.poll() is not None:
            raise EndpointError(
                f"moto's server exited with code {process.returncode} before answering at {url}"
                + (f"; see {log_file}" if log_file else "")
            )
        if time.monotonic() > deadline:
            endpoint.close()
            raise EndpointError(f"moto's server did not answer at {url} within {timeout:.0f}s")
        time.sleep(0.2)
    logger.info("started moto's server at %s (pid %d)", url, process.pid)
    return endpoint


def is_loopback(endpoint_url: str) -> bool:
    """True when `endpoint_url` points at this machine."""
    return (urlsplit(endpoint_url).hostname or "") in LOOPBACK_HOSTS
