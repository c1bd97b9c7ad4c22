"""CSV answers, streamed: a header of the JSON field names, then one row per item.

Rows are written a chunk at a time from the ticks already in hand, so a 10,000-row answer is
never also held as one large text. Times are UTC ISO 8601, numbers the shortest text that reads
back to the same double, missing values empty cells. No value the API writes holds a comma, a
quote or a line break, so no cell needs quoting.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

from sma_api.crossovers import CrossoverEvent
from sma_api.encode import iso
from sma_api.rows import Tick

MEDIA_TYPE: Final[str] = "text/csv; charset=utf-8"
ROWS_PER_CHUNK: Final[int] = 1000
_EOL: Final[str] = "\r\n"  # RFC 4180


def _cell(value: float | str | None) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else repr(value)


def _chunks(header: Sequence[str], rows: Iterator[str]) -> Iterator[bytes]:
    lines = [",".join(header)]
    for row in rows:
        lines.append(row)
        if len(lines) >= ROWS_PER_CHUNK:
            yield (_EOL.join(lines) + _EOL).encode()
            lines = []
    if lines:
        yield (_EOL.join(lines) + _EOL).encode()


def history_csv(ticker: str, ticks: Sequence[Tick], columns: Sequence[str]) -> Iterator[bytes]:
    """`ticker, last_refreshed, bid_price, ask_price, <columns>, signal` per tick."""
    header = ["ticker", "last_refreshed", "bid_price", "ask_price", *columns, "signal"]
    rows = (
        ",".join(
            [
                ticker,
                iso(t.last_refreshed),
                _cell(t.bid_price),
                _cell(t.ask_price),
                *(_cell(t.smas.get(c)) for c in columns),
                _cell(t.signal),
            ]
        )
        for t in ticks
    )
    return _chunks(header, rows)


def signals_csv(events: Sequence[CrossoverEvent], columns: Sequence[str]) -> Iterator[bytes]:
    """`type, last_refreshed`, then each side's fields as ``before.<field>``, ``after.<field>``."""
    side = ["last_refreshed", "signal", *columns]
    header = ["type", "last_refreshed", *(f"{s}.{f}" for s in ("before", "after") for f in side)]

    def cells(tick: Tick) -> list[str]:
        return [
            iso(tick.last_refreshed),
            _cell(tick.signal),
            *(_cell(tick.smas.get(c)) for c in columns),
        ]

    rows = (
        ",".join([e.type, iso(e.after.last_refreshed), *cells(e.before), *cells(e.after)])
        for e in events
    )
    return _chunks(header, rows)
