"""README.md stays true: its commands are ones that exist and parse, its SQL runs, its
configuration table names every setting the code reads.

`sma-seed` and `sma-sql` commands are run for real (against moto's server and a small lake);
`sma-etl` ones are parsed and resolved by the job's own settings loader (the e2e test runs the
job through the demo).
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shlex
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sma_api.config import Settings as ApiSettings
from sma_api.routes import health, latest, tickers
from sma_api.sql_cli import build_parser as sql_parser
from sma_api.sql_cli import connect
from sma_api.sql_cli import main as sql_main
from sma_etl.cli import options_from
from sma_etl.cli import parser as etl_parser
from sma_etl.settings import ENV_NAMES, load_settings
from sma_infra.settings import InfraSettings
from sma_laptop.demo_config import build_parser as demo_parser
from sma_laptop.seed_cli import build_parser as seed_parser
from sma_laptop.seed_cli import main as seed_main

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")

LakeRow = dict[str, object]
LakeWriter = Callable[[str, Sequence[tuple[datetime, float, float]]], list[LakeRow]]
Command = tuple[dict[str, str], list[str]]  # environment assignments, argv


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.DOTALL)


def commands() -> list[Command]:
    """Every command line of the bash blocks, with the variables set before it on that line."""
    out = []
    for block in blocks("bash"):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            env: dict[str, str] = {}
            while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
                name, _, value = words.pop(0).partition("=")
                env[name] = value
            if words:
                out.append((env, words))
    return out


def uv_commands(program: str) -> list[Command]:
    return [(env, argv[3:]) for env, argv in commands() if argv[:3] == ["uv", "run", program]]


def exported() -> dict[str, str]:
    env: dict[str, str] = {}
    for _, argv in commands():
        if argv[0] == "export":
            env.update(word.split("=", 1) for word in argv[1:])  # type: ignore[misc]
    return env


def parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    try:
        return parser.parse_args(argv)
    except SystemExit as exit_:
        raise AssertionError(f"README: {parser.prog} rejects {list(argv)}") from exit_


def makefile_targets() -> set[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z-]+):.*## ", text, re.MULTILINE))


def config_table_names() -> set[str]:
    section = README[README.index("## Configuration") :]
    section = section[: section.index("\n## ", 1)]
    return set(re.findall(r"`([A-Z][A-Z0-9_]+)`", section))


KNOWN = {"make", "uv", "export", "docker"}


def test_every_command_is_one_the_tests_know() -> None:
    seen = commands()
    assert seen, "no bash blocks found"
    for _, argv in seen:
        assert argv[0] in KNOWN, f"README runs {argv}: add a check for it here"
        if argv[0] == "uv":
            assert argv[1] == "run"
            assert argv[2] in {"sma-sql", "sma-seed", "sma-etl", "python", "uvicorn"}, argv
        if argv[0] == "docker":
            assert argv[1:] == ["compose", "up"]
            assert (REPO / "docker-compose.yml").is_file()


def test_make_targets_and_variables_exist() -> None:
    targets = makefile_targets()
    documented = config_table_names()
    makes = [(env, argv) for env, argv in commands() if argv[0] == "make"]
    assert {argv[1] for _, argv in makes} >= {"demo", "test"}
    for _, argv in makes:
        assert argv[1] in targets, argv
        for word in argv[2:]:
            name, _, value = word.partition("=")
            assert name in documented, f"make variable {name} is not in the configuration table"
            if name == "DEMO_ARGS":
                parse(demo_parser(), shlex.split(value))


def test_demo_csv_paths_exist(shared_data: Path) -> None:
    for _, argv in commands():
        for word in argv:
            if word.startswith("DEMO_CSV="):
                for path in word.split("=", 1)[1].split(","):
                    # The README names shared/ where it lies beside a checkout; the tests may
                    # find it elsewhere (SMA_SHARED_DIR).
                    where = shared_data.parent / path.removeprefix("../shared/")
                    assert where.is_file(), path


def test_demo_flags_parse() -> None:
    # Every DEMO_* variable is one the demo reads.
    source = (REPO / "apps/laptop/src/sma_laptop/demo_config.py").read_text(encoding="utf-8")
    for name in config_table_names():
        if name.startswith("DEMO_") and name != "DEMO_ARGS":
            assert f'"{name}"' in source, name
    parse(demo_parser(), ["--exit-when-ready"])


def test_module_commands_exist() -> None:
    for env, argv in commands():
        if argv[:3] == ["uv", "run", "python"]:
            assert argv[3] == "-m"
            assert importlib.util.find_spec(argv[4]) is not None, argv
        if argv[:3] == ["uv", "run", "uvicorn"]:
            assert argv[3] == "--factory"
            module, _, attribute = argv[4].partition(":")
            assert (module, attribute) == ("sma_api.main", "create_app")
            assert importlib.util.find_spec("uvicorn") is not None
            assert env.get("SMA_BACKEND") == "duckdb"
            assert "--port" in argv


def test_etl_commands_parse_and_resolve() -> None:
    found = uv_commands("sma-etl")
    assert found
    for env, argv in found:
        args = parse(etl_parser(), argv)
        settings = load_settings(options_from(args), env={**exported(), **env})
        assert settings.dynamodb_endpoint == exported()["AWS_ENDPOINT_URL_DYNAMODB"]
        assert settings.tickers


def test_seed_commands_run(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    found = uv_commands("sma-seed")
    assert found
    for name, value in exported().items():
        monkeypatch.setenv(name, value)
    # The README's endpoint is the demo's port; here it is the test session's moto server.
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_endpoint)
    for _, argv in found:
        parse(seed_parser(), argv)
        assert seed_main([*argv, "--days", "0.05", "--json"]) == 0, argv


def test_sql_commands_and_athena_queries_run(
    lake_writer: tuple[Path, LakeWriter],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, write = lake_writer
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    write(
        "BTCUSD",
        [(today + timedelta(minutes=i), 9e4 + i * 0.37, 9e4 + i * 0.4) for i in range(120)],
    )
    write(
        "ETHUSD", [(today - timedelta(days=2, minutes=-i), 3e3 + i * 0.01, 3e3) for i in range(40)]
    )

    found = uv_commands("sma-sql")
    assert found
    for env, argv in found:
        parse(sql_parser(), argv)
        # Same command, pointed at the test's lake wherever it names one.
        monkeypatch.delenv("SMA_LAKE_PATH", raising=False)
        if "SMA_LAKE_PATH" in env:
            monkeypatch.setenv("SMA_LAKE_PATH", str(root))
        here = [
            str(root) if before == "--lake" else a
            for before, a in zip(["", *argv], argv, strict=False)
        ]
        assert sql_main(here) == 0, (here, capsys.readouterr().err)
    capsys.readouterr()

    (sql,) = blocks("sql")
    statements = [s.strip() for s in sql.split(";") if s.strip()]
    assert len(statements) == 3
    connection = connect(root)
    results = [connection.execute(statement).fetchall() for statement in statements]
    assert len(results[0]) == 10
    assert len(results[1]) == 120  # today's BTCUSD ticks
    assert len(results[2]) == 160


def test_athena_queries_are_the_seed_guides(shared_data: Path) -> None:
    guide = (shared_data.parent / "seed" / "GLUE_SETUP.md").read_text(encoding="utf-8")
    original = re.search(r"## Querying Data with Athena.*?```sql\n(.*?)```", guide, re.DOTALL)
    assert original is not None
    assert blocks("sql") == [original.group(1)]


def test_api_paths_in_the_readme_exist() -> None:
    routes = [*tickers.router.routes, *latest.router.routes, *health.router.routes]
    paths = re.findall(r"curl \"?localhost:8000(/[^\s\"?`]*)", README)
    assert len(paths) >= 4
    for path in paths:
        assert any(route.path_regex.match(path) for route in routes), path  # type: ignore[attr-defined]


def test_configuration_table_names_every_setting() -> None:
    documented = config_table_names()
    api = {
        str(field.validation_alias)
        for field in ApiSettings.model_fields.values()
        if isinstance(field.validation_alias, str)
    }
    infra = {name.upper() for name in InfraSettings.model_fields}
    job = set(ENV_NAMES) | {"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL", "AWS_REGION"}
    demo = {"DEMO_CSV", "DEMO_DAYS", "DEMO_SEED", "DEMO_API_PORT", "DEMO_DYNAMODB_PORT", "DEMO_DIR"}
    missing = (api | infra | job | demo) - documented
    assert not missing, f"README's configuration table lacks {sorted(missing)}"


def test_linked_files_exist() -> None:
    for target in re.findall(r"\]\(([^)#]+)\)", README):
        assert (REPO / target).is_file(), target
