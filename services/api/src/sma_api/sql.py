"""The SQL both backends run: one text per question, every request value a `?` parameter.

The texts are valid in Athena (Trino) and in DuckDB. Only the FROM source differs: the Glue table
for Athena, a `read_parquet(?)` over the chosen partition files for DuckDB (its `?` is the `FILES`
marker in a parameter list, which Athena's parameters leave out). Values are bound server-side
(Athena execution parameters, DuckDB prepared parameters), so no request value is ever part of
the text; the ORDER BY direction is picked from two fixed texts, never formatted.

Athena takes execution parameters only in the WHERE clause (its documentation on parameterized
queries), so every `?` stands there. The numbers outside it, the LIMITs, are `int`s checked to
lie in 1..MAX_ROWS and written as their digits: they cannot carry anything but a row count.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal

from sma.schema import DATA_COLUMN_NAMES


class _Files:
    """Marks where a DuckDB source takes its list of files in a parameter list."""

    def __repr__(self) -> str:
        return "FILES"


FILES: Final = _Files()

Order = Literal["asc", "desc"]
Param = str | int | date | datetime | _Files

# The most rows one query may ask for: above the service's cap for /signals, far below what hurts.
MAX_ROWS: Final[int] = 1_000_000

# A lower date bound that keeps every partition: used only when the newest ones held no rows.
ALL_DATES: Final[date] = date(1970, 1, 1)

# The columns an answer computing its own SMAs needs: the prices and the time.
PRICE_COLUMNS: Final[tuple[str, ...]] = ("ask_price", "bid_price", "last_refreshed")


def quote_identifier(name: str) -> str:
    """``crypto_sma_db`` -> ``"crypto_sma_db"`` (names come from settings, checked there)."""
    return '"' + name.replace('"', '""') + '"'


def table_source(database: str, table: str) -> str:
    """The Glue table as a FROM source: ``"crypto_sma_db"."crypto_sma_table"``."""
    return f"{quote_identifier(database)}.{quote_identifier(table)}"


def partitions_source(database: str, table: str) -> str:
    """Athena's partition metadata table for the Glue table (no data files are read)."""
    return f"{quote_identifier(database)}.{quote_identifier(table + '$partitions')}"


def select_list(columns: tuple[str, ...] = DATA_COLUMN_NAMES) -> str:
    return ", ".join(quote_identifier(c) for c in columns)


_TICKER: Final[str] = quote_identifier("ticker")
_DATE: Final[str] = quote_identifier("date")
_TIME: Final[str] = quote_identifier("last_refreshed")
_ORDER_BY: Final[dict[Order, str]] = {"asc": f"{_TIME} ASC", "desc": f"{_TIME} DESC"}


def row_limit(limit: int) -> str:
    """The text of a LIMIT: `limit` as digits, once it is an `int` (not a bool) in 1..MAX_ROWS."""
    if type(limit) is not int or not 1 <= limit <= MAX_ROWS:
        raise ValueError(f"a row limit is a whole number in 1..{MAX_ROWS}, got {limit!r}")
    return str(limit)


def recent_sql(source: str, count: int, columns: tuple[str, ...] = DATA_COLUMN_NAMES) -> str:
    """The newest `count` ticks of a ticker at or after a date partition, newest first.

    Params: `recent_params`.
    """
    return (
        f"SELECT {select_list(columns)} FROM {source} "
        f"WHERE {_TICKER} = ? AND {_DATE} >= CAST(? AS DATE) "
        f"ORDER BY {_TIME} DESC LIMIT {row_limit(count)}"
    )


def recent_params(ticker: str, since: date) -> list[Param]:
    return [FILES, ticker, since]


def latest_sql(source: str) -> str:
    """Newest tick of a ticker at or after a date partition. Params: `recent_params`."""
    return recent_sql(source, 1)


def history_sql(
    source: str, order: Order, limit: int, columns: tuple[str, ...] = DATA_COLUMN_NAMES
) -> str:
    """At most `limit` ticks of a ticker in [start, end), in `order` of time.

    Params: `history_params`. The date bounds prune partitions; the timestamp bounds are the
    exact range. The limit is written into the text (see `row_limit`).
    """
    return (
        f"SELECT {select_list(columns)} FROM {source} "
        f"WHERE {_TICKER} = ? AND {_DATE} BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) "
        f"AND {_TIME} >= CAST(? AS TIMESTAMP) AND {_TIME} < CAST(? AS TIMESTAMP) "
        f"ORDER BY {_ORDER_BY[order]} LIMIT {row_limit(limit)}"
    )


def history_params(ticker: str, start: datetime, end: datetime) -> list[Param]:
    """Parameters of `history_sql`: the date partitions spanned by [start, end), then the range."""
    return [FILES, ticker, utc_date(start), last_date(end), start, end]


def before_sql(source: str, count: int, columns: tuple[str, ...] = DATA_COLUMN_NAMES) -> str:
    """The `count` ticks of a ticker just before a time, within a span of dates, newest first.

    Params: `before_params`.
    """
    return (
        f"SELECT {select_list(columns)} FROM {source} "
        f"WHERE {_TICKER} = ? AND {_DATE} BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) "
        f"AND {_TIME} < CAST(? AS TIMESTAMP) "
        f"ORDER BY {_TIME} DESC LIMIT {row_limit(count)}"
    )


def before_params(ticker: str, first_date: date, before: datetime) -> list[Param]:
    return [FILES, ticker, first_date, last_date(before), before]


def history_lookback_sql(
    source: str, order: Order, limit: int, lookback: int, columns: tuple[str, ...]
) -> str:
    """One query for a range and the history before it: `history_sql` then `before_sql`.

    Params: `history_params` then `before_params`. Rows come in no particular order; those
    before the range's start are the lookback.
    """
    return (
        f"({history_sql(source, order, limit, columns)}) "
        f"UNION ALL ({before_sql(source, lookback, columns)})"
    )


def latest_many_sql(source: str, count: int) -> str:
    """The newest tick of each of `count` tickers in its given date partition, with its ticker.

    Params: `FILES`, then (ticker, date) x count.
    """
    if count < 1:
        raise ValueError("latest_many_sql needs at least one (ticker, date) pair")
    pairs = " OR ".join([f"({_TICKER} = ? AND {_DATE} = CAST(? AS DATE))"] * count)
    columns = select_list((*DATA_COLUMN_NAMES, "ticker"))
    newest = quote_identifier("newest")
    return (
        f"SELECT {columns} FROM (SELECT {columns}, row_number() OVER "
        f"(PARTITION BY {_TICKER} ORDER BY {_TIME} DESC) AS {newest} FROM {source} "
        f"WHERE {pairs}) WHERE {newest} = 1"
    )


def date_span_sql(partitions: str) -> str:
    """One ticker's first and newest date partitions, from partition metadata. Params: ticker."""
    return f"SELECT min({_DATE}), max({_DATE}) FROM {partitions} WHERE {_TICKER} = ?"


def newest_dates_sql(partitions: str) -> str:
    """Each ticker's newest date partition, from partition metadata. No params."""
    return f"SELECT {_TICKER}, max({_DATE}) FROM {partitions} GROUP BY {_TICKER}"


def tickers_sql(source: str, count: int) -> str:
    """Latest tick time per ticker in its newest date. Params: FILES, (ticker, date) x count."""
    if count < 1:
        raise ValueError("tickers_sql needs at least one (ticker, date) pair")
    pairs = " OR ".join([f"({_TICKER} = ? AND {_DATE} = CAST(? AS DATE))"] * count)
    return (
        f"SELECT {_TICKER}, max({_TIME}) AS {_TIME} FROM {source} "
        f"WHERE {pairs} GROUP BY {_TICKER} ORDER BY {_TICKER}"
    )


def pairs_params(pairs: list[tuple[str, date]]) -> list[Param]:
    """Parameters of `tickers_sql` and `latest_many_sql`."""
    return [FILES, *(v for pair in pairs for v in pair)]


def sql_text_value(value: str | int | date | datetime) -> str:
    """A parameter as the text the SQL casts: dates ISO, timestamps UTC with microseconds."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def duckdb_params(values: list[Param], files: list[str]) -> list[object]:
    """Parameters for DuckDB's prepared statements: `files` for each FILES, numbers as numbers,
    the rest as text."""
    out: list[object] = []
    for v in values:
        if isinstance(v, _Files):
            out.append(files)
        else:
            out.append(v if isinstance(v, int) else sql_text_value(v))
    return out


def athena_params(values: list[Param]) -> list[str]:
    """Athena execution parameters: each one is a SQL literal, so text is single-quoted."""
    out: list[str] = []
    for value in values:
        if isinstance(value, _Files):
            continue  # the Glue table is named in the text
        if isinstance(value, int):
            out.append(str(value))
        else:
            out.append("'" + sql_text_value(value).replace("'", "''") + "'")
    return out


_ONE_MICROSECOND: Final[timedelta] = timedelta(microseconds=1)


def utc_date(when: datetime) -> date:
    return when.astimezone(UTC).date()


def last_date(end: datetime) -> date:
    """The date of the last instant before `end` (an end at midnight excludes that day)."""
    return (end - _ONE_MICROSECOND).astimezone(UTC).date()
