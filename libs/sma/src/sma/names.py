"""The names users already know from the original setup guide, defined once for every package."""

from typing import Final

# The source table the upstream producer fills once a minute.
SOURCE_TABLE: Final[str] = "DataConsumerTable"
# The Glue catalog database and table that Athena (and the local SQL) query.
GLUE_DATABASE: Final[str] = "crypto_sma_db"
GLUE_TABLE: Final[str] = "crypto_sma_table"
# Where the job writes the lake inside the bucket.
S3_PREFIX: Final[str] = "processed-data/"
GLUE_JOB: Final[str] = "CryptoHourlyETLJob"
DEFAULT_TICKERS: Final[tuple[str, ...]] = ("BTC/USD", "ETH/USD", "DOGE/USD")
# The region the local stack and the examples use when none is configured.
DEFAULT_REGION: Final[str] = "us-east-1"
# The job's run metrics in CloudWatch (published by the job, alarmed on by the stack), each
# with one dimension naming the job.
METRICS_NAMESPACE: Final[str] = "CryptoSma"
METRICS_DIMENSION: Final[str] = "JobName"
METRIC_RUN_SUCCEEDED: Final[str] = "RunSucceeded"
METRIC_LATE_BEYOND_HORIZON: Final[str] = "LateBeyondHorizon"
METRIC_TICKERS_WITHOUT_TICKS: Final[str] = "TickersWithoutTicks"
METRIC_ROWS_WRITTEN: Final[str] = "RowsWritten"
