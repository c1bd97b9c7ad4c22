"""JobAlerts: an encrypted SNS topic told whenever a Glue job run fails, times out or errors."""

from __future__ import annotations

from typing import Final

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions

from sma_infra.settings import InfraSettings

FAILED_STATES: Final[tuple[str, ...]] = ("FAILED", "TIMEOUT", "ERROR")


class JobAlerts:
    """The alert topic (with an e-mail subscription when ALERT_EMAIL is set) and its rule."""

    def __init__(self, stack: Stack, settings: InfraSettings, *, key: kms.IKey) -> None:
        self.topic = sns.Topic(
            stack,
            "AlertTopic",
            display_name="crypto-sma job alerts",
            master_key=key,
            enforce_ssl=True,
        )
        if settings.alert_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(settings.alert_email))
        self.rule = events.Rule(
            stack,
            "JobFailedRule",
            description=f"{settings.glue_job_name} ended FAILED, TIMEOUT or ERROR",
            event_pattern=events.EventPattern(
                source=["aws.glue"],
                detail_type=["Glue Job State Change"],
                detail={"jobName": [settings.glue_job_name], "state": list(FAILED_STATES)},
            ),
            targets=[targets.SnsTopic(self.topic)],
        )
