"""Fixtures shared by every kind of test: the real price data, moto's server, the local Athena,
one Spark session."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.moto_server import reset, serve_moto
from tests.support.prices import SHARED_DATA

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import SparkSession

    from sma_api.store.athena import AthenaStore
    from tests.support.athena_service import AthenaService

# Keep AWS SDKs away from any real account and from the network: every client in the tests
# talks to the local endpoint below.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        # Spark's Python workers must run this interpreter, not whatever python3 is on PATH.
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "TZ": "UTC",
    }
)
for _var in (
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_GLUE",
):
    os.environ.pop(_var, None)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real minute price files; the tests that need them skip only where they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real price data not found at {SHARED_DATA} (set SMA_SHARED_DIR to shared/)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's server on a free loopback port: real HTTP for DynamoDB, Glue, S3 and Athena."""
    with serve_moto() as endpoint:
        yield endpoint


@pytest.fixture
def moto_endpoint(moto_server: str) -> str:
    """moto's endpoint, emptied before each test so tests never see each other's tables."""
    reset(moto_server)
    return moto_server


@pytest.fixture
def athena_for(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., AthenaService]]:
    """Start the local Athena (tests.support.athena_service) over a lake folder. boto3 clients
    made after it find it by AWS_ENDPOINT_URL_ATHENA, as they would find any Athena endpoint."""
    from tests.support.athena_service import AthenaService

    started: list[AthenaService] = []

    def start(lake: Path, **options: Any) -> AthenaService:
        service = AthenaService(lake, **options).start()
        started.append(service)
        monkeypatch.setenv("AWS_ENDPOINT_URL_ATHENA", service.url)
        return service

    yield start
    for service in started:
        service.close()


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One local[2] Spark session for the whole run (start-up costs ~4 s)."""
    from sma_etl.spark import build_session

    session = build_session(app_name="crypto-sma-tests", shuffle_partitions=2)
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture
def make_athena_store() -> Callable[..., AthenaStore]:
    """The Athena store on the test workgroup, polling fast; keyword args override."""

    from sma import names
    from sma_api.store.athena import AthenaStore
    from sma_api.store.athena_runner import AthenaRunner
    from tests.support.athena_service import DEFAULT_WORKGROUP

    def make(**options: Any) -> AthenaStore:
        settings: dict[str, Any] = {
            "database": names.GLUE_DATABASE,
            "workgroup": DEFAULT_WORKGROUP,
            "region": "us-east-1",
            "poll_seconds": 0.01,
            "timeout_seconds": 10.0,
        }
        return AthenaStore(AthenaRunner(**(settings | options)), table=names.GLUE_TABLE)

    return make
