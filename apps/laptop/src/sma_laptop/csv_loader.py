"""Real prices from CSV files as producer ticks.

Accepted files have a header with a time column (``timestamp``, ``date``, ``datetime``, ``time``
or ``last_refreshed``) and a ``close`` column; other columns (OHLC, volume) are ignored. That
covers Yahoo Finance minute exports (``Date,Close,High,Low,Open,Volume``). Times may carry an
offset (``2025-01-13 00:00:00+00:00``, ``...Z``), be naive (taken as UTC) or be Unix seconds.

Such files hold one last price per minute and no quote, so the tick's bid, ask and exchange rate
are all the close: an invented spread would put made-up numbers in ``ask_price``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

from sma_laptop.producer import Tick

TIME_COLUMNS: Final[tuple[str, ...]] = ("timestamp", "date", "datetime", "time", "last_refreshed")
PRICE_COLUMN: Final[str] = "close"

# 'BTC-USD', 'btc_usd', 'ETH/EUR' inside a file name such as 'yahoo_BTC-USD_1m_2025.csv'.
_PAIR_IN_NAME: Final[re.Pattern[str]] = re.compile(
    r"(?:^|[^A-Za-z0-9])([A-Za-z0-9]{2,10})[-/]([A-Za-z]{3,4})(?:$|[^A-Za-z0-9])"
)


class CsvFormatError(ValueError):
    """A CSV file the loader cannot read: no usable header, or no ticker for it."""


@dataclass(frozen=True, slots=True)
class CsvSource:
    """One file and the producer ticker (``BTC/USD``) its rows belong to."""

    path: Path
    ticker: str


def ticker_from_name(path: Path) -> str:
    """``yahoo_BTC-USD_1m_20250113.csv`` -> ``BTC/USD``."""
    match = _PAIR_IN_NAME.search(path.stem)
    if match is None:
        raise CsvFormatError(
            f"cannot tell the ticker from the file name {path.name!r}: name it like "
            "'BTC-USD.csv' or give it as 'BTC/USD=path'"
        )
    return f"{match.group(1).upper()}/{match.group(2).upper()}"


def parse_sources(spec: str | Iterable[str]) -> list[CsvSource]:
    """Sources from ``path[,path...]``; an entry ``BTC/USD=path`` names the ticker itself."""
    entries = spec.split(",") if isinstance(spec, str) else list(spec)
    sources = []
    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        ticker, sep, path_text = entry.partition("=")
        if sep:
            sources.append(CsvSource(Path(path_text).expanduser(), ticker.strip().upper()))
        else:
            path = Path(entry).expanduser()
            sources.append(CsvSource(path, ticker_from_name(path)))
    if not sources:
        raise CsvFormatError("no CSV file given")
    return sources


def parse_time(text: str) -> datetime:
    """A CSV time cell as an aware UTC datetime; raises ValueError when it is not a time."""
    value = text.strip()
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_price(text: str) -> Decimal | str:
    """The close as an exact Decimal, or the raw text when it is no finite number.

    Raw text goes to the table unchanged, the way a producer passes on ``-``: the job rejects it.
    """
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return text
    return value if value.is_finite() else text


def _find_columns(header: Sequence[str], path: Path) -> tuple[int, int]:
    names = [name.strip().lower() for name in header]
    time_index = next((names.index(n) for n in TIME_COLUMNS if n in names), None)
    if time_index is None or PRICE_COLUMN not in names:
        raise CsvFormatError(
            f"{path}: expected a time column ({', '.join(TIME_COLUMNS)}) and a "
            f"'{PRICE_COLUMN}' column, found {list(header)}"
        )
    return time_index, names.index(PRICE_COLUMN)


@dataclass(slots=True)
class CsvStats:
    """What reading one file gave: rows turned into ticks and rows skipped (no readable time)."""

    source: CsvSource
    ticks: int = 0
    skipped: int = 0


def read_ticks(source: CsvSource, stats: CsvStats | None = None) -> Iterator[Tick]:
    """The file's rows as ticks, in file order; rows without a readable time are skipped."""
    with source.path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise CsvFormatError(f"{source.path}: the file is empty")
        time_index, price_index = _find_columns(header, source.path)
        for row in reader:
            if not row:
                continue
            try:
                when = parse_time(row[time_index])
                price = parse_price(row[price_index])
            except (ValueError, IndexError, OverflowError):
                if stats is not None:
                    stats.skipped += 1
                continue
            if stats is not None:
                stats.ticks += 1
            yield Tick(source.ticker, when, price, price, price)
