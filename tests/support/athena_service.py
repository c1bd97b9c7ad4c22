"""A local Athena for the tests: Athena's JSON API on 127.0.0.1, its SQL run for real over the lake.

`AthenaService(lake)` is a real HTTP server (on a thread) that speaks AmazonAthena's JSON 1.1
protocol as boto3, and so pyathena, sends it: StartQueryExecution, GetQueryExecution,
GetQueryResults, StopQueryExecution and GetWorkGroup. A client reaches it by `endpoint_url` or
`AWS_ENDPOINT_URL_ATHENA`, exactly as it would reach Athena.

It holds each query to the rules Athena documents and fails it as Athena does (state FAILED, a
StateChangeReason such as ``SYNTAX_ERROR: line 1:8: ...`` and an AthenaError) when:

- the text does not parse as Athena (Trino) SQL, or is not one SELECT;
- a ``?`` stands outside the WHERE clause: "parameterized queries" allow them only there;
- there are not as many ExecutionParameters as ``?``, or one is not a SQL literal (a parameter
  is SQL text: ``'BTCUSD'``, ``DATE '2025-01-13'``, ``42``, ``CAST('1' AS DOUBLE)``; a bare
  ``BTCUSD`` is a column name, ``'A' OR 1 = 1`` no value);
- it reads a database or table other than the Glue table and its ``"table$partitions"``.

An unknown workgroup or query id, a missing output location, MaxResults above 1000 and the like
are InvalidRequestException answers, as from Athena.

Accepted queries run in DuckDB over the lake's Parquet files: each ``?`` replaced by its parameter
(the SQL literal it is), the text transpiled from Athena to DuckDB by sqlglot, ``"db"."table"`` a
hive-partitioned read of every data file of the partition folders with the Glue table's types
(`sma.schema`), ``"db"."table$partitions"`` the partition folders. Files whose names start with
``_`` or ``.`` are skipped, as Athena skips them. Results come back as Athena returns them: the
first row of the first page is the header row, every value is VarCharValue text (NULL: no
VarCharValue), ColumnInfo names Athena's types (varchar, double, timestamp, date, bigint, ...),
pages of at most MaxResults (<= 1000) rows chain by NextToken.

Tests can hold queries in RUNNING (`holding()`), make queries fail (`fail_next()`), and read every
query received (`queries()`, `executions`), every stop (`stopped`) and every call (`operations`).
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final

import duckdb
import sqlglot
from sqlglot import TokenType, exp
from sqlglot.errors import ParseError, TokenError

from sma import names
from sma.schema import DATA_COLUMNS, PARTITION_KEYS, ColumnType

Json = dict[str, Any]

QUEUED: Final = "QUEUED"
RUNNING: Final = "RUNNING"
SUCCEEDED: Final = "SUCCEEDED"
FAILED: Final = "FAILED"
CANCELLED: Final = "CANCELLED"
TERMINAL: Final = frozenset({SUCCEEDED, FAILED, CANCELLED})

MAX_RESULTS: Final = 1000  # GetQueryResults' MaxResults: 1..1000
MAX_QUERY_LENGTH: Final = 262_144  # StartQueryExecution's QueryString
CATALOG: Final = "awsdatacatalog"
DEFAULT_WORKGROUP: Final = "primary"  # the workgroup every Athena account has
ENGINE: Final = {
    "SelectedEngineVersion": "AUTO",
    "EffectiveEngineVersion": "Athena engine version 3",
}

# Athena's error catalogue: ErrorCategory 1 SYSTEM, 2 USER; ErrorType 1000 user error,
# 200 query engine internal error.
_USER, _SYSTEM = 2, 1
_USER_ERROR, _ENGINE_ERROR = 1000, 200

_DUCKDB_TYPES: Final[dict[ColumnType, str]] = {
    "string": "VARCHAR",
    "double": "DOUBLE",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}
# DuckDB result type -> (Athena type name, Precision, Scale) as ColumnInfo carries them.
_ATHENA_TYPES: Final[dict[str, tuple[str, int, int]]] = {
    "BOOLEAN": ("boolean", 0, 0),
    "TINYINT": ("tinyint", 3, 0),
    "SMALLINT": ("smallint", 5, 0),
    "INTEGER": ("integer", 10, 0),
    "BIGINT": ("bigint", 19, 0),
    "HUGEINT": ("bigint", 19, 0),  # DuckDB's sum(bigint); Trino's is bigint
    "FLOAT": ("real", 24, 0),
    "DOUBLE": ("double", 17, 0),
    "VARCHAR": ("varchar", 2147483647, 0),
    "DATE": ("date", 0, 0),
    "TIMESTAMP": ("timestamp", 3, 0),
    "TIMESTAMP WITH TIME ZONE": ("timestamp with time zone", 3, 0),
}


class Rejected(Exception):
    """A query Athena fails: the error name and message of its StateChangeReason."""

    def __init__(self, name: str, message: str, *, error_type: int = _USER_ERROR) -> None:
        super().__init__(f"{name}: {message}")
        self.reason = f"{name}: {message}"
        self.error_type = error_type


class ApiError(Exception):
    """An API call Athena refuses: an HTTP 400 with the error code and message."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass
class Result:
    """A result set: Athena's ColumnInfo and every row as text (None for NULL)."""

    columns: list[Json]
    rows: list[list[str | None]]

    @property
    def names(self) -> list[str]:
        return [c["Name"] for c in self.columns]


@dataclass
class Outcome:
    """How a query ends once it is no longer held: SUCCEEDED with a result, or FAILED."""

    state: str
    result: Result | None = None
    reason: str | None = None
    error: Json | None = None


@dataclass
class Execution:
    """One query the service received, and where it stands."""

    id: str
    query: str
    parameters: list[str]
    workgroup: str
    database: str | None
    output_location: str
    reuse_minutes: int | None  # None: result reuse off
    submitted: float  # epoch seconds
    outcome: Outcome
    state: str = QUEUED
    completed: float | None = None
    reused: bool = False
    held: bool = False
    polls_left: int = 0

    @property
    def reason(self) -> str | None:
        if self.state == CANCELLED:
            return "Query cancelled by user"
        return self.outcome.reason if self.state == FAILED else None


@dataclass
class _Workgroup:
    state: str
    output_location: str | None


@dataclass
class _Failure:
    reason: str
    error_type: int


# -- the SQL rules ---------------------------------------------------------------------------


def check_and_bind(
    text: str, parameters: Sequence[str], *, database: str | None, tables: Iterable[str]
) -> tuple[exp.Query, list[str] | None]:
    """The query as Athena would run it: rules checked, parameters bound, tables qualified.

    Returns the bound tree and Athena's names of its output columns (None for ``*``, whose names
    only the engine knows). Raises Rejected with Athena's error name where Athena fails it.
    """
    try:
        statements = [s for s in sqlglot.parse(text, read="athena") if s is not None]
    except (ParseError, TokenError) as exc:
        raise Rejected("SYNTAX_ERROR", _parse_message(exc)) from None
    if len(statements) != 1:
        raise Rejected("SYNTAX_ERROR", f"Only one sql statement is allowed. Got: {text}")
    if not isinstance(statements[0], exp.Query):
        raise Rejected("NOT_SUPPORTED", "this stand-in runs SELECT queries only")

    marks = [
        t for t in sqlglot.tokenize(text, read="athena") if t.token_type == TokenType.PLACEHOLDER
    ]
    if any(t.text != "?" for t in marks):
        raise Rejected("SYNTAX_ERROR", "named parameters are not supported; use ?")
    if len(marks) != len(parameters):
        raise Rejected(
            "INVALID_PARAMETER_USAGE",
            f"line 1:1: Incorrect number of parameters: expected {len(marks)} "
            f"but found {len(parameters)}",
        )
    # Number the marks in the order of the text (Athena binds in that order), then parse again.
    numbered = text
    for index, mark in reversed(list(enumerate(marks))):
        numbered = numbered[: mark.start] + f":__p{index}" + numbered[mark.end + 1 :]
    tree = sqlglot.parse_one(numbered, read="athena")
    assert isinstance(tree, exp.Query)
    for placeholder in list(tree.find_all(exp.Placeholder)):
        index = int(str(placeholder.this).removeprefix("__p"))
        mark = marks[index]
        where = f"line {mark.line}:{mark.col}"
        if placeholder.find_ancestor(exp.Where) is None:
            raise Rejected(
                "INVALID_PARAMETER_USAGE",
                f"{where}: an execution parameter (?) may stand only in the WHERE clause",
            )
        placeholder.replace(_parameter(parameters[index], where))

    known = {t.lower() for t in tables}
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        name, schema, catalog = table.name.lower(), table.db.lower(), table.catalog.lower()
        if not schema and name in ctes:
            continue
        if catalog not in ("", CATALOG):
            raise Rejected("CATALOG_NOT_FOUND", f"Catalog '{catalog}' does not exist")
        schema = schema or (database or "").lower()
        if not schema:
            raise Rejected(
                "SYNTAX_ERROR", "Schema must be specified when session schema is not set"
            )
        if f"{schema}.{name}" not in known:
            if not any(k.startswith(f"{schema}.") for k in known):
                raise Rejected("SCHEMA_NOT_FOUND", f"Schema '{schema}' does not exist")
            raise Rejected("TABLE_NOT_FOUND", f"Table '{CATALOG}.{schema}.{name}' does not exist")
        table.set("catalog", None)
        table.set("db", exp.to_identifier(schema, quoted=True))
        table.set("this", exp.to_identifier(name, quoted=True))
    return tree, _output_names(tree)


def _parameter(text: str, where: str) -> exp.Expr:
    """An execution parameter: SQL text for one value, as Athena substitutes it."""
    try:
        value = sqlglot.parse_one(text, read="athena")
    except (ParseError, TokenError) as exc:
        raise Rejected(
            "SYNTAX_ERROR", f"{where}: parameter {text!r}: {_parse_message(exc)}"
        ) from None
    if isinstance(value, exp.Column):
        raise Rejected(
            "COLUMN_NOT_FOUND", f"{where}: Column '{value.name.lower()}' cannot be resolved"
        )
    if not _is_literal(value):
        raise Rejected("INVALID_PARAMETER_USAGE", f"{where}: parameter {text!r} is not one value")
    return value


def _is_literal(value: exp.Expr) -> bool:
    """A SQL literal (``'x'``, ``42``, ``-1.5``, ``NULL``, ``DATE '...'``) or a CAST of one."""
    if isinstance(value, exp.Literal | exp.Null | exp.Boolean):
        return True
    if isinstance(value, exp.Neg):
        return isinstance(value.this, exp.Literal) and value.this.is_number
    if isinstance(value, exp.Cast):  # also how sqlglot reads DATE '...' and TIMESTAMP '...'
        return isinstance(value.this, exp.Literal | exp.Null)
    return False


def _parse_message(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if errors:
        first = errors[0]
        return f"line {first.get('line', 1)}:{first.get('col', 1)}: {first.get('description')}"
    return str(exc).splitlines()[0]


def _output_names(tree: exp.Query) -> list[str] | None:
    """Athena's column names: the alias or column name, else ``_col<position>``; lower case."""
    found: list[str] = []
    for position, select in enumerate(tree.selects):
        if isinstance(select, exp.Star) or (
            isinstance(select, exp.Column) and isinstance(select.this, exp.Star)
        ):
            return None
        if isinstance(select, exp.Alias | exp.Column):
            found.append(select.alias_or_name.lower())
        else:
            found.append(f"_col{position}")
    return found


# -- values as Athena writes them ------------------------------------------------------------


def column_info(name: str, duckdb_type: str) -> Json:
    """ColumnInfo of a result column, typed as Athena types it."""
    kind, precision, scale = _ATHENA_TYPES.get(duckdb_type, ("varchar", 2147483647, 0))
    if duckdb_type.startswith("DECIMAL("):
        precision, scale = (int(p) for p in duckdb_type[8:-1].split(","))
        kind = "decimal"
    return {
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Name": name,
        "Label": name,
        "Type": kind,
        "Precision": precision,
        "Scale": scale,
        "Nullable": "UNKNOWN",
        "CaseSensitive": kind == "varchar",
    }


def value_text(kind: str, value: Any) -> str | None:
    """A value as Athena's VarCharValue: timestamps to the millisecond, doubles as Java writes."""
    if value is None:
        return None
    if kind in ("double", "real"):
        return java_double(float(value))
    if kind == "timestamp" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    if kind == "timestamp with time zone" and isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    if kind == "boolean":
        return "true" if value else "false"
    return str(value)


def java_double(value: float) -> str:
    """Java's Double.toString (Trino's text for a double): ``94000.25``, ``1.0E7``, ``1.5E-4``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        return repr(value)  # shortest round trip, always with a point in this range
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    mantissa = f"{digits[0]}." + ("".join(str(d) for d in digits[1:]) or "0")
    return ("-" if sign else "") + f"{mantissa}E{len(digits) - 1 + exponent}"


# -- the engine ------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class LakeEngine:
    """DuckDB over the lake under the Glue names, the folders listed again for every query."""

    def __init__(self, lake: Path, database: str, table: str) -> None:
        self.lake = Path(lake)
        self.database, self.table = database, table
        self._con = duckdb.connect(
            ":memory:",
            config={"autoinstall_known_extensions": False, "autoload_known_extensions": False},
        )
        self._con.execute("SET TimeZone = 'UTC'")
        self._con.execute(f"CREATE SCHEMA {_quote(database)}")
        self._lock = threading.Lock()

    def run(self, query: str, labels: list[str] | None) -> Result:
        """Run `query` (DuckDB SQL) over the lake as it is now; `labels` name its columns."""
        with self._lock:
            self._refresh()
            cursor = self._con.execute(query)
            described = [(str(d[0]), str(d[1])) for d in cursor.description or ()]
            rows = cursor.fetchall()
        columns = [
            column_info(name, kind)
            for name, (_, kind) in zip(
                labels or [n.lower() for n, _ in described], described, strict=True
            )
        ]
        kinds = [c["Type"] for c in columns]
        return Result(
            columns, [[value_text(k, v) for k, v in zip(kinds, row, strict=True)] for row in rows]
        )

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def _scan(self) -> tuple[list[tuple[str, date, str]], list[str]]:
        """Partitions (ticker, date, hour) of the `key=value` folders, and their data files."""
        partitions: list[tuple[str, date, str]] = []
        files: list[str] = []
        for ticker_dir in _folders(self.lake, "ticker"):
            ticker = ticker_dir.name.partition("=")[2]
            for date_dir in _folders(ticker_dir, "date"):
                try:
                    day = date.fromisoformat(date_dir.name.partition("=")[2])
                except ValueError:
                    continue
                for hour_dir in _folders(date_dir, "hour"):
                    partitions.append((ticker, day, hour_dir.name.partition("=")[2]))
                    files += sorted(
                        str(f)
                        for f in hour_dir.iterdir()
                        if f.is_file() and not f.name.startswith(("_", "."))
                    )
        return partitions, files

    def _refresh(self) -> None:
        partitions, files = self._scan()
        table = f"{_quote(self.database)}.{_quote(self.table)}"
        metadata = f"{_quote(self.database)}.{_quote(self.table + '$partitions')}"
        keys = ", ".join(f"{_quote(c.name)} {_DUCKDB_TYPES[c.type]}" for c in PARTITION_KEYS)
        self._con.execute(f"CREATE OR REPLACE TABLE {metadata} ({keys})")
        if partitions:
            self._con.executemany(f"INSERT INTO {metadata} VALUES (?, ?, ?)", partitions)
        if files:
            hive = ", ".join(f"'{c.name}': {_DUCKDB_TYPES[c.type]}" for c in PARTITION_KEYS)
            listing = ", ".join(_literal(f) for f in files)
            source = (
                f"read_parquet([{listing}], hive_partitioning = true, "
                f"hive_types = {{{hive}}}, hive_types_autocast = false)"
            )
            data = ", ".join(
                f"CAST({_quote(c.name)} AS {_DUCKDB_TYPES[c.type]}) AS {_quote(c.name)}"
                for c in DATA_COLUMNS
            )
            keys_out = ", ".join(_quote(c.name) for c in PARTITION_KEYS)
            self._con.execute(
                f"CREATE OR REPLACE VIEW {table} AS SELECT {data}, {keys_out} FROM {source}"
            )
        else:
            empty = ", ".join(
                f"CAST(NULL AS {_DUCKDB_TYPES[c.type]}) AS {_quote(c.name)}"
                for c in (*DATA_COLUMNS, *PARTITION_KEYS)
            )
            self._con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT {empty} WHERE false")


def _folders(parent: Path, key: str) -> list[Path]:
    try:
        return sorted(p for p in parent.iterdir() if p.is_dir() and p.name.startswith(f"{key}="))
    except FileNotFoundError:
        return []


# -- the service -----------------------------------------------------------------------------


class AthenaService:
    """Athena's API for one Glue table over `lake`, served on 127.0.0.1 until `close()`.

    `running_polls`: status requests that see a query RUNNING before it ends, as on AWS, where a
    query is never done at the first look.
    """

    def __init__(
        self,
        lake: Path,
        *,
        database: str = names.GLUE_DATABASE,
        table: str = names.GLUE_TABLE,
        workgroups: Iterable[str] = (DEFAULT_WORKGROUP,),
        output_location: str = "s3://sma-athena-results/",
        running_polls: int = 1,
    ) -> None:
        self.database, self.table = database.lower(), table.lower()
        self.running_polls = running_polls
        self._engine = LakeEngine(lake, self.database, self.table)
        self._workgroups = {w: _Workgroup("ENABLED", output_location) for w in workgroups}
        self._executions: dict[str, Execution] = {}
        self._tokens: dict[str, str] = {}
        self._operations: list[str] = []
        self._stopped: list[str] = []
        self._failures: list[_Failure] = []
        self._holding = False
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # how soon close() is noticed
            name="athena-service",
            daemon=True,
        )

    @property
    def workgroup(self) -> str:
        """The first workgroup it was given."""
        with self._lock:
            return next(iter(self._workgroups))

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> AthenaService:
        self._thread.start()
        return self

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._engine.close()

    def __enter__(self) -> AthenaService:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- what tests arrange ------------------------------------------------------------------

    def add_workgroup(
        self, name: str, *, state: str = "ENABLED", output_location: str | None = None
    ) -> None:
        with self._lock:
            self._workgroups[name] = _Workgroup(state, output_location)

    def hold(self) -> None:
        """Queries started from now on stay RUNNING until `release()` or a stop."""
        with self._lock:
            self._holding = True

    def release(self) -> None:
        with self._lock:
            self._holding = False
            for execution in self._executions.values():
                execution.held = False

    @contextmanager
    def holding(self) -> Iterator[AthenaService]:
        self.hold()
        try:
            yield self
        finally:
            self.release()

    def fail_next(
        self,
        count: int = 1,
        reason: str = "GENERIC_INTERNAL_ERROR: the query engine failed (scripted)",
        *,
        error_type: int = _ENGINE_ERROR,
    ) -> None:
        """The next `count` queries fail with `reason`, as an engine failure would."""
        with self._lock:
            self._failures += [_Failure(reason, error_type)] * count

    def reset(self) -> None:
        """Forget every query, stop, call and plan; release held queries."""
        with self._lock:
            self._executions.clear()
            self._tokens.clear()
            self._operations.clear()
            self._stopped.clear()
            self._failures.clear()
            self._holding = False

    # -- what tests read ---------------------------------------------------------------------

    @property
    def executions(self) -> list[Execution]:
        """Every query received, oldest first (copies)."""
        with self._lock:
            return [replace(e) for e in self._executions.values()]

    def queries(self) -> list[tuple[str, list[str]]]:
        """(SQL text, ExecutionParameters) of every query received, oldest first."""
        return [(e.query, list(e.parameters)) for e in self.executions]

    @property
    def stopped(self) -> list[str]:
        """Ids named by StopQueryExecution calls, in order."""
        with self._lock:
            return list(self._stopped)

    @property
    def operations(self) -> list[str]:
        """Every API call received (``StartQueryExecution``, ...), in order."""
        with self._lock:
            return list(self._operations)

    def wait_for(self, state: str, count: int = 1, timeout: float = 10.0) -> list[Execution]:
        """Wait until `count` queries are in `state` (as last reported to a client)."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.executions if e.state == state]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.01)

    # -- the API -----------------------------------------------------------------------------

    def handle(self, target: str, body: Json) -> Json:
        """One API call: its JSON answer, or ApiError."""
        operation = target.removeprefix("AmazonAthena.")
        with self._lock:
            self._operations.append(operation)
        handlers = {
            "StartQueryExecution": self._start_query_execution,
            "GetQueryExecution": self._get_query_execution,
            "GetQueryResults": self._get_query_results,
            "StopQueryExecution": self._stop_query_execution,
            "GetWorkGroup": self._get_work_group,
        }
        handler = handlers.get(operation) if target.startswith("AmazonAthena.") else None
        if handler is None:
            raise ApiError("UnknownOperationException", f"this stand-in has no {target!r}")
        return handler(body)

    def _start_query_execution(self, body: Json) -> Json:
        query = body.get("QueryString")
        if not isinstance(query, str) or not query:
            raise ApiError("InvalidRequestException", "QueryString must not be empty")
        if len(query) > MAX_QUERY_LENGTH:
            raise ApiError(
                "InvalidRequestException",
                "1 validation error detected: Value at 'queryString' failed to satisfy "
                f"constraint: Member must have length less than or equal to {MAX_QUERY_LENGTH}",
            )
        parameters = body.get("ExecutionParameters")
        if parameters is not None and (
            not isinstance(parameters, list)
            or not parameters
            or not all(isinstance(p, str) and p for p in parameters)
        ):
            raise ApiError(
                "InvalidRequestException",
                "ExecutionParameters: at least one parameter, each a non-empty string",
            )
        name = body.get("WorkGroup") or "primary"
        context = body.get("QueryExecutionContext") or {}
        reuse = (body.get("ResultReuseConfiguration") or {}).get("ResultReuseByAgeConfiguration")
        token = body.get("ClientRequestToken")
        with self._lock:
            if token and token in self._tokens:  # a retried start: the same query, once
                return {"QueryExecutionId": self._tokens[token]}
            workgroup = self._workgroups.get(name)
            if workgroup is None:
                raise ApiError("InvalidRequestException", f"WorkGroup {name} is not found.")
            if workgroup.state != "ENABLED":
                raise ApiError("InvalidRequestException", f"WorkGroup {name} is disabled.")
            location = (body.get("ResultConfiguration") or {}).get("OutputLocation") or (
                workgroup.output_location
            )
            if not location:
                raise ApiError(
                    "InvalidRequestException",
                    "No output location provided. An output location is required either "
                    "through the Workgroup result configuration setting or as an API input.",
                )
            failure = self._failures.pop(0) if self._failures else None
            held = self._holding
        execution = Execution(
            id=str(uuid.uuid4()),
            query=query,
            parameters=list(parameters or []),
            workgroup=name,
            database=context.get("Database"),
            output_location=location,
            reuse_minutes=int(reuse.get("MaxAgeInMinutes", 60))
            if reuse and reuse.get("Enabled")
            else None,
            submitted=time.time(),
            outcome=Outcome(QUEUED),
            held=held,
            polls_left=self.running_polls,
        )
        if failure is not None:
            execution.outcome = _failed(failure.reason, _SYSTEM, failure.error_type)
        else:
            self._evaluate(execution)
        with self._lock:
            self._executions[execution.id] = execution
            if token:
                self._tokens[token] = execution.id
        return {"QueryExecutionId": execution.id}

    def _evaluate(self, execution: Execution) -> None:
        previous = self._reusable(execution)
        if previous is not None and previous.outcome.result is not None:
            execution.outcome = Outcome(SUCCEEDED, previous.outcome.result)
            execution.reused = True
            return
        tables = (f"{self.database}.{self.table}", f"{self.database}.{self.table}$partitions")
        try:
            tree, output = check_and_bind(
                execution.query, execution.parameters, database=execution.database, tables=tables
            )
            result = self._engine.run(tree.sql(dialect="duckdb"), output)
        except Rejected as exc:
            execution.outcome = _failed(exc.reason, _USER, exc.error_type)
            return
        except duckdb.Error as exc:
            # What DuckDB refuses of an accepted text: Athena's nearest error name.
            name = (
                "INVALID_CAST_ARGUMENT"
                if isinstance(exc, duckdb.ConversionException)
                else ("GENERIC_USER_ERROR")
            )
            execution.outcome = _failed(f"{name}: {str(exc).splitlines()[0]}", _USER, _USER_ERROR)
            return
        execution.outcome = Outcome(SUCCEEDED, result)

    def _reusable(self, execution: Execution) -> Execution | None:
        """The newest earlier result Athena would reuse: same text, parameters, database."""
        if execution.reuse_minutes is None:
            return None
        oldest = time.time() - execution.reuse_minutes * 60
        with self._lock:
            earlier = [
                e
                for e in self._executions.values()
                if e.state == SUCCEEDED
                and e.workgroup == execution.workgroup
                and e.query == execution.query
                and e.parameters == execution.parameters
                and e.database == execution.database
                and (e.completed or 0) >= oldest
            ]
        return earlier[-1] if earlier else None

    def _find(self, body: Json) -> Execution:
        query_id = body.get("QueryExecutionId")
        with self._lock:
            execution = self._executions.get(str(query_id))
        if execution is None:
            raise ApiError("InvalidRequestException", f"QueryExecution {query_id} was not found")
        return execution

    def _get_query_execution(self, body: Json) -> Json:
        execution = self._find(body)
        with self._lock:
            _advance(execution)
            return {"QueryExecution": _describe(execution)}

    def _get_query_results(self, body: Json) -> Json:
        execution = self._find(body)
        with self._lock:
            state = execution.state
        if state != SUCCEEDED:
            if state in TERMINAL:
                message = f"Query did not finish successfully. Final query state: {state}"
            else:
                message = f"Query has not yet finished. Current state: {state}"
            raise ApiError("InvalidRequestException", message)
        max_results = body.get("MaxResults", MAX_RESULTS)
        if not isinstance(max_results, int) or not 1 <= max_results <= MAX_RESULTS:
            raise ApiError(
                "InvalidRequestException",
                f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to "
                f"satisfy constraint: Member must have value less than or equal to {MAX_RESULTS}",
            )
        offset = _offset(body.get("NextToken"), execution.id)
        result = execution.outcome.result
        assert result is not None
        header: list[str | None] = list(result.names)
        rows = [header, *result.rows]
        page = rows[offset : offset + max_results]
        answer: Json = {
            "UpdateCount": 0,
            "ResultSet": {
                "Rows": [
                    {"Data": [{} if v is None else {"VarCharValue": v} for v in row]}
                    for row in page
                ],
                "ResultSetMetadata": {"ColumnInfo": result.columns},
            },
        }
        if offset + len(page) < len(rows):
            answer["NextToken"] = _token(execution.id, offset + len(page))
        return answer

    def _stop_query_execution(self, body: Json) -> Json:
        execution = self._find(body)
        with self._lock:
            self._stopped.append(execution.id)
            if execution.state not in TERMINAL:
                execution.state = CANCELLED
                execution.completed = time.time()
        return {}

    def _get_work_group(self, body: Json) -> Json:
        name = str(body.get("WorkGroup"))
        with self._lock:
            workgroup = self._workgroups.get(name)
        if workgroup is None:
            raise ApiError("InvalidRequestException", f"WorkGroup {name} is not found.")
        configuration: Json = {
            "EnforceWorkGroupConfiguration": False,
            "PublishCloudWatchMetricsEnabled": False,
            "RequesterPaysEnabled": False,
            "EngineVersion": ENGINE,
        }
        if workgroup.output_location:
            configuration["ResultConfiguration"] = {"OutputLocation": workgroup.output_location}
        return {
            "WorkGroup": {
                "Name": name,
                "State": workgroup.state,
                "Configuration": configuration,
                "Description": "",
                "CreationTime": 0,
            }
        }


def _failed(reason: str, category: int, error_type: int) -> Outcome:
    error = {
        "ErrorCategory": category,
        "ErrorType": error_type,
        "Retryable": category == _SYSTEM,
        "ErrorMessage": reason,
    }
    return Outcome(FAILED, reason=reason, error=error)


def _advance(execution: Execution) -> None:
    """One status request's worth of progress: RUNNING while held or for its polls, then done."""
    if execution.state in TERMINAL:
        return
    if execution.held:
        execution.state = RUNNING
        return
    if execution.polls_left > 0:
        execution.polls_left -= 1
        execution.state = RUNNING
        return
    execution.state = execution.outcome.state
    execution.completed = time.time()


def _describe(execution: Execution) -> Json:
    status: Json = {"State": execution.state, "SubmissionDateTime": execution.submitted}
    if execution.completed is not None:
        status["CompletionDateTime"] = execution.completed
    if execution.reason is not None:
        status["StateChangeReason"] = execution.reason
    if execution.state == FAILED and execution.outcome.error is not None:
        status["AthenaError"] = execution.outcome.error
    millis = int(((execution.completed or time.time()) - execution.submitted) * 1000)
    described: Json = {
        "QueryExecutionId": execution.id,
        "Query": execution.query,
        "StatementType": "DML",
        "SubstatementType": "SELECT",
        "ResultConfiguration": {
            "OutputLocation": f"{execution.output_location.rstrip('/')}/{execution.id}.csv"
        },
        "ResultReuseConfiguration": {
            "ResultReuseByAgeConfiguration": {
                "Enabled": execution.reuse_minutes is not None,
                **(
                    {"MaxAgeInMinutes": execution.reuse_minutes}
                    if execution.reuse_minutes is not None
                    else {}
                ),
            }
        },
        "QueryExecutionContext": {"Catalog": CATALOG}
        | ({"Database": execution.database} if execution.database else {}),
        "Status": status,
        "Statistics": {
            "EngineExecutionTimeInMillis": millis,
            "DataScannedInBytes": 0,
            "TotalExecutionTimeInMillis": millis,
            "QueryQueueTimeInMillis": 0,
            "ResultReuseInformation": {"ReusedPreviousResult": execution.reused},
        },
        "WorkGroup": execution.workgroup,
        "EngineVersion": ENGINE,
    }
    if execution.parameters:
        described["ExecutionParameters"] = execution.parameters
    return described


def _token(query_id: str, offset: int) -> str:
    return base64.urlsafe_b64encode(f"{query_id}:{offset}".encode()).decode()


def _offset(token: object, query_id: str) -> int:
    if token is None:
        return 0
    try:
        owner, _, offset = base64.urlsafe_b64decode(str(token)).decode().rpartition(":")
        if owner == query_id:
            return int(offset)
    except ValueError:
        pass
    raise ApiError("InvalidRequestException", "The NextToken is not valid for this query")


def _handler_for(service: AthenaService) -> type[BaseHTTPRequestHandler]:
    request_ids = itertools.count(1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as boto3's connection pool expects
        disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                if "Authorization" not in self.headers:
                    raise ApiError(
                        "MissingAuthenticationTokenException", "Missing Authentication Token", 403
                    )
                try:
                    request = json.loads(body or b"{}")
                except ValueError:
                    raise ApiError("SerializationException", "the body is no JSON") from None
                status, answer = 200, service.handle(self.headers.get("X-Amz-Target", ""), request)
            except ApiError as exc:
                status = exc.status
                answer = {"__type": exc.code, "Message": exc.message}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", f"athena-service-{next(request_ids)}")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: one line per call would drown the test output."""

    return Handler
