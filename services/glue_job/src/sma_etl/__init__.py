"""The hourly PySpark job: DynamoDB ticks to exact SMAs in a partitioned Parquet lake."""
