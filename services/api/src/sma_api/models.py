"""Response bodies as documented in the OpenAPI schema. The lake's SMA fields come from
`sma.windows`; a request's own `windows` add `sma_<n>` fields of the same form.

The answers themselves are written by `sma_api.encode`; these models describe them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from sma.signals import Cross, Signal
from sma.windows import WINDOWS, sma_column
from sma_api.sql import Order

_NUMBER_OR_NULL: dict[str, Any] = {"anyOf": [{"type": "number"}, {"type": "null"}]}
# `windows=20,50,200` answers sma_20, sma_50 and sma_200 instead of the lake's columns.
_SMA_FIELDS: dict[str, Any] = {"patternProperties": {"^sma_[0-9]+$": _NUMBER_OR_NULL}}


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class TickBase(_Body):
    """The fields every tick has; `SmaTick` adds one field per SMA window and the signal."""

    model_config = ConfigDict(frozen=True, extra="allow", json_schema_extra=_SMA_FIELDS)

    ticker: str = Field(description="normalised ticker, e.g. BTCUSD", examples=["BTCUSD"])
    last_refreshed: datetime = Field(description="time of the tick, UTC")
    bid_price: float | None = Field(description="bid price of the tick")
    ask_price: float | None = Field(description="ask price of the tick")


def _sma_field(window: int) -> Any:
    return (
        float | None,
        Field(
            default=None,
            description=f"mean bid price over the last {window} ticks; null until then "
            "(present unless `windows` asks for others)",
        ),
    )


_SIGNAL: Any = (
    Signal | None,
    Field(
        description="the short SMA against the long one (`short`/`long`, default sma_10 "
        "against sma_30): bullish (>), bearish (<), neutral (=), or null"
    ),
)

SmaTick = create_model(
    "SmaTick",
    __base__=TickBase,
    **{sma_column(n): _sma_field(n) for n in WINDOWS},
    signal=_SIGNAL,
)


_Source = Literal["lake", "live"]


class LatestBase(TickBase):
    """The newest tick; `SmaLatest` adds the SMA fields, the signal and where it came from."""


SmaLatest = create_model(
    "SmaLatest",
    __base__=LatestBase,
    **{sma_column(n): _sma_field(n) for n in WINDOWS},
    signal=_SIGNAL,
    source=(
        _Source,
        Field(description="lake: the hourly job's output; live: the source table itself"),
    ),
    age_seconds=(int, Field(description="whole seconds from last_refreshed to the answer")),
)


class LatestMany(_Body):
    items: list[SmaLatest]  # type: ignore[valid-type]
    not_found: list[str] = Field(description="requested tickers (normalised) without data")


class HistoryMeta(_Body):
    start: datetime = Field(description="inclusive lower bound used, UTC")
    end: datetime = Field(description="exclusive upper bound used, UTC")
    limit: int
    order: Order
    count: int = Field(description="number of items returned")
    truncated: bool = Field(description="true when the range holds more ticks than returned")


class History(_Body):
    ticker: str
    items: list[SmaTick]  # type: ignore[valid-type]
    meta: HistoryMeta


class CrossSide(_Body):
    """One tick on one side of a crossover, with the two SMAs the rule compares
    (`sma_<short>` and `sma_<long>`, by default sma_10 and sma_30)."""

    model_config = ConfigDict(frozen=True, extra="allow", json_schema_extra=_SMA_FIELDS)

    last_refreshed: datetime
    signal: Signal


class Crossover(_Body):
    type: Cross = Field(
        description="bullish_cross: the short SMA moved above the long; bearish: below"
    )
    last_refreshed: datetime = Field(description="time of the first tick on the new side")
    before: CrossSide
    after: CrossSide


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
