"""The source DynamoDB table on moto's server, with producer-shaped ticks, for live answers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3

from sma import names
from sma.ticks import CleanTick, clean_tick
from sma_laptop.producer import Tick, create_source_table, producer_item, put_items

TABLE = names.SOURCE_TABLE


@dataclass
class SourceTable:
    """The table and the Query requests the API sent to it (their Limit, per request)."""

    endpoint: str
    table: Any  # boto3 Table resource
    limits: list[int] = field(default_factory=list)

    def put(self, items: Iterable[Mapping[str, Any]]) -> int:
        return put_items(self.table, items)


def source_table(endpoint: str) -> SourceTable:
    client = boto3.client("dynamodb", endpoint_url=endpoint)
    create_source_table(client, TABLE)
    return SourceTable(endpoint, boto3.resource("dynamodb", endpoint_url=endpoint).Table(TABLE))


def price_walk(count: int, start: float, seed: int = 3) -> list[Decimal]:
    """Prices with awkward 8-decimal digits that wave, so SMAs cross."""
    prices = []
    value, state = start, seed
    for i in range(count):
        state = (state * 1103515245 + 12345) % 2**31
        value *= 1 + ((state % 2001) - 1000) / 400_000 + (0.002 if (i // 40) % 2 else -0.002)
        prices.append(Decimal(f"{value:.8f}"))
    return prices


def minute_items(
    ticker: str, start: datetime, prices: Sequence[Decimal | str]
) -> list[dict[str, Any]]:
    """Producer items, one a minute from `start`, bid = price, ask a little above."""
    items = []
    for i, price in enumerate(prices):
        ask = price + Decimal("0.5") if isinstance(price, Decimal) else price
        items.append(producer_item(Tick(ticker, start + timedelta(minutes=i), price, ask)))
    return items


def clean(items: Iterable[Mapping[str, Any]]) -> list[CleanTick]:
    """The items that pass the tick rule, as the job and the API judge them, in time order."""
    found = {}
    for item in items:
        tick = clean_tick(
            item.get("ticker"),
            item.get("last_refreshed"),
            item.get("bid_price"),
            item.get("ask_price"),
            item.get("time_zone"),
        )
        if isinstance(tick, CleanTick):
            found.setdefault(tick.micros, tick)
    return [found[k] for k in sorted(found)]
