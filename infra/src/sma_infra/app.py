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
from sma_infra.lambda_bundle import LAMBDA_PLATFORM
from sma_infra.nag import add_checks
from sma_infra.settings import InfraSettings, load_settings

GLUE_STACK: Final[str] = "GlueSMAStack"
API_STACK: Final[str] = "SmaApiStack"
# CDK's own switch for which stacks bundle their assets. The CLI sets it: every stack for
# synth, diff and deploy (only the named ones with --exclusively), none for other commands.
# The infrastructure tests empty it through build_app(skip_bundling=True).
BUNDLING_STACKS: Final[str] = "aws:cdk:bundling-stacks"
# The former offline-synth switch. A synth without the bundle must never reach a deploy, so
# the CLI's app refuses it instead of quietly ignoring it.
SKIP_BUNDLING_SWITCH: Final[str] = "SMA_SKIP_BUNDLING"
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
    skip_bundling: bool = False,
    bundle_platform: str = LAMBDA_PLATFORM,
) -> App:
    """Both stacks in one app; settings come from env + context unless given.

    ``skip_bundling`` and ``bundle_platform`` are for the infrastructure tests only (a synth
    without the Lambda bundle, a bundle for the test machine); the CLI never passes them.
    """
    app = App(outdir=str(outdir) if outdir else None, context={**FEATURE_FLAGS, **(context or {})})
    if settings is None:
        refuse_skip_bundling(os.environ, app.node.try_get_context(SKIP_BUNDLING_SWITCH))
        settings = load_settings(_context_values(app))
    if skip_bundling:
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
        bundle_platform=bundle_platform,
        env=env,
        description="crypto-sma: read API on Lambda behind an HTTP API",
    )
    # The API names the workgroup and table; deploy it after they exist.
    api_stack.add_stack_dependency(glue_stack)
    Tags.of(app).add("project", "crypto-sma")
    add_checks(app)
    return app


def refuse_skip_bundling(environ: Mapping[str, str], context_value: object) -> None:
    """Stop the CLI's synth (and so any deploy) when the skip-bundling switch is set."""
    if SKIP_BUNDLING_SWITCH in environ or context_value is not None:
        raise SettingsError(
            f"{SKIP_BUNDLING_SWITCH} is refused: cdk synth and cdk deploy always build the "
            "Lambda bundle, so that what is deployed is what was tested. Unset it (and drop "
            f"-c {SKIP_BUNDLING_SWITCH}). To read the templates without building the bundle, "
            f"run `npx cdk synth --exclusively {GLUE_STACK}`: {API_STACK}'s template is then "
            "written with a rule that stops CloudFormation from deploying it."
        )


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
