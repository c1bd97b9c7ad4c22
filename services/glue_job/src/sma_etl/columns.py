"""The lake's columns as Spark types, derived from ``sma.schema`` (the only such mapping)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sma.schema import ALL_COLUMNS, Column, ColumnType

if TYPE_CHECKING:
    from pyspark.sql.types import DataType, StructType


def spark_type(column_type: ColumnType) -> DataType:
    """The Spark type of a ``sma.schema`` type name."""
    from pyspark.sql.types import DateType, DoubleType, StringType, TimestampType

    types: dict[str, DataType] = {
        "double": DoubleType(),
        "timestamp": TimestampType(),
        "string": StringType(),
        "date": DateType(),
    }
    return types[column_type]


def lake_schema(columns: tuple[Column, ...] = ALL_COLUMNS) -> StructType:
    """The Spark schema of the lake rows: data columns, then the partition keys."""
    from pyspark.sql.types import StructField, StructType

    # All nullable: Spark writes every Parquet column as optional anyway.
    return StructType([StructField(c.name, spark_type(c.type), nullable=True) for c in columns])
