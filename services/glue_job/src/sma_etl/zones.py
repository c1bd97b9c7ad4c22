"""Reading a ticker whose ticks carry another time zone: the key range widened by its offsets.

A tick's sort key is its local wall time in its ``time_zone``, while a window is a range of UTC
instants. The run first reads the window's keys as UTC strings with their lookback, as before;
when a tick it read names a zone whose offset is not zero around the window, it also reads the
keys that zone's wall times can take for the window's instants, ``[start + min offset,
end + max offset]`` (DST changes included), and enough history before that. When it read only
UTC ticks and none in the window's last hour, the ticker's first item after the window's keys is
read too (one item): a ticker that turned to a zone ahead of UTC keeps the window's later ticks
there. The transform then
keeps the ticks whose UTC time falls in the window. Items read outside the window's own key range
are history or context (flagged like the lookback): they never count as this window's rejects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sma.schema import SOURCE_PARTITION_KEY, SOURCE_SORT_KEY, SOURCE_TIME_FORMAT
from sma.ticks import CleanTick, clean_tick, is_zone, zone_name
from sma_etl.source import RawRow, query_lookback, query_window

_HOUR: Final = timedelta(hours=1)
# Above every character of a time string: closes a key range after a whole second.
_TOP: Final = "\uffff"


def _offsets(zone: str, start: datetime, end: datetime) -> set[timedelta]:
    """The UTC offsets `zone` takes in ``[start - 1h, end + 1h]``, hour by hour."""
    if zone == "UTC":
        return {timedelta(0)}
    tz = ZoneInfo(zone)
    found: set[timedelta] = set()
    when = start - _HOUR
    while when <= end + _HOUR:
        offset = when.astimezone(tz).utcoffset()
        found.add(offset if offset is not None else timedelta(0))
        when += _HOUR
    return found


def key_span(zones: Iterable[Any], start: datetime, end: datetime) -> tuple[str, str] | None:
    """The sort keys ``[low, high]`` ticks of `zones` in ``[start, end)`` can carry.

    None when every zone (unknown names aside: such ticks are rejected) is UTC around the window.
    """
    offsets: set[timedelta] = set()
    for raw in zones:
        name = zone_name(raw)
        if is_zone(name):
            offsets |= _offsets(name, start, end)
    if offsets <= {timedelta(0)}:
        return None
    low = start + min(*offsets, timedelta(0))
    high = end - timedelta(seconds=1) + max(*offsets, timedelta(0))
    return low.strftime(SOURCE_TIME_FORMAT), high.strftime(SOURCE_TIME_FORMAT) + _TOP


def _window_bounds(first_key: str, last_key: str) -> tuple[datetime, datetime]:
    start = datetime.strptime(first_key, SOURCE_TIME_FORMAT).replace(tzinfo=UTC)
    last = datetime.strptime(last_key[:19], SOURCE_TIME_FORMAT).replace(tzinfo=UTC)
    return start, last + timedelta(seconds=1)


def _context(rows: Iterable[RawRow]) -> Iterator[RawRow]:
    """Rows read outside the window's own keys: history or context, never its rejects."""
    for row in rows:
        yield (*row[:5], True)


def _is_clean(row: RawRow) -> bool:
    return isinstance(clean_tick(*row[:5]), CleanTick)


def probe_zone(client: Any, table: str, ticker: str, after_key: str) -> set[str | None]:
    """The zone of the ticker's first item after `after_key` (one item read, keys and zone)."""
    page = client.query(
        TableName=table,
        KeyConditionExpression="#t = :t AND #r > :a",
        ExpressionAttributeNames={
            "#t": SOURCE_PARTITION_KEY,
            "#r": SOURCE_SORT_KEY,
            "#z": "time_zone",
        },
        ExpressionAttributeValues={":t": {"S": ticker}, ":a": {"S": after_key}},
        ProjectionExpression="#z",
        Limit=1,
    )
    return {item.get("time_zone", {}).get("S") for item in page.get("Items", [])}


def read_ticker(  # noqa: PLR0917  # the reader's own signature, plus the ticker
    client: Any,
    table: str,
    ticker: str,
    first_key: str,
    last_key: str,
    lookback: int,
    *,
    widen_low: bool = True,
    widen_high: bool = True,
) -> Iterator[RawRow]:
    """The ticker's ticks whose UTC time may fall in the window, and their history.

    A slice of a longer window widens its keys only where it opens (`widen_low`) or closes
    (`widen_high`) the window: the keys in between are other slices' own.
    """
    history = list(query_lookback(client, table, ticker, first_key, lookback))
    window = list(query_window(client, table, ticker, first_key, last_key))
    zones: set[Any] = {row[4] for row in history} | {row[4] for row in window}
    start, end = _window_bounds(first_key, last_key)
    span = key_span(zones, start, end)
    newest = window[-1][1] if window else history[0][1] if history else None
    if span is None and widen_high and (newest or "") < (end - _HOUR).strftime(SOURCE_TIME_FORMAT):
        # Only UTC seen, and no key in the window's last hour: a ticker that turned to a zone
        # ahead of UTC keeps this window's later ticks under keys after it. The first of those
        # tells. (Turned within the last hour, the next run, which reads that hour again, finds
        # the hour without keys and reads them.)
        span = key_span(zones | probe_zone(client, table, ticker, last_key), start, end)
    yield from history
    yield from window
    if span is None:
        return
    low, high = span
    if widen_high and high > last_key:
        upper = query_window(client, table, ticker, last_key, high)
        yield from _context(row for row in upper if row[1] != last_key)
    if not widen_low or low >= first_key or sum(map(_is_clean, history)) < lookback:
        return  # nothing earlier to read, or the history already ends before `low`
    oldest = str(history[-1][1]) if history else first_key
    if oldest > low:
        lower = query_window(client, table, ticker, low, oldest)
        yield from _context(row for row in lower if row[1] != oldest)
        yield from query_lookback(client, table, ticker, low, lookback)
        return
    clean_before = sum(_is_clean(row) for row in history if str(row[1]) < low)
    if clean_before < lookback:
        yield from query_lookback(client, table, ticker, oldest, lookback - clean_before)
