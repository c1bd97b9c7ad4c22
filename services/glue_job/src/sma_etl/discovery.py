"""Which tickers a run processes beyond the configured ones, and which of them had no ticks.

``DISCOVER_TICKERS=daily`` finds new tickers without configuration at the cost of one keys-only
Scan a day: the first run of a UTC day scans the table's partition keys and keeps them in
``<lake>/_discovery.json`` with that date; every later run of the day reads that one small object
instead, so the scheduled run's DynamoDB reads stay those of its Queries.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any, Final

from sma.schema import SOURCE_PARTITION_KEY
from sma_etl.lake_objects import read_text, write_text
from sma_etl.source import SourceConfig, dynamodb_client

log = logging.getLogger(__name__)

MARKER: Final = "_discovery.json"


def discover_tickers(config: SourceConfig) -> list[str]:
    """Every partition key in the table, by a keys-only Scan (reads the whole table: opt-in)."""
    client = dynamodb_client(config)
    request: dict[str, Any] = {
        "TableName": config.table,
        "ProjectionExpression": "#t",
        "ExpressionAttributeNames": {"#t": SOURCE_PARTITION_KEY},
    }
    found: set[str] = set()
    scanned = 0
    while True:
        page = client.scan(**request)
        scanned += int(page.get("ScannedCount", 0))
        for item in page.get("Items", []):
            key = item.get(SOURCE_PARTITION_KEY, {}).get("S")
            if key is not None:
                found.add(key)
        if "LastEvaluatedKey" not in page:
            break
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    log.info("discovered %d tickers by scanning %d items of %s", len(found), scanned, config.table)
    return sorted(found)


def daily_tickers(root: str, config: SourceConfig, today: date) -> list[str]:
    """The table's tickers as found today: from the marker, or by a Scan that renews it."""
    text = read_text(root, MARKER)
    if text is not None:
        try:
            marker = json.loads(text)
            if marker.get("date") == today.isoformat() and marker.get("table") == config.table:
                return [str(t) for t in marker["tickers"]]
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("unreadable %s: scanning the table's keys again", MARKER)
    found = discover_tickers(config)
    body = {"date": today.isoformat(), "table": config.table, "tickers": found}
    write_text(root, MARKER, json.dumps(body, separators=(",", ":")))
    return found
