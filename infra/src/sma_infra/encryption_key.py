"""EncryptionKey: the KMS key for the job's logs and bookmarks and for the alert topic."""

from __future__ import annotations

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from sma_infra.arns import glue_log_groups_arn


class EncryptionKey:
    """A rotating KMS key that CloudWatch Logs may use for the Glue job's log groups only."""

    def __init__(self, stack: Stack) -> None:
        self.key = kms.Key(
            stack,
            "EncryptionKey",
            # JobAlerts grants EventBridge use of this key for the encrypted alert topic.
            description="crypto-sma: Glue job logs and bookmarks, alert topic",
            enable_key_rotation=True,
            # Glue creates the job's log groups itself, so a teardown leaves them, encrypted
            # with this key: deleting the key would make those logs unreadable. It is kept,
            # like the buckets, and deleted by hand once the logs are (docs/deploy.md).
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.key.add_to_resource_policy(
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
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": glue_log_groups_arn()}
                },
            )
        )
