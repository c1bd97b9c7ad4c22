"""cdk-nag AwsSolutions: synth passes, every accepted finding is real and carries a reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from sma_infra.nag import (
    ACKNOWLEDGED_METADATA,
    MIN_REASON_WORDS,
    PENDING_METADATA,
    RECORD_ONLY_CONTEXT,
)
from tests.infra.infra_templates import BASE_CONTEXT, Synthesised


def metadata(app: Any, kind: str) -> Iterator[tuple[str, str, str]]:
    """(construct path, rule id, reason) for every metadata entry of `kind` in the tree."""
    for construct in app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == kind:
                for rule, reason in dict(entry.data).items():
                    yield construct.node.path, rule, reason


def test_synth_reports_no_unacknowledged_finding_and_the_reasons_of_the_rest(
    default_app: Synthesised, variant_app: Synthesised
) -> None:
    # Synth itself fails on an unacknowledged error; the report shows what was accepted and why.
    for app in (default_app, variant_app):
        report = json.loads((app.outdir / "validation-report.json").read_text())
        [nag] = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
        assert nag["conclusion"] == "success"
        assert nag["violations"] == []
        assert nag["suppressedViolations"]
        for accepted in nag["suppressedViolations"]:
            assert len(accepted["reason"].split()) >= MIN_REASON_WORDS, accepted


def test_every_acknowledgement_carries_a_written_reason(default_app: Synthesised) -> None:
    acknowledged = list(metadata(default_app.app, ACKNOWLEDGED_METADATA))
    assert acknowledged, "expected the acknowledgements to be recorded on the constructs"
    for path, rule, reason in acknowledged:
        assert rule.startswith("AwsSolutions::AwsSolutions-"), (path, rule)
        assert len(reason.split()) >= MIN_REASON_WORDS, (path, rule, reason)


@pytest.fixture(scope="module")
def raw_findings(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, list[Any]]:
    """The default app with acknowledgements only recorded, and what cdk-nag finds in it."""
    from cdk_nag import AwsSolutionsChecks

    from sma_infra.app import build_app
    from sma_infra.settings import load_settings

    app = build_app(
        load_settings(BASE_CONTEXT, env_file=None),
        outdir=tmp_path_factory.mktemp("cdk-raw"),
        context={RECORD_ONLY_CONTEXT: True},
    )
    report = AwsSolutionsChecks().validate_scope(app)
    return app, list(report.violations)


def test_each_finding_is_acknowledged_and_each_acknowledgement_is_used(
    raw_findings: tuple[Any, list[Any]],
) -> None:
    app, violations = raw_findings
    pending = list(metadata(app, PENDING_METADATA))
    found = {
        (resource.construct_path, violation.rule_name)
        for violation in violations
        for resource in violation.violating_resources
    }
    assert found, "cdk-nag found nothing: the raw check did not run"

    def covers(ack_path: str, rule: str, path: str, finding: str) -> bool:
        return rule == finding and (path == ack_path or path.startswith(f"{ack_path}/"))

    unacknowledged = [
        (path, finding)
        for path, finding in found
        if not any(covers(a, rule, path, finding) for a, rule, _ in pending)
    ]
    unused = [
        (a, rule)
        for a, rule, _ in pending
        if not any(covers(a, rule, path, finding) for path, finding in found)
    ]
    assert unacknowledged == []
    assert unused == []


def test_an_unacknowledged_finding_fails_synth(tmp_path: Any) -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_s3 as s3

    from sma_infra.nag import add_checks

    app = App(outdir=str(tmp_path))
    s3.Bucket(Stack(app, "Plain"), "Bucket")  # no access logs, no SSL-only policy
    add_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
