"""cfn-lint on every synthesised template (W3005, CDK's explicit DependsOn style, excepted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.infra_templates import Synthesised

STACKS = ("GlueSMAStack", "SmaApiStack")


def lint(template: Path) -> list[str]:
    from cfnlint.api import ManualArgs, lint_file

    config = ManualArgs(regions=["us-east-1", "eu-west-1"], ignore_checks=["W3005"])
    return [f"{m.rule.id} {m.message} ({m.linenumber})" for m in lint_file(template, config)]


@pytest.mark.parametrize("stack", STACKS)
def test_default_templates_are_clean(default_app: Synthesised, stack: str) -> None:
    assert lint(default_app.outdir / f"{stack}.template.json") == []


@pytest.mark.parametrize("stack", STACKS)
def test_variant_templates_are_clean(variant_app: Synthesised, stack: str) -> None:
    assert lint(variant_app.outdir / f"{stack}.template.json") == []
