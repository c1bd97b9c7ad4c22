"""The SQL both backends run: one text per question, every request value a `?` parameter.

The texts are valid in Athena (Trino) and in DuckDB. Only the FROM source differs: the Glue table
for Athena, a `read_parquet(?)` over the chosen partition files for DuckDB. Values are bound
server-side (Athena execution parameters, DuckDB prepared parameters), so no request value is
ever part of the text; the ORDER BY direction is picked from two fixed texts, never formatted.

Athena takes execution parameters only in the WHERE clause (its documentation on parameterized
queries), so every `?` stands there. The one number outside it, the LIMIT, is an `int` checked to
lie in 1..MAX_ROWS and written as its digits: it cannot carry anything but a row count.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal

from sma.schema import DATA_COLUMN_NAMES

Order = Literal["asc", "desc"]
Param = str | int | date | datetime

# The most rows one query may ask for: above the service's cap for /signals, far below what hurts.
MAX_ROWS: Final[int] = 1_000_000

# A lower date bound that keeps every partition: used only when the newest ones held no rows.
ALL_DATES: Final[date] = date(1970, 1, 1)


def quote_identifier(name: str) -> str:
    """``crypto_sma_db`` -> ``"crypto_sma_db"`` (names come from settings, checked there)."""
    return '"' + name.replace('"', '""') + '"'


def table_source(database: str, table: str) -> str:
    """The Glue table as a FROM source: ``"crypto_sma_db"."crypto_sma_table"``."""
    return f"{quote_identifier(database)}.{quote_identifier(table)}"


def partitions_source(database: str, table: str) -> str:
    """Athena's partition metadata table for the Glue table (no data files are read)."""
    return f"{quote_identifier(database)}.{quote_identifier(table + '$partitions')}"


_COLUMNS: Final[str] = ", ".join(quote_identifier(c) for c in DATA_COLUMN_NAMES)
_TICKER: Final[str] = quote_identifier("ticker")
_DATE: Final[str] = quote_identifier("date")
_TIME: Final[str] = quote_identifier("last_refreshed")


def latest_sql(source: str) -> str:
    """Newest tick of a ticker at or after a date partition. Params: ticker, since_date."""
    return (
        f"SELECT {_COLUMNS} FROM {source} "
        f"WHERE {_TICKER} = ? AND {_DATE} >= CAST(? AS DATE) "
        f"ORDER BY {_TIME} DESC LIMIT 1"
    )


_ORDER_BY: Final[dict[Order, str]] = {"asc": f"{_TIME} ASC", "desc": f"{_TIME} DESC"}


def row_limit(limit: int) -> str:
    """The text of a LIMIT: `limit` as digits, once it is an `int` (not a bool) in 1..MAX_ROWS."""
    if type(limit) is not int or not 1 <= limit <= MAX_ROWS:
        raise ValueError(f"a row limit is a whole number in 1..{MAX_ROWS}, got {limit!r}")
    return str(limit)


def history_sql(source: str, order: Order, limit: int) -> str:
    """At most `limit` ticks of a ticker in [start, end), in `order` of time.

    Params: ticker, first_date, last_date, start, end. The date bounds prune partitions; the
    timestamp bounds are the exact range. The limit is written into the text (see `row_limit`).
    """
    return (
        f"SELECT {_COLUMNS} FROM {source} "
        f"WHERE {_TICKER} = ? AND {_DATE} BETWEEN CAST(? AS DATE) AND CAST(? AS DATE) "
        f"AND {_TIME} >= CAST(? AS TIMESTAMP) AND {_TIME} < CAST(? AS TIMESTAMP) "
        f"ORDER BY {_ORDER_BY[order]} LIMIT {row_limit(limit)}"
    )


def newest_dates_sql(partitions: str) -> str:
    """Each ticker's newest date partition, from partition metadata. No params."""
    return f"SELECT {_TICKER}, max({_DATE}) FROM {partitions} GROUP BY {_TICKER}"


def newest_date_sql(partitions: str) -> str:
    """One ticker's newest date partition, from partition metadata. Params: ticker."""
    return f"SELECT max({_DATE}) FROM {partitions} WHERE {_TICKER} = ?"


def tickers_sql(source: str, count: int) -> str:
    """Latest tick time per ticker in its newest date. Params: (ticker, date) x count."""
    if count < 1:
        raise ValueError("tickers_sql needs at least one (ticker, date) pair")
    pairs = " OR ".join([f"({_TICKER} = ? AND {_DATE} = CAST(? AS DATE))"] * count)
    return (
        f"SELECT {_TICKER}, max({_TIME}) AS {_TIME} FROM {source} "
        f"WHERE {pairs} GROUP BY {_TICKER} ORDER BY {_TICKER}"
    )


def sql_text_value(value: Param) -> str:
    """A parameter as the text the SQL casts: dates ISO, timestamps UTC with microseconds."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def duckdb_params(values: list[Param]) -> list[str | int]:
    """Parameters for DuckDB's prepared statements: numbers as numbers, the rest as text."""
    return [v if isinstance(v, int) else sql_text_value(v) for v in values]


def athena_params(values: list[Param]) -> list[str]:
    """Athena execution parameters: each one is a SQL literal, so text is single-quoted."""
    out: list[str] = []
    for value in values:
        if isinstance(value, int):
            out.append(str(value))
        else:
            out.append("'" + sql_text_value(value).replace("'", "''") + "'")
    return out


def history_params(ticker: str, start: datetime, end: datetime) -> list[Param]:
    """Parameters of `history_sql`: the date partitions spanned by [start, end), then the range."""
    last_date = (end - _ONE_MICROSECOND).astimezone(UTC).date()
    return [ticker, start.astimezone(UTC).date(), last_date, start, end]


_ONE_MICROSECOND: Final[timedelta] = timedelta(microseconds=1)
