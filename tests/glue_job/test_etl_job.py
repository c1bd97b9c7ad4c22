"""The whole job against moto's DynamoDB and Glue over real HTTP, on the shared Spark session."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from sma.reference import rolling_sma
from sma.schema import DATA_COLUMN_NAMES, DATA_COLUMNS, PARTITION_KEYS, SOURCE_TIME_FORMAT
from sma.windows import WINDOWS, sma_column
from sma_laptop.producer import Tick, producer_item
from tests.glue_job.conftest import DAY, TABLE, LakeRows, RunJob, Source, minute_ticks, walk
from tests.support.catalog import create_catalog

pytestmark = pytest.mark.spark

H = timedelta(hours=1)


def assert_rows_match_reference(rows: list[dict[str, Any]], bids: list[float]) -> None:
    """`rows` (time order) are the last len(rows) ticks of a series whose bids are `bids`."""
    offset = len(bids) - len(rows)
    assert offset >= 0
    for n in WINDOWS:
        expected = rolling_sma(bids, n)[offset:]
        for row, want in zip(rows, expected, strict=True):
            have = row[sma_column(n)]
            if want is None:
                assert have is None, (n, row)
            else:
                assert have is not None, (n, row)
                assert math.isclose(have, want, rel_tol=1e-12, abs_tol=0.0), (n, row, want)


def lake_files(root: Path) -> dict[str, bytes]:
    """Every file under `root` by partition folder (file names carry a run id)."""
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            files[str(path.parent.relative_to(root))] = path.read_bytes()
    return files


def test_pages_past_one_megabyte_are_all_read(
    source: Source, run_job: RunJob, read_lake: LakeRows, tmp_path: Path
) -> None:
    padding = "x" * 120_000  # ~8 items per 1 MB Query page
    ticks = minute_ticks("BTC/USD", DAY + 40 * timedelta(minutes=1), walk(50))
    source.put_items({**producer_item(t), "padding": padding} for t in ticks)
    first_page = source.client.query(
        TableName=TABLE,
        KeyConditionExpression="ticker = :t",
        ExpressionAttributeValues={":t": {"S": "BTC/USD"}},
    )
    assert "LastEvaluatedKey" in first_page  # the premise: DynamoDB pages this ticker

    summary = run_job(DAY + H, DAY + 2 * H)
    rows = read_lake(tmp_path / "lake")
    assert summary.items_read == 50
    assert summary.lookback_items == 20
    assert summary.rows_written == len(rows) == 30
    assert_rows_match_reference(rows, [float(t.bid_price) for t in ticks])  # type: ignore[arg-type]


def test_lookback_reads_past_malformed_history_for_exact_first_smas(
    source: Source, run_job: RunJob, read_lake: LakeRows, tmp_path: Path
) -> None:
    prices = walk(260, seed=7)
    ticks = minute_ticks("ETH/USD", DAY + 2 * H - 200 * timedelta(minutes=1), prices)
    # Malformed ticks among the last 99 before the window start: the lookback must reach past them.
    broken = {150, 160, 170, 180, 190}
    for index in broken:
        ticks[index] = Tick(ticks[index].ticker, ticks[index].last_refreshed, "-", "-")
    source.put_ticks(ticks)

    summary = run_job(DAY + 2 * H, DAY + 3 * H, ("ETH/USD",))
    rows = read_lake(tmp_path / "lake")
    assert summary.rows_written == len(rows) == 60
    assert summary.lookback_items == 99 + len(broken)
    assert summary.rows_rejected == {}  # history's faults were counted by its own window
    assert rows[0]["sma_100"] is not None
    clean = [float(t.bid_price) for i, t in enumerate(ticks) if i not in broken]  # type: ignore[arg-type]
    assert_rows_match_reference(rows, clean)


def test_hour_by_hour_equals_one_backfill_and_reruns_are_identical(
    source: Source, run_job: RunJob, read_lake: LakeRows, tmp_path: Path
) -> None:
    for seed, ticker in enumerate(("BTC/USD", "ETH/USD", "DOGE/USD"), start=1):
        source.put_ticks(minute_ticks(ticker, DAY, walk(300, seed), timedelta(seconds=50)))
    backfill, hourly = tmp_path / "backfill", tmp_path / "hourly"
    tickers = ("BTC/USD", "ETH/USD", "DOGE/USD")

    whole = run_job(DAY, DAY + 4 * H, tickers, output=backfill)
    for hour in range(4):
        run_job(DAY + hour * H, DAY + (hour + 1) * H, tickers, output=hourly)

    # pyspark.testing.assertDataFrameEqual needs pyspark.pandas, which this pandas breaks:
    # the collected rows are compared instead, exactly (no tolerance).
    by_hour, at_once = read_lake(hourly), read_lake(backfill)
    assert by_hour == at_once
    assert whole.rows_written == len(at_once) == 3 * 4 * 72
    assert len(whole.partitions) == 12

    before = lake_files(backfill)
    again = run_job(DAY, DAY + 4 * H, tickers, output=backfill)
    assert lake_files(backfill) == before  # same partitions, byte-identical files
    assert again.as_json() | {"seconds": 0, "phases": {}} == whole.as_json() | {
        "seconds": 0,
        "phases": {},
    }


def test_a_run_replaces_exactly_the_partitions_it_writes(
    source: Source, run_job: RunJob, read_lake: LakeRows, tmp_path: Path
) -> None:
    source.put_ticks(minute_ticks("BTC/USD", DAY, [Decimal(1)] * 180))
    run_job(DAY, DAY + 3 * H)
    before = lake_files(tmp_path / "lake")
    # A late correction in hour 01 only: re-running that hour rewrites it and nothing else.
    source.put_ticks(minute_ticks("BTC/USD", DAY + H, [Decimal(2)] * 60))
    run_job(DAY + H, DAY + 2 * H)
    after = lake_files(tmp_path / "lake")
    assert set(after) == set(before)
    assert (
        after["ticker=BTCUSD/date=2025-01-13/hour=00"]
        == before["ticker=BTCUSD/date=2025-01-13/hour=00"]
    )
    assert (
        after["ticker=BTCUSD/date=2025-01-13/hour=02"]
        == before["ticker=BTCUSD/date=2025-01-13/hour=02"]
    )
    assert (
        after["ticker=BTCUSD/date=2025-01-13/hour=01"]
        != before["ticker=BTCUSD/date=2025-01-13/hour=01"]
    )
    hour_1 = [r for r in read_lake(tmp_path / "lake") if r["hour"] == "01"]
    assert {r["bid_price"] for r in hour_1} == {2.0}


def test_lake_files_hold_exactly_the_data_columns_as_utc_micros(
    source: Source, run_job: RunJob, tmp_path: Path
) -> None:
    prices = [Decimal("0.1"), Decimal("12345.6789012"), Decimal("1e-7"), Decimal("3.3")] * 10
    source.put_ticks(minute_ticks("DOGE/USD", DAY, prices))
    summary = run_job(DAY, DAY + H, ("DOGE/USD",))
    files = [p for p in (tmp_path / "lake").rglob("*") if p.is_file()]
    assert [str(p.parent.relative_to(tmp_path / "lake")) for p in files] == [
        "ticker=DOGEUSD/date=2025-01-13/hour=00"
    ]
    assert files[0].suffix == ".parquet"  # no _SUCCESS, no .crc, one file per partition
    table = pq.read_table(files[0])
    assert table.column_names == list(DATA_COLUMN_NAMES)
    stamp = table.schema.field("last_refreshed").type
    assert (stamp.unit, stamp.tz) == ("us", "UTC")
    assert table.column("bid_price").to_pylist() == [float(p) for p in prices]  # exact doubles
    assert summary.rows_written == 40
    assert len(DATA_COLUMNS) + len(PARTITION_KEYS) == 10


def test_every_rejection_reason_is_counted_and_set_aside(
    source: Source, run_job: RunJob, read_lake: LakeRows, tmp_path: Path
) -> None:
    ticks = minute_ticks("BTC/USD", DAY, walk(60, seed=3))
    source.put_ticks(ticks)
    at = DAY.strftime("%Y-%m-%d 00:%M:30")

    def bad(**fields: Any) -> dict[str, Any]:
        base = producer_item(Tick("BTC/USD", DAY, Decimal(1), Decimal(1)))
        base["last_refreshed"] = at
        return {k: v for k, v in {**base, **fields}.items() if v is not None}

    base_item = bad()
    source.put_items(
        [
            bad(last_refreshed="2025-01-13 00:01:30", bid_price=None) | {"bid_price": None},
            bad(last_refreshed="2025-01-13 00:02:30", bid_price="-"),
            bad(last_refreshed="2025-01-13 00:03:30", bid_price="NaN"),
            bad(last_refreshed="2025-01-13 00:04:30", bid_price=Decimal(0)),
            bad(last_refreshed="2025-01-13 00:05:30", bid_price=Decimal("-1.5")),
            bad(last_refreshed="2025-01-13 00:06:3x"),
            bad(last_refreshed="2025-01-13 00:07:30", time_zone="Mars/Olympus"),
            {**base_item, "ticker": "BTC USD!", "last_refreshed": "2025-01-13 00:08:30"},
        ]
    )
    # bid missing altogether (the None above is dropped by `bad`), so also one with no key:
    summary = run_job(DAY, DAY + H, ("BTC/USD", "BTC USD!"))
    assert summary.rows_rejected == {
        "bad_time": 1,
        "invalid_ticker": 1,
        "missing_bid_price": 1,
        "non_finite_bid_price": 1,
        "non_numeric_bid_price": 1,
        "non_positive_bid_price": 2,
        "unknown_time_zone": 1,
    }
    rows = read_lake(tmp_path / "lake")
    assert summary.rows_written == len(rows) == 60
    assert_rows_match_reference(rows, [float(t.bid_price) for t in ticks])  # type: ignore[arg-type]

    (folder,) = summary.rejected_locations
    lines = [
        json.loads(line)
        for path in sorted(Path(folder).glob("*.json"))
        for line in path.read_text().splitlines()
    ]
    assert sorted(line["reject_reason"] for line in lines) == sorted(
        reason for reason, n in summary.rows_rejected.items() for _ in range(n)
    )
    assert {"raw_ticker": "BTC/USD", "raw_bid_price": "-"}.items() <= next(
        line for line in lines if line["reject_reason"] == "non_numeric_bid_price"
    ).items()


def test_written_partitions_are_registered_in_the_catalog_idempotently(
    source: Source, run_job: RunJob, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    glue = create_catalog(source.endpoint, str(lake))
    for ticker in ("BTC/USD", "ETH/USD"):
        source.put_ticks(minute_ticks(ticker, DAY, walk(150), timedelta(minutes=1)))
    options = {"GLUE_DATABASE_NAME": "crypto_sma_db", "GLUE_TABLE_NAME": "crypto_sma_table"}

    first = run_job(DAY, DAY + 2 * H, ("BTC/USD", "ETH/USD"), **options)
    again = run_job(DAY + H, DAY + 3 * H, ("BTC/USD", "ETH/USD"), **options)

    partitions = glue.get_partitions(DatabaseName="crypto_sma_db", TableName="crypto_sma_table")
    found = {
        tuple(p["Values"]): p["StorageDescriptor"]["Location"] for p in partitions["Partitions"]
    }
    assert set(found) == {
        (t, "2025-01-13", h) for t in ("BTCUSD", "ETHUSD") for h in ("00", "01", "02")
    }
    for (ticker, day, hour), location in found.items():
        assert location == f"{lake}/ticker={ticker}/date={day}/hour={hour}/"
        assert Path(location).is_dir()
    assert (first.partitions_registered, again.partitions_registered) == (4, 2)
    serde = partitions["Partitions"][0]["StorageDescriptor"]["SerdeInfo"]
    assert serde["SerializationLibrary"].endswith("ParquetHiveSerDe")


def test_discovery_finds_every_ticker_by_a_keys_only_scan(
    source: Source, run_job: RunJob, read_lake: LakeRows, tmp_path: Path
) -> None:
    for ticker in ("BTC/USD", "ETH/USD", "DOGE/USD"):
        source.put_ticks(minute_ticks(ticker, DAY, walk(5)))
    summary = run_job(DAY, DAY + H, (), DISCOVER_TICKERS="true")
    assert summary.tickers == 3
    assert {r["ticker"] for r in read_lake(tmp_path / "lake")} == {"BTCUSD", "ETHUSD", "DOGEUSD"}


def test_window_keys_match_the_source_format() -> None:
    assert DAY.strftime(SOURCE_TIME_FORMAT) == "2025-01-13 00:00:00"
