"""Synthesised apps for the infrastructure tests: each configuration is synthesised once per run.

Synth goes through jsii (a Node process), so it is the slow part; every test reads the
templates and construct trees built here instead of synthesising again.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.infra_templates import (
    BASE_CONTEXT,
    HOST_PLATFORM,
    VARIANT_CONTEXT,
    Synthesised,
    synthesise,
    synthesise_api,
)


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


@pytest.fixture(scope="session")
def bundled_api(tmp_path_factory: pytest.TempPathFactory) -> Synthesised:
    """SmaApiStack synthesised with its Lambda bundle, built for this machine.

    The same CDK local bundling and recipe as ``cdk deploy``: same lock, same code, same
    Python; only the platform tag is this machine's, so the test can import what was built.
    """
    return synthesise_api(
        BASE_CONTEXT,
        tmp_path_factory.mktemp("cdk-bundled"),
        skip_bundling=False,
        bundle_platform=HOST_PLATFORM,
    )
