"""AthenaWorkGroup: the workgroup the API queries in, with its settings enforced."""

from __future__ import annotations

from typing import Final

from aws_cdk import Stack
from aws_cdk import aws_athena as athena

from sma_infra.lake import ATHENA_RESULTS_PREFIX
from sma_infra.settings import InfraSettings

ATHENA_ENGINE: Final[str] = "Athena engine version 3"


class AthenaWorkGroup:
    """Engine 3, SSE-S3 results in the data bucket and a per-query bytes-scanned cutoff."""

    def __init__(self, stack: Stack, settings: InfraSettings) -> None:
        wg = athena.CfnWorkGroup
        self.workgroup = wg(
            stack,
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
