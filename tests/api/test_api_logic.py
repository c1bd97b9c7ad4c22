"""Pure parts: the SQL texts and their parameters, range defaults, the crossover scan."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlglot
from sqlglot import exp

from sma.reference import rolling_sma
from sma.schema import DATA_COLUMN_NAMES
from sma.signals import signal
from sma_api import sql
from sma_api.crossovers import find_crossovers
from sma_api.errors import InvalidRange
from sma_api.routes.tickers import MAX_LIMIT
from sma_api.rows import SmaRow
from sma_api.service import SIGNAL_ROW_CAP, resolve_range

TABLE = sql.table_source("crypto_sma_db", "crypto_sma_table")
PARTITIONS = sql.partitions_source("crypto_sma_db", "crypto_sma_table")
START = datetime(2025, 1, 12, 23, 58, tzinfo=UTC)
END = datetime(2025, 1, 13, 0, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "params"),
    [
        (sql.latest_sql(TABLE), sql.recent_params("BTCUSD", date(2025, 1, 13))),
        (sql.history_sql(TABLE, "asc", 10), sql.history_params("BTCUSD", START, END)),
        (sql.history_sql(TABLE, "desc", 10), sql.history_params("BTCUSD", START, END)),
        (sql.recent_sql(TABLE, 200, sql.PRICE_COLUMNS), sql.recent_params("BTCUSD", START.date())),
        (sql.before_sql(TABLE, 99), sql.before_params("BTCUSD", START.date(), START)),
        (
            sql.history_lookback_sql(TABLE, "desc", 101, 199, sql.PRICE_COLUMNS),
            sql.history_params("BTCUSD", START, END)
            + sql.before_params("BTCUSD", START.date(), START),
        ),
        (sql.latest_many_sql(TABLE, 2), sql.pairs_params([("A1", START.date())] * 2)),
        (sql.date_span_sql(PARTITIONS), ["BTCUSD"]),
        (sql.newest_dates_sql(PARTITIONS), []),
        (sql.tickers_sql(TABLE, 3), sql.pairs_params([("A1", date(2025, 1, 1))] * 3)),
    ],
)
def test_every_value_is_a_placeholder_in_the_where_clause(
    text: str, params: list[sql.Param]
) -> None:
    # The FILES marks are DuckDB's file lists; Athena's parameters leave them out.
    assert params.count(sql.FILES) == text.count(TABLE)
    params = [p for p in params if p is not sql.FILES]
    assert text.count("?") == len(params)
    assert "'" not in text  # no literal at all: values only ever travel as parameters
    assert "BTCUSD" not in text
    # Athena takes execution parameters in the WHERE clause only (LIMIT ? fails every query).
    tree = sqlglot.parse_one(text, read="athena")
    placeholders = list(tree.find_all(exp.Placeholder))
    assert len(placeholders) == len(params)
    assert all(p.find_ancestor(exp.Where) is not None for p in placeholders), text


def test_the_row_limit_is_written_only_as_a_checked_whole_number() -> None:
    assert sql.history_sql(TABLE, "asc", 250).endswith('ORDER BY "last_refreshed" ASC LIMIT 250')
    assert sql.row_limit(1) == "1"
    assert sql.row_limit(sql.MAX_ROWS) == str(sql.MAX_ROWS)
    for bad in (0, -1, sql.MAX_ROWS + 1, True, 10.0, "10", "10; DROP TABLE x"):
        with pytest.raises(ValueError, match="row limit"):
            sql.row_limit(bad)  # type: ignore[arg-type]
    # Every limit the API asks for is one the SQL takes.
    assert max(MAX_LIMIT, SIGNAL_ROW_CAP) <= sql.MAX_ROWS


def test_the_select_list_is_the_schema() -> None:
    text = sql.latest_sql(TABLE)
    assert text.startswith("SELECT " + ", ".join(f'"{c}"' for c in DATA_COLUMN_NAMES) + " FROM")


def test_history_params_cover_the_dates_of_a_half_open_range() -> None:
    assert sql.history_params("BTCUSD", START, END)[1:4] == [
        "BTCUSD",
        date(2025, 1, 12),
        date(2025, 1, 13),
    ]
    midnight = datetime(2025, 1, 13, tzinfo=UTC)
    # An end at midnight excludes that day: no partition of it needs reading.
    assert sql.history_params("X1", START, midnight)[3] == date(2025, 1, 12)


def test_parameter_encodings() -> None:
    values: list[sql.Param] = [sql.FILES, "BTCUSD", date(2025, 1, 13), START.astimezone(), 100]
    assert sql.athena_params(values) == [
        "'BTCUSD'",
        "'2025-01-13'",
        "'2025-01-12 23:58:00.000000'",
        "100",
    ]
    assert sql.duckdb_params(values, ["a.parquet"]) == [
        ["a.parquet"],
        "BTCUSD",
        "2025-01-13",
        "2025-01-12 23:58:00.000000",
        100,
    ]


def test_default_range_is_the_24_hours_up_to_the_newest_tick() -> None:
    newest = datetime(2025, 1, 13, 8, 16, tzinfo=UTC)
    lo, hi = resolve_range(None, None, newest)
    assert hi == newest + timedelta(seconds=1)
    assert hi - lo == timedelta(hours=24)
    naive_start = datetime(2025, 1, 13, 1, 0)
    assert resolve_range(naive_start, None, newest)[0] == naive_start.replace(tzinfo=UTC)
    with pytest.raises(InvalidRange):
        resolve_range(END, START, newest)
    with pytest.raises(InvalidRange):
        resolve_range(None, datetime(1, 1, 1, tzinfo=UTC), newest)


def _row(minute: int, short: float | None, long_: float | None) -> SmaRow:
    smas = {"sma_10": short, "sma_30": long_, "sma_60": None, "sma_100": None}
    return SmaRow(datetime(2025, 1, 13, 0, minute, tzinfo=UTC), 1.0, 1.0, smas)


def test_a_cross_through_equal_smas_counts_once() -> None:
    rows = [
        _row(0, None, None),
        _row(1, 1.0, 2.0),
        _row(2, 2.0, 2.0),
        _row(3, 2.0, 2.0),
        _row(4, 3.0, 2.0),
        _row(5, 3.0, 3.0),
        _row(6, 4.0, 3.0),
        _row(7, 1.0, 3.0),
    ]
    events = find_crossovers(rows)
    assert [
        (e.type, e.before.last_refreshed.minute, e.after.last_refreshed.minute) for e in events
    ] == [
        ("bullish_cross", 1, 4),
        ("bearish_cross", 6, 7),
    ]


def test_crossovers_of_a_reference_series_agree_with_the_signal_rule() -> None:
    bids = [100 + ((i * 37) % 23) - (i % 5) * 1.7 for i in range(200)]
    short, long_ = rolling_sma(bids, 10), rolling_sma(bids, 30)
    rows = [_row(i % 60, s, lg) for i, (s, lg) in enumerate(zip(short, long_, strict=True))]
    sides = [signal(s, lg) for s, lg in zip(short, long_, strict=True)]
    sided = [s for s in sides if s in ("bullish", "bearish")]
    changes = sum(1 for a, b in itertools.pairwise(sided) if a != b)
    assert changes > 0
    assert len(find_crossovers(rows)) == changes


def test_one_deadline_per_request_the_outer_one_wins() -> None:
    from sma_api.deadline import request_deadline, seconds_left

    assert seconds_left(20.0) == 20.0  # no request: a query's own cap
    with request_deadline(5.0):
        assert 4.0 < seconds_left(20.0) <= 5.0
        assert seconds_left(1.0) == 1.0
        with request_deadline(60.0):  # a nested answer (history asks latest) keeps the request's
            assert seconds_left(20.0) <= 5.0
    assert seconds_left(20.0) == 20.0
    with request_deadline(None):
        assert seconds_left(20.0) == 20.0
