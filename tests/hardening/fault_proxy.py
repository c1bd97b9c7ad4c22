"""A fault-injecting HTTP proxy for local AWS endpoints (DynamoDB on moto's server, the local
Athena of tests.support.athena_service).

It forwards every request to the real endpoint and, on a seeded share of requests (chosen by
operation, e.g. DynamoDB's Query), answers instead the way DynamoDB does when it is throttled or
broken: HTTP 400 ``ProvisionedThroughputExceededException`` / ``ThrottlingException``, HTTP 500
``InternalServerError`` or HTTP 503 ``ServiceUnavailable``, or a connection dropped before any
answer. The SDK's retries must then carry the job through with exact output.

A retried request carries the same body as the one that failed, so the proxy recognises it and
injects at most ``max_faults_per_request`` faults in a row into it: the share is a real stress,
never a certain failure once retries run out. ``outage()`` fails everything, for as long as a
block lasts, to play a backend that is down and then comes back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import socket
import threading
import urllib.parse
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final, Literal

from tests.support.relay import relay

log = logging.getLogger(__name__)

FaultKind = Literal["throughput", "throttling", "internal", "unavailable", "reset"]

# kind -> (HTTP status, DynamoDB error type, message) as the service sends them.
FAULT_RESPONSES: Final[dict[str, tuple[int, str, str]]] = {
    "throughput": (
        400,
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API.",
    ),
    "throttling": (
        400,
        "com.amazon.coral.availability#ThrottlingException",
        "Rate of requests exceeds the allowed throughput.",
    ),
    "internal": (
        500,
        "com.amazonaws.dynamodb.v20120810#InternalServerError",
        "Internal server error",
    ),
    "unavailable": (
        503,
        "com.amazon.coral.availability#ServiceUnavailableException",
        "Service Unavailable",
    ),
}

ALL_KINDS: Final[tuple[FaultKind, ...]] = (
    "throughput",
    "throttling",
    "internal",
    "unavailable",
    "reset",
)


@dataclass
class FaultPlan:
    """Which requests fail and how: a seeded `share` of the DynamoDB calls in `operations` (all
    when empty) fail, the kinds taking turns."""

    share: float = 0.3
    kinds: Sequence[FaultKind] = ALL_KINDS
    seed: int = 20250113
    operations: frozenset[str] = frozenset()
    max_faults_per_request: int = 2

    def __post_init__(self) -> None:
        if not 0.0 <= self.share <= 1.0:
            raise ValueError(f"share must be within [0, 1], got {self.share}")
        unknown = set(self.kinds) - set(ALL_KINDS)
        if unknown or not self.kinds:
            raise ValueError(f"fault kinds must be a non-empty subset of {ALL_KINDS}")


@dataclass
class FaultStats:
    """What went through the proxy: per operation forwarded, per kind injected."""

    forwarded: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    injected_by_operation: Counter[str] = field(default_factory=Counter)

    @property
    def total_injected(self) -> int:
        return sum(self.injected.values())

    @property
    def total_forwarded(self) -> int:
        return sum(self.forwarded.values())


class FaultProxy:
    """A threaded loopback proxy to `upstream`; use as a context manager or start()/stop()."""

    _UNNAMED: Final = "(no X-Amz-Target)"

    def __init__(self, upstream: str, plan: FaultPlan | None = None) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ValueError(f"upstream must be an http:// URL, got {upstream!r}")
        self.upstream_host = parsed.hostname
        self.upstream_port = parsed.port or 80
        self.plan = plan or FaultPlan()
        self.stats = FaultStats()
        self._random = random.Random(self.plan.seed)
        self._lock = threading.Lock()
        self._faults_per_body: Counter[str] = Counter()
        self._enabled = True
        self._down: FaultKind | None = None
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fault-proxy",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @contextmanager
    def outage(self, kind: FaultKind = "unavailable") -> Iterator[None]:
        """Fail every request inside the block with `kind`: the backend is down until it ends."""
        with self._lock:
            self._down = kind
        try:
            yield
        finally:
            with self._lock:
                self._down = None

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Forward everything untouched inside the block (e.g. while seeding the table)."""
        with self._lock:
            self._enabled = False
        try:
            yield
        finally:
            with self._lock:
                self._enabled = True

    def choose_fault(self, operation: str, body: bytes) -> FaultKind | None:
        """Decide, under the lock so the seeded sequence is shared fairly, whether to fail."""
        with self._lock:
            if self._down is not None:
                self._count(self._down, operation)
                return self._down
            self.stats.forwarded[operation] += 1
            if not self._enabled or not operation:
                return None
            if self.plan.operations and operation not in self.plan.operations:
                return None
            digest = hashlib.sha256(body).hexdigest()
            if self._faults_per_body[digest] >= self.plan.max_faults_per_request:
                # This body has failed enough times in a row: let its retry through.
                del self._faults_per_body[digest]
                return None
            if self._random.random() >= self.plan.share:
                self._faults_per_body.pop(digest, None)
                return None
            # Kinds take turns, so even a short run meets every one of them.
            kind = self.plan.kinds[self.stats.total_injected % len(self.plan.kinds)]
            self._faults_per_body[digest] += 1
            self.stats.forwarded[operation] -= 1
            self._count(kind, operation)
            return kind

    def _count(self, kind: FaultKind, operation: str) -> None:
        self.stats.injected[kind] += 1
        self.stats.injected_by_operation[operation or self._UNNAMED] += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FaultProxy

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hang up on dropped connections; that is the point, not a proxy failure.
        log.debug("fault proxy: connection from %s ended abruptly", client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        log.debug("fault proxy: " + format, *args)

    def do_GET(self) -> None:
        self._relay()

    def do_POST(self) -> None:
        self._relay()

    def do_PUT(self) -> None:
        self._relay()

    def do_DELETE(self) -> None:
        self._relay()

    def do_HEAD(self) -> None:
        self._relay()

    def _relay(self) -> None:
        proxy = self.server.proxy
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        # 'DynamoDB_20120810.Query' -> 'Query', 'AmazonAthena.GetQueryExecution' -> ...
        operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
        fault = proxy.choose_fault(operation, body)
        if fault == "reset":
            # A dropped connection: no status line at all, as when a load balancer gives up.
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None:
            self._answer_fault(fault)
            return
        self._forward(body)

    def _answer_fault(self, kind: str) -> None:
        status, error_type, message = FAULT_RESPONSES[kind]
        payload = json.dumps({"__type": error_type, "message": message}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", "FAULT" + hashlib.md5(payload).hexdigest().upper())
        self.end_headers()
        self.wfile.write(payload)

    def _forward(self, body: bytes) -> None:
        proxy = self.server.proxy
        relay(self, proxy.upstream_host, proxy.upstream_port, body)
