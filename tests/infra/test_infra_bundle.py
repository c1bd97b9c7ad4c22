"""The Lambda bundle's inputs: locked third-party wheels without what the runtime provides."""

from __future__ import annotations

from sma_infra.lambda_bundle import RUNTIME_PROVIDED, locked_requirements


def test_requirements_are_pinned_and_leave_boto3_and_duckdb_to_others() -> None:
    lines = locked_requirements().splitlines()
    names = {line.split("==")[0].lower() for line in lines}
    assert all("==" in line for line in lines), lines
    assert {"fastapi", "mangum", "pyathena", "pydantic", "pydantic-settings"} <= names
    assert not names & set(RUNTIME_PROVIDED)
    assert "duckdb" not in names
    assert "uvicorn" not in names
    # Workspace packages are copied as source, not installed from an index.
    assert not names & {"sma", "sma-api", "sma-etl", "sma-infra"}
