"""The malformed-tick corpus: every kind of bad item the source table may hold, as data.

Each kind is a producer item (``sma_laptop.producer.producer_item``) corrupted one way, with
what the job must do about it: reject it under one of its reasons, accept it as the same tick a
well-formed item would be, drop it as a duplicate of another spelling, or not read it at all in
the window (keys outside it). Reasons are the job's own constants, so a renamed reason breaks
this table at import rather than passing silently.

The scene: a processing window of two hours, clean minute ticks (seconds ``:00``) for two
tickers from two hours before the window to one hour after it, and every bad tick at a second
``:30`` of its own minute so it never collides with a clean key.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from sma.schema import SOURCE_PARTITION_KEY, SOURCE_SORT_KEY, SOURCE_TIME_FORMAT
from sma.ticks import (
    BAD_TIME,
    INVALID_TICKER,
    MISSING_BID_PRICE,
    NON_FINITE_BID_PRICE,
    NON_NUMERIC_BID_PRICE,
    NON_POSITIVE_BID_PRICE,
    UNKNOWN_TIME_ZONE,
)
from sma_laptop.producer import Tick, producer_item

Item = dict[str, Any]

WINDOW_START: Final = datetime(2025, 1, 13, 8, tzinfo=UTC)
WINDOW_END: Final = datetime(2025, 1, 13, 10, tzinfo=UTC)
# Pinned clock of the scheduled run that processes the window.
RUN_NOW: Final = datetime(2025, 1, 13, 10, 10, tzinfo=UTC)
HISTORY_START: Final = WINDOW_START - timedelta(hours=2)
CLEAN_END: Final = WINDOW_END + timedelta(hours=1)
TICKERS: Final = ("BTC/USD", "ETH/USD")
BASE_PRICE: Final = {"BTC/USD": Decimal("94500"), "ETH/USD": Decimal("3270")}

# What the job does with a kind besides rejecting it under a reason.
ACCEPTED: Final = "accepted"  # read as the tick its `equivalent` items describe
DUPLICATE: Final = "duplicate"  # another spelling of a clean tick: dropped, counted as duplicate
NOT_READ: Final = "not_read"  # its key lies outside the window: this run never sees it
HISTORY: Final = "history"  # before the window: read for the lookback, judged by an earlier run

# DynamoDB caps an item at 400 KB; a few of these also push a Query past its 1 MB page.
LARGE_PADDING: Final = 380_000


def key(when: datetime) -> str:
    return when.strftime(SOURCE_TIME_FORMAT)


def price_at(ticker: str, minute: int) -> Decimal:
    """A seeded, deterministic random walk with cents, as exchanges quote."""
    walk = random.Random(f"{ticker}-{minute}")
    return (BASE_PRICE[ticker] * Decimal(1 + walk.uniform(-0.01, 0.01))).quantize(Decimal("0.01"))


def clean_tick(ticker: str, when: datetime) -> Tick:
    minute = int((when - HISTORY_START).total_seconds() // 60)
    bid = price_at(ticker, minute)
    return Tick(ticker, when, bid, bid + Decimal("0.50"))


def clean_items() -> list[Item]:
    """Every clean tick of the scene: one a minute per ticker, at second 0."""
    items: list[Item] = []
    for ticker in TICKERS:
        when = HISTORY_START
        while when < CLEAN_END:
            items.append(producer_item(clean_tick(ticker, when)))
            when += timedelta(minutes=1)
    return items


@dataclass(frozen=True)
class BadTick:
    """One kind of malformed tick: the items it puts in the table and what the job must do."""

    kind: str
    items: tuple[Item, ...]
    expected: str  # a rejection reason, or ACCEPTED / DUPLICATE / NOT_READ / HISTORY
    # For ACCEPTED: the well-formed items that must give exactly the same lake.
    equivalent: tuple[Item, ...] = field(default=())

    @property
    def rejected(self) -> bool:
        return self.expected not in {ACCEPTED, DUPLICATE, NOT_READ, HISTORY}


class _Scene:
    """Hands out a fresh second-30 time in the window for each kind, minute after minute."""

    def __init__(self) -> None:
        self._minutes: Iterator[int] = iter(range(1, 119))

    def when(self) -> datetime:
        return WINDOW_START + timedelta(minutes=next(self._minutes), seconds=30)


def _with(item: Item, **changes: Any) -> Item:
    """`item` with attributes replaced; a value of `...` removes the attribute."""
    out = dict(item)
    for name, value in changes.items():
        if value is ...:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def _tick_item(when: datetime, ticker: str = "BTC/USD") -> Item:
    return producer_item(clean_tick(ticker, when))


def build_corpus() -> list[BadTick]:
    """Every kind, built afresh (items are mutable dicts)."""
    scene = _Scene()
    kinds: list[BadTick] = []

    def reject(kind: str, reason: str, **changes: Any) -> None:
        kinds.append(BadTick(kind, (_with(_tick_item(scene.when()), **changes),), reason))

    def accept(kind: str, fix: Callable[[Item], Item], **changes: Any) -> None:
        good = _tick_item(scene.when())
        kinds.append(BadTick(kind, (_with(good, **changes),), ACCEPTED, (fix(good),)))

    def same(item: Item) -> Item:
        return item

    # --- the bid price: what the SMAs average
    reject("bid price missing", MISSING_BID_PRICE, bid_price=...)
    reject("bid price '-'", NON_NUMERIC_BID_PRICE, bid_price="-")
    reject("bid price empty", MISSING_BID_PRICE, bid_price="")
    reject("bid price blank", MISSING_BID_PRICE, bid_price="   ")
    reject("bid price null", MISSING_BID_PRICE, bid_price=None)
    reject("bid price NaN", NON_FINITE_BID_PRICE, bid_price="NaN")
    reject("bid price Infinity", NON_FINITE_BID_PRICE, bid_price="Infinity")
    reject("bid price -Infinity", NON_FINITE_BID_PRICE, bid_price="-Infinity")
    reject("bid price beyond a double", NON_FINITE_BID_PRICE, bid_price="1E+400")
    reject("bid price below a double", NON_POSITIVE_BID_PRICE, bid_price="1E-400")
    reject("bid price negative", NON_POSITIVE_BID_PRICE, bid_price=Decimal("-94500.25"))
    reject("bid price zero", NON_POSITIVE_BID_PRICE, bid_price=Decimal(0))
    reject("bid price negative zero", NON_POSITIVE_BID_PRICE, bid_price="-0")
    reject("bid price in words", NON_NUMERIC_BID_PRICE, bid_price="ninety-four thousand")
    reject("bid price with thousands comma", NON_NUMERIC_BID_PRICE, bid_price="94,500.25")
    reject("bid price with currency sign", NON_NUMERIC_BID_PRICE, bid_price="$94500.25")
    reject("bid price hexadecimal", NON_NUMERIC_BID_PRICE, bid_price="0x1712")
    reject("bid price with underscores", NON_NUMERIC_BID_PRICE, bid_price="94_500.25")
    reject("bid price in Arabic-Indic digits", NON_NUMERIC_BID_PRICE, bid_price="٩٤٥٠٠")
    reject("bid price boolean", NON_NUMERIC_BID_PRICE, bid_price=True)
    reject("bid price map", NON_NUMERIC_BID_PRICE, bid_price={"amount": Decimal("94500.25")})
    reject("bid price list", NON_NUMERIC_BID_PRICE, bid_price=[Decimal("94500.25")])
    reject("bid price SQL fragment", NON_NUMERIC_BID_PRICE, bid_price="1; DROP TABLE ticks")
    accept(
        "bid price as decimal text",
        lambda good: _with(good, bid_price=Decimal("94512.34")),
        bid_price="94512.34",
    )
    accept(
        "bid price as padded text",
        lambda good: _with(good, bid_price=Decimal("94512.36")),
        bid_price="  94512.36  ",
    )
    accept(
        "bid price the largest DynamoDB number",
        lambda good: _with(good, bid_price=Decimal("9.9999999999999999999999999999999999999E+125")),
        bid_price=Decimal("9.9999999999999999999999999999999999999E+125"),
    )
    # --- the ask price: kept when usable, nulled (never a rejection) when not
    accept("ask price missing", lambda good: _with(good, ask_price=...), ask_price=...)
    accept("ask price '-'", lambda good: _with(good, ask_price=...), ask_price="-")
    accept("ask price NaN", lambda good: _with(good, ask_price=...), ask_price="NaN")
    accept("ask price negative", lambda good: _with(good, ask_price=...), ask_price=Decimal(-1))

    # --- the time: the sort key text and the zone it is written in
    def bad_key(kind: str, reason: str, text: Callable[[datetime], str]) -> None:
        when = scene.when()
        item = _with(_tick_item(when), **{SOURCE_SORT_KEY: text(when)})
        kinds.append(BadTick(kind, (item,), reason))

    bad_key("time with fractions of a second", BAD_TIME, lambda w: key(w) + ".250")
    bad_key("time without seconds", BAD_TIME, lambda w: key(w)[:16])
    bad_key("time with second 99", BAD_TIME, lambda w: key(w)[:17] + "99")
    bad_key("time with a letter in it", BAD_TIME, lambda w: key(w)[:15] + "x:30")
    bad_key("time with a zone suffix", BAD_TIME, lambda w: key(w) + " UTC")
    bad_key("time with a newline", BAD_TIME, lambda w: key(w) + "\n")

    when = scene.when()
    an_hour_on = {SOURCE_SORT_KEY: key(when + timedelta(hours=1))}
    paris = _with(_tick_item(when), **an_hour_on, time_zone="Europe/Paris")
    kinds.append(BadTick("time in Europe/Paris", (paris,), ACCEPTED, (_tick_item(when),)))
    when = scene.when()
    an_hour_on = {SOURCE_SORT_KEY: key(when + timedelta(hours=1))}
    fixed = _with(_tick_item(when), **an_hour_on, time_zone="Etc/GMT-1")
    kinds.append(BadTick("time in a fixed-offset zone", (fixed,), ACCEPTED, (_tick_item(when),)))
    accept("time zone missing", same, time_zone=...)
    accept("time zone empty", same, time_zone="")
    accept("time zone GMT", same, time_zone="GMT")
    reject("time zone unknown", UNKNOWN_TIME_ZONE, time_zone="Mars/Olympus_Mons")
    reject("time zone as an offset", UNKNOWN_TIME_ZONE, time_zone="+01:00")
    reject("time zone path traversal", UNKNOWN_TIME_ZONE, time_zone="../../../etc/passwd")
    reject("time zone lower-case", UNKNOWN_TIME_ZONE, time_zone="utc")
    reject("time zone number", UNKNOWN_TIME_ZONE, time_zone=Decimal(1))

    future = _tick_item(WINDOW_END + timedelta(minutes=30, seconds=30))
    far_future = _tick_item(datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC))
    kinds.append(BadTick("time after the window", (future,), NOT_READ))
    kinds.append(BadTick("time in the far future", (far_future,), NOT_READ))
    early = _with(_tick_item(WINDOW_START - timedelta(minutes=20, seconds=-30)), bid_price="-")
    kinds.append(BadTick("bad tick in the lookback history", (early,), HISTORY))

    # --- the ticker: the partition key, which reaches paths and SQL downstream
    def bad_ticker(kind: str, ticker: str) -> None:
        item = _with(_tick_item(scene.when()), **{SOURCE_PARTITION_KEY: ticker})
        kinds.append(BadTick(kind, (item,), INVALID_TICKER))

    bad_ticker("ticker with a space", "BTC USD")
    bad_ticker("ticker with '..'", "BTC/../USD")
    bad_ticker("ticker as a relative path", "../../etc/passwd")
    bad_ticker("ticker as an absolute path", "/BTC/USD")
    bad_ticker("ticker with a doubled '/'", "BTC//USD")
    bad_ticker("ticker with a trailing '/'", "BTC/USD/")
    bad_ticker("ticker with SQL", "BTC/USD'; DROP TABLE crypto_sma_table; --")
    bad_ticker("ticker with a quote", "BTC'USD")
    bad_ticker("ticker in full-width letters", "\uff22\uff34\uff23/\uff35\uff33\uff24")
    bad_ticker("ticker with a euro sign", "BTC/€")
    bad_ticker("ticker with an emoji", "BTC/🚀")
    bad_ticker("ticker with a NUL", "BTC\x00USD")
    bad_ticker("ticker with a hive separator", "ticker=BTCUSD")
    bad_ticker("ticker with a percent escape", "BTC%2FUSD")
    bad_ticker("ticker too long", "ABCDEFGHIJKLMNOP/QRSTUVWXYZ")
    bad_ticker("ticker too short", "B")

    when = scene.when()
    lower = _with(_tick_item(when), **{SOURCE_PARTITION_KEY: "btc/usd"})
    kinds.append(BadTick("ticker in lower case", (lower,), ACCEPTED, (_tick_item(when),)))
    when = scene.when()
    padded = _with(_tick_item(when), **{SOURCE_PARTITION_KEY: " BTC/USD "})
    kinds.append(BadTick("ticker padded with spaces", (padded,), ACCEPTED, (_tick_item(when),)))

    # --- duplicates: one tick under two keys, found on different Query pages (other tickers)
    clean_at = WINDOW_START + timedelta(minutes=50)
    dash = _with(_tick_item(clean_at), **{SOURCE_PARTITION_KEY: "BTC-USD"})
    kinds.append(BadTick("duplicate under another spelling", (dash,), DUPLICATE))
    clean_at = WINDOW_START + timedelta(minutes=51)
    zoned = _with(
        _tick_item(clean_at),
        **{SOURCE_PARTITION_KEY: "BTC_USD", SOURCE_SORT_KEY: key(clean_at + timedelta(hours=1))},
        time_zone="Europe/Paris",
    )
    kinds.append(BadTick("duplicate written in another zone", (zoned,), DUPLICATE))

    # --- size: items near DynamoDB's 400 KB limit
    padding = "x" * LARGE_PADDING
    large = [_tick_item(scene.when()) for _ in range(3)]
    kinds.append(
        BadTick(
            "items near the 400 KB limit",
            tuple(_with(item, padding=padding) for item in large),
            ACCEPTED,
            tuple(large),
        )
    )
    reject("large item with a bad price", NON_NUMERIC_BID_PRICE, bid_price="-", padding=padding)
    reject(
        "large item with a bad ticker",
        INVALID_TICKER,
        **{SOURCE_PARTITION_KEY: "BTC USD " + "y" * 1000},
        padding=padding,
    )
    return kinds


def dirty_items(corpus: Iterable[BadTick]) -> list[Item]:
    """The clean scene plus every bad item."""
    return clean_items() + [item for bad in corpus for item in bad.items]


def equivalent_items(corpus: Iterable[BadTick]) -> list[Item]:
    """The clean scene plus the well-formed equivalents of the accepted kinds."""
    return clean_items() + [item for bad in corpus for item in bad.equivalent]


def expected_rejections(corpus: Iterable[BadTick]) -> Counter[str]:
    return Counter(bad.expected for bad in corpus for _ in bad.items if bad.rejected)


def expected_duplicates(corpus: Iterable[BadTick]) -> int:
    return sum(len(bad.items) for bad in corpus if bad.expected == DUPLICATE)
