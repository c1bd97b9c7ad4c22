"""One run of the job: extract -> transform -> load -> catalog, chunk by chunk."""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sma_etl.catalog import glue_client, register_partitions
from sma_etl.read_plan import (
    DRIVER_READ_TICKER_HOURS,
    READ_AHEAD_TICKER_HOURS,
    Prefetched,
    fetch_ticks,
    raw_schema,
    read_ticks,
    reads_in_driver,
)
from sma_etl.settings import Settings
from sma_etl.sink import Partition, lake_uri, write_partitions, write_rejected
from sma_etl.source import SourceConfig, discover_tickers
from sma_etl.transform import transform
from sma_etl.window import Window, iso

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
    partitions: list[Partition] = field(default_factory=list)
    partitions_registered: int = 0
    rejected_locations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=lambda: dict.fromkeys(PHASES, 0.0))
    spark_jobs: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PHASES, 0))

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
            "partitions_registered": self.partitions_registered,
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
            "spark_jobs": dict(self.spark_jobs),
        }


class _Clock:
    """Adds the seconds spent, and the Spark jobs started, in each phase to a summary."""

    def __init__(self, summary: RunSummary, jobs: _JobCounter | None = None) -> None:
        self.summary = summary
        self.jobs = jobs
        self.mark = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.summary.phases[phase] += now - self.mark
        self.mark = now
        if self.jobs is not None:
            self.summary.spark_jobs[phase] += self.jobs.new()


class _JobCounter:
    """Counts the Spark jobs of this run, tagged by a job group of its own."""

    def __init__(self, spark: SparkSession) -> None:
        self.context = spark.sparkContext
        self.group = f"sma-etl-{uuid.uuid4()}"
        self.context.setJobGroup(self.group, "sma-etl run")
        self.seen: set[int] = set()

    def new(self) -> int:
        """Jobs started since the last call (the tracker forgets old jobs; the set does not)."""
        ids = set(self.context.statusTracker().getJobIdsForGroup(self.group))
        fresh = ids - self.seen
        self.seen |= ids
        return len(fresh)

    def close(self) -> None:
        self.context.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
        self.context.setLocalProperty("spark.job.description", None)  # type: ignore[arg-type]


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


class _Session:
    """The run's Spark session, which may still be starting while the driver reads DynamoDB."""

    def __init__(self, spark: SparkSession | Future[SparkSession], clock: _Clock) -> None:
        self._pending = spark if isinstance(spark, Future) else None
        self._spark = None if isinstance(spark, Future) else spark
        self.clock = clock

    def get(self, phase: str) -> SparkSession:
        """The session; time spent waiting for it counts as `session`, the rest as `phase`."""
        if self._spark is None:
            assert self._pending is not None
            self.clock.lap(phase)
            self._spark = self._pending.result()
            self.clock.lap("session")
        if self.clock.jobs is None:
            self.clock.jobs = _JobCounter(self._spark)
        return self._spark


def run_window(
    session: _Session,
    settings: Settings,
    tickers: tuple[str, ...],
    window: Window,
    summary: RunSummary,
    *,
    clock: _Clock,
    prefetched: Prefetched | None = None,
) -> None:
    """Process one window (a chunk of the run's) and add what it did to `summary`.

    `prefetched` holds the run's ticks when they were read at once.
    """
    from pyspark import StorageLevel

    config = source_config(settings)
    in_driver = prefetched is not None or reads_in_driver(tickers, window)
    if in_driver:
        if prefetched is not None:
            rows = prefetched.window_rows(window)
        else:
            rows = fetch_ticks(config, tickers, window)
        spark = session.get("read")
        raw = spark.createDataFrame(rows, raw_schema())
    else:
        spark = session.get("read")
        raw, _ = read_ticks(spark, config, tickers, window, in_driver=False)
        # Read by Spark tasks: kept, so the table is read once however many jobs follow.
        raw = raw.persist(StorageLevel.MEMORY_AND_DISK)
        raw.count()
    clock.lap("read")
    try:
        result = transform(raw, *_micros(window))
        ticks = result.count_ticks()
        summary.items_read += ticks.items_read
        summary.lookback_items += ticks.lookback_items
        summary.rows_rejected.update(ticks.rejected)
        summary.ask_price_nulled += ticks.ask_price_nulled
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
    """Whether a run of small chunks is read at once (``source.Prefetched``)."""
    small = all(reads_in_driver(tickers, chunk) for chunk in chunks)
    return small and len(tickers) * window.hours <= READ_AHEAD_TICKER_HOURS


def is_short(settings: Settings) -> bool:
    """Whether the run is one window small enough to read in the driver (the scheduled run)."""
    window = settings.window
    return (
        not settings.discover_tickers
        and window.hours <= settings.chunk_hours
        and len(settings.tickers) * window.hours <= DRIVER_READ_TICKER_HOURS
    )


def resolve_tickers(settings: Settings) -> tuple[str, ...]:
    """The configured tickers, plus every key in the table when discovery is asked for."""
    tickers = list(settings.tickers)
    if settings.discover_tickers:
        tickers.extend(discover_tickers(source_config(settings)))
    return tuple(dict.fromkeys(tickers))


def run(settings: Settings, spark: SparkSession | Future[SparkSession] | None = None) -> RunSummary:
    """Run the job over `settings.window`, in chunks of `settings.chunk_hours` hours.

    `spark` may be a session still starting (a future): a window read in the driver is read
    meanwhile.
    """
    began = time.perf_counter()
    summary = RunSummary(window=settings.window)
    clock = _Clock(summary)
    if spark is None:
        from sma_etl.spark import build_session

        spark = build_session(app_name="sma-etl")
    clock.lap("session")
    session = _Session(spark, clock)
    try:
        tickers = resolve_tickers(settings)
        summary.tickers = len(tickers)
        clock.lap("read")

        chunks = list(settings.window.chunks(settings.chunk_hours))
        prefetched = None
        if len(chunks) > 1 and reads_ahead(tickers, settings.window, chunks):
            prefetched = Prefetched.fetch(source_config(settings), tickers, settings.window)
        for number, chunk in enumerate(chunks, start=1):
            before = (summary.rows_written, len(summary.partitions))
            run_window(
                session, settings, tickers, chunk, summary, clock=clock, prefetched=prefetched
            )
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
        if clock.jobs is not None:
            clock.jobs.close()
    summary.seconds = time.perf_counter() - began
    return summary
