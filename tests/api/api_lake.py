"""The API tests' lake (see tests.support.lake): three tickers, each row the oracle's answer."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from sma.signals import signal
from sma.windows import SMA_COLUMNS
from sma_api.config import Settings
from tests.support.lake import LakeRow, Tick, write_ticker
from tests.support.times import iso

Row = LakeRow


@dataclass
class Lake:
    """The lake folder and, per ticker, every row written (time order), the oracle's answers."""

    root: Path
    rows: dict[str, list[Row]] = field(default_factory=dict)

    def latest(self, ticker: str) -> Row:
        return self.rows[ticker][-1]


def _ticks(start: datetime, count: int, base: float, period: float, swing: float) -> list[Tick]:
    """Minute ticks with awkward decimals that wave up and down, so SMAs cross repeatedly."""
    out = []
    for i in range(count):
        bid = base + swing * math.sin(2 * math.pi * i / period) + i * 0.013 + (i % 7) * 0.000137
        bid = round(bid, 6) + 0.1 / 3
        out.append((start + timedelta(minutes=i), bid, bid + 1.234567))
    return out


# BTCUSD spans midnight and more than 24 h, so the default history window cuts it.
BTC_START = datetime(2025, 1, 12, 6, 0, tzinfo=UTC)
BTC_TICKS = 26 * 60 + 17
ETH_START = datetime(2025, 1, 13, 5, 30, tzinfo=UTC)
ETH_TICKS = 150
NEW_START = datetime(2025, 1, 13, 7, 55, tzinfo=UTC)
NEW_TICKS = 7  # fewer than the shortest window: every SMA is null


def build_lake(root: Path) -> Lake:
    """The test lake, written as Spark leaves it (with ``_SUCCESS`` and ``.crc`` files)."""
    scenes = {
        "BTCUSD": _ticks(BTC_START, BTC_TICKS, 94123.45, 90, 40),
        "ETHUSD": _ticks(ETH_START, ETH_TICKS, 3301.7, 50, 6),
        "NEWUSD": _ticks(NEW_START, NEW_TICKS, 1.05, 9, 0.01),
    }
    lake = Lake(root)
    for ticker, ticks in scenes.items():
        lake.rows[ticker] = write_ticker(root, ticker, ticks, spark_litter=True)
    return lake


def tick_json(ticker: str, row: Row) -> dict[str, Any]:
    """The latest endpoint's answer for an oracle row, built independently of the API code."""
    return {
        "ticker": ticker,
        "last_refreshed": iso(row["last_refreshed"]),
        "bid_price": row["bid_price"],
        "ask_price": row["ask_price"],
        **{col: row[col] for col in SMA_COLUMNS},
        "signal": signal(row["sma_10"], row["sma_30"]),
    }


AppFactory = Callable[..., TestClient]


def settings_for(root: Path, **overrides: Any) -> Settings:
    return Settings(backend="duckdb", lake_path=root, **overrides)
