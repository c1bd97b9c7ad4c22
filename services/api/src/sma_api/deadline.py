"""One deadline per request, shared by every query that request runs.

A request may run several queries (the history endpoint: the newest date, the newest tick, the
range). Each with a timeout of its own could add up past the Lambda timeout, and the client would
get API Gateway's error with no `Retry-After` while the queries ran on. So the service opens one
deadline per request (`SMA_REQUEST_DEADLINE_SECONDS`) and each query may take only what is left of
it, never more than its own cap (`SMA_QUERY_TIMEOUT_SECONDS`). A store that runs out of time stops
its query and raises BackendUnavailable: 503 with `Retry-After`.

The deadline lives in a context variable, so it follows the request onto the thread pool FastAPI
runs the route on and needs no parameter through the store interface.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Concatenate, ParamSpec, Protocol, TypeVar

_deadline: ContextVar[float | None] = ContextVar("sma_request_deadline", default=None)


@contextmanager
def request_deadline(seconds: float | None) -> Iterator[None]:
    """Queries inside share a deadline `seconds` from now; inside another one, the outer stays."""
    if seconds is None or _deadline.get() is not None:
        yield
        return
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def seconds_left(cap: float) -> float:
    """How long a query starting now may run: until the request's deadline, at most `cap`.

    Zero or less means the deadline has passed and the query must not start.
    """
    deadline = _deadline.get()
    if deadline is None:
        return cap
    return min(cap, deadline - time.monotonic())


class HasDeadline(Protocol):
    deadline_seconds: float | None


S = TypeVar("S", bound=HasDeadline)
T = TypeVar("T")
P = ParamSpec("P")


def one_request(answer: Callable[Concatenate[S, P], T]) -> Callable[Concatenate[S, P], T]:
    """A method that answers one request: every query it runs shares one deadline of its
    object's `deadline_seconds` (an outer request's deadline stays when it runs inside one)."""

    @functools.wraps(answer)
    def within_deadline(owner: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with request_deadline(owner.deadline_seconds):
            return answer(owner, *args, **kwargs)

    return within_deadline
