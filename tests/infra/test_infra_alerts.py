"""JobAlerts as synthesised: failed runs reach an encrypted topic, e-mailed when asked."""

from __future__ import annotations

from infra_templates import GLUE, Synthesised, only, resources


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
