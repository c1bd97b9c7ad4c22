"""The demo's refusals: what it says when it cannot run, before any Spark starts."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sma_laptop.demo import main
from sma_laptop.endpoint import port_in_use
from sma_laptop.errors import DemoError
from sma_laptop.job_runner import etl_environment, run_etl


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


def test_no_java_is_named_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: the endpoint, the ticks and Spark started, then "see .demo/etl.log", whose last
    # line was JAVA_GATEWAY_EXITED.
    monkeypatch.setenv("JAVA_HOME", "/nonexistent")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dynamodb_port = sock.getsockname()[1]
    code = main(["--dynamodb-port", str(dynamodb_port), "--state-dir", str(tmp_path / "state")])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    [line] = captured.err.split("\n")[1:-1]
    assert line.startswith("make demo: Spark needs Java 17+, but JAVA_HOME=/nonexistent has no")
    assert "apt-get install openjdk-17-jre-headless" in line
    assert not (tmp_path / "state").exists()
    assert not port_in_use("127.0.0.1", dynamodb_port)


def test_the_jobs_one_line_error_is_the_demos_message(moto_endpoint: str, tmp_path: Path) -> None:
    log = tmp_path / "etl.log"
    args = ["--output", str(tmp_path / "lake"), "--tickers", "BTC/USD", "--quiet"]
    with pytest.raises(DemoError) as failed:
        run_etl(args, etl_environment(moto_endpoint, "NoSuchTable"), log, lambda _line: None)
    assert str(failed.value) == (
        f"sma-etl failed (exit 1): DynamoDB table 'NoSuchTable' not found at {moto_endpoint}: "
        f"check --table or DYNAMO_TABLE_NAME (and the region or endpoint); see {log}"
    )
