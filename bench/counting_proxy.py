"""A loopback HTTP proxy in front of an AWS endpoint that counts what clients asked of it.

Counts come from the wire, not from the code under test: requests per ``X-Amz-Target``
operation (``DynamoDB_20120810.Query``, ``AmazonAthena.StartQueryExecution``, ...), and for
DynamoDB reads the items returned (``Count``) and examined (``ScannedCount``), which is what
read capacity is billed on.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from tests.support.relay import relay


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    items: Counter[str] = field(default_factory=Counter)  # Count, per operation
    scanned: Counter[str] = field(default_factory=Counter)  # ScannedCount, per operation
    bodies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.items.clear()
            self.scanned.clear()
            self.bodies.clear()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": dict(self.requests),
                "items": dict(self.items),
                "scanned": dict(self.scanned),
            }


def _handler(upstream: str, tally: Tally, keep: frozenset[str]) -> type[BaseHTTPRequestHandler]:
    target_url = urlsplit(upstream)

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            operation = self.headers.get("X-Amz-Target") or f"{self.command} {self.path}"
            relay(
                self,
                target_url.hostname or "127.0.0.1",
                target_url.port or 80,
                body,
                timeout=120,
                on_answer=lambda payload: self._count(operation, body, payload),
            )

        def _count(self, operation: str, request: bytes, payload: bytes) -> None:
            with tally.lock:
                tally.requests[operation] += 1
                if operation in keep:
                    tally.bodies.setdefault(operation, []).append(json.loads(request or b"{}"))
            if operation.startswith("DynamoDB_") and payload[:1] == b"{":
                data = json.loads(payload)
                with tally.lock:
                    tally.items[operation] += int(data.get("Count", 0))
                    tally.scanned[operation] += int(data.get("ScannedCount", 0))

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward  # noqa: N815

    return Forward


@contextmanager
def counting_proxy(
    upstream: str, keep_bodies: frozenset[str] = frozenset()
) -> Iterator[tuple[str, Tally]]:
    """Serve a counting proxy to `upstream` on a free loopback port; yields (url, tally)."""
    tally = Tally()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream, tally, keep_bodies))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tally
    finally:
        server.shutdown()
        server.server_close()
