"""sma-sql: the Glue table name resolves to the lake, and Athena's queries run unchanged."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from sma_api.sql_cli import LakeError, connect, format_table, main

LakeRow = dict[str, object]
LakeWriter = Callable[[str, Sequence[tuple[datetime, float, float]]], list[LakeRow]]

TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def athena_queries(guide: Path) -> list[str]:
    """The SQL statements of the guide's Athena section, exactly as written there."""
    text = guide.read_text(encoding="utf-8")
    section = text[text.index("## Querying Data with Athena") :]
    block = re.search(r"```sql\n(.*?)```", section, re.DOTALL)
    assert block is not None, f"no sql block in {guide}"
    return [s.strip() for s in block.group(1).split(";") if s.strip()]


def minute_ticks(start: datetime, count: int, base: float) -> list[tuple[datetime, float, float]]:
    # Awkward decimals: sums of these are not exact in binary floating point.
    return [
        (start + timedelta(minutes=i), base + 0.1 * ((i * 7) % 13), base + 0.3 + 0.01 * i)
        for i in range(count)
    ]


@pytest.fixture
def lake(lake_writer: tuple[Path, LakeWriter]) -> tuple[Path, list[LakeRow]]:
    root, write = lake_writer
    rows = write("BTCUSD", minute_ticks(TODAY - timedelta(days=10), 30, 94_000.1))
    rows += write("BTCUSD", minute_ticks(TODAY - timedelta(days=3), 20, 95_000.7))
    rows += write("BTCUSD", minute_ticks(TODAY, 150, 96_000.3))
    rows += write("ETHUSD", minute_ticks(TODAY - timedelta(days=1), 120, 3_300.01))
    return root, rows


def test_view_has_the_glue_tables_columns_and_types(lake: tuple[Path, list[LakeRow]]) -> None:
    root, rows = lake
    connection = connect(root)
    described = connection.execute("DESCRIBE crypto_sma_db.crypto_sma_table").fetchall()
    types = {name: kind for name, kind, *_ in described}
    assert types == {
        "ask_price": "DOUBLE",
        "bid_price": "DOUBLE",
        "last_refreshed": "TIMESTAMP",
        "sma_10": "DOUBLE",
        "sma_30": "DOUBLE",
        "sma_60": "DOUBLE",
        "sma_100": "DOUBLE",
        "ticker": "VARCHAR",
        "date": "DATE",
        "hour": "VARCHAR",
    }
    got = connection.execute(
        "SELECT ticker, date, hour, last_refreshed, bid_price, ask_price, sma_10, sma_100 "
        "FROM crypto_sma_db.crypto_sma_table ORDER BY ticker, last_refreshed"
    ).fetchall()
    want = sorted(
        (
            r["ticker"],
            r["date"],
            r["hour"],
            r["last_refreshed"].replace(tzinfo=None),  # type: ignore[attr-defined]
            r["bid_price"],
            r["ask_price"],
            r["sma_10"],
            r["sma_100"],
        )
        for r in rows
    )
    assert got == want


def test_the_seed_guides_athena_queries_run_unchanged(
    lake: tuple[Path, list[LakeRow]], shared_data: Path
) -> None:
    root, rows = lake
    view_all, latest, signals = athena_queries(shared_data.parent / "seed" / "GLUE_SETUP.md")
    connection = connect(root)

    assert len(connection.execute(view_all).fetchall()) == 10

    today_btc = [r for r in rows if r["ticker"] == "BTCUSD" and r["date"] == TODAY.date()]
    result = connection.execute(latest).fetchall()
    assert [row[1] for row in result] == sorted(
        (r["last_refreshed"].replace(tzinfo=None) for r in today_btc),  # type: ignore[attr-defined]
        reverse=True,
    )
    assert {row[0] for row in result} == {"BTCUSD"}

    week_ago = TODAY.date() - timedelta(days=7)
    recent = sorted(
        (r for r in rows if isinstance(r["date"], date) and r["date"] >= week_ago),
        key=lambda r: (str(r["ticker"]), str(r["last_refreshed"])),
    )
    result = connection.execute(signals).fetchall()
    assert len(result) == len(recent)
    for row, want in zip(result, recent, strict=True):
        sma_10, sma_30 = want["sma_10"], want["sma_30"]
        assert row[0] == want["ticker"]
        # The guide's rule: anything but sma_10 > sma_30 (including missing SMAs) is Bearish.
        bullish = sma_10 is not None and sma_30 is not None and sma_10 > sma_30  # type: ignore[operator]
        assert row[5] == ("Bullish" if bullish else "Bearish")


def test_cli_prints_a_table_and_counts_rows(
    lake: tuple[Path, list[LakeRow]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, rows = lake
    code = main(
        [
            "--lake",
            str(root),
            "SELECT ticker, count(*) AS n FROM crypto_sma_db.crypto_sma_table "
            "GROUP BY ticker ORDER BY ticker",
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    counts = {t: sum(1 for r in rows if r["ticker"] == t) for t in ("BTCUSD", "ETHUSD")}
    assert out[0].split("|")[0].strip() == "ticker"
    assert [line.split("|")[1].strip() for line in out[2:4]] == [
        str(counts["BTCUSD"]),
        str(counts["ETHUSD"]),
    ]
    assert out[-1] == "(2 rows)"


def test_cli_json_and_row_cap(
    lake: tuple[Path, list[LakeRow]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, _ = lake
    monkeypatch.setenv("SMA_LAKE_PATH", str(root))
    query = "SELECT last_refreshed, bid_price FROM crypto_sma_db.crypto_sma_table ORDER BY 1"
    assert main(["--format", "json", "--max-rows", "3", query]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 3
    assert (
        lines[0]["last_refreshed"] == (TODAY - timedelta(days=10)).replace(tzinfo=None).isoformat()
    )


def test_renamed_glue_table_follows_settings(
    lake: tuple[Path, list[LakeRow]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, rows = lake
    monkeypatch.setenv("GLUE_DATABASE_NAME", "prices")
    monkeypatch.setenv("GLUE_TABLE_NAME", "sma")
    assert (
        main(["--lake", str(root), "--format", "csv", "SELECT count(*) AS n FROM prices.sma"]) == 0
    )
    assert capsys.readouterr().out.splitlines() == ["n", str(len(rows))]


def test_missing_or_empty_lake_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--lake", str(tmp_path / "nowhere"), "SELECT 1"]) == 2
    assert "no lake at" in capsys.readouterr().err
    with pytest.raises(LakeError, match="no Parquet files"):
        connect(tmp_path)


def test_without_the_duckdb_extra_it_says_what_to_install(
    lake: tuple[Path, list[LakeRow]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root, _ = lake
    monkeypatch.setitem(sys.modules, "duckdb", None)  # as where sma-api has no extras
    assert main(["--lake", str(root), "SELECT 1"]) == 2
    assert capsys.readouterr().err == "sma-sql: DuckDB is not installed: install sma-api[duckdb]\n"


def test_bad_sql_is_an_error_message_not_a_traceback(
    lake: tuple[Path, list[LakeRow]], capsys: pytest.CaptureFixture[str]
) -> None:
    root, _ = lake
    assert main(["--lake", str(root), "SELECT nope FROM crypto_sma_db.crypto_sma_table"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sma-sql: ")
    assert "Traceback" not in err


def test_format_table_aligns_numbers_right() -> None:
    text = format_table(["name", "n"], [("a", 1), ("bbb", 100), ("c", None)])
    assert text.splitlines() == [
        "name |    n",
        "-----+-----",
        "a    |    1",
        "bbb  |  100",
        "c    | NULL",
    ]
