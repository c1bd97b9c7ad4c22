"""GlueJob: the job's code as assets, its least-privilege role and the encrypted Spark job."""

from __future__ import annotations

from typing import Final

from aws_cdk import Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3_assets as s3_assets

from sma import names
from sma_infra.arns import (
    GLUE_LOG_GROUPS,
    arn,
    bucket_arn,
    catalog_arns,
    glue_log_groups_arn,
    lake_key_pattern,
)
from sma_infra.job_code import build_job_code_zip
from sma_infra.nag import acknowledge
from sma_infra.settings import InfraSettings

WORKER_TYPE: Final[str] = "G.1X"
NUMBER_OF_WORKERS: Final[int] = 2
JOB_DESCRIPTION: Final[str] = "Hourly: DynamoDB ticks -> exact SMAs -> partitioned Parquet lake"


class GlueJob:
    """The hourly ETL: reads the source table, writes the lake and registers its partitions."""

    def __init__(self, stack: Stack, settings: InfraSettings, *, key: kms.IKey) -> None:
        self.script, self.code = _job_assets(stack, settings)
        self.role = _job_role(stack, settings, assets=(self.script, self.code), key=key)
        self.security_configuration = _security_configuration(stack, settings, key=key)
        self.job = glue.CfnJob(
            stack,
            "Job",
            name=settings.glue_job_name,
            description=JOB_DESCRIPTION,
            role=self.role.role_arn,
            command=glue.CfnJob.JobCommandProperty(
                name="glueetl", python_version="3", script_location=self.script.s3_object_url
            ),
            glue_version=settings.glue_version,
            worker_type=WORKER_TYPE,
            number_of_workers=NUMBER_OF_WORKERS,
            timeout=settings.glue_job_timeout_minutes,
            # A failed hour is recomputed by the next run, which re-reads the look-back window.
            max_retries=0,
            execution_property=glue.CfnJob.ExecutionPropertyProperty(max_concurrent_runs=1),
            execution_class=settings.glue_execution_class,
            security_configuration=self.security_configuration.ref,
            default_arguments=job_arguments(settings, code_url=self.code.s3_object_url),
        )


def job_arguments(settings: InfraSettings, *, code_url: str) -> dict[str, str]:
    """Glue's switches plus the settings, under the names ``sma_etl.glue_entry`` reads.

    Glue 5 logs every run in real time to ``/aws-glue/jobs/{output,error}``: the continuous
    logging switches of Glue 4 and earlier (``--enable-continuous-cloudwatch-log``, ...) do not
    apply, and the job reads the catalog through boto3, not Spark (no
    ``--enable-glue-datacatalog``).
    """
    return {
        "--job-language": "python",
        "--extra-py-files": code_url,
        "--enable-metrics": "true",
        "--enable-observability-metrics": "true",
        "--job-bookmark-option": "job-bookmark-disable",
        "--DYNAMO_TABLE_NAME": settings.dynamo_table_name,
        "--S3_BUCKET_NAME": settings.s3_bucket_name,
        "--S3_PREFIX": settings.s3_prefix,
        "--GLUE_DATABASE_NAME": settings.glue_database_name,
        "--GLUE_TABLE_NAME": settings.glue_table_name,
        "--TICKERS": settings.tickers,
        "--DISCOVER_TICKERS": "true" if settings.discover_tickers else "false",
        # The run metrics the stack's alarms read (sma_etl.metrics, monitoring.py).
        "--PUBLISH_METRICS": "true",
    }


def _job_assets(stack: Stack, settings: InfraSettings) -> tuple[s3_assets.Asset, s3_assets.Asset]:
    """The entry script and the ``sma`` + ``sma_etl`` zip, uploaded by ``cdk deploy``."""
    script_path = settings.glue_script_path
    if not script_path.is_file():
        raise FileNotFoundError(
            f"Glue entry script not found at {script_path}; "
            "set GLUE_SCRIPT_PATH to the job's entry script"
        )
    script = s3_assets.Asset(stack, "JobScript", path=str(script_path))
    code = s3_assets.Asset(stack, "JobCode", path=str(build_job_code_zip()))
    return script, code


def _job_role(
    stack: Stack,
    settings: InfraSettings,
    *,
    assets: tuple[s3_assets.Asset, ...],
    key: kms.IKey,
) -> iam.Role:
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
            resources=[asset.bucket.arn_for_objects(asset.s3_object_key) for asset in assets],
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
            resources=[glue_log_groups_arn()],
        ),
        iam.PolicyStatement(
            sid="PublishJobMetrics",
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            # Glue's own job metrics, and the run metrics the job publishes itself.
            conditions={
                "StringEquals": {"cloudwatch:namespace": ["Glue", names.METRICS_NAMESPACE]}
            },
        ),
        iam.PolicyStatement(
            sid="EncryptLogsAndBookmarks",
            actions=["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"],
            resources=[key.key_arn],
        ),
    ]
    role = iam.Role(
        stack,
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
        "time (output and error logs); the grant stays under /aws-glue/jobs/.",
    )
    acknowledge(
        role,
        "AwsSolutions-IAM5[Resource::*]",
        "cloudwatch:PutMetricData has no resource-level permissions; the statement is "
        "limited by condition to the Glue namespace and the job's own metrics namespace.",
    )
    return role


def _security_configuration(
    stack: Stack, settings: InfraSettings, *, key: kms.IKey
) -> glue.CfnSecurityConfiguration:
    """Output SSE-S3; logs and bookmarks under the stack's KMS key."""
    config = glue.CfnSecurityConfiguration
    return config(
        stack,
        "SecurityConfiguration",
        name=f"{settings.glue_job_name}-encryption",
        encryption_configuration=config.EncryptionConfigurationProperty(
            s3_encryptions=[config.S3EncryptionProperty(s3_encryption_mode="SSE-S3")],
            cloud_watch_encryption=config.CloudWatchEncryptionProperty(
                cloud_watch_encryption_mode="SSE-KMS", kms_key_arn=key.key_arn
            ),
            job_bookmarks_encryption=config.JobBookmarksEncryptionProperty(
                job_bookmarks_encryption_mode="CSE-KMS", kms_key_arn=key.key_arn
            ),
        ),
    )
