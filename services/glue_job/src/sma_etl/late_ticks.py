"""Late ticks: hours whose source changed after the lake was written are written again.

A scheduled run records, per ticker and per hour of sort key (``YYYY-MM-DD HH``), how many items
the source held under the keys of its window, in ``<lake>/_source_counts.json``. The next
scheduled runs count the same keys again with a keys-only Query (``ProjectionExpression`` on the
keys and the zone) over the horizon (``LATE_HORIZON_HOURS``, default 24) before their window. An
hour whose count differs holds a tick that arrived (or was removed) after its hour was written:
the run starts its window there, so that hour and every later row whose SMAs it changes are
written again. Raw items are counted on both sides (malformed ones and duplicates included), so
the comparison is like with like. The hour just past the horizon is checked one last time; a
difference there is counted as ``late_beyond_horizon`` and not rewritten.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sma.schema import SOURCE_PARTITION_KEY, SOURCE_SORT_KEY, SOURCE_TIME_FORMAT
from sma.ticks import in_other_zone
from sma_etl.lake_objects import read_text, write_text
from sma_etl.source import SourceConfig, dynamodb_client
from sma_etl.window import HOUR, Window

log = logging.getLogger(__name__)

SIDECAR: Final = "_source_counts.json"
DEFAULT_HORIZON_HOURS: Final = 24
_HOUR_FORMAT: Final = "%Y-%m-%d %H"
# The widest gap between a wall time and UTC (UTC-12 .. UTC+14): how far a zoned key may lead.
_MAX_LEAD: Final = timedelta(hours=14)

Counts = dict[str, dict[str, int]]  # ticker -> key hour -> items


@dataclass(frozen=True, slots=True)
class LateCheck:
    rewrite_from: datetime | None  # the earliest UTC hour to write again, None: none
    beyond_horizon: int  # items that differ in the hour past the horizon


def _hour_text(when: datetime) -> str:
    return when.strftime(_HOUR_FORMAT)


def load_counts(root: str) -> Counts:
    text = read_text(root, SIDECAR)
    if text is None:
        return {}
    try:
        data = json.loads(text)
        return {str(t): {str(h): int(n) for h, n in hours.items()} for t, hours in data.items()}
    except (ValueError, AttributeError, TypeError):
        log.warning("unreadable %s: late ticks are looked for from the next run on", SIDECAR)
        return {}


def source_key_counts(
    client: Any, table: str, ticker: str, first_key: str, last_key: str
) -> tuple[Counter[str], bool]:
    """Items per key hour in ``[first_key, last_key]`` (keys only); whether a zone is not UTC."""
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#t = :t AND #r BETWEEN :a AND :b",
        "ExpressionAttributeNames": {
            "#t": SOURCE_PARTITION_KEY,
            "#r": SOURCE_SORT_KEY,
            "#z": "time_zone",
        },
        "ExpressionAttributeValues": {
            ":t": {"S": ticker},
            ":a": {"S": first_key},
            ":b": {"S": last_key},
        },
        "ProjectionExpression": "#r, #z",
    }
    counts: Counter[str] = Counter()
    zoned = False
    while True:
        page = client.query(**request)
        for item in page.get("Items", []):
            counts[item[SOURCE_SORT_KEY]["S"][:13]] += 1
            zoned = zoned or in_other_zone(item.get("time_zone", {}).get("S"))
        if "LastEvaluatedKey" not in page:
            return counts, zoned
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def check_late(  # noqa: PLR0917  # the run's plan passes them in order
    root: str,
    config: SourceConfig,
    tickers: Iterable[str],
    window_start: datetime,
    now_hour: datetime,
    horizon_hours: int,
) -> LateCheck:
    """Hours before `window_start` whose source keys changed since the lake was written."""
    recorded = load_counts(root)
    horizon = now_hour - horizon_hours * HOUR
    oldest = horizon - HOUR
    if not recorded or oldest >= window_start:
        return LateCheck(None, 0)
    client = dynamodb_client(config)
    first_key = oldest.strftime(SOURCE_TIME_FORMAT)
    last_key = (window_start - timedelta(seconds=1)).strftime(SOURCE_TIME_FORMAT) + "\uffff"
    earliest: datetime | None = None
    beyond = 0
    checked = [ticker for ticker in tickers if recorded.get(ticker)]
    # One thread per ticker: the Queries wait on the network, not on this process.
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(checked)))) as pool:
        found = pool.map(
            lambda ticker: source_key_counts(client, config.table, ticker, first_key, last_key),
            checked,
        )
        counted = dict(zip(checked, found, strict=True))
    for ticker, (counts, zoned) in counted.items():
        known = recorded[ticker]
        for text, count in known.items():
            hour = datetime.strptime(text, _HOUR_FORMAT).replace(tzinfo=UTC)
            if not oldest <= hour < window_start or counts.get(text, 0) == count:
                continue
            if hour < horizon:
                beyond += abs(counts.get(text, 0) - count)
                continue
            start = hour - _MAX_LEAD if zoned else hour  # a zoned key may lead its UTC hour
            earliest = start if earliest is None else min(earliest, start)
            log.warning("late ticks: %s key hour %s holds %d items, %d when written",
                        ticker, text, counts.get(text, 0), count)  # fmt: skip
    return LateCheck(earliest, beyond)


def record_counts(
    root: str,
    tickers: Iterable[str],
    windows: Iterable[Window],
    seen: Mapping[str, Mapping[str, int]],
    keep_from: datetime,
) -> None:
    """Store what the run's windows held, hour by hour (0: empty), from `keep_from` on."""
    counts = load_counts(root)
    spans = list(windows)
    for ticker in tickers:
        hours = counts.setdefault(ticker, {})
        for window in spans:
            when = window.start
            while when < window.end:
                text = _hour_text(when)
                hours[text] = seen.get(ticker, {}).get(text, 0)
                when += HOUR
    cut = _hour_text(keep_from)
    pruned = {t: {h: n for h, n in sorted(hs.items()) if h >= cut} for t, hs in counts.items()}
    write_text(root, SIDECAR, json.dumps(pruned, separators=(",", ":"), sort_keys=True))
