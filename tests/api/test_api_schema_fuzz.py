"""Requests generated from the app's own OpenAPI document: never a 5xx, bodies match the schema."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from sma_api.main import create_app
from sma_api.store.duckdb_store import DuckDbStore
from tests.api.api_lake import Lake, settings_for
from tests.api.api_source import source_table

CHECKS = [
    schemathesis.checks.not_a_server_error,
    content_type_conformance,
    response_schema_conformance,
]


def test_generated_requests_get_no_server_error(
    lake: Lake, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Live answers read moto's server (an empty source table: their tickers have no data).
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_endpoint)
    source_table(moto_endpoint)
    app = create_app(settings_for(lake.root), DuckDbStore(lake.root))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6

    statuses: list[int] = []
    for operation in operations:
        _fuzz(operation.as_strategy(), statuses)
    # The generated requests reached every kind of answer, not only validation errors.
    assert {200, 404, 422} <= set(statuses)


def _fuzz(cases: st.SearchStrategy[schemathesis.Case], statuses: list[int]) -> None:
    @given(case=cases)
    # Derandomised: the same requests every run, so the coverage assertion cannot flake.
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case: schemathesis.Case) -> None:
        statuses.append(case.call_and_validate(checks=CHECKS).status_code)

    check()
