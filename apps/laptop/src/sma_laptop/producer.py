"""Ticks shaped exactly like the upstream producer's DynamoDB items, and the table they live in.

The producer polls Alpha Vantage's CURRENCY_EXCHANGE_RATE once a minute and writes the answer
slugified: numbers as DynamoDB numbers, ``last_refreshed`` as ``YYYY-MM-DD HH:MM:SS``.
Used by the demo, the tests and the benchmarks to fill a local endpoint; the job never imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sma.schema import SOURCE_PARTITION_KEY, SOURCE_SORT_KEY, SOURCE_TIME_FORMAT

CURRENCY_NAMES: Mapping[str, str] = {
    "BTC": "Bitcoin",
    "ETH": "Ethereum",
    "DOGE": "DogeCoin",
    "USD": "United States Dollar",
    "EUR": "Euro",
}


@dataclass(frozen=True, slots=True)
class Tick:
    """One exchange-rate observation; prices are Decimals or, for malformed ticks, raw strings."""

    ticker: str  # as the producer writes it, e.g. 'BTC/USD'
    last_refreshed: datetime  # UTC
    bid_price: Decimal | str
    ask_price: Decimal | str
    exchange_rate: Decimal | str | None = None


def producer_item(tick: Tick) -> dict[str, Any]:
    """The DynamoDB item the upstream producer would write for `tick` (boto3 resource form)."""
    from_code, _, to_code = tick.ticker.partition("/")
    when = tick.last_refreshed.astimezone(UTC)
    rate = tick.exchange_rate if tick.exchange_rate is not None else tick.bid_price
    return {
        SOURCE_PARTITION_KEY: tick.ticker,
        SOURCE_SORT_KEY: when.strftime(SOURCE_TIME_FORMAT),
        "from_currency_code": from_code,
        "from_currency_name": CURRENCY_NAMES.get(from_code, from_code),
        "to_currency_code": to_code,
        "to_currency_name": CURRENCY_NAMES.get(to_code, to_code),
        "exchange_rate": rate,
        "bid_price": tick.bid_price,
        "ask_price": tick.ask_price,
        "time_zone": "UTC",
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }


def create_source_table(dynamodb: Any, table_name: str) -> None:
    """Create the upstream table (``ticker`` HASH, ``last_refreshed`` RANGE) unless it exists.

    `dynamodb` is a boto3 DynamoDB client.
    """
    try:
        dynamodb.create_table(
            TableName=table_name,
            KeySchema=[
                {"AttributeName": SOURCE_PARTITION_KEY, "KeyType": "HASH"},
                {"AttributeName": SOURCE_SORT_KEY, "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": SOURCE_PARTITION_KEY, "AttributeType": "S"},
                {"AttributeName": SOURCE_SORT_KEY, "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    except dynamodb.exceptions.ResourceInUseException:
        return
    dynamodb.get_waiter("table_exists").wait(TableName=table_name)


def put_items(table: Any, items: Iterable[Mapping[str, Any]]) -> int:
    """Write raw items through a boto3 Table resource in batches; returns how many were written."""
    count = 0
    with table.batch_writer(overwrite_by_pkeys=[SOURCE_PARTITION_KEY, SOURCE_SORT_KEY]) as batch:
        for item in items:
            batch.put_item(Item=dict(item))
            count += 1
    return count


def put_ticks(table: Any, ticks: Iterable[Tick]) -> int:
    """Write ticks as producer items; returns how many were written."""
    return put_items(table, (producer_item(t) for t in ticks))
