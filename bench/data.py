"""Deterministic benchmark ticks: N minute ticks over T tickers, as items or as Arrow tables.

Prices are a seeded geometric random walk per ticker, rounded to 6 decimals and carried as the
shortest text that reads back to the same double, so the job (which parses the text) and
DuckDB (which gets the doubles) average exactly the same numbers.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sma.schema import SOURCE_TIME_FORMAT
from sma.tickers import normalize
from sma_laptop.producer import Tick, producer_item

DEFAULT_START: Final = datetime(2025, 1, 13, tzinfo=UTC)
DEFAULT_SEED: Final = 7
_KNOWN_PAIRS: Final = ("BTC/USD", "ETH/USD", "DOGE/USD")
_START_PRICES: Final = (95_000.0, 3_300.0, 0.35)


@dataclass(frozen=True, slots=True)
class TickSpec:
    """`ticks` ticks in all, spread evenly over `tickers` tickers, one per ticker per interval."""

    ticks: int
    tickers: int = 3
    start: datetime = DEFAULT_START
    interval: timedelta = timedelta(minutes=1)
    seed: int = DEFAULT_SEED

    def __post_init__(self) -> None:
        if self.tickers < 1 or self.ticks < self.tickers:
            raise ValueError(f"need at least one tick per ticker: {self}")

    @property
    def per_ticker(self) -> int:
        return self.ticks // self.tickers

    @property
    def end(self) -> datetime:
        """First instant after the last tick (exclusive end of the data)."""
        return self.start + self.interval * self.per_ticker

    def hours(self) -> int:
        """Distinct UTC hours a ticker's ticks fall in (= hour partitions per ticker)."""
        first = self.start.replace(minute=0, second=0, microsecond=0)
        last = (self.end - timedelta(microseconds=1)).replace(minute=0, second=0, microsecond=0)
        return int((last - first) / timedelta(hours=1)) + 1


def ticker_names(count: int) -> list[str]:
    """Source spellings: the three real pairs, then synthetic ones (``C004/USD``, ...)."""
    names = list(_KNOWN_PAIRS[:count])
    names.extend(f"C{i:03d}/USD" for i in range(len(names) + 1, count + 1))
    return names


@dataclass(frozen=True, slots=True)
class TickArrays:
    """Column arrays, ticker-major (all of ticker 0 in time order, then ticker 1, ...)."""

    ticker: np.ndarray[Any, np.dtype[np.int32]]  # index into `names`
    epoch_micros: np.ndarray[Any, np.dtype[np.int64]]
    bid: np.ndarray[Any, np.dtype[np.float64]]
    ask: np.ndarray[Any, np.dtype[np.float64]]
    names: list[str]

    def __len__(self) -> int:
        return len(self.bid)


def tick_arrays(spec: TickSpec) -> TickArrays:
    rng = np.random.default_rng(spec.seed)
    per = spec.per_ticker
    names = ticker_names(spec.tickers)
    start_prices = np.array(
        [_START_PRICES[i] if i < len(_START_PRICES) else 10.0 + i for i in range(spec.tickers)]
    )
    steps = rng.normal(0.0, 0.0008, size=(spec.tickers, per))
    steps[:, 0] = 0.0
    bid = np.round(start_prices[:, None] * np.exp(np.cumsum(steps, axis=1)), 6)
    spread = np.round(bid * rng.uniform(0.0001, 0.0005, size=bid.shape), 6)
    first = int(spec.start.timestamp()) * 1_000_000
    step = int(spec.interval / timedelta(microseconds=1))
    times = first + np.arange(per, dtype=np.int64) * step
    return TickArrays(
        ticker=np.repeat(np.arange(spec.tickers, dtype=np.int32), per),
        epoch_micros=np.tile(times, spec.tickers),
        bid=bid.reshape(-1),
        ask=(bid + spread).reshape(-1),
        names=names,
    )


def _text(values: np.ndarray[Any, np.dtype[np.float64]]) -> pa.Array:
    # Arrow's float-to-string cast writes the shortest text that reads back to the same double.
    return pc.cast(pa.array(values, pa.float64()), pa.string())


def source_table(spec: TickSpec) -> pa.Table:
    """Ticks as the source holds them: every value the text DynamoDB would return."""
    arrays = tick_arrays(spec)
    names = pa.array(arrays.names, pa.string())
    # Whole seconds: Arrow's %S would print the microseconds of a "us" timestamp.
    when = pa.array(arrays.epoch_micros // 1_000_000, pa.timestamp("s", tz="UTC"))
    return pa.table(
        {
            "ticker": pc.take(names, pa.array(arrays.ticker)),
            "last_refreshed": pc.strftime(when, format=SOURCE_TIME_FORMAT),
            "bid_price": _text(arrays.bid),
            "ask_price": _text(arrays.ask),
            "time_zone": pa.array(np.full(len(arrays), "UTC", dtype=object), pa.string()),
        }
    )


def tick_table(spec: TickSpec) -> pa.Table:
    """The same ticks typed: normalised ticker, UTC timestamp, bid and ask as doubles."""
    arrays = tick_arrays(spec)
    names = pa.array([normalize(n) for n in arrays.names], pa.string())
    return pa.table(
        {
            "ticker": pc.take(names, pa.array(arrays.ticker)),
            "last_refreshed": pa.array(arrays.epoch_micros, pa.timestamp("us", tz="UTC")),
            "bid_price": pa.array(arrays.bid, pa.float64()),
            "ask_price": pa.array(arrays.ask, pa.float64()),
        }
    )


def ticks(spec: TickSpec) -> Iterator[Tick]:
    """The ticks as the producer's `Tick`s (Decimal prices from the same text)."""
    table = source_table(spec)
    for row in table.to_pylist():
        yield Tick(
            ticker=row["ticker"],
            last_refreshed=datetime.strptime(row["last_refreshed"], SOURCE_TIME_FORMAT).replace(
                tzinfo=UTC
            ),
            bid_price=Decimal(row["bid_price"]),
            ask_price=Decimal(row["ask_price"]),
        )


def producer_items(spec: TickSpec) -> Iterator[dict[str, Any]]:
    """DynamoDB items exactly as the upstream producer writes them."""
    return (producer_item(t) for t in ticks(spec))


def main() -> None:
    parser = argparse.ArgumentParser(description="Write benchmark ticks to a Parquet file.")
    parser.add_argument("--ticks", type=int, default=1_000_000)
    parser.add_argument("--tickers", type=int, default=3)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--typed", action="store_true", help="typed columns, not source text")
    parser.add_argument("output", type=Path)
    args = parser.parse_args()
    spec = TickSpec(ticks=args.ticks, tickers=args.tickers, seed=args.seed)
    table = tick_table(spec) if args.typed else source_table(spec)
    pq.write_table(table, args.output)
    print(f"{table.num_rows} ticks, {spec.tickers} tickers, {spec.hours()} hours each")


if __name__ == "__main__":
    main()
