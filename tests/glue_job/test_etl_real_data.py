"""A day of real minute prices, replayed hour by hour, against the reference SMA."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sma.reference import rolling_sma
from sma.windows import WINDOWS, sma_column
from sma_laptop.producer import Tick
from tests.glue_job.conftest import LakeRows, RunJob, Source
from tests.support.prices import real_closes

pytestmark = [pytest.mark.spark, pytest.mark.slow]

DAY = datetime(2025, 1, 14, tzinfo=UTC)
# Enough of the day before that the first ticks of DAY need the lookback.
LOADED_FROM = DAY - timedelta(hours=3)
FILES = {"BTC/USD": "BTC-USD", "ETH/USD": "ETH-USD", "DOGE/USD": "DOGE-USD"}


def minute_closes(data: Path, ticker: str) -> list[Tick]:
    """The closes of one ticker in [LOADED_FROM, DAY + 1 day), as ticks with bid = ask = close."""
    closes = real_closes(FILES[ticker], LOADED_FROM, DAY + timedelta(days=1), data)
    return [Tick(ticker, when, close, close) for when, close in closes]


def test_a_day_hour_by_hour_matches_the_reference_on_every_row(
    shared_data: Path, source: Source, run_job: RunJob, read_lake: LakeRows, tmp_path: Path
) -> None:
    series = {ticker: minute_closes(shared_data, ticker) for ticker in FILES}
    for ticks in series.values():
        source.put_ticks(ticks)

    # One chunk per hour: 24 windows, each with its own lookback and partition overwrite.
    summary = run_job(DAY, DAY + timedelta(days=1), tuple(FILES), CHUNK_HOURS="1")
    rows = read_lake(tmp_path / "lake")

    assert summary.rows_rejected == {}
    assert summary.rows_written == len(rows)
    assert len(summary.partitions) == 3 * 24
    checked = 0
    for ticker, ticks in series.items():
        normalised = ticker.replace("/", "")
        mine = [r for r in rows if r["ticker"] == normalised]
        bids = [float(t.bid_price) for t in ticks]  # type: ignore[arg-type]
        offset = sum(t.last_refreshed < DAY for t in ticks)
        assert offset >= max(WINDOWS)  # the day's first rows depend on the lookback
        assert [r["last_refreshed"] for r in mine] == [
            t.last_refreshed.replace(tzinfo=None) for t in ticks[offset:]
        ]
        assert mine[0]["sma_100"] is not None
        for n in WINDOWS:
            expected = rolling_sma(bids, n)[offset:]
            for row, want in zip(mine, expected, strict=True):
                assert want is not None
                assert math.isclose(row[sma_column(n)], want, rel_tol=1e-12, abs_tol=0.0)
                checked += 1
        assert [r["bid_price"] for r in mine] == bids[offset:]
    assert checked == 4 * summary.rows_written
