"""Property-based fuzzing of every endpoint from the app's own OpenAPI schema (schemathesis):
no 5xx, and every response matches the schema, for valid and invalid inputs alike."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.result import Ok

from sma_api.config import Settings
from sma_api.main import create_app
from sma_api.store.duckdb_store import DuckDbStore
from tests.hardening.hardening_harness import write_lake

# Examples per operation and mode: bounded, so the whole fuzz stays well under a minute.
EXAMPLES = 40
ENDPOINTS = {
    "GET /health",
    "GET /sma",
    "GET /tickers",
    "GET /tickers/{ticker}/sma",
    "GET /tickers/{ticker}/sma/history",
    "GET /tickers/{ticker}/signals",
}


@pytest.fixture(scope="module")
def api_schema(
    tmp_path_factory: pytest.TempPathFactory, moto_server: str
) -> Iterator[schemathesis.BaseSchema]:
    # Live answers (?source=live) read moto's server: an empty source table.
    import boto3

    from sma_laptop.producer import create_source_table

    create_source_table(boto3.client("dynamodb", endpoint_url=moto_server), "DataConsumerTable")
    lake = tmp_path_factory.mktemp("fuzz-lake")
    write_lake(lake, ("BTCUSD", "ETHUSD"), datetime(2025, 1, 13, 6, tzinfo=UTC), 300)
    app_settings = Settings(backend="duckdb", lake_path=lake)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_server)
        app = create_app(app_settings, DuckDbStore(Path(lake)))
        yield schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda mode: mode.value)
def test_every_endpoint_answers_within_its_schema_and_never_with_a_5xx(
    api_schema: schemathesis.BaseSchema, mode: GenerationMode
) -> None:
    statuses: Counter[tuple[str, int]] = Counter()
    fuzzed: set[str] = set()
    unbreakable: set[str] = set()
    for result in api_schema.get_all_operations():
        assert isinstance(result, Ok), f"the schema has an operation it cannot test: {result}"
        operation = result.ok()
        fuzzed.add(operation.label)

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case[Any]) -> None:
            # The schema types {ticker} as any string; the ticker rule (2-20 letters or digits
            # once separators go) is narrower, and its 422 is documented: not a failure.
            response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
            statuses[(case.operation.label, response.status_code)] += 1

        try:
            fuzz()
        except Unsatisfiable:
            # Only a string in the path (or nothing at all): no input breaks the schema.
            assert mode is GenerationMode.NEGATIVE, operation.label
            unbreakable.add(operation.label)

    assert fuzzed == ENDPOINTS
    assert unbreakable <= {"GET /health", "GET /tickers", "GET /tickers/{ticker}/sma"}
    assert not [key for key in statuses if key[1] >= 500], statuses
    print(f"fuzz {mode.value}: {sum(statuses.values())} requests, statuses {dict(statuses)}")
