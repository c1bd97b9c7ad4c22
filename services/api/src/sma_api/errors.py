"""What can go wrong behind an endpoint, in the API's own terms; `main` maps each to a status."""

from __future__ import annotations


class SmaApiError(Exception):
    """Base of the API's domain errors; the message is safe to show to a client."""


class TickerNotFound(SmaApiError):
    """A well-formed ticker with no data in the lake."""

    def __init__(self, ticker: str, detail: str | None = None) -> None:
        self.ticker = ticker
        super().__init__(detail or f"no data for ticker {ticker!r}")


class InvalidRange(SmaApiError):
    """A time range the API will not serve (empty, reversed or too long)."""


class BackendUnavailable(SmaApiError):
    """The data backend failed or timed out; the client may retry later."""


class InvalidParameter(SmaApiError):
    """A query parameter the API cannot serve, e.g. a window outside 2..1000 ticks."""
