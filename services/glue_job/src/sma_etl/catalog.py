"""Registering written partitions in the Glue catalog, so Athena sees them as the job ends."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from sma_etl.aws_clients import aws_client
from sma_etl.sink import Partition

log = logging.getLogger(__name__)

# BatchCreatePartition takes at most this many partitions per call.
BATCH_SIZE: Final = 100


class CatalogError(RuntimeError):
    """The catalog refused partitions for a reason other than their existing already."""


@dataclass(frozen=True, slots=True)
class CatalogTarget:
    database: str
    table: str


def glue_client(region: str, endpoint_url: str | None = None) -> Any:
    """A Glue client; without `endpoint_url` boto3 honours AWS_ENDPOINT_URL_GLUE itself."""
    return aws_client("glue", region=region, endpoint_url=endpoint_url, attempts=10)


def register_partitions(
    client: Any, target: CatalogTarget, root: str, partitions: Iterable[Partition]
) -> int:
    """Add `partitions` (under lake `root`) to the table; existing ones are left as they are.

    Each partition gets the table's storage descriptor with its own location. Returns how many
    were new.
    """
    table = client.get_table(DatabaseName=target.database, Name=target.table)["Table"]
    template = table["StorageDescriptor"]
    ordered = sorted(set(partitions))
    created = 0
    for offset in range(0, len(ordered), BATCH_SIZE):
        batch = ordered[offset : offset + BATCH_SIZE]
        inputs = []
        for partition in batch:
            descriptor = copy.deepcopy(template)
            descriptor["Location"] = f"{root.rstrip('/')}/{partition.path()}/"
            inputs.append({"Values": partition.values(), "StorageDescriptor": descriptor})
        response = client.batch_create_partition(
            DatabaseName=target.database, TableName=target.table, PartitionInputList=inputs
        )
        errors = response.get("Errors", [])
        failures = [e for e in errors if e["ErrorDetail"]["ErrorCode"] != "AlreadyExistsException"]
        if failures:
            detail = failures[0]["ErrorDetail"]
            raise CatalogError(
                f"{len(failures)} partitions not registered in {target.database}.{target.table}: "
                f"{detail['ErrorCode']}: {detail.get('ErrorMessage', '')} "
                f"(first: {failures[0].get('PartitionValues')})"
            )
        created += len(batch) - len(errors)
    log.info(
        "catalog %s.%s: %d partitions new, %d already there",
        target.database,
        target.table,
        created,
        len(ordered) - created,
    )
    return created
