"""The local DynamoDB endpoint: started as moto's server, reused when healthy, never mistaken."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sma_laptop.endpoint import EndpointError, is_healthy, start_or_reuse
from tests.support.net import free_port


def test_start_then_reuse_then_stop(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "moto.log"
    started = start_or_reuse(port, log_file=log)
    try:
        assert started.started_here
        assert is_healthy(started.url)
        with start_or_reuse(port) as reused:
            assert reused.url == started.url
            assert not reused.started_here
        # Leaving the reusing block must not stop a server it did not start.
        assert is_healthy(started.url)
    finally:
        started.close()
    assert started.process is not None
    assert started.process.poll() is not None
    assert not is_healthy(started.url)


def test_a_port_held_by_something_else_is_an_error() -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(EndpointError, match="not a DynamoDB endpoint"):
            start_or_reuse(port)


def test_only_loopback() -> None:
    with pytest.raises(EndpointError, match="loopback"):
        start_or_reuse(8001, host="0.0.0.0")


def test_reuses_the_test_sessions_server(moto_endpoint: str) -> None:
    port = int(moto_endpoint.rsplit(":", 1)[1])
    endpoint = start_or_reuse(port)
    assert (endpoint.url, endpoint.started_here) == (moto_endpoint, False)
