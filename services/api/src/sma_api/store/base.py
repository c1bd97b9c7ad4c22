"""The interface every data backend implements, so the logic and the tests can swap them."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime

from sma_api.errors import TickerNotFound
from sma_api.rows import SmaRow
from sma_api.sql import Order


@dataclass(frozen=True, slots=True)
class TickerLatest:
    """A ticker with data and the time of its newest tick (UTC-aware)."""

    ticker: str
    last_refreshed: datetime


class SmaStore(abc.ABC):
    """Read access to the output table. Tickers are already normalised (``BTCUSD``).

    Implementations raise ``TickerNotFound`` for a ticker with no data and ``BackendUnavailable``
    for any failure of the backend itself, never a library's own exception.
    """

    name: str

    @abc.abstractmethod
    def latest(self, ticker: str) -> SmaRow:
        """The newest tick of `ticker`, reading only its newest partitions."""

    @abc.abstractmethod
    def history(
        self, ticker: str, start: datetime, end: datetime, limit: int, order: Order
    ) -> list[SmaRow]:
        """At most `limit` ticks with start <= last_refreshed < end, in `order` of time."""

    @abc.abstractmethod
    def tickers(self) -> list[TickerLatest]:
        """Every ticker with data, sorted, with its newest tick time."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Return when the backend answers; raise BackendUnavailable otherwise."""

    def _complete_tickers(
        self, candidates: set[str], found: dict[str, datetime]
    ) -> list[TickerLatest]:
        """`found` plus, for each candidate its newest partition left out (an empty newest hour),
        the newest tick from further back; sorted."""
        for ticker in candidates - found.keys():
            try:
                found[ticker] = self.latest(ticker).last_refreshed
            except TickerNotFound:
                continue
        return [TickerLatest(t, found[t]) for t in sorted(found)]
