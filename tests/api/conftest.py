"""Fixtures of the API tests: the lake (see api_lake), TestClients over real DuckDB, and the
Athena store on the local Athena (tests.support.athena_service) over the same lake."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sma_api.main import create_app
from sma_api.store.base import SmaStore
from sma_api.store.duckdb_store import DuckDbStore
from tests.api.api_lake import AppFactory, Lake, build_lake, settings_for
from tests.support.athena_service import AthenaService


@pytest.fixture(autouse=True)
def no_real_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """Live answers never reach AWS from a test: a closed local port unless a test names moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:9")


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    return build_lake(tmp_path_factory.mktemp("lake"))


@pytest.fixture
def lake_copy(lake: Lake, tmp_path: Path) -> Lake:
    """A private copy of the lake that a test may damage."""
    root = tmp_path / "lake"
    shutil.copytree(lake.root, root)
    return Lake(root, lake.rows)


@pytest.fixture
def make_client(lake: Lake) -> Iterator[AppFactory]:
    """TestClient over a real DuckDB store on the lake; keyword args override settings."""
    clients: list[TestClient] = []

    def make(
        store: SmaStore | None = None, root: Path | None = None, **overrides: Any
    ) -> TestClient:
        settings = settings_for(root or lake.root, **overrides)
        app = create_app(settings, store or DuckDbStore(settings.lake_path))
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    return make_client()


@pytest.fixture
def athena_service(athena_for: Callable[..., AthenaService], lake: Lake) -> AthenaService:
    """The local Athena over the session's lake."""
    return athena_for(lake.root)
