"""infra/README.md stays a true map: it names every module, setting and infrastructure test file."""

from __future__ import annotations

from pathlib import Path

from sma_infra.paths import REPO_ROOT
from sma_infra.settings import InfraSettings

README = (REPO_ROOT / "infra" / "README.md").read_text(encoding="utf-8")
PACKAGE = REPO_ROOT / "infra" / "src" / "sma_infra"


def test_every_module_is_described() -> None:
    modules = {p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"}
    assert {m for m in modules if f"`{m}`" not in README} == set()


def test_every_setting_is_listed() -> None:
    names = {name.upper() for name in InfraSettings.model_fields}
    assert {n for n in names if f"`{n}`" not in README} == set()


def test_every_test_file_is_listed() -> None:
    files = {p.name for p in Path(__file__).parent.glob("test_*.py")}
    assert {f for f in files if f"`{f}`" not in README} == set()
