"""Synthesised apps for the infrastructure tests: each configuration is synthesised once per run.

Synth goes through jsii (a Node process), so it is the slow part; every test reads the
templates and construct trees built here instead of synthesising again.
"""

from __future__ import annotations

from typing import Any

import pytest
from infra_templates import BASE_CONTEXT, VARIANT_CONTEXT, Synthesised, synthesise


@pytest.fixture(scope="session")
def default_app(tmp_path_factory: pytest.TempPathFactory) -> Synthesised:
    return synthesise(BASE_CONTEXT, tmp_path_factory.mktemp("cdk-default"))


@pytest.fixture(scope="session")
def variant_app(tmp_path_factory: pytest.TempPathFactory) -> Synthesised:
    return synthesise(VARIANT_CONTEXT, tmp_path_factory.mktemp("cdk-variant"))


@pytest.fixture(scope="session")
def glue_template(default_app: Synthesised) -> Any:
    return default_app.template("GlueSMAStack")


@pytest.fixture(scope="session")
def api_template(default_app: Synthesised) -> Any:
    return default_app.template("SmaApiStack")


@pytest.fixture(scope="session")
def variant_glue(variant_app: Synthesised) -> Any:
    return variant_app.template("GlueSMAStack")


@pytest.fixture(scope="session")
def variant_api(variant_app: Synthesised) -> Any:
    return variant_app.template("SmaApiStack")
