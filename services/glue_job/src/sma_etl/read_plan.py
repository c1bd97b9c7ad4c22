"""Which Queries a window's ticks take, and where they run: in the driver or on executors.

A small window is read in the driver, one thread per ticker; a run of several chunks is read in
the driver while Spark works and served chunk by chunk (``Prefetched``); a large window is read
by Spark tasks, one per (ticker, slice of the window), so even one ticker's backfill reads in
parallel.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from sma.schema import SOURCE_TIME_FORMAT
from sma.tickers import InvalidTicker, normalize
from sma.ticks import in_other_zone
from sma_etl.source import (
    LOOKBACK_COLUMN,
    LOOKBACK_TICKS,
    RAW_COLUMNS,
    RawRow,
    SourceConfig,
    dynamodb_client,
    is_clean,
    query_lookback,
    query_pages,
)
from sma_etl.window import Window
from sma_etl.zones import probe_zone, read_ticker

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

# Windows of up to this many ticker-hours (the scheduled run's 3 x 2, a day of 3 tickers) are
# read in the driver; Spark tasks would cost more to start than the reading takes.
DRIVER_READ_TICKER_HOURS: Final = 72
# A run of several chunks up to this many ticker-hours in all (a month of 3 tickers) is read in
# the driver while Spark works, one Query per ticker (``Prefetched``).
READ_AHEAD_TICKER_HOURS: Final = 3 * 24 * 31
# Ticks keyed by another zone's wall time carry keys up to this far after their UTC instant
# (UTC+14 is the largest offset in use).
ZONE_LEAD: Final = timedelta(hours=14)


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


class _TickerReader:
    """One ticker's rows of a prefetched run, in key order, as far as they have been read."""

    def __init__(self, ticker: str) -> None:
        self.ticker = ticker
        self.rows: list[RawRow] = []
        self.keys: list[str] = []
        self.done = False
        # The first key of a tick naming a zone other than UTC (its keys are not UTC times).
        self.zoned_from: str | None = None

    def has_read(self, key: str) -> bool:
        """Whether every row with a sort key up to `key` is here."""
        return self.done or (bool(self.keys) and self.keys[-1] >= key)


class Prefetched:
    """A run's ticks read in the driver while Spark works, served window by window as the
    Queries would give them.

    Consecutive small chunks each Querying the table cost a Query's fixed price again and
    again. Instead one thread per ticker reads the run's whole range (and the history before
    it) page by page, in key order, from the moment the run starts; a chunk is served as soon
    as every ticker has been read past its end, so Spark computes one chunk while the next is
    read. A chunk's window is its key range of those rows, and its lookback the rows before
    it, newest first, until `lookback` pass the tick rule: exactly what ``query_window`` and
    ``query_lookback`` return, since every row before the chunk back to that point was read.

    Not so for ticks written in another time zone: their keys are not UTC times. A chunk is
    served only once ``ZONE_LEAD`` more keys are read, and when a tick up to there (or the
    first one after the run) names another zone, ``window_rows`` returns None: the run reads
    its remaining hours itself, widening the keys (``zones.read_ticker``). The chunks served
    before held no such tick, nor could a later one belong to them.
    """

    def __init__(
        self,
        config: SourceConfig,
        tickers: Iterable[str],
        window: Window,
        lookback: int = LOOKBACK_TICKS,
    ) -> None:
        self.lookback = lookback
        self._window = window
        self._readers = {ticker: _TickerReader(ticker) for ticker in sorted(set(tickers))}
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._pool = ThreadPoolExecutor(
            max_workers=max(1, min(8, len(self._readers))), thread_name_prefix="prefetch"
        )
        client = dynamodb_client(config)
        for reader in self._readers.values():
            self._pool.submit(self._read, client, config.table, reader)

    def _read(self, client: Any, table: str, reader: _TickerReader) -> None:
        first, last = self._window.start_key(), self._window.last_key()
        try:
            # The ticks just after the run may be another zone's keys for its last hours.
            if any(map(in_other_zone, probe_zone(client, table, reader.ticker, last))):
                reader.zoned_from = last
            history = list(query_lookback(client, table, reader.ticker, first, self.lookback))
            self._add(reader, history[::-1])
            for page in query_pages(client, table, reader.ticker, first, last):
                if self._stop.is_set():
                    return
                self._add(reader, page)
        except BaseException as error:  # handed to the thread waiting in window_rows
            with self._changed:
                self._error = error
        finally:
            with self._changed:
                reader.done = True
                self._changed.notify_all()

    def _add(self, reader: _TickerReader, rows: list[RawRow]) -> None:
        zoned = next((row[1] or "" for row in rows if in_other_zone(row[4])), None)
        with self._changed:
            reader.rows.extend(rows)
            reader.keys.extend(row[1] or "" for row in rows)
            if zoned is not None and (reader.zoned_from is None or zoned < reader.zoned_from):
                reader.zoned_from = zoned
            self._changed.notify_all()

    def window_rows(self, window: Window) -> list[RawRow] | None:
        """The raw ticks of `window` and their lookback, as the two Queries give them; None
        when ticks in another time zone may belong to it (the chunk must read its own keys).

        Waits until every ticker has been read far enough; a reader's error is raised here.
        """
        horizon = (window.end + ZONE_LEAD).strftime(SOURCE_TIME_FORMAT)
        first, last = window.start_key(), window.last_key()
        out: list[RawRow] = []
        with self._changed:
            self._changed.wait_for(
                lambda: (
                    self._error is not None
                    or all(reader.has_read(horizon) for reader in self._readers.values())
                )
            )
            if self._error is not None:
                raise self._error
            if any(
                reader.zoned_from is not None and reader.zoned_from <= horizon
                for reader in self._readers.values()
            ):
                return None
            for reader in self._readers.values():
                keys, rows = reader.keys, reader.rows
                begin, end = bisect_left(keys, first), bisect_right(keys, last)
                out.extend(self._lookback(reader.ticker, rows, begin))
                out.extend((*row[:5], False) for row in rows[begin:end])
        return out

    def close(self) -> None:
        """Stop reading (after the page in flight) and wait for the readers."""
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _lookback(self, ticker: str, rows: list[RawRow], begin: int) -> Iterator[RawRow]:
        try:
            normalize(ticker)
        except InvalidTicker:
            return
        clean = 0
        for index in range(begin - 1, -1, -1):
            if clean >= self.lookback:
                return
            marked: RawRow = (*rows[index][:5], True)
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
