"""Every kind of malformed tick: the run succeeds, the tick is counted under its reason and set
aside, and every other tick's output is exactly what it is without it.

Two levels: the job's own read and transform code judges every kind of the corpus in one Spark
pass (cheap), and whole runs of the job (discovery, Spark tasks per ticker, the sink) go through
the corpus with a sample of the bad tickers, since each ticker costs the run a Spark task.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from sma.schema import SOURCE_PARTITION_KEY, SOURCE_SORT_KEY
from sma.ticks import INVALID_TICKER
from tests.hardening.bad_ticks import (
    ACCEPTED,
    RUN_NOW,
    WINDOW_END,
    WINDOW_START,
    BadTick,
    build_corpus,
    dirty_items,
    equivalent_items,
    expected_duplicates,
    expected_rejections,
)
from tests.support.job import read_lake, run_job
from tests.support.source_table import fill_table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

pytestmark = pytest.mark.spark

# The bad tickers whole runs go through (every one of them is judged by the transform test).
SAMPLED_TICKER_KINDS = (
    "ticker with SQL",
    "ticker with '..'",
    "ticker in full-width letters",
    "large item with a bad ticker",
)


def test_the_corpus_has_at_least_twenty_kinds_of_each_sort() -> None:
    corpus = build_corpus()
    assert len(corpus) >= 20
    assert sum(bad.rejected for bad in corpus) >= 20
    assert sum(bad.expected == ACCEPTED for bad in corpus) >= 5
    assert len({bad.kind for bad in corpus}) == len(corpus), "kind names must be unique"
    assert set(SAMPLED_TICKER_KINDS) <= {bad.kind for bad in corpus}


def _raw_frame(spark: SparkSession, endpoint: str, table: str) -> DataFrame:
    """The window's raw ticks and their lookback, read by the job's own Query functions."""
    from pyspark.sql.types import BooleanType, StringType, StructField, StructType

    from sma_etl.source import (
        LOOKBACK_COLUMN,
        RAW_COLUMNS,
        RawRow,
        query_lookback,
        query_window,
    )
    from sma_etl.window import Window

    window = Window(WINDOW_START, WINDOW_END)
    client = boto3.client("dynamodb", endpoint_url=endpoint)
    pages = client.get_paginator("scan").paginate(
        TableName=table, ProjectionExpression=SOURCE_PARTITION_KEY
    )
    tickers = {item[SOURCE_PARTITION_KEY]["S"] for page in pages for item in page["Items"]}
    rows: list[RawRow] = []
    for ticker in sorted(tickers):
        rows.extend(query_lookback(client, table, ticker, window.start_key()))
        rows.extend(query_window(client, table, ticker, window.start_key(), window.last_key()))
    schema = StructType(
        [StructField(name, StringType(), True) for name in RAW_COLUMNS]
        + [StructField(LOOKBACK_COLUMN, BooleanType(), False)]
    )
    return spark.createDataFrame(rows, schema)


def _keys_by_reason(rejected: Iterable[Any]) -> Counter[tuple[str, str, str]]:
    return Counter((r["raw_ticker"], r["raw_last_refreshed"], r["reject_reason"]) for r in rejected)


def _wanted_keys(corpus: Iterable[BadTick]) -> Counter[tuple[str, str, str]]:
    return Counter(
        (item[SOURCE_PARTITION_KEY], item[SOURCE_SORT_KEY], bad.expected)
        for bad in corpus
        if bad.rejected
        for item in bad.items
    )


def _kinds_missed(corpus: Iterable[BadTick], got: Counter[tuple[str, str, str]]) -> dict[str, str]:
    """Kinds with an item not judged under its expected reason, and that reason."""
    return {
        bad.kind: bad.expected
        for bad in corpus
        if bad.rejected
        and any(
            (i[SOURCE_PARTITION_KEY], i[SOURCE_SORT_KEY], bad.expected) not in got
            for i in bad.items
        )
    }


@pytest.mark.parametrize("in_driver", [False, True], ids=["spark-expressions", "driver"])
def test_the_tick_rule_judges_every_kind_and_leaves_the_rest_untouched(
    spark: SparkSession, moto_endpoint: str, in_driver: bool
) -> None:
    """Both forms of the rule the job runs on ticks in other spellings: Spark expressions,
    and ``sma.ticks`` in the driver when they are few."""
    from sma_etl.transform import DRIVER_JUDGED_TICKS, transform
    from sma_etl.window import Window

    corpus = build_corpus()
    fill_table(moto_endpoint, "Dirty", dirty_items(corpus))
    fill_table(moto_endpoint, "Equivalent", equivalent_items(corpus))
    window = Window(WINDOW_START, WINDOW_END)
    bounds = (int(window.start.timestamp()) * 10**6, int(window.end.timestamp()) * 10**6)

    limit = DRIVER_JUDGED_TICKS if in_driver else 0
    dirty_raw = _raw_frame(spark, moto_endpoint, "Dirty")
    assert in_driver is (dirty_raw.count() <= limit)  # the corpus takes the path meant
    dirty = transform(dirty_raw, *bounds, driver_judged=limit)
    clean = transform(_raw_frame(spark, moto_endpoint, "Equivalent"), *bounds, driver_judged=limit)
    dirty_rows, dirty_rejected, clean_rows, clean_rejected = (
        dirty.rows,
        dirty.rejected,
        clean.rows,
        clean.rejected,
    )

    judged = _keys_by_reason(dirty_rejected.collect())
    assert not _kinds_missed(corpus, judged), "kinds not judged under their reason"
    assert judged == _wanted_keys(corpus)
    assert clean_rejected.count() == 0

    order = ("ticker", "last_refreshed")
    assert dirty_rows.orderBy(*order).collect() == clean_rows.orderBy(*order).collect()


def _set_aside(lake: Path) -> list[dict[str, Any]]:
    """The rejected ticks the run wrote beside the lake (JSON lines)."""
    return [
        json.loads(line)
        for path in sorted((lake / "_rejected").glob("window=*/*.json"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def test_a_run_over_the_corpus_counts_sets_aside_and_writes_exactly_the_clean_lake(
    spark: SparkSession, moto_endpoint: str, lakes: Any
) -> None:
    corpus = [
        bad
        for bad in build_corpus()
        if bad.expected != INVALID_TICKER or bad.kind in SAMPLED_TICKER_KINDS
    ]
    fill_table(moto_endpoint, "Dirty", dirty_items(corpus))
    fill_table(moto_endpoint, "Equivalent", equivalent_items(corpus))
    dirty_lake, clean_lake = lakes("dirty"), lakes("equivalent")
    common: dict[str, Any] = {"endpoint": moto_endpoint, "start": WINDOW_START, "end": WINDOW_END}

    dirty = run_job(spark, table="Dirty", lake=dirty_lake, discover=True, now=RUN_NOW, **common)
    clean = run_job(spark, table="Equivalent", lake=clean_lake, discover=True, **common)

    # The run succeeded and counted each bad tick under its reason...
    assert dict(dirty.rows_rejected) == dict(expected_rejections(corpus))
    assert dirty.duplicates == expected_duplicates(corpus)
    assert (sum(clean.rows_rejected.values()), clean.duplicates) == (0, 0)
    # ...set each one aside with its reason, so nothing is lost without a trace...
    set_aside = _keys_by_reason(_set_aside(dirty_lake))
    assert not _kinds_missed(corpus, set_aside), "kinds not set aside under their reason"
    assert set_aside == _wanted_keys(corpus)
    # ...and wrote exactly the lake the well-formed ticks alone give. (The large items push
    # BTC/USD's window past one 1 MB Query page, so this also proves every page was read.)
    clean_rows = read_lake(clean_lake)
    assert dirty.rows_written == clean.rows_written == len(clean_rows) > 0
    assert read_lake(dirty_lake) == clean_rows
