"""The per-package check's probe: what it counts as an import, a declaration, a failure."""

from __future__ import annotations

import ast
import importlib.util
import textwrap
from importlib import metadata
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]


def load_probe() -> ModuleType:
    # tools/ is a folder of scripts, not a package: load the file itself.
    spec = importlib.util.spec_from_file_location("package_probe", REPO / "tools/package_probe.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


probe = load_probe()


def imports_of(source: str) -> set[str]:
    return set(probe.imported_modules([ast.parse(textwrap.dedent(source))]))


def test_deferred_imports_count_and_type_checking_ones_do_not() -> None:
    found = imports_of(
        """
        from __future__ import annotations
        import os.path
        from typing import TYPE_CHECKING
        from sma.schema import SOURCE_SORT_KEY
        from . import sibling
        if TYPE_CHECKING:
            import mypy_boto3_athena
        else:
            import fallback_only
        def client():
            import boto3
            from botocore.config import Config
        """
    )
    assert found == {"__future__", "os", "typing", "sma", "fallback_only", "boto3", "botocore"}


def test_requirements_split_into_required_and_extras() -> None:
    required, optional = probe.declared(
        [
            "sma",
            "fastapi>=0.115",
            "pydantic_settings>=2.6",
            "duckdb>=1.1; extra == 'duckdb'",
            'uvicorn>=0.32 ; extra == "server"',
            "tomli; python_version < '3.11'",
        ]
    )
    assert required == {"sma", "fastapi", "pydantic-settings", "tomli"}
    assert optional == {"duckdb": "duckdb", "uvicorn": "server"}


def test_a_missing_module_is_named_with_its_package() -> None:
    problems = probe.probe("sma-laptop", "sma_laptop", ["no_such_module_here"], set())
    assert problems == [
        "sma-laptop: import no_such_module_here (run as a child process) fails: "
        "ModuleNotFoundError: No module named 'no_such_module_here'"
    ]


def test_an_undeclared_import_is_named(tmp_path: Path) -> None:
    # sma declares nothing; code of it importing boto3 would get boto3 only through others.
    package = tmp_path / "sma"
    package.mkdir()
    (package / "leak.py").write_text("def f():\n    import boto3\n")
    top = ModuleType("sma")
    top.__path__ = [str(package)]
    dist = metadata.distribution("sma")
    (problem,) = probe.check_declared(dist, "sma", top, set())
    assert problem == (
        "sma: imports boto3 (imported by leak.py) from boto3, which its pyproject.toml does not "
        "declare"
    )
