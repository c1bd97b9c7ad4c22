"""Can the run reach its source table? One cheap Query before Spark starts, and one-line answers.

A missing table, an endpoint where nothing listens or absent credentials otherwise surface from
Spark's executors as hundreds of lines of Python and Java traces. ``check_source`` asks the
table once (``Query``, ``Limit=1``: the only read the job role may make besides ``Scan``), and
``describe_failure`` turns the same errors, raised here or carried in a Spark error's text,
into one line naming the table, endpoint or cause.
"""

from __future__ import annotations

import re
from typing import Any, Final

from sma.schema import SOURCE_PARTITION_KEY
from sma_etl.aws_clients import aws_client
from sma_etl.settings import Settings

# Fail fast on a wrong endpoint: the run's own clients retry for much longer (10 attempts).
CHECK_ATTEMPTS: Final[int] = 3
CHECK_TIMEOUT_SECONDS: Final[int] = 5
# The text botocore's errors carry, also inside a Spark error that wraps an executor's failure.
_NO_CREDENTIALS: Final = ("NoCredentialsError", "Unable to locate credentials")
_ENDPOINT_URL: Final = re.compile(
    r'(?:Could not connect to the|timeout on) endpoint URL: "([^"]+)"'
)
_SERVICE_ERROR: Final = re.compile(
    r"An error occurred \((\w+)\) when calling the (\w+) operation(?: \(.*?\))?: ([^\n]*)"
)


class SourceUnavailable(RuntimeError):
    """The source could not be read; the message is the one line to show."""


def where(settings: Settings) -> str:
    return settings.dynamodb_endpoint or f"AWS region {settings.region}"


def describe_failure(error: BaseException, settings: Settings) -> str | None:
    """One line for a failure to reach the source, or None when `error` is something else."""
    text = f"{type(error).__name__}: {error}"
    if any(marker in text for marker in _NO_CREDENTIALS):
        return (
            "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
            "AWS_PROFILE), or run where a role provides them"
        )
    endpoint = _ENDPOINT_URL.search(text)
    if endpoint is not None:
        return (
            f"cannot reach {endpoint.group(1)}: nothing answers there (check --endpoint-url "
            "or AWS_ENDPOINT_URL_DYNAMODB, and that the service is running)"
        )
    refused = _SERVICE_ERROR.search(text)
    if refused is None:
        return None
    code, operation, message = refused.groups()
    if code == "ResourceNotFoundException" and operation in ("Query", "Scan", "DescribeTable"):
        return (
            f"DynamoDB table {settings.table!r} not found at {where(settings)}: check --table "
            "or DYNAMO_TABLE_NAME (and the region or endpoint)"
        )
    return f"{operation} refused ({code}): {message.strip()}"


def dynamodb_check_client(settings: Settings) -> Any:
    """A DynamoDB client for the check: the run's region and endpoint, few retries."""
    return aws_client(
        "dynamodb",
        region=settings.region,
        endpoint_url=settings.dynamodb_endpoint,
        attempts=CHECK_ATTEMPTS,
        timeout_seconds=CHECK_TIMEOUT_SECONDS,
    )


def check_source(settings: Settings, client: Any | None = None) -> None:
    """Query the source table once (one item at most); SourceUnavailable if that fails."""
    from botocore.exceptions import BotoCoreError, ClientError

    ticker = settings.tickers[0] if settings.tickers else "-"
    try:
        (client or dynamodb_check_client(settings)).query(
            TableName=settings.table,
            KeyConditionExpression="#t = :t",
            ExpressionAttributeNames={"#t": SOURCE_PARTITION_KEY},
            ExpressionAttributeValues={":t": {"S": ticker}},
            Limit=1,
        )
    except (BotoCoreError, ClientError) as error:
        message = describe_failure(error, settings) or f"cannot read the source table: {error}"
        raise SourceUnavailable(message) from error
