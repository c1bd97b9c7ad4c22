"""The Glue table's columns and partition keys, generated from ``sma.schema``."""

from __future__ import annotations

from collections.abc import Iterable

from aws_cdk import aws_glue as glue

from sma.schema import DATA_COLUMNS, PARTITION_KEYS, Column

PARQUET_INPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
PARQUET_OUTPUT_FORMAT = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


def glue_columns(columns: Iterable[Column]) -> list[glue.CfnTable.ColumnProperty]:
    return [
        glue.CfnTable.ColumnProperty(name=c.name, type=c.type, comment=c.comment) for c in columns
    ]


def parquet_table_input(name: str, location: str) -> glue.CfnTable.TableInputProperty:
    """An external Parquet table at ``location`` partitioned by ticker, date and hour."""
    return glue.CfnTable.TableInputProperty(
        name=name,
        description="Hourly crypto prices with exact simple moving averages (crypto-sma).",
        table_type="EXTERNAL_TABLE",
        parameters={
            "classification": "parquet",
            "EXTERNAL": "TRUE",
            "parquet.compression": "SNAPPY",
        },
        partition_keys=glue_columns(PARTITION_KEYS),
        storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
            columns=glue_columns(DATA_COLUMNS),
            location=location,
            input_format=PARQUET_INPUT_FORMAT,
            output_format=PARQUET_OUTPUT_FORMAT,
            compressed=False,
            stored_as_sub_directories=False,
            serde_info=glue.CfnTable.SerdeInfoProperty(
                serialization_library=PARQUET_SERDE,
                parameters={"serialization.format": "1"},
            ),
        ),
    )
