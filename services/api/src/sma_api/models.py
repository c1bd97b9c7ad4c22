"""Response bodies. The SMA fields are made from `sma.windows`, never listed here."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from sma.signals import LONG_SMA, SHORT_SMA, Cross, Signal
from sma.windows import WINDOWS, sma_column
from sma_api.sql import Order


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class TickBase(_Body):
    """The fields every tick has; `SmaTick` adds one field per SMA window and the signal."""

    ticker: str = Field(description="normalised ticker, e.g. BTCUSD", examples=["BTCUSD"])
    last_refreshed: datetime = Field(description="time of the tick, UTC")
    bid_price: float | None = Field(description="bid price of the tick")
    ask_price: float | None = Field(description="ask price of the tick")


def _sma_field(window: int) -> Any:
    return (
        float | None,
        Field(description=f"mean bid price over the last {window} ticks; null until then"),
    )


SmaTick = create_model(
    "SmaTick",
    __base__=TickBase,
    **{sma_column(n): _sma_field(n) for n in WINDOWS},
    signal=(
        Signal | None,
        Field(description="sma_10 against sma_30: bullish (>), bearish (<), neutral (=), or null"),
    ),
)


class HistoryMeta(_Body):
    start: datetime = Field(description="inclusive lower bound used, UTC")
    end: datetime = Field(description="exclusive upper bound used, UTC")
    limit: int
    order: Order
    count: int = Field(description="number of items returned")
    truncated: bool = Field(
        description="true when `limit` items came back: the range may hold more"
    )


class History(_Body):
    ticker: str
    items: list[SmaTick]  # type: ignore[valid-type]
    meta: HistoryMeta


class CrossSideBase(_Body):
    """One tick on one side of a crossover; `CrossSide` adds the two SMAs the rule compares."""

    last_refreshed: datetime
    signal: Signal


_SIDE_FIELDS: dict[str, Any] = {
    name: (float, Field(description=f"{name} of the tick")) for name in (SHORT_SMA, LONG_SMA)
}
CrossSide = create_model("CrossSide", __base__=CrossSideBase, **_SIDE_FIELDS)


class Crossover(_Body):
    type: Cross = Field(description="bullish_cross: sma_10 moved above sma_30; bearish: below")
    last_refreshed: datetime = Field(description="time of the first tick on the new side")
    before: CrossSide  # type: ignore[valid-type]
    after: CrossSide  # type: ignore[valid-type]


class SignalsMeta(_Body):
    start: datetime
    end: datetime
    count: int
    ticks: int = Field(description="ticks examined")


class Signals(_Body):
    ticker: str
    events: list[Crossover]
    meta: SignalsMeta


class TickerInfo(_Body):
    ticker: str
    last_refreshed: datetime


class Tickers(_Body):
    tickers: list[TickerInfo]


class Health(_Body):
    status: Literal["ok"]
    backend: str


class ErrorBody(_Body):
    detail: str
