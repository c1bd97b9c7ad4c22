"""ARNs and key patterns both stacks grant on, in the deploying partition, region and account."""

from __future__ import annotations

from typing import Final

from aws_cdk import Aws

# Glue names its log groups after the security configuration and role, under this path.
GLUE_LOG_GROUPS: Final[str] = "/aws-glue/jobs/*"


def arn(service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
    """An ARN in this stack's partition, region and account."""
    where = f"{Aws.REGION if region else ''}:{Aws.ACCOUNT_ID if account else ''}"
    return f"arn:{Aws.PARTITION}:{service}:{where}:{resource}"


def bucket_arn(bucket_name: str, key_pattern: str | None = None) -> str:
    """The bucket's ARN, or the ARN of its keys matching ``key_pattern``."""
    suffix = f"/{key_pattern}" if key_pattern is not None else ""
    return f"arn:{Aws.PARTITION}:s3:::{bucket_name}{suffix}"


def catalog_arns(database: str, table: str) -> list[str]:
    """The account's catalog, one database in it and one table in that database."""
    return [
        arn("glue", "catalog"),
        arn("glue", f"database/{database}"),
        arn("glue", f"table/{database}/{table}"),
    ]


def lake_key_pattern(prefix: str) -> str:
    """Keys under the lake prefix plus its own folder marker (``processed-data_$folder$``)."""
    return f"{prefix.rstrip('/')}*"


def refresh_marker_key(prefix: str) -> str:
    """The key of the job's refresh marker, ``_refresh.json`` at the lake root."""
    return f"{prefix.strip('/')}/_refresh.json".lstrip("/")


def glue_log_groups_arn() -> str:
    """Every log group the Glue job writes to."""
    return arn("logs", f"log-group:{GLUE_LOG_GROUPS}")
