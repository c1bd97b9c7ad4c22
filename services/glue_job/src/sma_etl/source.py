"""Reading ticks from the DynamoDB source table: the Queries of one ticker's window and history.

Every number and time stays the text DynamoDB sent (the low-level client's ``{"N": "0.1"}``), so
nothing is rounded before the tick rule reads it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from sma.schema import SOURCE_PARTITION_KEY, SOURCE_SORT_KEY
from sma.tickers import InvalidTicker, normalize
from sma.ticks import CleanTick, attribute_text, clean_tick
from sma.windows import MAX_WINDOW

log = logging.getLogger(__name__)

# Ticks of history before the window start that the longest SMA needs at the first new tick.
LOOKBACK_TICKS: Final = MAX_WINDOW - 1

# The raw tick as read: texts as stored, plus whether it came from the lookback Query.
RAW_COLUMNS: Final[tuple[str, ...]] = (
    "raw_ticker",
    "raw_last_refreshed",
    "raw_bid_price",
    "raw_ask_price",
    "raw_time_zone",
)
LOOKBACK_COLUMN: Final = "lookback"


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """What an executor needs to reach the table; passed explicitly, never read from its env."""

    table: str
    region: str
    endpoint_url: str | None = None
    retry_mode: str = "adaptive"
    max_attempts: int = 10


RawRow = tuple[str | None, str | None, str | None, str | None, str | None, bool]


@cache
def dynamodb_client(config: SourceConfig) -> Any:
    """A low-level DynamoDB client with botocore's retries (throttling backs off, then retries).

    Cached per process: Spark reuses its Python workers, so later tasks and runs skip the
    client's start-up cost.
    """
    import boto3
    from botocore.config import Config

    # botocore's stubs type this as a TypedDict with a Literal mode; the value is checked
    # in settings.
    retries: Any = {"mode": config.retry_mode, "max_attempts": config.max_attempts}
    return boto3.session.Session().client(
        "dynamodb",
        region_name=config.region,
        endpoint_url=config.endpoint_url,
        config=Config(retries=retries),
    )


# The attributes a tick is read with: the tick rule's inputs. The ticker is the Query's own key,
# so it is not asked for. Fewer attributes cost less to send and parse (read capacity is billed
# per whole item regardless).
_PROJECTION: Final[dict[str, str]] = {
    "#r": SOURCE_SORT_KEY,
    "#bid": "bid_price",
    "#ask": "ask_price",
    "#zone": "time_zone",
}
PROJECTION_EXPRESSION: Final = ", ".join(_PROJECTION)


def _raw_row(ticker: str, item: Mapping[str, Any], lookback: bool) -> RawRow:
    return (
        ticker,
        attribute_text(item.get(SOURCE_SORT_KEY)),
        attribute_text(item.get("bid_price")),
        attribute_text(item.get("ask_price")),
        attribute_text(item.get("time_zone")),
        lookback,
    )


def is_clean(row: RawRow) -> bool:
    return isinstance(clean_tick(*row[:5]), CleanTick)


def query_pages(
    client: Any, table: str, ticker: str, first_key: str, last_key: str
) -> Iterator[list[RawRow]]:
    """Every item of `ticker` with a sort key in ``[first_key, last_key]``, page by page, in key
    order."""
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#t = :t AND #r BETWEEN :a AND :b",
        "ExpressionAttributeNames": {"#t": SOURCE_PARTITION_KEY, **_PROJECTION},
        "ProjectionExpression": PROJECTION_EXPRESSION,
        "ExpressionAttributeValues": {
            ":t": {"S": ticker},
            ":a": {"S": first_key},
            ":b": {"S": last_key},
        },
    }
    while True:
        page = client.query(**request)
        yield [_raw_row(ticker, item, lookback=False) for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def query_window(
    client: Any, table: str, ticker: str, first_key: str, last_key: str
) -> Iterator[RawRow]:
    """Every item of `ticker` with a sort key in ``[first_key, last_key]``, all pages."""
    for rows in query_pages(client, table, ticker, first_key, last_key):
        yield from rows


def query_lookback(
    client: Any, table: str, ticker: str, before_key: str, wanted: int = LOOKBACK_TICKS
) -> Iterator[RawRow]:
    """The items before `before_key`, newest first, until `wanted` of them pass the tick rule.

    Malformed ticks do not count toward the history, so the reader goes on past them; it stops
    early only where the ticker's history ends.
    """
    try:
        normalize(ticker)
    except InvalidTicker:
        return  # no tick of this ticker can pass the rule: no history worth reading
    if wanted <= 0:
        return
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#t = :t AND #r < :a",
        "ExpressionAttributeNames": {"#t": SOURCE_PARTITION_KEY, **_PROJECTION},
        "ProjectionExpression": PROJECTION_EXPRESSION,
        "ExpressionAttributeValues": {":t": {"S": ticker}, ":a": {"S": before_key}},
        "ScanIndexForward": False,
        # Exactly the history needed (read capacity is billed per item): when malformed ticks
        # took places, the next page asks only for the shortfall.
        "Limit": wanted,
    }
    clean = 0
    while True:
        page = client.query(**request)
        for item in page.get("Items", []):
            row = _raw_row(ticker, item, lookback=True)
            yield row
            clean += is_clean(row)
            if clean >= wanted:
                return
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        request["Limit"] = wanted - clean
