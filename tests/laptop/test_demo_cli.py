"""The demo's refusals: what it says when it cannot run, before any Spark starts."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sma_laptop.demo import main


def test_a_busy_api_port_is_named_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        code = main(["--api-port", str(port), "--state-dir", str(tmp_path / "state")])
    assert code == 1
    err = capsys.readouterr().err
    assert f"port {port} is in use" in err
    assert "DEMO_API_PORT" in err


def test_a_bad_csv_stops_the_demo_with_a_message(
    moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "BTC-USD.csv"
    csv.write_text("when,price\n2025-01-13,1\n")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        api_port = sock.getsockname()[1]
    code = main(
        [
            "--csv",
            str(csv),
            "--api-port",
            str(api_port),
            "--dynamodb-port",
            moto_endpoint.rsplit(":", 1)[1],
            "--state-dir",
            str(tmp_path / "state"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "reusing the endpoint" in captured.out
    assert "expected a time column" in captured.err
    assert not (tmp_path / "state" / "lake").exists()
