"""The CDK app: ``GlueSMAStack`` and ``SmaApiStack``, checked by cdk-nag on every synth.

Run by the CDK CLI through ``cdk.json`` (``npx cdk synth`` / ``deploy`` from ``infra/``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from aws_cdk import App, Environment, Tags

from sma.errors import SettingsError
from sma_infra.api_stack import SmaApiStack
from sma_infra.glue_stack import GlueSMAStack
from sma_infra.nag import add_checks
from sma_infra.settings import InfraSettings, load_settings

GLUE_STACK: Final[str] = "GlueSMAStack"
API_STACK: Final[str] = "SmaApiStack"
# CDK's own switch for which stacks bundle their assets; the CLI refuses it on the command
# line, so the app sets it when SMA_SKIP_BUNDLING asks for an offline synth.
BUNDLING_STACKS: Final[str] = "aws:cdk:bundling-stacks"
# Feature flags this app relies on, set here so tests and the CLI synthesise the same thing.
FEATURE_FLAGS: Final[Mapping[str, object]] = {
    # Access logs are delivered under a bucket policy, so the log bucket can keep ACLs off.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def build_app(
    settings: InfraSettings | None = None,
    *,
    outdir: Path | None = None,
    context: Mapping[str, object] | None = None,
) -> App:
    """Both stacks in one app; settings come from env + context unless given."""
    app = App(outdir=str(outdir) if outdir else None, context={**FEATURE_FLAGS, **(context or {})})
    if settings is None:
        settings = load_settings(_context_values(app))
    if settings.sma_skip_bundling:
        app.node.set_context(BUNDLING_STACKS, [])
    env = Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")
    )
    glue_stack = GlueSMAStack(
        app,
        GLUE_STACK,
        settings=settings,
        env=env,
        description="crypto-sma: hourly Glue job, lake, catalog, schedule, alerts, Athena",
    )
    api_stack = SmaApiStack(
        app,
        API_STACK,
        settings=settings,
        env=env,
        description="crypto-sma: read API on Lambda behind an HTTP API",
    )
    # The API names the workgroup and table; deploy it after they exist.
    api_stack.add_stack_dependency(glue_stack)
    Tags.of(app).add("project", "crypto-sma")
    add_checks(app)
    return app


def _context_values(app: App) -> dict[str, object]:
    names = (name.upper() for name in InfraSettings.model_fields)
    values = {name: app.node.try_get_context(name) for name in names}
    return {name: value for name, value in values.items() if value is not None}


def main() -> None:
    try:
        app = build_app()
    except (SettingsError, FileNotFoundError) as err:
        sys.exit(f"crypto-sma infra: {err}")
    app.synth()


if __name__ == "__main__":
    main()
