"""Synthesising the app and reading its templates, shared by the infrastructure tests."""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from sma_infra.lambda_bundle import LAMBDA_PLATFORM

GLUE: Final[str] = "GlueSMAStack"
API: Final[str] = "SmaApiStack"
# The platform tag uv installs wheels for on this machine (the bundle test imports them here).
HOST_PLATFORM: Final[str] = f"{platform.machine()}-manylinux2014"

# The defaults a user gets with only the two required values set. The two shared apps are
# synthesised without the Lambda bundle (build_app(skip_bundling=True), which only tests
# can ask for); test_infra_bundle.py builds the bundle itself.
BASE_CONTEXT: dict[str, object] = {
    "DYNAMO_TABLE_NAME": "DataConsumerTable",
    "S3_BUCKET_NAME": "crypto-sma-test-lake",
}
# Every non-default switch at once: an existing bucket, Flex, discovery, alert e-mail, ...
VARIANT_CONTEXT: dict[str, object] = {
    **BASE_CONTEXT,
    "USE_EXISTING_BUCKET": True,
    "GLUE_EXECUTION_CLASS": "FLEX",
    "GLUE_VERSION": "5.0",
    "GLUE_JOB_TIMEOUT_MINUTES": 30,
    "DISCOVER_TICKERS": "true",
    "ALERT_EMAIL": "alerts@example.com",
    "TICKERS": "BTC/USD,SOL-USD",
    "S3_PREFIX": "lake/v1/",
    "GLUE_DATABASE_NAME": "other_db",
    "GLUE_TABLE_NAME": "other_table",
    "ATHENA_BYTES_SCANNED_CUTOFF": 50_000_000,
    "API_THROTTLE_RATE": 3,
    "API_THROTTLE_BURST": 6,
    "API_QUERY_THROTTLE_RATE": 1,
    "API_QUERY_THROTTLE_BURST": 2,
    "API_RESERVED_CONCURRENCY": "none",
}


@dataclass(frozen=True)
class Synthesised:
    """One synthesised app: its construct tree, output folder and templates by stack name."""

    app: Any
    outdir: Path
    templates: Mapping[str, dict[str, Any]]

    def template(self, stack: str) -> Any:
        from aws_cdk.assertions import Template

        return Template.from_json(self.templates[stack])


def synthesise(
    context: Mapping[str, object],
    outdir: Path,
    *,
    skip_bundling: bool = True,
    bundle_platform: str = LAMBDA_PLATFORM,
) -> Synthesised:
    """Both stacks as ``cdk synth`` writes them (cdk-nag included)."""
    from sma_infra.app import build_app
    from sma_infra.settings import load_settings

    settings = load_settings(context, env_file=None)
    app = build_app(
        settings, outdir=outdir, skip_bundling=skip_bundling, bundle_platform=bundle_platform
    )
    return _synthesised(app, outdir)


def synthesise_api(
    context: Mapping[str, object],
    outdir: Path,
    *,
    skip_bundling: bool,
    bundle_platform: str = LAMBDA_PLATFORM,
) -> Synthesised:
    """SmaApiStack alone, as the app builds it (no cdk-nag): for the bundle and its hash."""
    from aws_cdk import App

    from sma_infra.api_stack import SmaApiStack
    from sma_infra.app import API_STACK, BUNDLING_STACKS, FEATURE_FLAGS
    from sma_infra.settings import load_settings

    cdk_context = {**FEATURE_FLAGS, **({BUNDLING_STACKS: []} if skip_bundling else {})}
    app = App(outdir=str(outdir), context=cdk_context)
    SmaApiStack(
        app,
        API_STACK,
        settings=load_settings(context, env_file=None),
        bundle_platform=bundle_platform,
    )
    return _synthesised(app, outdir)


def _synthesised(app: Any, outdir: Path) -> Synthesised:
    assembly = app.synth()
    templates = {
        stack.stack_name: json.loads(Path(stack.template_full_path).read_text())
        for stack in assembly.stacks
    }
    return Synthesised(app=app, outdir=outdir, templates=templates)


def lambda_asset(app: Synthesised, stack: str = API) -> dict[str, Any]:
    """The Lambda code's entry in the stack's asset manifest (the zip-packaged folder)."""
    manifest = json.loads((app.outdir / f"{stack}.assets.json").read_text())
    [asset] = [a for a in manifest["files"].values() if a["source"]["packaging"] == "zip"]
    return dict(asset)


def lambda_s3_key(app: Synthesised, stack: str = API) -> str:
    [function] = resources(app.templates[stack], "AWS::Lambda::Function").values()
    return str(function["Properties"]["Code"]["S3Key"])


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Logical id -> resource for every resource of `kind` in a template dict."""
    return {k: r for k, r in template["Resources"].items() if r["Type"] == kind}


def only(template: dict[str, Any], kind: str) -> dict[str, Any]:
    found = resources(template, kind)
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    properties: dict[str, Any] = next(iter(found.values()))["Properties"]
    return properties


def statements(role: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Sid -> statement for every inline policy statement of a role resource."""
    found: dict[str, dict[str, Any]] = {}
    for policy in role["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            found[statement["Sid"]] = statement
    return found


def role_id_assumed_by(template: dict[str, Any], service: str) -> str:
    roles = [
        role_id
        for role_id, role in resources(template, "AWS::IAM::Role").items()
        if role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": service}
    ]
    assert len(roles) == 1, f"expected one role for {service}"
    return roles[0]


def role_assumed_by(template: dict[str, Any], service: str) -> dict[str, Any]:
    role: dict[str, Any] = template["Resources"][role_id_assumed_by(template, service)]
    return role


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def rendered(value: Any) -> str:
    """A template value (string or Fn::Join) as text, tokens shown as their JSON."""
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        return str(value["Fn::Sub"])
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(p if isinstance(p, str) else json.dumps(p) for p in parts)
    return str(value) if isinstance(value, str) else json.dumps(value)


def grants_to(template: dict[str, Any], service: str) -> list[dict[str, Any]]:
    """Every statement of any policy or key policy in the template that allows `service`."""
    found = []
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        document = props.get("PolicyDocument") or props.get("KeyPolicy") or {}
        for statement in document.get("Statement", []):
            if statement["Effect"] == "Allow" and statement.get("Principal") == {
                "Service": service
            }:
                found.append(statement)
    return found
