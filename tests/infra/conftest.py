"""Synthesised apps for the infrastructure tests: each configuration is synthesised once per run.

Synth goes through jsii (a Node process), so it is the slow part; every test reads the
templates and construct trees built here instead of synthesising again.
"""

from __future__ import annotations

from typing import Any

import pytest
from infra_templates import Synthesised, synthesise

# The defaults a user gets with only the two required values set; bundling is skipped so the
# tests never reach PyPI (the bundle itself is tested through its inputs).
BASE_CONTEXT: dict[str, object] = {
    "DYNAMO_TABLE_NAME": "DataConsumerTable",
    "S3_BUCKET_NAME": "crypto-sma-test-lake",
    "SMA_SKIP_BUNDLING": True,
}
# Every non-default switch at once: an existing bucket, Flex, discovery, alert e-mail, ...
VARIANT_CONTEXT: dict[str, object] = {
    **BASE_CONTEXT,
    "USE_EXISTING_BUCKET": True,
    "GLUE_EXECUTION_CLASS": "FLEX",
    "GLUE_VERSION": "5.0",
    "DISCOVER_TICKERS": "true",
    "ALERT_EMAIL": "alerts@example.com",
    "TICKERS": "BTC/USD,SOL-USD",
    "S3_PREFIX": "lake/v1/",
    "GLUE_DATABASE_NAME": "other_db",
    "GLUE_TABLE_NAME": "other_table",
    "ATHENA_BYTES_SCANNED_CUTOFF": 50_000_000,
    "API_THROTTLE_RATE": 5,
    "API_THROTTLE_BURST": 10,
}


@pytest.fixture(scope="session")
def default_app(tmp_path_factory: pytest.TempPathFactory) -> Synthesised:
    return synthesise(BASE_CONTEXT, tmp_path_factory.mktemp("cdk-default"))


@pytest.fixture(scope="session")
def variant_app(tmp_path_factory: pytest.TempPathFactory) -> Synthesised:
    return synthesise(VARIANT_CONTEXT, tmp_path_factory.mktemp("cdk-variant"))


@pytest.fixture(scope="session")
def glue_template(default_app: Synthesised) -> Any:
    return default_app.template("GlueSMAStack")


@pytest.fixture(scope="session")
def api_template(default_app: Synthesised) -> Any:
    return default_app.template("SmaApiStack")


@pytest.fixture(scope="session")
def variant_glue(variant_app: Synthesised) -> Any:
    return variant_app.template("GlueSMAStack")


@pytest.fixture(scope="session")
def variant_api(variant_app: Synthesised) -> Any:
    return variant_app.template("SmaApiStack")
