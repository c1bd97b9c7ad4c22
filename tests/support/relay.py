"""Relaying one HTTP request upstream and its answer back: the core of the loopback proxies
(fault injection in the tests, counting in the benchmarks) in front of moto's server."""

from __future__ import annotations

import http.client
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Final

HOP_BY_HOP: Final[frozenset[str]] = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}
)
# Set by the relaying server's own send_response; the upstream's copies would be duplicates.
_OWN_HEADERS: Final[frozenset[str]] = frozenset({"server", "date", "content-length"})


def relay(
    handler: BaseHTTPRequestHandler,
    host: str,
    port: int,
    body: bytes,
    *,
    timeout: float = 60.0,
    on_answer: Callable[[bytes], None] | None = None,
) -> None:
    """Send the request `handler` got (its `body` already read) to `host:port`, then the answer
    back to its client. `on_answer` sees the answer's body first, so whatever it counts is
    counted by the time the client has its answer."""
    headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_BY_HOP | {"host"}}
    headers["Host"] = f"{host}:{port}"
    upstream = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        upstream.request(handler.command, handler.path, body=body or None, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
    finally:
        upstream.close()
    if on_answer is not None:
        on_answer(payload)
    handler.send_response(response.status, response.reason)
    for key, value in response.getheaders():
        if key.lower() not in HOP_BY_HOP | _OWN_HEADERS:
            handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(payload)
