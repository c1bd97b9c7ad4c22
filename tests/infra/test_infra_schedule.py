"""HourlySchedule as synthesised: Scheduler starts the job; refused starts are kept in a queue."""

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
    start = statements(template["Resources"][role_id])["StartHourlyRun"]
    assert start["Action"] == "glue:StartJobRun"
    assert rendered(start["Resource"]).endswith(":job/CryptoHourlyETLJob")
    assert not resources(template, "AWS::Lambda::Function")


def test_starts_refused_after_the_retries_land_in_an_encrypted_dead_letter_queue(
    default_app: Synthesised,
) -> None:
    template = default_app.templates[GLUE]
    [queue_id] = resources(template, "AWS::SQS::Queue")
    target = only(template, "AWS::Scheduler::Schedule")["Target"]
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    queue = only(template, "AWS::SQS::Queue")
    assert queue["SqsManagedSseEnabled"] is True
    assert queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert "RedrivePolicy" not in queue  # nothing consumes it: an operator reads it
    [deny] = only(template, "AWS::SQS::QueuePolicy")["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    # The schedule's role may start the job and send to this queue: nothing else.
    role_id = role_id_assumed_by(template, "scheduler.amazonaws.com")
    granted = statements(template["Resources"][role_id])
    assert set(granted) == {"StartHourlyRun", "DeliverFailedStarts"}
    assert granted["DeliverFailedStarts"]["Action"] == "sqs:SendMessage"
    assert granted["DeliverFailedStarts"]["Resource"] == {"Fn::GetAtt": [queue_id, "Arn"]}
