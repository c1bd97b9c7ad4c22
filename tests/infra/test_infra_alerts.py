"""JobAlerts as synthesised: failed runs reach an encrypted topic, e-mailed when asked."""

from __future__ import annotations

from tests.infra.infra_templates import (
    GLUE,
    Synthesised,
    as_list,
    grants_to,
    only,
    rendered,
    resources,
)


def test_failed_timed_out_or_errored_runs_alert_the_topic(default_app: Synthesised) -> None:
    template = default_app.templates[GLUE]
    rule = only(template, "AWS::Events::Rule")
    assert rule["EventPattern"] == {
        "source": ["aws.glue"],
        "detail-type": ["Glue Job State Change"],
        "detail": {"jobName": ["CryptoHourlyETLJob"], "state": ["FAILED", "TIMEOUT", "ERROR"]},
    }
    [topic_id] = resources(template, "AWS::SNS::Topic")
    assert rule["Targets"][0]["Arn"] == {"Ref": topic_id}
    assert "KmsMasterKeyId" in only(template, "AWS::SNS::Topic")
    assert not resources(template, "AWS::SNS::Subscription")


def test_alert_email_subscribes_when_given(variant_app: Synthesised) -> None:
    subscription = only(variant_app.templates[GLUE], "AWS::SNS::Subscription")
    assert subscription["Protocol"] == "email"
    assert subscription["Endpoint"] == "alerts@example.com"


# -- what EventBridge may do -----------------------------------------------------------------


def test_eventbridge_may_publish_and_use_the_key_only_for_the_failure_rule(
    default_app: Synthesised, variant_app: Synthesised
) -> None:
    for app in (default_app, variant_app):
        template = app.templates[GLUE]
        rule = only(template, "AWS::Events::Rule")
        grants = grants_to(template, "events.amazonaws.com")
        actions = sorted(a for s in grants for a in as_list(s["Action"]))
        assert actions == ["kms:Decrypt", "kms:GenerateDataKey*", "sns:Publish"]
        for statement in grants:
            condition = statement["Condition"]
            assert condition["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
            source_arn = rendered(condition["ArnEquals"]["aws:SourceArn"])
            assert source_arn.endswith(
                f':events:{{"Ref": "AWS::Region"}}:{{"Ref": "AWS::AccountId"}}:rule/{rule["Name"]}'
            )
        [publish] = [s for s in grants if s["Action"] == "sns:Publish"]
        [topic_id] = resources(template, "AWS::SNS::Topic")
        assert publish["Resource"] == {"Ref": topic_id}


def test_the_failure_rule_has_a_fixed_name(default_app: Synthesised) -> None:
    # The key policy names the rule by ARN before the rule exists, so the name is fixed.
    assert only(default_app.templates[GLUE], "AWS::Events::Rule")["Name"] == (
        "CryptoHourlyETLJob-failed-runs"
    )
