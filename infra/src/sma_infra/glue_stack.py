"""GlueSMAStack: the lake, the hourly Glue job, its schedule, alerts and alarms, and Athena.

Each part is a class named after what it deploys, created with this stack as its scope: the
logical IDs and construct paths are the ones a flat stack gives, so the retained buckets and
every other resource keep their identity on deploy.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from sma_infra.alerts import JobAlerts
from sma_infra.athena import AthenaWorkGroup
from sma_infra.encryption_key import EncryptionKey
from sma_infra.glue_job import GlueJob
from sma_infra.lake import Lake
from sma_infra.monitoring import JobMonitoring
from sma_infra.schedule import HourlySchedule
from sma_infra.settings import InfraSettings


class GlueSMAStack(Stack):
    """The hourly ETL: DynamoDB ticks -> Glue (Spark) -> Parquet lake + catalog -> Athena."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: InfraSettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.encryption_key = EncryptionKey(self)
        self.lake = Lake(self, settings)
        self.job = GlueJob(self, settings, key=self.encryption_key.key)
        self.schedule = HourlySchedule(self, settings)
        self.alerts = JobAlerts(self, settings, key=self.encryption_key.key)
        self.monitoring = JobMonitoring(
            self,
            settings,
            topic=self.alerts.topic,
            key=self.encryption_key.key,
            failed_starts=self.schedule.dead_letter_queue,
        )
        self.athena = AthenaWorkGroup(self, settings)

        CfnOutput(self, "DataBucketName", value=settings.s3_bucket_name)
        CfnOutput(self, "LakeLocation", value=settings.lake_location)
        CfnOutput(self, "GlueJobName", value=settings.glue_job_name)
        CfnOutput(self, "AthenaWorkGroup", value=settings.athena_workgroup)
        CfnOutput(self, "AlertTopicArn", value=self.alerts.topic.topic_arn)
        # Where a start the schedule could not make waits to be read (docs/deploy.md, Alarms).
        CfnOutput(self, "FailedStartsQueueUrl", value=self.schedule.dead_letter_queue.queue_url)
        # Kept on teardown with the log groups it encrypts; note it to delete it later.
        CfnOutput(self, "EncryptionKeyArn", value=self.encryption_key.key.key_arn)
