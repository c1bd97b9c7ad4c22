"""The job's source: a DynamoDB table with the producer's key schema, on a local endpoint."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def fill_table(endpoint: str, table: str, items: Iterable[Mapping[str, Any]]) -> int:
    """Create `table` on `endpoint` with the producer's key schema; put `items`, return how many."""
    import boto3

    from sma_laptop.producer import create_source_table, put_items

    create_source_table(boto3.client("dynamodb", endpoint_url=endpoint), table)
    resource = boto3.resource("dynamodb", endpoint_url=endpoint)
    return put_items(resource.Table(table), items)
