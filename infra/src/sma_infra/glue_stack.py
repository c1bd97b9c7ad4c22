"""GlueSMAStack: the data bucket, the Glue catalog and job, its hourly schedule, alerts, Athena."""

from __future__ import annotations

import json
from typing import Any, Final

from aws_cdk import (
    Aws,
    CfnOutput,
    Duration,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_athena as athena
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from sma_infra.catalog import parquet_table_input
from sma_infra.job_code import build_job_code_zip
from sma_infra.nag import acknowledge
from sma_infra.settings import InfraSettings

SCHEDULE_EXPRESSION: Final[str] = "cron(10 * * * ? *)"
START_JOB_RUN_TARGET: Final[str] = "arn:aws:scheduler:::aws-sdk:glue:startJobRun"
ATHENA_RESULTS_PREFIX: Final[str] = "athena-results/"
ATHENA_ENGINE: Final[str] = "Athena engine version 3"
WORKER_TYPE: Final[str] = "G.1X"
NUMBER_OF_WORKERS: Final[int] = 2
JOB_TIMEOUT_MINUTES: Final[int] = 60
FAILED_STATES: Final[tuple[str, ...]] = ("FAILED", "TIMEOUT", "ERROR")
# Glue names its log groups after the security configuration and role, under this path.
GLUE_LOG_GROUPS: Final[str] = "/aws-glue/jobs/*"


def arn(service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
    """An ARN in this stack's partition, region and account."""
    where = f"{Aws.REGION if region else ''}:{Aws.ACCOUNT_ID if account else ''}"
    return f"arn:{Aws.PARTITION}:{service}:{where}:{resource}"


def bucket_arn(bucket_name: str, key_pattern: str | None = None) -> str:
    suffix = f"/{key_pattern}" if key_pattern is not None else ""
    return f"arn:{Aws.PARTITION}:s3:::{bucket_name}{suffix}"


def catalog_arns(database: str, table: str) -> list[str]:
    return [
        arn("glue", "catalog"),
        arn("glue", f"database/{database}"),
        arn("glue", f"table/{database}/{table}"),
    ]


def lake_key_pattern(prefix: str) -> str:
    """Keys under the lake prefix plus its own folder marker (``processed-data_$folder$``)."""
    return f"{prefix.rstrip('/')}*"


class GlueSMAStack(Stack):
    """The hourly ETL: DynamoDB ticks -> Glue (Spark) -> Parquet lake + catalog -> Athena."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: InfraSettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.encryption_key = self._encryption_key()
        self.bucket = self._data_bucket()
        self.database, self.table = self._catalog()
        self.script, self.code = self._job_assets()
        self.job_role = self._job_role()
        self.job = self._job()
        self.schedule = self._schedule()
        self.alert_topic = self._alerts()
        self.workgroup = self._athena_workgroup()

        CfnOutput(self, "DataBucketName", value=settings.s3_bucket_name)
        CfnOutput(self, "LakeLocation", value=settings.lake_location)
        CfnOutput(self, "GlueJobName", value=settings.glue_job_name)
        CfnOutput(self, "AthenaWorkGroup", value=settings.athena_workgroup)
        CfnOutput(self, "AlertTopicArn", value=self.alert_topic.topic_arn)

    # -- storage -----------------------------------------------------------------------------

    def _encryption_key(self) -> kms.Key:
        key = kms.Key(
            self,
            "EncryptionKey",
            # The SNS target grants EventBridge use of this key for the encrypted alert topic.
            description="crypto-sma: Glue job logs and bookmarks, alert topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="GlueJobLogsEncryption",
                principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
                actions=[
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                resources=["*"],
                conditions={
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": arn(
                            "logs", f"log-group:{GLUE_LOG_GROUPS}"
                        )
                    }
                },
            )
        )
        return key

    def _data_bucket(self) -> s3.IBucket:
        settings = self.settings
        if settings.use_existing_bucket:
            return s3.Bucket.from_bucket_name(self, "DataBucket", settings.s3_bucket_name)

        access_logs = s3.Bucket(
            self,
            "AccessLogBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(id="ExpireAccessLogs", expiration=Duration.days(90))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        return s3.Bucket(
            self,
            "DataBucket",
            bucket_name=settings.s3_bucket_name,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=access_logs,
            server_access_logs_prefix="data-bucket/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="ExpireAthenaResults",
                    prefix=ATHENA_RESULTS_PREFIX,
                    expiration=Duration.days(7),
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
                s3.LifecycleRule(
                    id="AbortIncompleteUploads",
                    abort_incomplete_multipart_upload_after=Duration.days(1),
                ),
            ],
            # The lake is the product's history; a stack teardown must not delete it.
            removal_policy=RemovalPolicy.RETAIN,
        )

    def _catalog(self) -> tuple[glue.CfnDatabase, glue.CfnTable]:
        settings = self.settings
        database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=Aws.ACCOUNT_ID,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=settings.glue_database_name,
                description="crypto-sma: hourly prices and simple moving averages",
            ),
        )
        table = glue.CfnTable(
            self,
            "Table",
            catalog_id=Aws.ACCOUNT_ID,
            database_name=settings.glue_database_name,
            table_input=parquet_table_input(settings.glue_table_name, settings.lake_location),
        )
        table.add_resource_dependency(database)
        return database, table

    # -- the job -----------------------------------------------------------------------------

    def _job_assets(self) -> tuple[s3_assets.Asset, s3_assets.Asset]:
        """The entry script and the ``sma`` + ``sma_etl`` zip, uploaded by ``cdk deploy``."""
        script_path = self.settings.glue_script_path
        if not script_path.is_file():
            raise FileNotFoundError(
                f"Glue entry script not found at {script_path}; "
                "set GLUE_SCRIPT_PATH to the job's entry script"
            )
        script = s3_assets.Asset(self, "JobScript", path=str(script_path))
        code = s3_assets.Asset(self, "JobCode", path=str(build_job_code_zip()))
        return script, code

    def _job_role(self) -> iam.Role:
        settings = self.settings
        bucket = settings.s3_bucket_name
        lake = lake_key_pattern(settings.s3_prefix)
        source_actions = ["dynamodb:DescribeTable", "dynamodb:Query"]
        if settings.discover_tickers:
            # Discovery lists the distinct tickers, which only a Scan can do.
            source_actions.append("dynamodb:Scan")
        statements = [
            iam.PolicyStatement(
                sid="ReadSourceTable",
                actions=source_actions,
                resources=[arn("dynamodb", f"table/{settings.dynamo_table_name}")],
            ),
            iam.PolicyStatement(
                sid="ListLakePrefix",
                actions=["s3:ListBucket"],
                resources=[bucket_arn(bucket)],
                conditions={"StringLike": {"s3:prefix": [lake]}},
            ),
            iam.PolicyStatement(
                sid="ReadWriteLake",
                actions=[
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:AbortMultipartUpload",
                ],
                resources=[bucket_arn(bucket, lake)],
            ),
            iam.PolicyStatement(
                sid="ReadJobAssets",
                actions=["s3:GetObject"],
                resources=[
                    self.script.bucket.arn_for_objects(self.script.s3_object_key),
                    self.code.bucket.arn_for_objects(self.code.s3_object_key),
                ],
            ),
            iam.PolicyStatement(
                sid="RegisterPartitions",
                # The job reads the table's storage descriptor and adds the partitions it
                # wrote; it never alters the table or deletes partitions.
                actions=["glue:GetTable", "glue:BatchCreatePartition"],
                resources=catalog_arns(settings.glue_database_name, settings.glue_table_name),
            ),
            iam.PolicyStatement(
                sid="WriteJobLogs",
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:AssociateKmsKey",
                ],
                resources=[arn("logs", f"log-group:{GLUE_LOG_GROUPS}")],
            ),
            iam.PolicyStatement(
                sid="PublishJobMetrics",
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": "Glue"}},
            ),
            iam.PolicyStatement(
                sid="EncryptLogsAndBookmarks",
                actions=["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
                resources=[self.encryption_key.key_arn],
            ),
        ]
        role = iam.Role(
            self,
            "JobRole",
            assumed_by=iam.ServicePrincipal("glue.amazonaws.com"),
            description=f"Runs the {settings.glue_job_name} Glue job",
            inline_policies={"CryptoHourlyEtl": iam.PolicyDocument(statements=statements)},
        )
        partition = "<AWS::Partition>"
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::arn:{partition}:s3:::{bucket}/{lake}]",
            "The job writes one object per ticker/date/hour partition; keys are only known at "
            "run time, so access is scoped to the lake prefix of this one bucket.",
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:"
            f"<AWS::AccountId>:log-group:{GLUE_LOG_GROUPS}]",
            "Glue derives its log group names from the security configuration and role at run "
            "time (output, error and continuous logs); the grant stays under /aws-glue/jobs/.",
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5[Resource::*]",
            "cloudwatch:PutMetricData has no resource-level permissions; the statement is "
            "limited by condition to the Glue metrics namespace.",
        )
        return role

    def _job(self) -> glue.CfnJob:
        settings = self.settings
        security = glue.CfnSecurityConfiguration(
            self,
            "SecurityConfiguration",
            name=f"{settings.glue_job_name}-encryption",
            encryption_configuration=glue.CfnSecurityConfiguration.EncryptionConfigurationProperty(
                s3_encryptions=[
                    glue.CfnSecurityConfiguration.S3EncryptionProperty(s3_encryption_mode="SSE-S3")
                ],
                cloud_watch_encryption=glue.CfnSecurityConfiguration.CloudWatchEncryptionProperty(
                    cloud_watch_encryption_mode="SSE-KMS",
                    kms_key_arn=self.encryption_key.key_arn,
                ),
                job_bookmarks_encryption=glue.CfnSecurityConfiguration.JobBookmarksEncryptionProperty(
                    job_bookmarks_encryption_mode="CSE-KMS",
                    kms_key_arn=self.encryption_key.key_arn,
                ),
            ),
        )
        job = glue.CfnJob(
            self,
            "Job",
            name=settings.glue_job_name,
            description="Hourly: DynamoDB ticks -> exact SMAs -> partitioned Parquet lake",
            role=self.job_role.role_arn,
            command=glue.CfnJob.JobCommandProperty(
                name="glueetl", python_version="3", script_location=self.script.s3_object_url
            ),
            glue_version=settings.glue_version,
            worker_type=WORKER_TYPE,
            number_of_workers=NUMBER_OF_WORKERS,
            timeout=JOB_TIMEOUT_MINUTES,
            # A failed hour is recomputed by the next run, which re-reads the look-back window.
            max_retries=0,
            execution_property=glue.CfnJob.ExecutionPropertyProperty(max_concurrent_runs=1),
            execution_class=settings.glue_execution_class,
            security_configuration=security.ref,
            default_arguments=self._job_arguments(self.code.s3_object_url),
        )
        return job

    def _job_arguments(self, code_url: str) -> dict[str, str]:
        settings = self.settings
        return {
            "--job-language": "python",
            "--extra-py-files": code_url,
            "--enable-metrics": "true",
            "--enable-observability-metrics": "true",
            "--enable-continuous-cloudwatch-log": "true",
            "--enable-continuous-log-filter": "true",
            "--job-bookmark-option": "job-bookmark-disable",
            "--DYNAMO_TABLE_NAME": settings.dynamo_table_name,
            "--S3_BUCKET_NAME": settings.s3_bucket_name,
            "--S3_PREFIX": settings.s3_prefix,
            "--GLUE_DATABASE_NAME": settings.glue_database_name,
            "--GLUE_TABLE_NAME": settings.glue_table_name,
            "--TICKERS": settings.tickers,
            "--DISCOVER_TICKERS": "true" if settings.discover_tickers else "false",
        }

    # -- schedule and alerts -----------------------------------------------------------------

    def _schedule(self) -> scheduler.CfnSchedule:
        job_name = self.settings.glue_job_name
        role = iam.Role(
            self,
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
        return scheduler.CfnSchedule(
            self,
            "HourlySchedule",
            description=f"Start {job_name} ten minutes past every hour (UTC)",
            schedule_expression=SCHEDULE_EXPRESSION,
            schedule_expression_timezone="UTC",
            flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(mode="OFF"),
            state="ENABLED",
            target=scheduler.CfnSchedule.TargetProperty(
                arn=START_JOB_RUN_TARGET,
                role_arn=role.role_arn,
                input=json.dumps({"JobName": job_name}),
                # Retries cover throttling and a run still finishing; after 30 minutes the
                # next scheduled run is closer than a late retry would be.
                retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                    maximum_retry_attempts=3, maximum_event_age_in_seconds=1800
                ),
            ),
        )

    def _alerts(self) -> sns.Topic:
        settings = self.settings
        topic = sns.Topic(
            self,
            "AlertTopic",
            display_name="crypto-sma job alerts",
            master_key=self.encryption_key,
            enforce_ssl=True,
        )
        if settings.alert_email:
            topic.add_subscription(subscriptions.EmailSubscription(settings.alert_email))
        events.Rule(
            self,
            "JobFailedRule",
            description=f"{settings.glue_job_name} ended FAILED, TIMEOUT or ERROR",
            event_pattern=events.EventPattern(
                source=["aws.glue"],
                detail_type=["Glue Job State Change"],
                detail={"jobName": [settings.glue_job_name], "state": list(FAILED_STATES)},
            ),
            targets=[targets.SnsTopic(topic)],
        )
        return topic

    # -- Athena ------------------------------------------------------------------------------

    def _athena_workgroup(self) -> athena.CfnWorkGroup:
        settings = self.settings
        wg = athena.CfnWorkGroup
        return athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=settings.athena_workgroup,
            description="crypto-sma API queries over the SMA lake",
            state="ENABLED",
            recursive_delete_option=True,
            work_group_configuration=wg.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=settings.athena_bytes_scanned_cutoff,
                engine_version=wg.EngineVersionProperty(selected_engine_version=ATHENA_ENGINE),
                result_configuration=wg.ResultConfigurationProperty(
                    output_location=f"s3://{settings.s3_bucket_name}/{ATHENA_RESULTS_PREFIX}",
                    encryption_configuration=wg.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                ),
            ),
        )
