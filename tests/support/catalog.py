"""The product's Glue database and table on a local endpoint, built from ``sma.schema``."""

from __future__ import annotations

from typing import Any, Final

from sma import names
from sma.schema import DATA_COLUMNS, PARTITION_KEYS

_HIVE_PARQUET: Final = "org.apache.hadoop.hive.ql.io.parquet"


def create_catalog(endpoint: str, location: str) -> Any:
    """The Glue database and table the CDK deploys, the table's data at `location`; a Glue
    client of `endpoint`."""
    import boto3

    glue = boto3.client("glue", endpoint_url=endpoint, region_name=names.DEFAULT_REGION)
    glue.create_database(DatabaseInput={"Name": names.GLUE_DATABASE})
    glue.create_table(
        DatabaseName=names.GLUE_DATABASE,
        TableInput={
            "Name": names.GLUE_TABLE,
            "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": [{"Name": c.name, "Type": c.type} for c in PARTITION_KEYS],
            "StorageDescriptor": {
                "Columns": [{"Name": c.name, "Type": c.type} for c in DATA_COLUMNS],
                "Location": location,
                "InputFormat": f"{_HIVE_PARQUET}.MapredParquetInputFormat",
                "OutputFormat": f"{_HIVE_PARQUET}.MapredParquetOutputFormat",
                "SerdeInfo": {"SerializationLibrary": f"{_HIVE_PARQUET}.serde.ParquetHiveSerDe"},
            },
        },
    )
    return glue
