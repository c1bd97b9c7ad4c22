"""HourlySchedule as synthesised: EventBridge Scheduler starts the job with a role for that only."""

from __future__ import annotations

import json

from tests.infra.infra_templates import (
    GLUE,
    Synthesised,
    only,
    rendered,
    resources,
    role_id_assumed_by,
    statements,
)


def test_scheduler_starts_the_job_at_ten_past_every_hour_utc(default_app: Synthesised) -> None:
    template = default_app.templates[GLUE]
    schedule = only(template, "AWS::Scheduler::Schedule")
    assert schedule["ScheduleExpression"] == "cron(10 * * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = schedule["Target"]
    assert target["Arn"] == "arn:aws:scheduler:::aws-sdk:glue:startJobRun"
    assert json.loads(target["Input"]) == {"JobName": "CryptoHourlyETLJob"}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert 0 < target["RetryPolicy"]["MaximumEventAgeInSeconds"] < 3600
    role_id = role_id_assumed_by(template, "scheduler.amazonaws.com")
    assert target["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    [only_statement] = statements(template["Resources"][role_id]).values()
    assert only_statement["Action"] == "glue:StartJobRun"
    assert rendered(only_statement["Resource"]).endswith(":job/CryptoHourlyETLJob")
    assert not resources(template, "AWS::Lambda::Function")
