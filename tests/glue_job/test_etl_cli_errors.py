"""``sma-etl`` when it cannot run: one line on stderr naming the table, endpoint or cause.

Before, each of these printed 290 to 730 lines of Python and Java traces (the Spark
executors' failures, then the driver's), or ended in ``JAVA_GATEWAY_EXITED``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from sma_etl import cli
from sma_etl.settings import load_settings
from sma_etl.source_check import describe_failure
from tests.glue_job.conftest import DAY, TABLE, Source, minute_ticks, walk

SMA_ETL = str(Path(sys.executable).with_name("sma-etl"))
WINDOW = ["--tickers", "BTC/USD", "--now", "2025-01-13T03:10:00Z"]


def sma_etl(
    args: list[str], tmp_path: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SMA_ETL, "--output", str(tmp_path / "lake"), *WINDOW, *args],
        env=dict(os.environ if env is None else env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert done.stdout == ""
    assert done.returncode == 1
    return lines[0]


def test_a_missing_table_is_named(moto_endpoint: str, tmp_path: Path) -> None:
    line = one_line(sma_etl(["--table", "NoSuchTable", "--endpoint-url", moto_endpoint], tmp_path))
    assert line.startswith("sma-etl: DynamoDB table 'NoSuchTable' not found at ")
    assert moto_endpoint in line


def test_an_endpoint_where_nothing_listens_is_named(tmp_path: Path) -> None:
    line = one_line(sma_etl(["--endpoint-url", "http://127.0.0.1:1"], tmp_path))
    assert line.startswith("sma-etl: cannot reach http://127.0.0.1:1")


def test_missing_credentials_are_named(source: Source, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_ACCESS", "AWS_SECRET"))}
    env.pop("AWS_SESSION_TOKEN", None)
    env |= {
        "HOME": str(tmp_path),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    line = one_line(sma_etl(["--endpoint-url", source.endpoint], tmp_path, env))
    assert line.startswith("sma-etl: no AWS credentials found: set AWS_ACCESS_KEY_ID")


def test_no_java_is_named_with_what_to_install(source: Source, tmp_path: Path) -> None:
    env = {**os.environ, "JAVA_HOME": "/nonexistent"}
    line = one_line(sma_etl(["--endpoint-url", source.endpoint], tmp_path, env))
    assert "JAVA_HOME=/nonexistent has no bin/java" in line
    assert "apt-get install openjdk-17-jre-headless" in line


def test_verbose_shows_the_whole_trace(moto_endpoint: str, tmp_path: Path) -> None:
    args = ["--table", "NoSuchTable", "--endpoint-url", moto_endpoint, "--verbose"]
    done = sma_etl(args, tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("Traceback")
    assert "ResourceNotFoundException" in done.stderr
    assert "'NoSuchTable' not found" in done.stderr.splitlines()[-1]


@pytest.mark.spark
def test_the_same_failure_from_spark_executors_is_one_line_too(
    spark: object,
    source: Source,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The table goes away between the check and the run: the Query fails on an executor.
    source.put_ticks(minute_ticks("BTC/USD", DAY, walk(10)))
    monkeypatch.setattr(
        cli, "check_source", lambda _settings: source.client.delete_table(TableName=TABLE)
    )
    code = cli.main(
        ["--output", str(tmp_path / "lake"), *WINDOW, "--endpoint-url", source.endpoint, "--quiet"]
    )
    assert code == 1
    assert capsys.readouterr().err.splitlines() == [
        f"sma-etl: DynamoDB table '{TABLE}' not found at {source.endpoint}: check --table or "
        "DYNAMO_TABLE_NAME (and the region or endpoint)"
    ]


# -- the one-line descriptions ---------------------------------------------------------------


SETTINGS = load_settings(
    {"OUTPUT": "lake", "TICKERS": "BTC/USD", "ENDPOINT_URL": "http://localhost:8001"},
    env={"AWS_REGION": "eu-west-1"},
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "py4j.protocol.Py4JJavaError: ... botocore.errorfactory.ResourceNotFoundException: "
            "An error occurred (ResourceNotFoundException) when calling the Query operation: "
            "Requested resource not found\n\tat org.apache.spark...",
            "DynamoDB table 'DataConsumerTable' not found at http://localhost:8001: check --table",
        ),
        (
            "botocore.exceptions.EndpointConnectionError: Could not connect to the endpoint URL: "
            '"http://127.0.0.1:1/"',
            "cannot reach http://127.0.0.1:1/: nothing answers there",
        ),
        (
            'ConnectTimeoutError: Connect timeout on endpoint URL: "https://dynamodb.x/"',
            "cannot reach https://dynamodb.x/",
        ),
        ("NoCredentialsError: Unable to locate credentials", "no AWS credentials found"),
        (
            "An error occurred (AccessDeniedException) when calling the Query operation "
            "(reached max retries: 2): not authorized\nmore",
            "Query refused (AccessDeniedException): not authorized",
        ),
    ],
)
def test_failures_are_described_in_one_line(text: str, expected: str) -> None:
    described = describe_failure(RuntimeError(text), SETTINGS)
    assert described is not None
    assert described.startswith(expected)
    assert "\n" not in described


def test_other_failures_are_left_as_they_are() -> None:
    assert describe_failure(ValueError("division by zero"), SETTINGS) is None
