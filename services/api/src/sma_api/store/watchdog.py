"""One thread that interrupts queries running past their time.

A `threading.Timer` per query starts (and ends) a thread for every query, about as costly as a
small DuckDB query itself; this keeps one thread and a heap of deadlines instead.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable


class Watchdog:
    """Calls each watched `interrupt` once its time is up, unless `done` came first."""

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._live: set[int] = set()
        self._fired: set[int] = set()
        self._tokens = itertools.count()
        self._thread: threading.Thread | None = None

    def watch(self, seconds: float, interrupt: Callable[[], None]) -> int:
        with self._wake:
            token = next(self._tokens)
            heapq.heappush(self._heap, (time.monotonic() + seconds, token, interrupt))
            self._live.add(token)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="query-watchdog", daemon=True
                )
                self._thread.start()
            elif self._heap[0][1] == token:
                self._wake.notify()
            return token

    def done(self, token: int) -> bool:
        """Stop watching; True when the interrupt was already called."""
        with self._wake:
            self._live.discard(token)
            if token in self._fired:
                self._fired.discard(token)
                return True
            return False

    def _run(self) -> None:
        with self._wake:
            while True:
                if not self._heap:
                    self._wake.wait()
                    continue
                deadline, token, interrupt = self._heap[0]
                if token not in self._live:
                    heapq.heappop(self._heap)
                    continue
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._heap)
                self._live.discard(token)
                self._fired.add(token)
                # Under the lock: `done` cannot return before an interrupt it raced with.
                interrupt()
