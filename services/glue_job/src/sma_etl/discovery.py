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
from typing import TYPE_CHECKING, Final

from sma_etl.lake_objects import read_text, write_text
from sma_etl.source import SourceConfig, discover_tickers

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

log = logging.getLogger(__name__)

MARKER: Final = "_discovery.json"


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


def tickers_read(parsed: DataFrame) -> set[str]:
    """The source tickers (as stored) of which the run read at least one item."""
    return {row[0] for row in parsed.select("raw_ticker").distinct().collect() if row[0]}
