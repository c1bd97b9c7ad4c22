"""docker-compose.yml and the Dockerfiles, checked without a Docker daemon.

The file must be valid against the Compose specification, and every command it runs must be an
entry point this workspace installs (and the tests run), with flags its real parser accepts.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import json
import re
import tomllib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import uvicorn
import yaml  # type: ignore[import-untyped]

from sma_api.sql_cli import build_parser as sql_parser
from sma_etl.cli import options_from
from sma_etl.cli import parser as etl_parser
from sma_etl.settings import load_settings
from sma_laptop.seed_cli import build_parser as seed_parser

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"


def project_scripts(member: str) -> dict[str, str]:
    data = tomllib.loads((REPO / member / "pyproject.toml").read_text(encoding="utf-8"))
    scripts: dict[str, str] = data["project"].get("scripts", {})
    return scripts


def load_compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


def test_valid_against_the_compose_specification(
    compose: dict[str, Any], shared_data: Path
) -> None:
    schema = json.loads((shared_data.parent / "schemas" / "compose-spec.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(compose), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


@pytest.mark.parametrize(
    "mistake",
    [
        lambda c: c["services"]["api"]["depends_on"]["etl"].update(condition="finished"),
        lambda c: c["services"]["etl"].update(comand=["sma-etl"]),
        lambda c: c["services"]["dynamodb"]["healthcheck"].update(test=42),
    ],
    ids=["bad-condition", "misspelt-key", "bad-healthcheck"],
)
def test_the_schema_catches_mistakes(
    compose: dict[str, Any], shared_data: Path, mistake: Callable[[dict[str, Any]], None]
) -> None:
    schema = json.loads((shared_data.parent / "schemas" / "compose-spec.json").read_text())
    broken = copy.deepcopy(compose)
    mistake(broken)
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_services_wait_for_each_other(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"dynamodb", "seed", "etl", "api"}
    assert services["dynamodb"]["image"].startswith("amazon/dynamodb-local")
    assert services["seed"]["depends_on"] == {"dynamodb": {"condition": "service_healthy"}}
    assert services["etl"]["depends_on"] == {
        "seed": {"condition": "service_completed_successfully"}
    }
    assert services["api"]["depends_on"] == {"etl": {"condition": "service_completed_successfully"}}
    for name in ("dynamodb", "api"):
        assert services[name]["healthcheck"]["test"]
    assert "lake" in compose["volumes"]
    assert "lake:/lake" in services["etl"]["volumes"]
    assert "lake:/lake:ro" in services["api"]["volumes"]
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000"]
    assert services["api"]["environment"] == {"SMA_BACKEND": "duckdb", "SMA_LAKE_PATH": "/lake"}


def dockerfile_packages(service: dict[str, Any]) -> tuple[str, list[str]]:
    """The workspace member a service's image installs, and the extras it adds."""
    dockerfile = REPO / service["build"]["dockerfile"]
    text = dockerfile.read_text(encoding="utf-8")
    sync = re.search(r"uv sync ([^\n]+)", text)
    assert sync is not None, f"{dockerfile}: no `uv sync`"
    flags = sync.group(1).split()
    assert "--locked" in flags, f"{dockerfile}: the image must install from uv.lock"
    package = flags[flags.index("--package") + 1]
    extras = [flags[i + 1] for i, flag in enumerate(flags) if flag == "--extra"]
    return package, extras


MEMBERS = {"sma-etl": "services/glue_job", "sma-api": "services/api", "sma-laptop": "apps/laptop"}


def test_each_command_is_an_entry_point_its_image_installs(compose: dict[str, Any]) -> None:
    for name in ("seed", "etl", "api"):
        service = compose["services"][name]
        assert service["build"]["context"] == "."
        package, extras = dockerfile_packages(service)
        program = service["command"][0]
        if program == "uvicorn":
            assert "server" in extras  # uvicorn comes with the API's `server` extra
            assert "duckdb" in extras
            assert service["command"][1:3] == ["--factory", "sma_api.main:create_app"]
        else:
            assert program in project_scripts(MEMBERS[package]), (name, program, package)


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    try:
        return parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits on a bad flag
        raise AssertionError(f"{parser.prog} rejects {argv}") from exit_


def test_commands_parse_with_the_real_command_line_parsers(compose: dict[str, Any]) -> None:
    services = compose["services"]
    scripts = {member: project_scripts(folder) for member, folder in MEMBERS.items()}
    # The scripts compose runs are the ones whose parsers are checked here.
    assert scripts["sma-laptop"]["sma-seed"] == "sma_laptop.seed_cli:main"
    assert scripts["sma-etl"]["sma-etl"] == "sma_etl.cli:main"
    assert scripts["sma-api"]["sma-sql"] == "sma_api.sql_cli:main"

    seed = parse(seed_parser(), services["seed"]["command"][1:])
    assert seed.endpoint == services["seed"]["environment"]["AWS_ENDPOINT_URL_DYNAMODB"]
    assert seed.reset
    etl = parse(etl_parser(), services["etl"]["command"][1:])
    settings = load_settings(options_from(etl), env=services["etl"]["environment"])
    # The backfill covers exactly the hours the seed loaded.
    assert settings.window.end == seed.end
    assert settings.window.end - settings.window.start == timedelta(days=seed.days)
    assert set(settings.tickers) == set(seed.tickers.split(","))
    assert settings.output == "/lake"
    assert settings.catalog is None  # no Glue catalog in the containers
    assert settings.dynamodb_endpoint == "http://dynamodb:8000"
    parse(sql_parser(), ["SELECT 1"])
    # uvicorn's own command-line parser, and the factory it names.
    api = uvicorn.main.make_context("uvicorn", list(services["api"]["command"][1:]))
    assert api.params["factory"]
    module, _, factory = api.params["app"].partition(":")
    assert callable(getattr(importlib.import_module(module), factory))


def test_every_image_pins_the_same_uv() -> None:
    dockerfiles = sorted(REPO.glob("*/*/Dockerfile"))
    assert len(dockerfiles) == 3
    pins = {
        path: re.findall(r"pip install --no-cache-dir uv==([0-9.]+)\b", path.read_text())
        for path in dockerfiles
    }
    assert all(len(found) == 1 for found in pins.values()), pins
    assert len({found[0] for found in pins.values()}) == 1, pins
