"""The API function's role: Athena in one workgroup, the catalog, the lake, the live Query."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from sma_infra.arns import arn, bucket_arn, catalog_arns, lake_key_pattern, refresh_marker_key
from sma_infra.lake import ATHENA_RESULTS_PREFIX
from sma_infra.nag import acknowledge
from sma_infra.settings import InfraSettings


def function_role(
    scope: Construct, settings: InfraSettings, function_logs: logs.ILogGroup
) -> iam.Role:
    """Read-only access to what the API reads, and its own log group."""
    bucket = settings.s3_bucket_name
    lake = lake_key_pattern(settings.s3_prefix)
    results = f"{ATHENA_RESULTS_PREFIX}*"
    statements = [
        iam.PolicyStatement(
            sid="WriteOwnLogs",
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[function_logs.log_group_arn],
        ),
        iam.PolicyStatement(
            sid="RunQueriesInWorkGroup",
            actions=[
                "athena:StartQueryExecution",
                "athena:GetQueryExecution",
                "athena:GetQueryResults",
                "athena:StopQueryExecution",
                "athena:GetWorkGroup",
            ],
            resources=[arn("athena", f"workgroup/{settings.athena_workgroup}")],
        ),
        iam.PolicyStatement(
            sid="ReadCatalog",
            actions=[
                "glue:GetDatabase",
                "glue:GetTable",
                "glue:GetPartition",
                "glue:GetPartitions",
                "glue:BatchGetPartition",
            ],
            resources=catalog_arns(settings.glue_database_name, settings.glue_table_name),
        ),
        iam.PolicyStatement(
            sid="LocateBucket",
            actions=["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
            resources=[bucket_arn(bucket)],
        ),
        iam.PolicyStatement(
            sid="ListLakeAndResults",
            actions=["s3:ListBucket"],
            resources=[bucket_arn(bucket)],
            conditions={"StringLike": {"s3:prefix": [lake, results]}},
        ),
        iam.PolicyStatement(
            sid="ReadLake",
            actions=["s3:GetObject"],
            resources=[bucket_arn(bucket, lake)],
        ),
        iam.PolicyStatement(
            # The job's refresh marker, which the API's caches key on (sma_api.refresh_marker).
            sid="ReadRefreshMarker",
            actions=["s3:GetObject"],
            resources=[bucket_arn(bucket, refresh_marker_key(settings.s3_prefix))],
        ),
        iam.PolicyStatement(
            sid="WriteQueryResults",
            actions=[
                "s3:GetObject",
                "s3:PutObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ],
            resources=[bucket_arn(bucket, results)],
        ),
        iam.PolicyStatement(
            # ?source=live: the newest ticks of one ticker, read from the source table.
            sid="QuerySourceTable",
            actions=["dynamodb:Query"],
            resources=[arn("dynamodb", f"table/{settings.dynamo_table_name}")],
        ),
    ]
    role = iam.Role(
        scope,
        "FunctionRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description="crypto-sma read API: Athena queries in one workgroup",
        inline_policies={"SmaApi": iam.PolicyDocument(statements=statements)},
    )
    acknowledge(
        role,
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}/{lake}]",
        "Athena reads whichever partition files a query selects; access is read-only and "
        "limited to the lake prefix of this one bucket.",
    )
    acknowledge(
        role,
        f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}/{results}]",
        "Athena writes each query's results under a fresh key that it chooses; access is "
        "limited to the workgroup's result prefix.",
    )
    return role
