"""What a run did and how long each phase took: the summary, its clock and the Spark session.

``RunSummary.as_json`` is the one line the CLI prints. The clock adds seconds, and the Spark
jobs started, to each phase; the session may still be starting while the driver reads DynamoDB.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sma_etl.sink import Partition
from sma_etl.window import Window

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

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
            "clean_outside_window": self.clean_outside_window,
            "partitions_registered": self.partitions_registered,
            "tickers_without_ticks": self.tickers_without_ticks,
            "late_beyond_horizon": self.late_beyond_horizon,
            "late_rewrite_from": self.late_rewrite_from,
            "catchup_hours_left": self.catchup_hours_left,
            "phases": {k: round(v, 3) for k, v in self.phases.items()},
            "spark_jobs": dict(self.spark_jobs),
        }


class Clock:
    """Adds the seconds spent, and the Spark jobs started, in each phase to a summary."""

    def __init__(self, summary: RunSummary, jobs: JobCounter | None = None) -> None:
        self.summary = summary
        self.jobs = jobs
        self.mark = time.perf_counter()

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.summary.phases[phase] += now - self.mark
        self.mark = now
        if self.jobs is not None:
            self.summary.spark_jobs[phase] += self.jobs.new()


class JobCounter:
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


class Session:
    """The run's Spark session, which may still be starting while the driver reads DynamoDB."""

    def __init__(self, spark: SparkSession | Future[SparkSession], clock: Clock) -> None:
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
            self.clock.jobs = JobCounter(self._spark)
        return self._spark
