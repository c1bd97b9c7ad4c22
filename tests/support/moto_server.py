"""moto's server on a loopback port (DynamoDB, Glue, S3, Athena over real HTTP), its controls."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from tests.support.net import free_port


@contextmanager
def serve_moto(*, quiet: bool = False) -> Iterator[str]:
    """moto's server on a free loopback port, its endpoint URL; `quiet` drops its request log."""
    from moto.server import ThreadedMotoServer

    if quiet:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def post(endpoint: str, path: str, body: Mapping[str, Any]) -> None:
    """POST `body` as JSON to moto's control API (``/moto-api/...``); any failure raises."""
    request = urllib.request.Request(
        endpoint + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status not in (200, 201):
            raise RuntimeError(f"moto answered {response.status} to {path}")


def reset(endpoint: str) -> None:
    """Empty every service of moto's server (tables, work groups, canned results)."""
    post(endpoint, "/moto-api/reset", {})
