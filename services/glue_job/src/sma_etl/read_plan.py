"""Which Queries a window's ticks take, and where they run: in the driver or on executors.

A small window is read in the driver, one thread per ticker; a run of small windows is read at
once and served window by window (``Prefetched``); a large window is read by Spark tasks, one
per (ticker, slice of the window), so even one ticker's backfill reads in parallel.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from sma.tickers import InvalidTicker, normalize
from sma.ticks import is_zone, zone_name
from sma_etl.source import (
    LOOKBACK_COLUMN,
    LOOKBACK_TICKS,
    RAW_COLUMNS,
    RawRow,
    SourceConfig,
    dynamodb_client,
    is_clean,
)
from sma_etl.window import Window

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

# Windows of up to this many ticker-hours (the scheduled run's 3 x 2, a day of 3 tickers) are
# read in the driver; Spark tasks would cost more to start than the reading takes.
DRIVER_READ_TICKER_HOURS: Final = 72
# A run of such windows up to this many ticker-hours in all (a month of 3 tickers) is read
# at once, one Query per ticker (``Prefetched``).
READ_AHEAD_TICKER_HOURS: Final = 3 * 24 * 31


def raw_schema() -> StructType:
    """The Spark schema of raw ticks: texts as stored, plus the lookback flag."""
    from pyspark.sql.types import BooleanType, StringType, StructField, StructType

    return StructType(
        [StructField(name, StringType(), True) for name in RAW_COLUMNS]
        + [StructField(LOOKBACK_COLUMN, BooleanType(), False)]
    )


@dataclass(frozen=True, slots=True)
class ReadTask:
    """One ticker's keys in ``[first_key, last_key]``, after its lookback when `lookback` > 0.

    `first` and `last` say whether the slice opens or closes the ticker's window: only there
    are the keys widened for ticks written in another time zone (``zones.read_ticker``).
    """

    ticker: str
    first_key: str
    last_key: str
    lookback: int
    first: bool = True
    last: bool = True


def read_tasks(
    tickers: Iterable[str], window: Window, slices: int, lookback: int
) -> list[ReadTask]:
    """Each ticker's window cut into up to `slices` runs of whole hours; history with the first.

    The slices' key ranges follow each other without gap or overlap, so together they read
    exactly what one Query of the window reads.
    """
    hours = window.hours
    per_slice = -(-hours // max(1, min(slices, hours)))
    parts = list(window.chunks(per_slice))
    return [
        ReadTask(
            ticker,
            part.start_key(),
            part.last_key(),
            lookback if index == 0 else 0,
            first=index == 0,
            last=index == len(parts) - 1,
        )
        for ticker in sorted(set(tickers))
        for index, part in enumerate(parts)
    ]


def run_task(client: Any, table: str, task: ReadTask) -> Iterator[RawRow]:
    """One task's rows: its keys and history, widened for tickers in other time zones."""
    from sma_etl.zones import read_ticker

    yield from read_ticker(
        client,
        table,
        task.ticker,
        task.first_key,
        task.last_key,
        task.lookback,
        widen_low=task.first,
        widen_high=task.last,
    )


def _run_tasks(config: SourceConfig, tasks: Iterable[ReadTask]) -> Iterator[RawRow]:
    client = dynamodb_client(config)  # at most once per Spark task, never per ticker or page
    for task in tasks:
        yield from run_task(client, config.table, task)


def reads_in_driver(tickers: Iterable[str], window: Window) -> bool:
    """Whether a window is small enough to read in the driver (``DRIVER_READ_TICKER_HOURS``)."""
    return len(set(tickers)) * window.hours <= DRIVER_READ_TICKER_HOURS


def fetch_ticks(
    config: SourceConfig, tickers: Iterable[str], window: Window, lookback: int = LOOKBACK_TICKS
) -> list[RawRow]:
    """Raw ticks of `tickers` in `window` plus their lookback, read here, one thread per ticker."""
    tasks = read_tasks(tickers, window, 1, lookback)
    client = dynamodb_client(config)
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(tasks)))) as pool:
        parts = pool.map(lambda task: list(run_task(client, config.table, task)), tasks)
        return [row for part in parts for row in part]


class Prefetched:
    """A run's ticks read in the driver at once, served window by window as the Queries would.

    Consecutive small chunks each Querying the table cost a Query's fixed price again and
    again. This reads each ticker's whole range (and the history before it) once; a chunk's
    window is its key range of those rows, and its lookback the rows before it, newest first,
    until `lookback` pass the tick rule: exactly what ``query_window`` and ``query_lookback``
    return, since every row before the chunk back to that point was read. Not so for ticks
    written in another time zone (`zoned`): their chunks read their own widened keys.
    """

    def __init__(self, rows: Iterable[RawRow], lookback: int = LOOKBACK_TICKS) -> None:
        self.lookback = lookback
        self.by_ticker: dict[str | None, list[RawRow]] = {}
        for row in rows:
            self.by_ticker.setdefault(row[0], []).append(row)
        for ticker_rows in self.by_ticker.values():
            ticker_rows.sort(key=lambda row: row[1] or "")
        self.keys = {t: [r[1] or "" for r in rows] for t, rows in self.by_ticker.items()}
        self.zoned = any(
            zone_name(row[4]) != "UTC" and is_zone(zone_name(row[4]))
            for rows in self.by_ticker.values()
            for row in rows
        )

    @classmethod
    def fetch(
        cls,
        config: SourceConfig,
        tickers: Iterable[str],
        window: Window,
        lookback: int = LOOKBACK_TICKS,
    ) -> Prefetched:
        return cls(fetch_ticks(config, tickers, window, lookback), lookback)

    def window_rows(self, window: Window) -> list[RawRow]:
        """The raw ticks of `window` and their lookback, as the two Queries give them."""
        first, last = window.start_key(), window.last_key()
        out: list[RawRow] = []
        for ticker, rows in sorted(self.by_ticker.items(), key=lambda item: item[0] or ""):
            keys = self.keys[ticker]
            begin, end = bisect_left(keys, first), bisect_right(keys, last)
            out.extend(self._lookback(ticker, rows[:begin]))
            out.extend((*row[:5], False) for row in rows[begin:end])
        return out

    def _lookback(self, ticker: str | None, before: list[RawRow]) -> Iterator[RawRow]:
        try:
            normalize(ticker)  # type: ignore[arg-type]
        except InvalidTicker:
            return
        clean = 0
        for row in reversed(before):
            if clean >= self.lookback:
                return
            marked: RawRow = (*row[:5], True)
            yield marked
            clean += is_clean(marked)


def read_ticks(
    spark: SparkSession,
    config: SourceConfig,
    tickers: Iterable[str],
    window: Window,
    *,
    lookback: int = LOOKBACK_TICKS,
    in_driver: bool | None = None,
) -> tuple[DataFrame, bool]:
    """Raw ticks of `tickers` in `window` plus their lookback, and whether the driver read them.

    A window of at most ``DRIVER_READ_TICKER_HOURS`` ticker-hours is read in the driver
    (``fetch_ticks``): no Spark task, no Python worker. A larger one is read by Spark tasks,
    one per (ticker, slice of the window), so even one ticker's backfill reads in parallel;
    that frame reads the table again on every action unless the caller persists it.
    """
    names = sorted(set(tickers))
    if in_driver is None:
        in_driver = reads_in_driver(names, window)
    if in_driver:
        return spark.createDataFrame(
            fetch_ticks(config, names, window, lookback), raw_schema()
        ), True
    cores = spark.sparkContext.defaultParallelism
    tasks = read_tasks(names, window, -(-2 * cores // max(1, len(names))), lookback)
    if not tasks:
        return spark.createDataFrame([], raw_schema()), False
    rdd = spark.sparkContext.parallelize(tasks, len(tasks)).mapPartitions(
        partial(_run_tasks, config)
    )
    return spark.createDataFrame(rdd, raw_schema()), False
