"""One run of the job: extract -> transform -> load -> catalog, chunk by chunk."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sma_etl.catalog import glue_client, register_partitions
from sma_etl.catchup import catch_up
from sma_etl.discovery import daily_tickers, tickers_read
from sma_etl.late_ticks import check_late, record_counts, window_key_counts
from sma_etl.refresh_marker import publish_refresh
from sma_etl.settings import Settings
from sma_etl.sink import Partition, lake_uri, write_partitions, write_rejected
from sma_etl.source import SourceConfig, discover_tickers, read_ticks
from sma_etl.transform import transform
from sma_etl.window import HOUR, Window, iso

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

PHASES = ("session", "read", "compute", "write", "catalog")


@dataclass
class RunSummary:
    """What a run did; `as_json` is the one line the CLI prints."""

    window: Window
    tickers: int = 0
    items_read: int = 0  # every item fetched, lookback included
    lookback_items: int = 0
    rows_written: int = 0
    rows_rejected: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0
    ask_price_nulled: int = 0
    clean_outside_window: int = 0  # clean, read under the window's keys, written by another
    partitions: list[Partition] = field(default_factory=list)
    partitions_registered: int = 0
    rejected_locations: list[str] = field(default_factory=list)
    tickers_read: set[str] = field(default_factory=set)
    tickers_without_ticks: list[str] = field(default_factory=list)
    catchup_hours_left: int = 0  # hours past the maximum catch-up span, left for later runs
    late_beyond_horizon: int = 0
    late_rewrite_from: str | None = None  # the first hour written again for late ticks
    key_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))

    def as_json(self) -> dict[str, Any]:
        return {
            "window": self.window.as_json(),
            "tickers": self.tickers,
            "items_read": self.items_read,
            "rows_written": self.rows_written,
            "rows_rejected": dict(sorted(self.rows_rejected.items())),
            "partitions": len(self.partitions),
            "seconds": round(self.seconds, 3),
            "lookback_items": self.lookback_items,
            "duplicates": self.duplicates,
            "ask_price_nulled": self.ask_price_nulled,
            "clean_outside_window": self.clean_outside_window,
            "partitions_registered": self.partitions_registered,
            "tickers_without_ticks": self.tickers_without_ticks,
            "late_beyond_horizon": self.late_beyond_horizon,
            "late_rewrite_from": self.late_rewrite_from,
            "catchup_hours_left": self.catchup_hours_left,
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
        }


class _Clock:
    """Adds the seconds spent in each phase to a summary."""

    def __init__(self, summary: RunSummary) -> None:
        self.summary = summary
        self.mark = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.summary.phases[phase] += now - self.mark
        self.mark = now


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
    spark: SparkSession,
    settings: Settings,
    tickers: tuple[str, ...],
    window: Window,
    summary: RunSummary,
) -> None:
    """Process one window (a chunk of the run's) and add what it did to `summary`."""
    clock = _Clock(summary)
    raw = read_ticks(
        spark,
        source_config(settings),
        tickers,
        first_key=window.start_key(),
        last_key=window.last_key(),
    )
    result = transform(raw, *_micros(window))
    with result.cached():
        ticks = result.count_ticks()  # the first action: reads the source
        summary.items_read += ticks.items_read
        summary.lookback_items += ticks.lookback_items
        summary.rows_rejected.update(ticks.rejected)
        summary.ask_price_nulled += ticks.ask_price_nulled
        summary.clean_outside_window += ticks.clean_outside_window
        summary.tickers_read |= tickers_read(result.parsed)
        if settings.scheduled:
            for ticker, hours in window_key_counts(result.parsed).items():
                summary.key_counts.setdefault(ticker, {}).update(hours)
        clock.lap("read")

        per_partition = result.count_rows()
        partitions = [Partition(*key) for key in per_partition]
        rows_written = sum(per_partition.values())
        summary.rows_written += rows_written
        summary.duplicates += ticks.clean_in_window - rows_written
        summary.partitions.extend(partitions)
        clock.lap("compute")

        if partitions:
            write_partitions(result.rows, settings.output)
        if ticks.rejected and settings.write_rejected:
            name = f"{iso(window.start)}_{iso(window.end)}"
            summary.rejected_locations.append(
                write_rejected(result.rejected, settings.output, name)
            )
    clock.lap("write")

    if settings.catalog is not None and partitions:
        client = glue_client(settings.region, settings.glue_endpoint)
        summary.partitions_registered += register_partitions(
            client, settings.catalog, lake_uri(settings.output), partitions
        )
    clock.lap("catalog")


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


def run(settings: Settings, spark: SparkSession | None = None) -> RunSummary:
    """Run the job over `settings.window`, in chunks of `settings.chunk_hours` hours."""
    began = time.perf_counter()
    window, summary = settings.window, RunSummary(window=settings.window)
    clock = _Clock(summary)
    if spark is None:
        from sma_etl.spark import build_session

        spark = build_session(app_name="sma-etl")
    clock.lap("session")
    tickers = resolve_tickers(settings)
    summary.tickers = len(tickers)
    if settings.scheduled:
        window = plan_scheduled(settings, tickers, summary)
    clock.lap("read")

    chunks = list(window.chunks(settings.chunk_hours))
    for number, chunk in enumerate(chunks, start=1):
        before = (summary.rows_written, len(summary.partitions))
        run_window(spark, settings, tickers, chunk, summary)
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
    summary.seconds = time.perf_counter() - began
    return summary
