"""One run of the job: extract -> transform -> load -> catalog, chunk by chunk."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from sma_etl.catalog import glue_client, register_partitions
from sma_etl.catchup import catch_up
from sma_etl.discovery import daily_tickers, discover_tickers
from sma_etl.late_ticks import check_late, record_counts
from sma_etl.read_counts import counted_frame, counted_rows
from sma_etl.read_plan import (
    READ_AHEAD_TICKER_HOURS,
    Prefetched,
    fetch_ticks,
    raw_schema,
    read_ticks,
    reads_in_driver,
)
from sma_etl.refresh_marker import publish_refresh
from sma_etl.run_state import PHASES, Clock, RunSummary, Session
from sma_etl.settings import Settings
from sma_etl.sink import Partition, lake_uri, write_partitions, write_rejected
from sma_etl.source import RawRow, SourceConfig
from sma_etl.transform import transform
from sma_etl.window import HOUR, Window, iso

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

__all__ = ["PHASES", "RunSummary", "is_short", "is_short_run", "run", "run_window"]

# Up to this many ticker-hours (about 480,000 ticks at one a minute) a run ends before the
# optimising JIT compiler pays for itself. ``bench.backfill``, cold JVM, end to end: 3e5 ticks
# 13.5 s -> 10.4 s with the quick compiler alone, 1e6 ticks 22.3 s -> 25.0 s.
QUICK_JIT_TICKER_HOURS: Final = 8_000


def source_config(settings: Settings) -> SourceConfig:
    """What the executors need to reach the source table, taken from the run's settings."""
    return SourceConfig(
        table=settings.table,
        region=settings.region,
        endpoint_url=settings.dynamodb_endpoint,
        retry_mode=settings.retry_mode,
        max_attempts=settings.max_attempts,
    )


def _micros(window: Window) -> tuple[int, int]:
    return int(window.start.timestamp()) * 1_000_000, int(window.end.timestamp()) * 1_000_000


def run_window(
    session: Session,
    settings: Settings,
    tickers: tuple[str, ...],
    window: Window,
    summary: RunSummary,
    *,
    clock: Clock,
    rows: list[RawRow] | None = None,
) -> None:
    """Process one window (a chunk of the run's) and add what it did to `summary`.

    `rows` are the window's raw ticks when the run read them ahead (``Prefetched``).
    """
    from pyspark import StorageLevel

    config = source_config(settings)
    in_driver = rows is not None or reads_in_driver(tickers, window)
    if in_driver:
        if rows is None:
            rows = fetch_ticks(config, tickers, window)
        read = counted_rows(rows)
        spark = session.get("read")
        raw = spark.createDataFrame(rows, raw_schema())
    else:
        spark = session.get("read")
        raw, _ = read_ticks(spark, config, tickers, window, in_driver=False)
        # Read by Spark tasks: kept, so the table is read once however many jobs follow.
        raw = raw.persist(StorageLevel.MEMORY_AND_DISK)
        read = counted_frame(raw)
    summary.tickers_read |= read.tickers
    if settings.scheduled:
        for ticker, hours in read.key_counts.items():
            summary.key_counts.setdefault(ticker, {}).update(hours)
    clock.lap("read")
    try:
        result = transform(raw, *_micros(window))
        ticks = result.count_ticks()
        summary.items_read += ticks.items_read
        summary.lookback_items += ticks.lookback_items
        summary.rows_rejected.update(ticks.rejected)
        summary.ask_price_nulled += ticks.ask_price_nulled
        summary.clean_outside_window += ticks.clean_outside_window
        per_partition = result.count_rows()
        partitions = [Partition(*key) for key in per_partition]
        rows_written = sum(per_partition.values())
        summary.rows_written += rows_written
        summary.duplicates += ticks.clean_in_window - rows_written
        summary.partitions.extend(partitions)
        clock.lap("compute")

        if partitions:
            write_partitions(result.rows, settings.output, clustered=True)
        if ticks.rejected and settings.write_rejected:
            name = f"{iso(window.start)}_{iso(window.end)}"
            summary.rejected_locations.append(
                write_rejected(result.rejected, settings.output, name)
            )
    finally:
        if not in_driver:
            raw.unpersist()
    clock.lap("write")

    if settings.catalog is not None and partitions:
        client = glue_client(settings.region, settings.glue_endpoint)
        summary.partitions_registered += register_partitions(
            client, settings.catalog, lake_uri(settings.output), partitions
        )
    clock.lap("catalog")


def reads_ahead(tickers: tuple[str, ...], window: Window, chunks: list[Window]) -> bool:
    """Whether a run of several chunks is read in the driver while Spark works
    (``read_plan.Prefetched``)."""
    return len(chunks) > 1 and len(tickers) * window.hours <= READ_AHEAD_TICKER_HOURS


def is_short(tickers: int, hours: int) -> bool:
    """Whether a run of `tickers` x `hours` is over before Java's optimising compiler pays for
    itself (``QUICK_JIT_TICKER_HOURS``): its session then runs the quick compiler alone."""
    return tickers * hours <= QUICK_JIT_TICKER_HOURS


def is_short_run(settings: Settings) -> bool:
    """``is_short`` for a run's settings; a run that discovers its tickers is not short."""
    return not settings.discover_tickers and is_short(len(settings.tickers), settings.window.hours)


def resolve_tickers(settings: Settings) -> tuple[str, ...]:
    """The configured tickers, plus every key in the table when discovery is asked for."""
    tickers = list(settings.tickers)
    if settings.discover_tickers:
        tickers.extend(discover_tickers(source_config(settings)))
    elif settings.discover_daily:
        today = (settings.now or datetime.now(UTC)).date()
        tickers.extend(daily_tickers(settings.output, source_config(settings), today))
    return tuple(dict.fromkeys(tickers))


def plan_scheduled(settings: Settings, tickers: tuple[str, ...], summary: RunSummary) -> Window:
    """A scheduled run's window: from missed hours (catch-up) and hours with late ticks on."""
    planned = catch_up(settings.output, settings.window, settings.max_catchup_hours)
    window, summary.catchup_hours_left = planned.window, planned.hours_left
    late = check_late(
        settings.output,
        source_config(settings),
        tickers,
        window.start,
        settings.window.end,
        settings.late_horizon_hours,
    )
    summary.late_beyond_horizon = late.beyond_horizon
    if late.rewrite_from is not None and late.rewrite_from < window.start:
        window = Window(late.rewrite_from, window.end)
        summary.late_rewrite_from = iso(late.rewrite_from)
    summary.window = window
    return window


def _finish(settings: Settings, tickers: tuple[str, ...], window: Window, chunks: list[Window],
            summary: RunSummary) -> None:  # fmt: skip
    """What a run leaves once its windows are written: warnings, the marker, the key counts."""
    summary.tickers_without_ticks = [t for t in settings.tickers if t not in summary.tickers_read]
    if summary.tickers_without_ticks:
        log.warning(
            "configured tickers without ticks: %s", ", ".join(summary.tickers_without_ticks)
        )
    if settings.refresh_marker:
        publish_refresh(settings.output, window.as_json(), summary.rows_written)
    if settings.scheduled:
        keep_from = settings.window.end - (settings.late_horizon_hours + 2) * HOUR
        record_counts(settings.output, tickers, chunks, summary.key_counts, keep_from)
    if summary.catchup_hours_left:
        log.error(
            "CATCH-UP INCOMPLETE: wrote %s..%s, the longest span a run may cover (%d h); "
            "%d hours remain, left for the next runs",
            iso(window.start),
            iso(window.end),
            settings.max_catchup_hours,
            summary.catchup_hours_left,
        )


def run(settings: Settings, spark: SparkSession | Future[SparkSession] | None = None) -> RunSummary:
    """Run the job over `settings.window`, in chunks of `settings.chunk_hours` hours.

    A scheduled run's window reaches back over missed hours and hours with late ticks.
    `spark` may be a session still starting (a future): the plan and a window read in the
    driver are read meanwhile.
    """
    began = time.perf_counter()
    window, summary = settings.window, RunSummary(window=settings.window)
    clock = Clock(summary)
    if spark is None:
        from sma_etl.spark import build_session

        spark = build_session(app_name="sma-etl")
    clock.lap("session")
    session = Session(spark, clock)
    prefetched: Prefetched | None = None
    try:
        tickers = resolve_tickers(settings)
        summary.tickers = len(tickers)
        if settings.scheduled:
            window = plan_scheduled(settings, tickers, summary)
        clock.lap("read")

        chunks = list(window.chunks(settings.chunk_hours))
        if reads_ahead(tickers, window, chunks):
            prefetched = Prefetched(source_config(settings), tickers, window)
        number = 0
        while number < len(chunks):
            chunk = chunks[number]
            number += 1
            before = (summary.rows_written, len(summary.partitions))
            rows = None
            if prefetched is not None:
                rows = prefetched.window_rows(chunk)
                clock.lap("read")
                if rows is None:
                    # Ticks keyed in another zone may belong here: the rest of the run (at most
                    # READ_AHEAD_TICKER_HOURS) is read as one window, which sees every zone in
                    # it and widens its keys for them, however a ticker's zone changed.
                    chunk = Window(chunk.start, window.end)
                    chunks[number - 1 :] = [chunk]
                    log.info(
                        "ticks in another time zone: %s..%s read as one window",
                        iso(chunk.start),
                        iso(chunk.end),
                    )
                    prefetched.close()
                    prefetched = None
            run_window(session, settings, tickers, chunk, summary, clock=clock, rows=rows)
            log.info(
                "chunk %d/%d %s..%s: %d rows, %d partitions written (%.1f s so far)",
                number,
                len(chunks),
                iso(chunk.start),
                iso(chunk.end),
                summary.rows_written - before[0],
                len(summary.partitions) - before[1],
                time.perf_counter() - began,
            )
    finally:
        if prefetched is not None:
            prefetched.close()
        if clock.jobs is not None:
            clock.jobs.close()
    _finish(settings, tickers, window, chunks, summary)
    summary.seconds = time.perf_counter() - began
    return summary
