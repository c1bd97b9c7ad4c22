"""The two entry points: the ``sma-etl`` command and the Glue script, run as users run them."""

from __future__ import annotations

import json
import runpy
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from sma_etl.cli import main
from tests.glue_job.conftest import DAY, LakeRows, Source, minute_ticks, walk

pytestmark = pytest.mark.spark

GLUE_SCRIPT = Path(__file__).resolve().parents[2] / "services/glue_job/glue/crypto_hourly_etl.py"


def test_cli_prints_one_json_summary_line(
    spark: object,
    source: Source,
    read_lake: LakeRows,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source.put_ticks(minute_ticks("BTC/USD", DAY, walk(200)))
    code = main(
        [
            "--output", str(tmp_path / "lake"),
            "--now", "2025-01-13T03:10:00Z",  # the scheduled window: [01:00, 03:00)
            "--tickers", "BTC/USD",
            "--endpoint-url", source.endpoint,
            "--quiet",
        ]
    )  # fmt: skip
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 0
    assert len(out) == 1
    summary = json.loads(out[0])
    assert summary["window"] == ["2025-01-13T01:00:00Z", "2025-01-13T03:00:00Z"]
    assert summary["tickers"] == 1
    assert summary["items_read"] == 120 + 60  # the window, and all the history there is
    assert summary["rows_written"] == 120 == len(read_lake(tmp_path / "lake"))
    assert summary["rows_rejected"] == {}
    assert summary["partitions"] == 2
    assert summary["seconds"] > 0
    assert set(summary["phases"]) == {"session", "read", "compute", "write", "catalog"}


def test_cli_bad_arguments_exit_2_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--output", "lake", "--tickers", "BTC/USD", "--start", "2025-01-13T07:30"]) == 2
    assert "whole hour" in capsys.readouterr().err


def test_glue_script_runs_with_glue_style_arguments(
    source: Source,
    read_lake: LakeRows,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for ticker in ("BTC/USD", "ETH/USD"):
        source.put_ticks(minute_ticks(ticker, DAY, walk(90), timedelta(minutes=1)))
    # On Glue the endpoints are AWS's; here the standard variable points boto3 at moto.
    monkeypatch.setenv("AWS_ENDPOINT_URL", source.endpoint)
    argv = [
        str(GLUE_SCRIPT),
        "--JOB_ID", "j_0123",
        "--JOB_RUN_ID", "jr_0123",
        "--JOB_NAME", "CryptoHourlyETLJob",
        "--TempDir", "s3://assets/temporary/",
        "--job-bookmark-option", "job-bookmark-disable",
        "--DYNAMO_TABLE_NAME", "DataConsumerTable",
        "--S3_BUCKET_NAME", "unused-here",
        "--OUTPUT", str(tmp_path / "lake"),
        "--TICKERS", "BTC/USD,ETH/USD",
        "--DISCOVER_TICKERS", "false",
        "--START", "2025-01-13T00:00:00Z",
        "--END", "2025-01-13T01:00:00Z",
    ]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(GLUE_SCRIPT), run_name="__main__")
    assert stopped.value.code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["tickers"] == 2
    assert summary["rows_written"] == 120
    assert {r["ticker"] for r in read_lake(tmp_path / "lake")} == {"BTCUSD", "ETHUSD"}
