"""Lake: the data bucket (with its access-log bucket) and the Glue catalog that Athena queries."""

from __future__ import annotations

from typing import Final

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3

from sma_infra.catalog import parquet_table_input
from sma_infra.settings import InfraSettings

# Athena writes query results here in the data bucket; the bucket expires them after a week.
ATHENA_RESULTS_PREFIX: Final[str] = "athena-results/"
ACCESS_LOG_DAYS: Final[int] = 90
ATHENA_RESULTS_DAYS: Final[int] = 7


class Lake:
    """Where the job writes and Athena reads: the Parquet lake's bucket, database and table."""

    def __init__(self, stack: Stack, settings: InfraSettings) -> None:
        self.bucket = _data_bucket(stack, settings)
        self.database, self.table = _catalog(stack, settings)


def _data_bucket(stack: Stack, settings: InfraSettings) -> s3.IBucket:
    if settings.use_existing_bucket:
        return s3.Bucket.from_bucket_name(stack, "DataBucket", settings.s3_bucket_name)

    access_logs = s3.Bucket(
        stack,
        "AccessLogBucket",
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        lifecycle_rules=[
            s3.LifecycleRule(id="ExpireAccessLogs", expiration=Duration.days(ACCESS_LOG_DAYS))
        ],
        removal_policy=RemovalPolicy.RETAIN,
    )
    data = s3.Bucket(
        stack,
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
                expiration=Duration.days(ATHENA_RESULTS_DAYS),
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
    # The policies (TLS only, log delivery) stay with their buckets, so a kept lake stays
    # TLS-only, and a redeploy over it (USE_EXISTING_BUCKET) finds it as it was.
    for bucket in (access_logs, data):
        assert bucket.policy is not None
        bucket.policy.apply_removal_policy(RemovalPolicy.RETAIN)
    return data


def _catalog(stack: Stack, settings: InfraSettings) -> tuple[glue.CfnDatabase, glue.CfnTable]:
    database = glue.CfnDatabase(
        stack,
        "Database",
        catalog_id=Aws.ACCOUNT_ID,
        database_input=glue.CfnDatabase.DatabaseInputProperty(
            name=settings.glue_database_name,
            description="crypto-sma: hourly prices and simple moving averages",
        ),
    )
    table = glue.CfnTable(
        stack,
        "Table",
        catalog_id=Aws.ACCOUNT_ID,
        database_name=settings.glue_database_name,
        table_input=parquet_table_input(settings.glue_table_name, settings.lake_location),
    )
    table.add_resource_dependency(database)
    return database, table
