"""A Parquet lake in the job's layout, written with pyarrow, SMAs from the reference oracle."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi.testclient import TestClient

from sma.reference import rolling_sma
from sma.schema import DATA_COLUMN_NAMES, hour_partition
from sma.signals import signal
from sma.windows import SMA_COLUMNS, WINDOWS
from sma_api.config import Settings

ARROW_SCHEMA = pa.schema(
    [
        pa.field(name, pa.timestamp("us", tz="UTC") if name == "last_refreshed" else pa.float64())
        for name in DATA_COLUMN_NAMES
    ]
)

Row = dict[str, Any]


@dataclass
class Lake:
    """The lake folder and, per ticker, every row written (time order), the oracle's answers."""

    root: Path
    rows: dict[str, list[Row]] = field(default_factory=dict)

    def latest(self, ticker: str) -> Row:
        return self.rows[ticker][-1]


def _prices(count: int, base: float, period: float, swing: float) -> list[tuple[float, float]]:
    """Bid/ask pairs with awkward decimals that wave up and down, so SMAs cross repeatedly."""
    out = []
    for i in range(count):
        bid = base + swing * math.sin(2 * math.pi * i / period) + i * 0.013 + (i % 7) * 0.000137
        out.append((round(bid, 6) + 0.1 / 3, round(bid, 6) + 0.1 / 3 + 1.234567))
    return out


def write_ticker(
    root: Path, ticker: str, start: datetime, prices: list[tuple[float, float | None]]
) -> list[Row]:
    """Write one ticker as the job does, a tick a minute from `start`."""
    times = [start + timedelta(minutes=i) for i in range(len(prices))]
    return write_series(root, ticker, times, prices)


def write_series(
    root: Path, ticker: str, times: list[datetime], prices: list[tuple[float, float | None]]
) -> list[Row]:
    """Write ticks at `times` as the job does: a file per hour partition, data columns only."""
    bids = [bid for bid, _ in prices]
    smas = {col: rolling_sma(bids, n) for col, n in zip(SMA_COLUMNS, WINDOWS, strict=True)}
    rows: list[Row] = []
    for i, ((bid, ask), when) in enumerate(zip(prices, times, strict=True)):
        rows.append(
            {
                "ask_price": ask,
                "bid_price": bid,
                "last_refreshed": when,
                **{col: smas[col][i] for col in SMA_COLUMNS},
            }
        )
    by_hour: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        when = row["last_refreshed"]
        by_hour.setdefault((when.date().isoformat(), hour_partition(when.hour)), []).append(row)
    for (day, hour), part in by_hour.items():
        folder = root / f"ticker={ticker}" / f"date={day}" / f"hour={hour}"
        folder.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pylist(part, schema=ARROW_SCHEMA)
        pq.write_table(table, folder / "part-00000-c000.snappy.parquet")
        # What Spark leaves beside its part files; the API must not try to read them.
        (folder / "_SUCCESS").write_bytes(b"")
        (folder / ".part-00000-c000.snappy.parquet.crc").write_bytes(b"not parquet")
    return rows


# BTCUSD spans midnight and more than 24 h, so the default history window cuts it.
BTC_START = datetime(2025, 1, 12, 6, 0, tzinfo=UTC)
BTC_TICKS = 26 * 60 + 17
ETH_START = datetime(2025, 1, 13, 5, 30, tzinfo=UTC)
ETH_TICKS = 150
NEW_START = datetime(2025, 1, 13, 7, 55, tzinfo=UTC)
NEW_TICKS = 7  # fewer than the shortest window: every SMA is null


def build_lake(root: Path) -> Lake:
    lake = Lake(root)
    lake.rows["BTCUSD"] = write_ticker(
        root, "BTCUSD", BTC_START, _prices(BTC_TICKS, 94123.45, 90, 40)
    )
    lake.rows["ETHUSD"] = write_ticker(root, "ETHUSD", ETH_START, _prices(ETH_TICKS, 3301.7, 50, 6))
    lake.rows["NEWUSD"] = write_ticker(root, "NEWUSD", NEW_START, _prices(NEW_TICKS, 1.05, 9, 0.01))
    return lake


def iso(when: datetime) -> str:
    """How the API writes times: ISO 8601, UTC, with Z."""
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


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


def latest_json(ticker: str, row: Row, source: str = "lake") -> dict[str, Any]:
    """The latest endpoint's answer for an oracle row, but for its `age_seconds`."""
    return {**tick_json(ticker, row), "source": source}


def without_age(body: dict[str, Any]) -> dict[str, Any]:
    """A latest answer without `age_seconds`, once that is checked: now minus the tick's time."""
    answer = dict(body)
    age = answer.pop("age_seconds")
    stamp = datetime.fromisoformat(answer["last_refreshed"].replace("Z", "+00:00"))
    expected = (datetime.now(UTC) - stamp).total_seconds()
    assert isinstance(age, int)
    assert expected - 5 <= age <= expected + 1, (age, expected)
    return answer


AppFactory = Callable[..., TestClient]


def settings_for(root: Path, **overrides: Any) -> Settings:
    return Settings(backend="duckdb", lake_path=root, **overrides)
