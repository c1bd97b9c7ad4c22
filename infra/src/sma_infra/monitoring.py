"""JobMonitoring: the alarms that say a run was lost or its data is stale, on the alert topic.

- ``<job>-failed-starts``: the schedule's dead-letter queue holds a start Glue refused after
  the retries (``ApproximateNumberOfMessagesVisible`` > 0);
- ``<job>-no-successful-run``: no run has put ``RunSucceeded`` for two hours (missing data
  counts as breaching, so a job that stopped publishing, or never ran, alarms too);
- ``<job>-late-ticks-beyond-horizon`` and ``<job>-tickers-without-ticks``: a run counted late
  ticks it could not rewrite, or configured tickers absent from the source (> 0).

The job publishes the last three (``sma_etl.metrics``) in ``sma.names.METRICS_NAMESPACE``
with the dimension ``JobName``. What each alarm means and what to do is ``docs/deploy.md``.
"""

from __future__ import annotations

from typing import Final

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from sma import names
from sma_infra.alerts import TOPIC_KEY_ACTIONS
from sma_infra.arns import arn
from sma_infra.settings import InfraSettings

CLOUDWATCH_PRINCIPAL: Final[str] = "cloudwatch.amazonaws.com"
# SQS publishes its queue metrics every five minutes.
QUEUE_PERIOD: Final = Duration.minutes(5)
# The job runs hourly, so each hour holds at most one run's figures.
RUN_PERIOD: Final = Duration.hours(1)
STALE_AFTER_HOURS: Final[int] = 2


def alarm_names(settings: InfraSettings) -> dict[str, str]:
    """The alarms' fixed names, so their ARNs are known to the topic and key policies."""
    job = settings.glue_job_name
    return {
        "failed_starts": f"{job}-failed-starts",
        "stale": f"{job}-no-successful-run",
        "late": f"{job}-late-ticks-beyond-horizon",
        "absent": f"{job}-tickers-without-ticks",
    }


class JobMonitoring:
    """Four alarms notifying the alert topic, and CloudWatch's right to publish to it."""

    def __init__(
        self,
        stack: Stack,
        settings: InfraSettings,
        *,
        topic: sns.ITopic,
        key: kms.IKey,
        failed_starts: sqs.IQueue,
    ) -> None:
        named = alarm_names(settings)
        job = settings.glue_job_name
        self.alarms = [
            cloudwatch.Alarm(
                stack,
                "FailedStartsAlarm",
                alarm_name=named["failed_starts"],
                alarm_description=(
                    f"EventBridge Scheduler could not start {job} (after its retries): the "
                    "message in the schedule's dead-letter queue says why. docs/deploy.md, Alarms"
                ),
                metric=failed_starts.metric_approximate_number_of_messages_visible(
                    period=QUEUE_PERIOD, statistic="Maximum"
                ),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                # An empty, idle queue publishes no data: that is the good case.
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            cloudwatch.Alarm(
                stack,
                "NoSuccessfulRunAlarm",
                alarm_name=named["stale"],
                alarm_description=(
                    f"No run of {job} has succeeded for {STALE_AFTER_HOURS} hours: the lake "
                    "is getting stale. docs/deploy.md, Alarms"
                ),
                metric=run_metric(job, names.METRIC_RUN_SUCCEEDED, "Sum"),
                threshold=1,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                evaluation_periods=STALE_AFTER_HOURS,
                datapoints_to_alarm=STALE_AFTER_HOURS,
                # No data is the failure itself: no run, or a run that never finished.
                treat_missing_data=cloudwatch.TreatMissingData.BREACHING,
            ),
            count_alarm(
                stack,
                "LateBeyondHorizonAlarm",
                named["late"],
                run_metric(job, names.METRIC_LATE_BEYOND_HORIZON, "Maximum"),
                f"A run of {job} met ticks that arrived too late to be rewritten: their hours "
                "need a backfill. docs/deploy.md, Alarms",
            ),
            count_alarm(
                stack,
                "TickersWithoutTicksAlarm",
                named["absent"],
                run_metric(job, names.METRIC_TICKERS_WITHOUT_TICKS, "Maximum"),
                f"A run of {job} found configured tickers with no ticks in the source: the "
                "producer stopped for them, or TICKERS names a pair it does not write. "
                "docs/deploy.md, Alarms",
            ),
        ]
        for alarm in self.alarms:
            alarm.add_alarm_action(actions.SnsAction(topic))
        _let_alarms_publish(topic, key, [arn("cloudwatch", f"alarm:{n}") for n in named.values()])


def run_metric(job_name: str, metric_name: str, statistic: str) -> cloudwatch.Metric:
    """One of the job's run metrics, per hour."""
    return cloudwatch.Metric(
        namespace=names.METRICS_NAMESPACE,
        metric_name=metric_name,
        dimensions_map={names.METRICS_DIMENSION: job_name},
        statistic=statistic,
        period=RUN_PERIOD,
    )


def count_alarm(
    stack: Stack, construct_id: str, name: str, metric: cloudwatch.Metric, description: str
) -> cloudwatch.Alarm:
    """Alarm as soon as a run reports any; hours without a run are the staleness alarm's."""
    return cloudwatch.Alarm(
        stack,
        construct_id,
        alarm_name=name,
        alarm_description=description,
        metric=metric,
        threshold=0,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=1,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )


def _let_alarms_publish(topic: sns.ITopic, key: kms.IKey, alarm_arns: list[str]) -> None:
    """CloudWatch may publish to the topic, and use its key, for these alarms of this account."""
    source = {
        "StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID},
        "ArnEquals": {"aws:SourceArn": alarm_arns},
    }
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="PublishJobAlarms",
            principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions=source,
        )
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AlertTopicForJobAlarms",
            principals=[iam.ServicePrincipal(CLOUDWATCH_PRINCIPAL)],
            actions=list(TOPIC_KEY_ACTIONS),
            resources=["*"],
            conditions=source,
        )
    )
