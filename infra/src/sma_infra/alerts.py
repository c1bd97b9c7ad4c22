"""JobAlerts: an encrypted SNS topic told whenever a Glue job run fails, times out or errors."""

from __future__ import annotations

from typing import Final

import jsii
from aws_cdk import Aws, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk.interfaces.aws_events import IRuleRef

from sma_infra.arns import arn
from sma_infra.settings import InfraSettings

FAILED_STATES: Final[tuple[str, ...]] = ("FAILED", "TIMEOUT", "ERROR")
EVENTS_PRINCIPAL: Final[str] = "events.amazonaws.com"
# What EventBridge needs to publish to a topic encrypted with a customer managed key.
TOPIC_KEY_ACTIONS: Final[tuple[str, ...]] = ("kms:Decrypt", "kms:GenerateDataKey*")


def failed_rule_name(settings: InfraSettings) -> str:
    """The rule's fixed name, so its ARN is known before the rule exists (see the key grant)."""
    return f"{settings.glue_job_name}-failed-runs"


class JobAlerts:
    """The alert topic (with an e-mail subscription when ALERT_EMAIL is set) and its rule.

    EventBridge may publish to the topic and use the key for it only on behalf of this rule of
    this account (``aws:SourceArn`` and ``aws:SourceAccount``), never for another rule or
    account that names the topic as its target.
    """

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
        rule_name = failed_rule_name(settings)
        # Built from the name, not the rule's token: the key policy cannot refer to the rule,
        # which depends on the topic, which depends on the key.
        self.rule_arn = arn("events", f"rule/{rule_name}")
        source = {
            "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
            "ArnEquals": {"aws:SourceArn": self.rule_arn},
        }
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="PublishFailedJobRuns",
                principals=[iam.ServicePrincipal(EVENTS_PRINCIPAL)],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=source,
            )
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlertTopicForFailedJobRuns",
                principals=[iam.ServicePrincipal(EVENTS_PRINCIPAL)],
                actions=list(TOPIC_KEY_ACTIONS),
                resources=["*"],
                conditions=source,
            )
        )
        self.rule = events.Rule(
            stack,
            "JobFailedRule",
            rule_name=rule_name,
            description=f"{settings.glue_job_name} ended FAILED, TIMEOUT or ERROR",
            event_pattern=events.EventPattern(
                source=["aws.glue"],
                detail_type=["Glue Job State Change"],
                detail={"jobName": [settings.glue_job_name], "state": list(FAILED_STATES)},
            ),
            targets=[TopicTarget(self.topic)],
        )


@jsii.implements(events.IRuleTarget)
class TopicTarget:
    """The topic as a rule target, without the unconditioned grants CDK's SnsTopic adds."""

    def __init__(self, topic: sns.ITopic) -> None:
        self.topic = topic

    def bind(self, rule: IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        del rule, id  # the target is the same whatever rule binds it
        return events.RuleTargetConfig(arn=self.topic.topic_arn)
