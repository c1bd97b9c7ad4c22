"""The CSV loader: the real Yahoo minute files and the other accepted shapes."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from sma_laptop.csv_loader import (
    CsvFormatError,
    CsvSource,
    CsvStats,
    parse_sources,
    read_ticks,
    ticker_from_name,
)


@pytest.mark.parametrize(
    ("coin", "ticker"), [("BTC", "BTC/USD"), ("ETH", "ETH/USD"), ("DOGE", "DOGE/USD")]
)
def test_real_minute_files_load_row_for_row(shared_data: Path, coin: str, ticker: str) -> None:
    (path,) = shared_data.glob(f"yahoo_{coin}-USD_1m_*.csv")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    (source,) = parse_sources(str(path))
    assert source.ticker == ticker
    stats = CsvStats(source)
    ticks = list(read_ticks(source, stats))
    assert (stats.ticks, stats.skipped) == (len(rows), 0)
    assert len(ticks) == len(rows)
    for tick, row in zip(ticks, rows, strict=True):
        assert tick.ticker == ticker
        assert tick.last_refreshed == datetime.fromisoformat(row["Date"])
        assert tick.last_refreshed.tzinfo == UTC
        # bid = ask = exchange rate = close, exactly as written in the file.
        assert tick.bid_price == tick.ask_price == tick.exchange_rate == Decimal(row["Close"])


def test_timestamp_and_close_files_in_other_spellings(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(
        "timestamp,open,close\n"
        "2025-01-13T00:00:00Z,1,0.10000001\n"
        "2025-01-13 00:01:00,1,0.10000002\n"
        "1736726520,1,-\n"
        "not a time,1,0.2\n"
        "2025-01-13T01:03:00+01:00,1,NaN\n"
    )
    stats = CsvStats(CsvSource(path, "DOGE/USD"))
    ticks = list(read_ticks(stats.source, stats))
    assert [t.last_refreshed for t in ticks] == [
        datetime(2025, 1, 13, 0, 0, tzinfo=UTC),
        datetime(2025, 1, 13, 0, 1, tzinfo=UTC),
        datetime(2025, 1, 13, 0, 2, tzinfo=UTC),
        datetime(2025, 1, 13, 0, 3, tzinfo=UTC),
    ]
    # Prices that are no number pass through as text, for the job to count and set aside.
    assert [t.bid_price for t in ticks] == [
        Decimal("0.10000001"),
        Decimal("0.10000002"),
        "-",
        "NaN",
    ]
    assert (stats.ticks, stats.skipped) == (4, 1)


def test_sources_name_their_ticker_or_take_it_from_the_file_name(tmp_path: Path) -> None:
    sources = parse_sources(f"{tmp_path}/yahoo_eth-usd_1m.csv, XRP/EUR={tmp_path}/ripple.csv")
    assert [(s.ticker, s.path.name) for s in sources] == [
        ("ETH/USD", "yahoo_eth-usd_1m.csv"),
        ("XRP/EUR", "ripple.csv"),
    ]
    assert ticker_from_name(Path("BTC-USD.csv")) == "BTC/USD"
    with pytest.raises(CsvFormatError, match="cannot tell the ticker"):
        parse_sources(str(tmp_path / "prices.csv"))
    with pytest.raises(CsvFormatError, match="no CSV file"):
        parse_sources(" , ")


def test_a_file_without_time_or_close_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "BTC-USD.csv"
    path.write_text("when,price\n2025-01-13,1\n")
    with pytest.raises(CsvFormatError, match="expected a time column"):
        list(read_ticks(CsvSource(path, "BTC/USD")))
    empty = tmp_path / "ETH-USD.csv"
    empty.write_text("")
    with pytest.raises(CsvFormatError, match="empty"):
        list(read_ticks(CsvSource(empty, "ETH/USD")))
