"""The run's metrics in CloudWatch (moto's server), as the stack's alarms read them."""

from __future__ import annotations

import json
import logging
import runpy
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from sma import names
from sma.errors import SettingsError
from sma_etl.cli import main
from sma_etl.metrics import MetricsTarget, metric_data, publish_run_metrics, publishing_enabled
from tests.glue_job.conftest import DAY, Source, minute_ticks, walk

GLUE_SCRIPT = Path(__file__).resolve().parents[2] / "services/glue_job/glue/crypto_hourly_etl.py"
ALARMED = (
    names.METRIC_RUN_SUCCEEDED,
    names.METRIC_LATE_BEYOND_HORIZON,
    names.METRIC_TICKERS_WITHOUT_TICKS,
)


def published(endpoint: str, job_name: str) -> dict[str, float]:
    """Metric name -> sum of what CloudWatch holds for `job_name` in the last ten minutes."""
    cloudwatch = boto3.client("cloudwatch", endpoint_url=endpoint)
    listed = cloudwatch.list_metrics(Namespace=names.METRICS_NAMESPACE)["Metrics"]
    metrics = [m for m in listed if m["Dimensions"] == [{"Name": "JobName", "Value": job_name}]]
    now = datetime.now(UTC)
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": f"m{i}",
                "Label": metric["MetricName"],
                "MetricStat": {"Metric": metric, "Period": 60, "Stat": "Sum"},
            }
            for i, metric in enumerate(metrics)
        ],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
    )
    return {r["Label"]: sum(r["Values"]) for r in answer["MetricDataResults"]}


def test_a_summary_without_the_new_figures_counts_them_as_zero() -> None:
    data = metric_data({"rows_written": 120, "tickers": 3}, "CryptoHourlyETLJob")
    assert {d["MetricName"]: d["Value"] for d in data} == {
        "RunSucceeded": 1.0,
        "LateBeyondHorizon": 0.0,
        "TickersWithoutTicks": 0.0,
        "RowsWritten": 120.0,
    }
    job = [{"Name": "JobName", "Value": "CryptoHourlyETLJob"}]
    assert all(d["Dimensions"] == job for d in data)
    assert all(d["Unit"] == "Count" for d in data)


def test_a_list_of_tickers_counts_its_tickers() -> None:
    summary = {"rows_written": 0, "late_beyond_horizon": 4, "tickers_without_ticks": ["SOL/USD"]}
    values = {d["MetricName"]: d["Value"] for d in metric_data(summary, "j")}
    assert values["LateBeyondHorizon"] == 4.0
    assert values["TickersWithoutTicks"] == 1.0


def test_publishing_is_off_locally_unless_asked_for() -> None:
    assert publishing_enabled(None, {}) is False
    assert publishing_enabled(None, {}, default=True) is True  # on Glue
    assert publishing_enabled(None, {"SMA_PUBLISH_METRICS": "true"}) is True
    assert publishing_enabled("false", {"SMA_PUBLISH_METRICS": "true"}, default=True) is False
    with pytest.raises(SettingsError, match="PUBLISH_METRICS must be true or false"):
        publishing_enabled("maybe", {})


def test_one_call_puts_every_metric(moto_endpoint: str) -> None:
    summary = {"rows_written": 7, "late_beyond_horizon": 2, "tickers_without_ticks": 1}
    target = MetricsTarget("CryptoHourlyETLJob", "us-east-1", moto_endpoint)
    assert publish_run_metrics(summary, target) is True
    assert published(moto_endpoint, "CryptoHourlyETLJob") == {
        "RunSucceeded": 1.0,
        "LateBeyondHorizon": 2.0,
        "TickersWithoutTicks": 1.0,
        "RowsWritten": 7.0,
    }


def test_a_refusal_is_a_warning_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    target = MetricsTarget("j", "us-east-1", "http://127.0.0.1:1")
    with caplog.at_level(logging.WARNING, logger="sma_etl.metrics"):
        assert publish_run_metrics({"rows_written": 1}, target) is False
    assert "run metrics not published to CloudWatch" in caplog.text


# -- the entry points --------------------------------------------------------------------------


def cli_run(tmp_path: Path, *extra: str) -> int:
    return main(
        [
            "--output", str(tmp_path / "lake"),
            "--now", "2025-01-13T03:10:00Z",
            "--tickers", "BTC/USD",
            "--quiet",
            *extra,
        ]
    )  # fmt: skip


@pytest.mark.spark
def test_the_cli_publishes_when_asked(
    spark: object, source: Source, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source.put_ticks(minute_ticks("BTC/USD", DAY, walk(200)))
    assert cli_run(tmp_path, "--endpoint-url", source.endpoint, "--publish-metrics") == 0
    assert json.loads(capsys.readouterr().out)["rows_written"] == 120
    assert published(source.endpoint, "sma-etl") == {
        "RunSucceeded": 1.0,
        "LateBeyondHorizon": 0.0,
        "TickersWithoutTicks": 0.0,
        "RowsWritten": 120.0,
    }


@pytest.mark.spark
def test_the_cli_publishes_nothing_by_default(
    spark: object, source: Source, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source.put_ticks(minute_ticks("BTC/USD", DAY, walk(200)))
    assert cli_run(tmp_path, "--endpoint-url", source.endpoint) == 0
    assert json.loads(capsys.readouterr().out)["rows_written"] == 120
    assert boto3.client("cloudwatch", endpoint_url=source.endpoint).list_metrics()["Metrics"] == []


@pytest.mark.spark
@pytest.mark.usefixtures("spark")
def test_a_cloudwatch_that_refuses_does_not_fail_the_run(
    source: Source,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    source.put_ticks(minute_ticks("BTC/USD", DAY, walk(200)))
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", source.endpoint)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDWATCH", "http://127.0.0.1:1")
    code = cli_run(tmp_path, "--publish-metrics")
    assert code == 0
    assert json.loads(capsys.readouterr().out)["rows_written"] == 120
    [warning] = [r for r in caplog.records if r.name == "sma_etl.metrics"]
    assert warning.levelname == "WARNING"
    assert "run metrics not published to CloudWatch" in warning.getMessage()


@pytest.mark.spark
def test_the_glue_script_files_its_run_under_the_job_name(
    spark: object,
    source: Source,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source.put_ticks(minute_ticks("BTC/USD", DAY, walk(90)))
    monkeypatch.setenv("AWS_ENDPOINT_URL", source.endpoint)
    argv = [
        str(GLUE_SCRIPT),
        "--JOB_NAME", "CryptoHourlyETLJob",
        "--OUTPUT", str(tmp_path / "lake"),
        "--TICKERS", "BTC/USD",
        "--START", "2025-01-13T00:00:00Z",
        "--END", "2025-01-13T01:00:00Z",
        "--PUBLISH_METRICS", "true",
    ]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(GLUE_SCRIPT), run_name="__main__")
    assert stopped.value.code == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["rows_written"] == 60
    found = published(source.endpoint, "CryptoHourlyETLJob")
    assert {name: found[name] for name in ALARMED} == {
        "RunSucceeded": 1.0,
        "LateBeyondHorizon": 0.0,
        "TickersWithoutTicks": 0.0,
    }
    assert found["RowsWritten"] == 60.0
