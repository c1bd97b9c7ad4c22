"""Answers as bytes: JSON bodies (and the CSV rows of `csv_body`) written straight from ticks.

Writing the text directly costs a fraction of building response models and serialising them,
and what the cache keeps is these bytes. Numbers are the shortest text that reads back to the
same double (``repr``), times ISO 8601 in UTC with ``Z``, missing values ``null``; the fields
and their order are those of the documented models (`sma_api.models`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from sma_api.crossovers import CrossoverEvent
from sma_api.rows import Tick
from sma_api.store.base import TickerLatest


def iso(when: datetime) -> str:
    """``2025-01-13T07:59:00Z``: a UTC-aware time in the API's spelling."""
    if when.utcoffset():
        when = when.astimezone(UTC)
    return when.isoformat()[:-6] + "Z"


def number(value: float | None) -> str:
    return "null" if value is None else repr(value)


def text(value: str | None) -> str:
    """A string the API writes (tickers, signals, kinds: no character needs escaping)."""
    return "null" if value is None else f'"{value}"'


def etag_of(body: bytes) -> str:
    """A strong validator: the same bytes give the same tag, any change gives another."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def smas_json(smas: Mapping[str, float | None]) -> str:
    return "".join(f',"{name}":{number(value)}' for name, value in smas.items())


def tick_fields(ticker: str, tick: Tick) -> str:
    """A tick's fields, without the braces: ticker, time, prices, SMAs, signal."""
    return (
        f'"ticker":"{ticker}","last_refreshed":"{iso(tick.last_refreshed)}",'
        f'"bid_price":{number(tick.bid_price)},"ask_price":{number(tick.ask_price)}'
        f'{smas_json(tick.smas)},"signal":{text(tick.signal)}'
    )


def latest_head(ticker: str, tick: Tick, source: str) -> bytes:
    """The latest answer up to its last value, `age_seconds`, which is written per request."""
    return f'{{{tick_fields(ticker, tick)},"source":"{source}","age_seconds":'.encode()


def history_json(
    ticker: str,
    ticks: Iterable[Tick],
    meta: Mapping[str, object],
) -> bytes:
    items = ",".join(f"{{{tick_fields(ticker, t)}}}" for t in ticks)
    return f'{{"ticker":"{ticker}","items":[{items}],"meta":{meta_json(meta)}}}'.encode()


def meta_json(meta: Mapping[str, object]) -> str:
    def value(v: object) -> str:
        if isinstance(v, datetime):
            return f'"{iso(v)}"'
        return json.dumps(v)

    return "{" + ",".join(f'"{k}":{value(v)}' for k, v in meta.items()) + "}"


def side_json(tick: Tick) -> str:
    return (
        f'{{"last_refreshed":"{iso(tick.last_refreshed)}","signal":{text(tick.signal)}'
        f"{smas_json(tick.smas)}}}"
    )


def event_json(event: CrossoverEvent) -> str:
    return (
        f'{{"type":"{event.type}","last_refreshed":"{iso(event.after.last_refreshed)}",'
        f'"before":{side_json(event.before)},"after":{side_json(event.after)}}}'
    )


def signals_json(
    ticker: str, events: Iterable[CrossoverEvent], meta: Mapping[str, object]
) -> bytes:
    body = ",".join(event_json(e) for e in events)
    return f'{{"ticker":"{ticker}","events":[{body}],"meta":{meta_json(meta)}}}'.encode()


def tickers_json(found: Iterable[TickerLatest]) -> bytes:
    items = ",".join(
        f'{{"ticker":"{t.ticker}","last_refreshed":"{iso(t.last_refreshed)}"}}' for t in found
    )
    return f'{{"tickers":[{items}]}}'.encode()
