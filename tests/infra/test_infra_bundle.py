"""The Lambda bundle's inputs: locked wheels minus the runtime's, our sources with web assets."""

from __future__ import annotations

from pathlib import Path

from sma_infra.lambda_bundle import RUNTIME_PROVIDED, copy_sources, locked_requirements


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


def test_sources_carry_the_pages_and_their_built_browser_files(tmp_path: Path) -> None:
    copy_sources(tmp_path)
    api = tmp_path / "sma_api"
    for path in (
        "templates/chart.html",
        "static/chart.js",
        "static/chart.css",
        "static/vendor/lightweight-charts/dist/lightweight-charts.standalone.production.js",
        "static/vendor/swagger-ui-dist/swagger-ui-bundle.js",
        "static/vendor/redoc/bundles/redoc.standalone.js",
    ):
        assert (api / path).is_file(), path
    assert (tmp_path / "sma" / "__init__.py").is_file()
    assert not list(tmp_path.rglob("__pycache__"))
