"""DuckDB over a lake under the Glue names, to run the SQL text Athena was sent unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from sma.schema import PARTITION_KEYS

_TYPES = {"string": "VARCHAR", "date": "DATE"}


def glue_named_duckdb(root: Path, database: str, table: str) -> duckdb.DuckDBPyConnection:
    """`database.table` (and Athena's `table$partitions`) as DuckDB views over the lake."""
    con = duckdb.connect(
        ":memory:",
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
    )
    con.execute("SET TimeZone = 'UTC'")
    hive_types = ", ".join(f"'{c.name}': {_TYPES[c.type]}" for c in PARTITION_KEYS)
    files = (root / "*" / "*" / "*" / "*.parquet").as_posix()
    con.execute(f'CREATE SCHEMA "{database}"')
    con.execute(
        f'CREATE VIEW "{database}"."{table}" AS SELECT * FROM read_parquet('
        f"'{files}', hive_partitioning = true, hive_types = {{{hive_types}}})"
    )
    con.execute(
        f'CREATE VIEW "{database}"."{table}$partitions" AS '
        f'SELECT DISTINCT "ticker", "date", "hour" FROM "{database}"."{table}"'
    )
    return con


def from_athena_literal(text: str) -> Any:
    """An Athena execution parameter (a SQL literal) as the value DuckDB binds."""
    if text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    return int(text)
