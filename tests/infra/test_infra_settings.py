"""Deployment settings: required values, context over environment, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sma.errors import SettingsError
from sma_infra.settings import InfraSettings, load_settings

REQUIRED = {"DYNAMO_TABLE_NAME": "DataConsumerTable", "S3_BUCKET_NAME": "crypto-sma-lake"}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in InfraSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def test_defaults_match_the_seed_guide() -> None:
    settings = load_settings(REQUIRED, env_file=None)
    assert settings.s3_prefix == "processed-data/"
    assert settings.glue_database_name == "crypto_sma_db"
    assert settings.glue_table_name == "crypto_sma_table"
    assert settings.glue_job_name == "CryptoHourlyETLJob"
    assert settings.glue_version == "5.1"
    assert settings.glue_execution_class == "STANDARD"
    assert settings.ticker_list == ("BTC/USD", "ETH/USD", "DOGE/USD")
    assert settings.discover_tickers is False
    assert settings.lake_location == "s3://crypto-sma-lake/processed-data/"


def test_defaults_bound_the_job_and_the_api() -> None:
    settings = load_settings(REQUIRED, env_file=None)
    assert settings.glue_job_timeout_minutes == 15
    assert settings.athena_bytes_scanned_cutoff == 100_000_000
    assert (settings.api_throttle_rate, settings.api_throttle_burst) == (5, 10)
    assert (settings.api_query_throttle_rate, settings.api_query_throttle_burst) == (2, 5)
    assert settings.api_reserved_concurrency == 5


@pytest.mark.parametrize("value", ["none", "None", ""])
def test_reserved_concurrency_can_be_left_to_the_account(value: str) -> None:
    settings = load_settings({**REQUIRED, "API_RESERVED_CONCURRENCY": value}, env_file=None)
    assert settings.api_reserved_concurrency is None


def test_missing_required_values_name_both_and_how_to_set_them() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({}, env_file=None)
    message = str(caught.value)
    assert "DYNAMO_TABLE_NAME is required" in message
    assert "S3_BUCKET_NAME is required" in message
    assert "-c DYNAMO_TABLE_NAME=" in message


def test_environment_is_read_and_context_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMO_TABLE_NAME", "FromEnv")
    monkeypatch.setenv("S3_BUCKET_NAME", "env-bucket")
    monkeypatch.setenv("GLUE_EXECUTION_CLASS", "FLEX")
    settings = load_settings({"S3_BUCKET_NAME": "context-bucket"}, env_file=None)
    assert settings.dynamo_table_name == "FromEnv"
    assert settings.s3_bucket_name == "context-bucket"
    assert settings.glue_execution_class == "FLEX"


def test_env_file_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DYNAMO_TABLE_NAME=FromFile\nS3_BUCKET_NAME=file-bucket\n")
    settings = load_settings({}, env_file=env_file)
    assert (settings.dynamo_table_name, settings.s3_bucket_name) == ("FromFile", "file-bucket")


def test_context_strings_are_converted() -> None:
    settings = load_settings(
        {**REQUIRED, "DISCOVER_TICKERS": "true", "ATHENA_BYTES_SCANNED_CUTOFF": "20000000"},
        env_file=None,
    )
    assert settings.discover_tickers is True
    assert settings.athena_bytes_scanned_cutoff == 20_000_000


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("S3_BUCKET_NAME", "Not_A_Bucket"),
        ("S3_PREFIX", "no-trailing-slash"),
        ("S3_PREFIX", "/absolute/"),
        ("S3_PREFIX", "up/../out/"),
        ("TICKERS", "BTC/USD,../etc"),
        ("TICKERS", " , "),
        ("GLUE_EXECUTION_CLASS", "SPOT"),
        ("GLUE_DATABASE_NAME", "Bad-Name"),
        ("ATHENA_BYTES_SCANNED_CUTOFF", "1000"),
        ("ALERT_EMAIL", "not-an-address"),
        ("GLUE_VERSION", "4.0"),
        ("GLUE_JOB_NAME", "J" * 53),
        ("GLUE_JOB_NAME", "hourly job"),
        ("GLUE_JOB_TIMEOUT_MINUTES", "0"),
        ("GLUE_JOB_TIMEOUT_MINUTES", "120"),
        ("API_RESERVED_CONCURRENCY", "0"),
        ("API_QUERY_THROTTLE_RATE", "0"),
    ],
)
def test_bad_values_fail_with_the_setting_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({**REQUIRED, name: value}, env_file=None)


def test_tickers_are_kept_as_written_for_the_job() -> None:
    settings = load_settings({**REQUIRED, "TICKERS": " BTC/USD , eth-usd "}, env_file=None)
    assert settings.tickers == "BTC/USD,eth-usd"


def test_cli_entry_point_exits_with_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from sma_infra import app as app_module

    # Only the developer's .env file is kept out; the app reads context and environment.
    monkeypatch.setattr(
        app_module, "load_settings", lambda context: load_settings(context, env_file=None)
    )
    with pytest.raises(SystemExit) as caught:
        app_module.main()
    assert "DYNAMO_TABLE_NAME is required" in str(caught.value.code)
