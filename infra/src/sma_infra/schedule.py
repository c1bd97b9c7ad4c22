"""HourlySchedule: EventBridge Scheduler starts the Glue job ten minutes past every hour (UTC).

A start that Glue still refuses after the retries (the previous run holds the one slot, the
role lost its permission, ...) is not dropped: Scheduler delivers it to a dead-letter queue,
which ``monitoring.py`` alarms on.
"""

from __future__ import annotations

import json
from typing import Final

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs

from sma_infra.arns import arn
from sma_infra.nag import acknowledge
from sma_infra.settings import InfraSettings

SCHEDULE_EXPRESSION: Final[str] = "cron(10 * * * ? *)"
START_JOB_RUN_TARGET: Final[str] = "arn:aws:scheduler:::aws-sdk:glue:startJobRun"
MAX_RETRY_ATTEMPTS: Final[int] = 3
MAX_EVENT_AGE_SECONDS: Final[int] = 1800
# Long enough to read a failed start after a weekend or a holiday (SQS allows up to 14 days).
DEAD_LETTER_RETENTION_DAYS: Final[int] = 14


class HourlySchedule:
    """A schedule, its dead-letter queue and the role it assumes, which may start this one job
    and send its failed starts to that queue, nothing else."""

    def __init__(self, stack: Stack, settings: InfraSettings) -> None:
        job_name = settings.glue_job_name
        self.dead_letter_queue = sqs.Queue(
            stack,
            "FailedStartsQueue",
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(DEAD_LETTER_RETENTION_DAYS),
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the hourly schedule (set in the "
            "schedule's DeadLetterConfig, which the check does not see); nothing consumes it, "
            "an alarm tells an operator to read it.",
        )
        self.role = iam.Role(
            stack,
            "ScheduleRole",
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
            description=f"Lets EventBridge Scheduler start {job_name}",
            inline_policies={
                "StartJobRun": iam.PolicyDocument(
                    statements=[
                        iam.PolicyStatement(
                            sid="StartHourlyRun",
                            actions=["glue:StartJobRun"],
                            resources=[arn("glue", f"job/{job_name}")],
                        ),
                        iam.PolicyStatement(
                            sid="DeliverFailedStarts",
                            actions=["sqs:SendMessage"],
                            resources=[self.dead_letter_queue.queue_arn],
                        ),
                    ]
                )
            },
        )
        self.schedule = scheduler.CfnSchedule(
            stack,
            "HourlySchedule",
            description=f"Start {job_name} ten minutes past every hour (UTC)",
            schedule_expression=SCHEDULE_EXPRESSION,
            schedule_expression_timezone="UTC",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=START_JOB_RUN_TARGET,
                role_arn=self.role.role_arn,
                input=json.dumps({"JobName": job_name}),
                # Retries cover throttling and a run still finishing; after 30 minutes the
                # next scheduled run is closer than a late retry would be.
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=MAX_RETRY_ATTEMPTS,
                    maximum_event_age_in_seconds=MAX_EVENT_AGE_SECONDS,
                ),
                # What is still refused then lands here, with Glue's error code and message.
                dead_letter_config=scheduler.CfnSchedule.DeadLetterConfigProperty(
                    arn=self.dead_letter_queue.queue_arn
                ),
            ),
        )
