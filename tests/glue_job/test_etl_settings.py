"""Settings: job arguments and environment, read once, checked with clear errors."""

from datetime import UTC, datetime

import pytest

from sma.errors import SettingsError
from sma_etl.catalog import CatalogTarget
from sma_etl.glue_entry import glue_arguments, job_options
from sma_etl.settings import load_settings
from sma_etl.window import Window

NOW = datetime(2025, 1, 13, 7, 10, tzinfo=UTC)


def test_glue_arguments_become_settings_and_glue_extras_are_ignored() -> None:
    argv = [
        "--JOB_ID", "j_1",
        "--JOB_RUN_ID", "jr_1",
        "--JOB_NAME", "CryptoHourlyETLJob",
        "--TempDir", "s3://tmp/x",
        "--job-bookmark-option", "job-bookmark-disable",
        "--enable-metrics",
        "--DYNAMO_TABLE_NAME", "Ticks",
        "--S3_BUCKET_NAME", "lake-bucket",
        "--S3_PREFIX", "processed-data/",
        "--GLUE_DATABASE_NAME", "crypto_sma_db",
        "--GLUE_TABLE_NAME", "crypto_sma_table",
        "--TICKERS", "BTC/USD, ETH/USD,,BTC/USD",
        "--DISCOVER_TICKERS=false",
    ]  # fmt: skip
    args = glue_arguments(argv)
    assert (args["JOB_NAME"], args["job_bookmark_option"]) == (
        "CryptoHourlyETLJob",
        "job-bookmark-disable",
    )
    settings = load_settings(job_options(args), env={}, now=NOW)
    assert settings.table == "Ticks"
    assert settings.output == "s3://lake-bucket/processed-data"
    assert settings.tickers == ("BTC/USD", "ETH/USD")
    assert settings.discover_tickers is False
    assert settings.catalog == CatalogTarget("crypto_sma_db", "crypto_sma_table")
    assert settings.window == Window(datetime(2025, 1, 13, 5, tzinfo=UTC), NOW.replace(minute=0))
    assert settings.dynamodb_endpoint is None


def test_environment_fills_in_and_arguments_win() -> None:
    env = {
        "DYNAMO_TABLE_NAME": "FromEnv",
        "S3_BUCKET_NAME": "b",
        "TICKERS": "DOGE/USD",
        "GLUE_DATABASE_NAME": "api_db",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:2",
        "AWS_REGION": "eu-west-1",
    }
    settings = load_settings({"S3_PREFIX": ""}, env=env, now=NOW)
    assert (settings.table, settings.output, settings.tickers) == (
        "FromEnv",
        "s3://b",
        ("DOGE/USD",),
    )
    # a database named only in the environment does not switch registration on
    assert settings.catalog is None
    assert settings.dynamodb_endpoint == "http://127.0.0.1:2"
    assert settings.region == "eu-west-1"
    on = load_settings({"CATALOG": "true", "TICKERS": "BTC/USD"}, env=env, now=NOW)
    assert on.catalog == CatalogTarget("api_db", "crypto_sma_table")
    assert on.tickers == ("BTC/USD",)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"OUTPUT": "lake"}, "no tickers"),
        ({"TICKERS": "BTC/USD"}, "no output"),
        ({"TICKERS": "BTC/USD", "S3_BUCKET_NAME": "s3://b/p"}, "bare bucket"),
        ({"TICKERS": "BTC/USD", "OUTPUT": "l", "DISCOVER_TICKERS": "maybe"}, "true or false"),
        ({"TICKERS": "BTC/USD", "OUTPUT": "l", "CHUNK_HOURS": "0"}, "at least 1"),
        ({"TICKERS": "BTC/USD", "OUTPUT": "l", "START": "2025-01-13T07:30:00Z"}, "whole hour"),
        ({"TICKERS": "BTC/USD", "OUTPUT": "l", "RETRY_MODE": "eager"}, "RETRY_MODE"),
    ],
)
def test_bad_settings_fail_at_once_with_a_clear_message(
    options: dict[str, str | None], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(options, env={}, now=NOW)
