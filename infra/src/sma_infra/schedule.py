"""HourlySchedule: EventBridge Scheduler starts the Glue job ten minutes past every hour (UTC)."""

from __future__ import annotations

import json
from typing import Final

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler

from sma_infra.arns import arn
from sma_infra.settings import InfraSettings

SCHEDULE_EXPRESSION: Final[str] = "cron(10 * * * ? *)"
START_JOB_RUN_TARGET: Final[str] = "arn:aws:scheduler:::aws-sdk:glue:startJobRun"
MAX_RETRY_ATTEMPTS: Final[int] = 3
MAX_EVENT_AGE_SECONDS: Final[int] = 1800


class HourlySchedule:
    """A schedule and the role it assumes, which may start this one job and nothing else."""

    def __init__(self, stack: Stack, settings: InfraSettings) -> None:
        job_name = settings.glue_job_name
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
                        )
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
            ),
        )
