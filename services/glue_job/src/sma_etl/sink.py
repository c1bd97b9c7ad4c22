"""Writing the lake: Parquet partitioned ticker=/date=/hour=, one file per partition."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Final

from sma.schema import PARTITION_KEY_NAMES

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

# Rejected ticks sit beside the partitions; engines skip folders whose name starts with '_'.
REJECTED_FOLDER: Final = "_rejected"


@dataclass(frozen=True, slots=True, order=True)
class Partition:
    ticker: str
    date: date
    hour: str

    def values(self) -> list[str]:
        """The partition values as the Glue catalog takes them."""
        return [self.ticker, self.date.isoformat(), self.hour]

    def path(self) -> str:
        """The partition's folder under the lake root."""
        return "/".join(f"{k}={v}" for k, v in zip(PARTITION_KEY_NAMES, self.values(), strict=True))


def lake_uri(root: str) -> str:
    """`root` as Spark and the catalog name it: object store URIs as given, local paths absolute."""
    if "://" in root:
        return root.rstrip("/")
    return os.path.abspath(root)


def write_partitions(rows: DataFrame, root: str, *, clustered: bool = False) -> None:
    """Replace exactly the partitions `rows` fall in (dynamic overwrite), one file each.

    Rows are clustered by partition (unless `clustered` says each partition's rows already sit
    in one Spark partition, as ``transform`` leaves them) and sorted by time, so re-running a
    window writes files with identical content.
    """
    keys = list(PARTITION_KEY_NAMES)
    (
        (rows if clustered else rows.repartition(*keys))
        .sortWithinPartitions(*keys, "last_refreshed")
        .write.mode("overwrite")
        .option("partitionOverwriteMode", "dynamic")
        .partitionBy(*keys)
        .parquet(lake_uri(root))
    )


def rejected_uri(root: str, window_name: str) -> str:
    return f"{lake_uri(root)}/{REJECTED_FOLDER}/window={window_name}"


def write_rejected(rejected: DataFrame, root: str, window_name: str) -> str:
    """Set the window's rejected ticks aside as JSON lines (replacing an earlier run's)."""
    uri = rejected_uri(root, window_name)
    rejected.coalesce(1).sortWithinPartitions(*rejected.columns).write.mode("overwrite").json(uri)
    return uri
