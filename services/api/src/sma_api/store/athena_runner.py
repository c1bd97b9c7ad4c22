"""Running one Athena query within the request's deadline, through pyathena.

Every query is sent with `paramstyle="qmark"`: the SQL text holds `?` (in its WHERE clause, the
only place Athena takes them) and the values travel as Athena ExecutionParameters, so no request
value is ever formatted into SQL. The connection (and its boto3 clients) is made once per process;
each query gets its own cursor.

A query runs on a worker thread while the request's thread waits for it until the request's
deadline (`sma_api.deadline`). At the deadline the request's thread stops the query
(StopQueryExecution) before it answers 503: on Lambda nothing runs after the answer, so a stop
left to the worker would never be sent and the query would go on scanning, and billing. The
deadline covers all of a query: start, status polls and every page of its result.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, cast

from sma_api import sql
from sma_api.deadline import seconds_left
from sma_api.errors import BackendUnavailable
from sma_api.refresh_marker import RefreshMarker, reuse_minutes

if TYPE_CHECKING:
    import boto3
    from mypy_boto3_athena import AthenaClient

logger = logging.getLogger(__name__)

# A stop is sent when the request has no time left: it must not take long itself. The request's
# deadline plus this fits in the Lambda timeout (checked in tests/infra).
STOP_TIMEOUT_SECONDS: Final[float] = 2.0
# Queries in flight at once per process; more wait for a worker, within their deadline.
_WORKERS: Final[int] = 32

Rows = list[dict[str, object]] | list[tuple[Any, ...]]


class QueryTimedOut(Exception):
    """Raised on the worker to stop waiting for a query the request gave up on."""


# The query the current worker thread runs, so its client's calls can check on it.
_on_worker = threading.local()


@dataclass
class _Flight:
    """One query on its way: its Athena id once started, and whether the request gave up on it."""

    text: str
    parameters: list[str]
    deadline: float  # time.monotonic()
    query_id: str | None = None
    abandoned: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def started(self, query_id: str) -> bool:
        """Record the id; True when the request gave up meanwhile (the caller stops it)."""
        with self._lock:
            self.query_id = query_id
            return self.abandoned.is_set()

    def abandon(self) -> str | None:
        """Give up on the query; its id, if it was started (then the caller stops it)."""
        with self._lock:
            self.abandoned.set()
            return self.query_id

    def check(self) -> None:
        if self.abandoned.is_set() or time.monotonic() >= self.deadline:
            raise QueryTimedOut


class AthenaRunner:
    """One pyathena connection in `workgroup`; runs each query on a worker within the deadline."""

    def __init__(
        self,
        *,
        database: str,
        workgroup: str,
        output_location: str | None = None,
        region: str | None = None,
        poll_seconds: float = 0.5,
        timeout_seconds: float = 20.0,
        result_reuse_minutes: int = 60,
        session: boto3.Session | None = None,
    ) -> None:
        from botocore.config import Config
        from pyathena import connect

        self.database = database
        self._workgroup = workgroup
        self._timeout = timeout_seconds
        self._connection = connect(
            work_group=workgroup,
            # "" rather than None: no fallback to AWS_ATHENA_S3_STAGING_DIR, the workgroup decides.
            s3_staging_dir=output_location or "",
            schema_name=database,
            region_name=region,
            poll_interval=poll_seconds,
            kill_on_interrupt=False,
            result_reuse_enable=True,
            result_reuse_minutes=result_reuse_minutes,
            session=session,
            config=Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 3}),
        )
        self._client = cast("AthenaClient", self._connection.client)
        # Before every HTTP attempt (botocore's retries too): nothing more for a query the
        # request gave up on. Stops go through their own client.
        self._client.meta.events.register("before-send.athena", _refuse_abandoned)
        self._stopper: AthenaClient = self._connection.session.client(
            "athena",
            region_name=self._connection.region_name,
            config=Config(
                connect_timeout=STOP_TIMEOUT_SECONDS / 2,
                read_timeout=STOP_TIMEOUT_SECONDS / 2,
                retries={"total_max_attempts": 1},
            ),
        )
        self._workers = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="athena")
        self._reuse_minutes = result_reuse_minutes
        self.marker: RefreshMarker | None = None  # the job's refresh marker, when followed

    def records(self, query: str, params: list[sql.Param]) -> list[dict[str, object]]:
        return self._run(query, params, records=True)  # type: ignore[return-value]

    def rows(self, query: str, params: list[sql.Param]) -> list[tuple[Any, ...]]:
        return self._run(query, params, records=False)  # type: ignore[return-value]

    def ping(self) -> None:
        # On a worker too: a hung connection must not hold the answer past the deadline.
        check = self._workers.submit(self._client.get_work_group, WorkGroup=self._workgroup)
        try:
            response = check.result(timeout=max(0.0, seconds_left(self._timeout)))
            state = (response.get("WorkGroup") or {}).get("State")
        except Exception as exc:
            logger.warning("Athena workgroup check failed: %r", exc)
            raise BackendUnavailable("Athena did not answer") from exc
        if state != "ENABLED":
            raise BackendUnavailable(f"Athena workgroup {self._workgroup!r} is not enabled")

    def _run(self, query: str, params: list[sql.Param], *, records: bool) -> Rows:
        """Run on a worker, wait until the request's deadline, stop the query if it is not done."""
        seconds = seconds_left(self._timeout)
        if seconds <= 0:
            raise BackendUnavailable("the request's deadline passed before its next Athena query")
        flight = _Flight(query, sql.athena_params(params), time.monotonic() + seconds)
        outcome = self._workers.submit(self._execute, flight, records)
        try:
            return outcome.result(timeout=seconds)
        except (FutureTimeout, QueryTimedOut) as exc:
            query_id = flight.abandon()
            if query_id is not None:
                self._stop(query_id)
            raise BackendUnavailable(f"Athena query took longer than {seconds:g} s") from exc

    def _execute(self, flight: _Flight, records: bool) -> Rows:
        """On a worker: start, poll, read every page; give up as soon as the request has."""

        def on_start(query_id: str) -> None:
            if flight.started(query_id):
                self._stop(query_id)  # the request gave up while the start was under way

        _on_worker.flight = flight
        cursor = self._connection.cursor(on_poll=lambda _: flight.check())
        try:
            cursor.execute(
                flight.text,
                flight.parameters or None,
                paramstyle="qmark",
                on_start_query_execution=on_start,
                **self._reuse(),
            )
            rows: list[tuple[Any, ...]] = []
            # A page (GetQueryResults call) at a time, so a request that gave up reads no more.
            while page := cursor.fetchmany(cursor.arraysize):
                flight.check()
                rows.extend(tuple(r) for r in page)
            if not records:
                return rows
            names = [d[0] for d in cursor.description or ()]
            return [dict(zip(names, r, strict=True)) for r in rows]
        except QueryTimedOut:
            raise
        except Exception as exc:
            if flight.abandoned.is_set():  # cut short because the request gave up: no failure
                raise QueryTimedOut from exc
            logger.warning("Athena query failed: %s", exc)
            raise BackendUnavailable("Athena query failed") from exc
        finally:
            cursor.close()
            _on_worker.flight = None

    def _reuse(self) -> dict[str, Any]:
        """Athena's result reuse, bounded by the marker's age; none in its first minute."""
        if self.marker is None:
            return {}
        minutes = reuse_minutes(self.marker, self._reuse_minutes)
        if minutes is None:
            return {"result_reuse_enable": False}
        return {"result_reuse_enable": True, "result_reuse_minutes": minutes}

    def _stop(self, query_id: str) -> None:
        try:
            self._stopper.stop_query_execution(QueryExecutionId=query_id)
        except Exception as exc:  # Athena's own timeout ends it; stopping only saves cost
            logger.warning("could not stop Athena query %s: %s", query_id, exc)


def _refuse_abandoned(**_: object) -> None:
    flight: _Flight | None = getattr(_on_worker, "flight", None)
    if flight is not None and flight.abandoned.is_set():
        raise QueryTimedOut
