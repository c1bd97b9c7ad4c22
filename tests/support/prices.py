"""Real minute prices: the published files in ``shared/data`` (``SMA_SHARED_DIR``)."""

from __future__ import annotations

import csv
import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
SHARED_DATA: Final = Path(os.environ.get("SMA_SHARED_DIR", REPO_ROOT.parent / "shared")) / "data"


def price_file(symbol: str, data: Path = SHARED_DATA) -> Path | None:
    """The minute file of `symbol` (``BTC-USD``, as in the file names), or None without one."""
    return next(iter(sorted(data.glob(f"*_{symbol}_1m_*.csv"))), None)


def real_closes(
    symbol: str, start: datetime, end: datetime, data: Path = SHARED_DATA
) -> list[tuple[datetime, Decimal]]:
    """(UTC time, close) of `symbol`'s minutes in ``[start, end)``, each close the text exactly."""
    path = price_file(symbol, data)
    if path is None:
        raise FileNotFoundError(f"no minute prices of {symbol} in {data}")
    closes: list[tuple[datetime, Decimal]] = []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            when = datetime.fromisoformat(row["Date"]).astimezone(UTC)
            if start <= when < end:
                closes.append((when, Decimal(row["Close"])))
    return closes
