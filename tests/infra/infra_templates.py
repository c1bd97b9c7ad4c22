"""Synthesising the app and reading its templates, shared by the infrastructure tests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

GLUE: Final[str] = "GlueSMAStack"

# The defaults a user gets with only the two required values set; bundling is skipped so the
# tests never reach PyPI (the bundle itself is tested through its inputs).
BASE_CONTEXT: dict[str, object] = {
    "DYNAMO_TABLE_NAME": "DataConsumerTable",
    "S3_BUCKET_NAME": "crypto-sma-test-lake",
    "SMA_SKIP_BUNDLING": True,
}
# Every non-default switch at once: an existing bucket, Flex, discovery, alert e-mail, ...
VARIANT_CONTEXT: dict[str, object] = {
    **BASE_CONTEXT,
    "USE_EXISTING_BUCKET": True,
    "GLUE_EXECUTION_CLASS": "FLEX",
    "GLUE_VERSION": "5.0",
    "DISCOVER_TICKERS": "true",
    "ALERT_EMAIL": "alerts@example.com",
    "TICKERS": "BTC/USD,SOL-USD",
    "S3_PREFIX": "lake/v1/",
    "GLUE_DATABASE_NAME": "other_db",
    "GLUE_TABLE_NAME": "other_table",
    "ATHENA_BYTES_SCANNED_CUTOFF": 50_000_000,
    "API_THROTTLE_RATE": 5,
    "API_THROTTLE_BURST": 10,
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


def synthesise(context: Mapping[str, object], outdir: Path) -> Synthesised:
    from sma_infra.app import build_app
    from sma_infra.settings import load_settings

    settings = load_settings(context, env_file=None)
    app = build_app(settings, outdir=outdir)
    assembly = app.synth()
    templates = {
        stack.stack_name: json.loads(Path(stack.template_full_path).read_text())
        for stack in assembly.stacks
    }
    return Synthesised(app=app, outdir=outdir, templates=templates)


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
