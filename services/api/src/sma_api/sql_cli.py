"""``sma-sql``: ad-hoc SQL over the local lake, where the Glue table name resolves to the lake.

``crypto_sma_db.crypto_sma_table`` (or the names in ``GLUE_DATABASE_NAME`` /
``GLUE_TABLE_NAME``) is a DuckDB view over the Parquet files with the Glue table's columns and
types: ``date`` a DATE, ``hour`` a string, ``last_refreshed`` a UTC timestamp without zone as
Athena shows it. So the Athena queries people already have run here unchanged. Offline: DuckDB
may not download or auto-load extensions.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from sma import names
from sma.schema import DATA_COLUMNS, PARTITION_KEYS

DEFAULT_LAKE: Final[str] = "./lake"  # as the API and the job's examples
DEFAULT_DATABASE: Final[str] = names.GLUE_DATABASE
DEFAULT_TABLE: Final[str] = names.GLUE_TABLE
_IDENTIFIER_CHARS: Final[frozenset[str]] = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"
)
# Hive/Athena types of the table as DuckDB types, for the partition values parsed from paths.
_DUCKDB_TYPES: Final[dict[str, str]] = {"string": "VARCHAR", "date": "DATE"}


class LakeError(RuntimeError):
    """The lake folder is missing or holds no Parquet files."""


def _identifier(name: str) -> str:
    if not name or not set(name) <= _IDENTIFIER_CHARS:
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return f'"{name}"'


def table_view_sql(lake: Path, database: str, table: str) -> list[str]:
    """The statements that make `database.table` a view over the Parquet files in `lake`."""
    pattern = (lake / "*=*" / "*=*" / "*=*" / "*.parquet").as_posix().replace("'", "''")
    hive_types = ", ".join(
        f"'{c.name}': {_DUCKDB_TYPES[c.type]}" for c in PARTITION_KEYS if c.type in _DUCKDB_TYPES
    )
    columns = []
    for column in DATA_COLUMNS:
        name = _identifier(column.name)
        if column.type == "timestamp":
            # Parquet marks the job's timestamps as UTC instants, which DuckDB reads as
            # TIMESTAMPTZ; Athena shows them as plain UTC timestamps, so convert from the instant.
            columns.append(f"make_timestamp(epoch_us({name})) AS {name}")
        else:
            columns.append(name)
    columns.extend(_identifier(c.name) for c in PARTITION_KEYS)
    db, tbl = _identifier(database), _identifier(table)
    return [
        f"CREATE SCHEMA IF NOT EXISTS {db}",
        f"CREATE OR REPLACE VIEW {db}.{tbl} AS SELECT {', '.join(columns)} "
        f"FROM read_parquet('{pattern}', hive_partitioning = true, "
        f"hive_types = {{{hive_types}}})",
    ]


def connect(lake: Path, database: str = DEFAULT_DATABASE, table: str = DEFAULT_TABLE) -> Any:
    """An in-memory DuckDB connection where `database.table` reads the lake."""
    import duckdb

    if not lake.is_dir():
        raise LakeError(f"no lake at {lake}: run `make demo` or `sma-etl --output {lake}` first")
    if next(lake.glob("*=*/*=*/*=*/*.parquet"), None) is None:
        raise LakeError(f"no Parquet files under {lake}: run the job first")
    connection = duckdb.connect(
        ":memory:",
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    # CURRENT_DATE and timestamp display follow the session zone; the lake is UTC.
    connection.execute("SET TimeZone = 'UTC'")
    for statement in table_view_sql(lake.resolve(), database, table):
        connection.execute(statement)
    return connection


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table with a header rule; numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(columns)]
    numeric = [
        bool(rows)
        and all(isinstance(row[i], int | float | Decimal) or row[i] is None for row in rows)
        for i in range(len(columns))
    ]

    def line(values: Sequence[str]) -> str:
        return " | ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(list(columns)), "-+-".join("-" * w for w in widths)]
    out.extend(line(row) for row in cells)
    return "\n".join(out)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sma-sql",
        description=f"Run SQL over the local lake; {DEFAULT_DATABASE}.{DEFAULT_TABLE} reads it.",
    )
    parser.add_argument(
        "sql", help=f'the query, e.g. "SELECT * FROM {DEFAULT_DATABASE}.{DEFAULT_TABLE} LIMIT 10"'
    )
    parser.add_argument(
        "--lake",
        type=Path,
        default=Path(os.environ.get("SMA_LAKE_PATH") or DEFAULT_LAKE),
        help=f"lake folder (default: $SMA_LAKE_PATH or {DEFAULT_LAKE})",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=40,
        help="print at most this many rows; 0 prints all (default: %(default)s)",
    )
    parser.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="output format"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        import duckdb
    except ImportError:
        # DuckDB is the `duckdb` extra (it stays out of the Lambda bundle).
        print("sma-sql: DuckDB is not installed: install sma-api[duckdb]", file=sys.stderr)
        return 2
    database = os.environ.get("GLUE_DATABASE_NAME") or DEFAULT_DATABASE
    table = os.environ.get("GLUE_TABLE_NAME") or DEFAULT_TABLE
    try:
        connection = connect(args.lake, database, table)
        result = connection.execute(args.sql)
        columns = [d[0] for d in result.description or ()]
        rows = result.fetchall() if columns else []
    except (LakeError, ValueError) as error:
        print(f"sma-sql: {error}", file=sys.stderr)
        return 2
    except duckdb.Error as error:
        print(f"sma-sql: {error}", file=sys.stderr)
        return 1
    total = len(rows)
    shown = rows if args.max_rows <= 0 else rows[: args.max_rows]
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(shown)
    elif args.format == "json":
        for row in shown:
            print(json.dumps({c: _json_value(v) for c, v in zip(columns, row, strict=True)}))
    else:
        print(format_table(columns, shown))
        more = f", first {len(shown)} shown (--max-rows)" if len(shown) < total else ""
        print(f"({total} row{'s' if total != 1 else ''}{more})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
