"""Reading ticks from the DynamoDB source table: Queries per ticker, in the driver or on executors.

Every number and time stays the text DynamoDB sent (the low-level client's ``{"N": "0.1"}``), so
nothing is rounded before the tick rule reads it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache, partial
from typing import TYPE_CHECKING, Any, Final

from sma.schema import SOURCE_PARTITION_KEY, SOURCE_SORT_KEY
from sma.tickers import InvalidTicker, normalize
from sma.ticks import CleanTick, clean_tick
from sma.windows import MAX_WINDOW
from sma_etl.window import Window

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

log = logging.getLogger(__name__)

# Ticks of history before the window start that the longest SMA needs at the first new tick.
LOOKBACK_TICKS: Final = MAX_WINDOW - 1

# Windows of up to this many ticker-hours (the scheduled run's 3 x 2, a day of 3 tickers) are
# read in the driver; Spark tasks would cost more to start than the reading takes.
DRIVER_READ_TICKER_HOURS: Final = 72

# The raw tick as read: texts as stored, plus whether it came from the lookback Query.
RAW_COLUMNS: Final[tuple[str, ...]] = (
    "raw_ticker",
    "raw_last_refreshed",
    "raw_bid_price",
    "raw_ask_price",
    "raw_time_zone",
)
LOOKBACK_COLUMN: Final = "lookback"


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """What an executor needs to reach the table; passed explicitly, never read from its env."""

    table: str
    region: str
    endpoint_url: str | None = None
    retry_mode: str = "adaptive"
    max_attempts: int = 10


RawRow = tuple[str | None, str | None, str | None, str | None, str | None, bool]


@cache
def dynamodb_client(config: SourceConfig) -> Any:
    """A low-level DynamoDB client with botocore's retries (throttling backs off, then retries).

    Cached per process: Spark reuses its Python workers, so later tasks and runs skip the
    client's start-up cost.
    """
    import boto3
    from botocore.config import Config

    # botocore's stubs type this as a TypedDict with a Literal mode; the value is checked
    # in settings.
    retries: Any = {"mode": config.retry_mode, "max_attempts": config.max_attempts}
    return boto3.session.Session().client(
        "dynamodb",
        region_name=config.region,
        endpoint_url=config.endpoint_url,
        config=Config(retries=retries),
    )


def _text(attribute: Mapping[str, Any] | None) -> str | None:
    """An attribute's value as text: numbers and strings verbatim, NULL or absent as None."""
    if attribute is None or "NULL" in attribute:
        return None
    if "N" in attribute:
        return str(attribute["N"])
    if "S" in attribute:
        return str(attribute["S"])
    # Any other type (BOOL, M, L, ...) is no price or time; its type name is kept for the record.
    return f"<{next(iter(attribute), 'empty')}>"


def _raw_row(item: Mapping[str, Any], lookback: bool) -> RawRow:
    return (
        _text(item.get(SOURCE_PARTITION_KEY)),
        _text(item.get(SOURCE_SORT_KEY)),
        _text(item.get("bid_price")),
        _text(item.get("ask_price")),
        _text(item.get("time_zone")),
        lookback,
    )


def _is_clean(row: RawRow) -> bool:
    return isinstance(clean_tick(*row[:5]), CleanTick)


def query_window(
    client: Any, table: str, ticker: str, first_key: str, last_key: str
) -> Iterator[RawRow]:
    """Every item of `ticker` with a sort key in ``[first_key, last_key]``, all pages."""
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#t = :t AND #r BETWEEN :a AND :b",
        "ExpressionAttributeNames": {"#t": SOURCE_PARTITION_KEY, "#r": SOURCE_SORT_KEY},
        "ExpressionAttributeValues": {
            ":t": {"S": ticker},
            ":a": {"S": first_key},
            ":b": {"S": last_key},
        },
    }
    while True:
        page = client.query(**request)
        for item in page.get("Items", []):
            yield _raw_row(item, lookback=False)
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def query_lookback(
    client: Any, table: str, ticker: str, before_key: str, wanted: int = LOOKBACK_TICKS
) -> Iterator[RawRow]:
    """The items before `before_key`, newest first, until `wanted` of them pass the tick rule.

    Malformed ticks do not count toward the history, so the reader goes on past them; it stops
    early only where the ticker's history ends.
    """
    try:
        normalize(ticker)
    except InvalidTicker:
        return  # no tick of this ticker can pass the rule: no history worth reading
    if wanted <= 0:
        return
    request: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#t = :t AND #r < :a",
        "ExpressionAttributeNames": {"#t": SOURCE_PARTITION_KEY, "#r": SOURCE_SORT_KEY},
        "ExpressionAttributeValues": {":t": {"S": ticker}, ":a": {"S": before_key}},
        "ScanIndexForward": False,
        # Exactly the history needed (read capacity is billed per item): when malformed ticks
        # took places, the next page asks only for the shortfall.
        "Limit": wanted,
    }
    clean = 0
    while True:
        page = client.query(**request)
        for item in page.get("Items", []):
            row = _raw_row(item, lookback=True)
            yield row
            clean += _is_clean(row)
            if clean >= wanted:
                return
        if "LastEvaluatedKey" not in page:
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        request["Limit"] = wanted - clean


def raw_schema() -> StructType:
    """The Spark schema of raw ticks: texts as stored, plus the lookback flag."""
    from pyspark.sql.types import BooleanType, StringType, StructField, StructType

    return StructType(
        [StructField(name, StringType(), True) for name in RAW_COLUMNS]
        + [StructField(LOOKBACK_COLUMN, BooleanType(), False)]
    )


@dataclass(frozen=True, slots=True)
class ReadTask:
    """One ticker's keys in ``[first_key, last_key]``, after its lookback when `lookback` > 0.

    `first` and `last` say whether the slice opens or closes the ticker's window: only there
    are the keys widened for ticks written in another time zone (``zones.read_ticker``).
    """

    ticker: str
    first_key: str
    last_key: str
    lookback: int
    first: bool = True
    last: bool = True


def read_tasks(
    tickers: Iterable[str], window: Window, slices: int, lookback: int
) -> list[ReadTask]:
    """Each ticker's window cut into up to `slices` runs of whole hours; history with the first.

    The slices' key ranges follow each other without gap or overlap, so together they read
    exactly what one Query of the window reads.
    """
    hours = window.hours
    per_slice = -(-hours // max(1, min(slices, hours)))
    tasks: list[ReadTask] = []
    parts = list(window.chunks(per_slice))
    for ticker in sorted(set(tickers)):
        for index, part in enumerate(parts):
            tasks.append(
                ReadTask(
                    ticker,
                    part.start_key(),
                    part.last_key(),
                    lookback if index == 0 else 0,
                    first=index == 0,
                    last=index == len(parts) - 1,
                )
            )
    return tasks


def run_task(client: Any, table: str, task: ReadTask) -> Iterator[RawRow]:
    """One task's rows: its keys and history, widened for tickers in other time zones."""
    from sma_etl.zones import read_ticker

    yield from read_ticker(
        client,
        table,
        task.ticker,
        task.first_key,
        task.last_key,
        task.lookback,
        widen_low=task.first,
        widen_high=task.last,
    )


def _run_tasks(config: SourceConfig, tasks: Iterable[ReadTask]) -> Iterator[RawRow]:
    client = dynamodb_client(config)  # at most once per Spark task, never per ticker or page
    for task in tasks:
        yield from run_task(client, config.table, task)


def reads_in_driver(tickers: Iterable[str], window: Window) -> bool:
    """Whether a window is small enough to read in the driver (``DRIVER_READ_TICKER_HOURS``)."""
    return len(set(tickers)) * window.hours <= DRIVER_READ_TICKER_HOURS


def fetch_ticks(
    config: SourceConfig, tickers: Iterable[str], window: Window, lookback: int = LOOKBACK_TICKS
) -> list[RawRow]:
    """Raw ticks of `tickers` in `window` plus their lookback, read here, one thread per ticker."""
    tasks = read_tasks(tickers, window, 1, lookback)
    client = dynamodb_client(config)
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(tasks)))) as pool:
        parts = pool.map(lambda task: list(run_task(client, config.table, task)), tasks)
        return [row for part in parts for row in part]


def read_ticks(
    spark: SparkSession,
    config: SourceConfig,
    tickers: Iterable[str],
    window: Window,
    *,
    lookback: int = LOOKBACK_TICKS,
    in_driver: bool | None = None,
) -> tuple[DataFrame, bool]:
    """Raw ticks of `tickers` in `window` plus their lookback, and whether the driver read them.

    A window of at most ``DRIVER_READ_TICKER_HOURS`` ticker-hours is read in the driver
    (``fetch_ticks``): no Spark task, no Python worker. A larger one is read by Spark tasks,
    one per (ticker, slice of the window), so even one ticker's backfill reads in parallel;
    that frame reads the table again on every action unless the caller persists it.
    """
    names = sorted(set(tickers))
    if in_driver is None:
        in_driver = reads_in_driver(names, window)
    if in_driver:
        return spark.createDataFrame(
            fetch_ticks(config, names, window, lookback), raw_schema()
        ), True
    cores = spark.sparkContext.defaultParallelism
    tasks = read_tasks(names, window, -(-2 * cores // max(1, len(names))), lookback)
    if not tasks:
        return spark.createDataFrame([], raw_schema()), False
    rdd = spark.sparkContext.parallelize(tasks, len(tasks)).mapPartitions(
        partial(_run_tasks, config)
    )
    return spark.createDataFrame(rdd, raw_schema()), False
