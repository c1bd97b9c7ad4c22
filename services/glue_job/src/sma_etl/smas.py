"""The SMAs in O(rows): block sums of lagged bids, one pass per segment, all segments at once.

``sma_n`` at a tick is the mean bid of the ticker's last n ticks up to it. A sliding frame
re-adds all n bids at every tick; here the bids are first summed in blocks of g ticks (g the
greatest common divisor of the windows, 10), and each window adds n / g of those blocks: 9
lags for the blocks and 9 for the windows instead of 200 additions per tick. Every sum adds
positive numbers in a fixed order, so a tick's SMAs depend only on its own 100 bids (identical
however the work is cut) and stay within 20 units in the last place of the exact mean, far
inside 1e-12 of ``sma.reference.rolling_sma``. A lag past the start of a ticker's history is
null, so an SMA is null below n ticks. Expressions are SQL text: one call to the JVM each.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from functools import reduce
from typing import TYPE_CHECKING, Final

from sma.windows import WINDOWS, sma_column
from sma_etl.judge import MICROS
from sma_etl.segments import SegmentPlan
from sma_etl.source import RAW_COLUMNS
from sma_etl.tally import MICROS_PER_HOUR, floor_div_sql

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

SEGMENT: Final = "seg"
CONTEXT: Final = "is_context"
PARTITION: Final = "part_key"


def _case(branches: Sequence[tuple[str, str]], otherwise: str = "NULL") -> str:
    whens = " ".join(f"WHEN {condition} THEN {value}" for condition, value in branches)
    return f"CASE {whens} ELSE {otherwise} END" if branches else otherwise


def segment_sql(plan: SegmentPlan) -> tuple[str, str, str]:
    """SQL of (segment id, id of the segment it is context for or null, partition key)."""
    hour = "_hour"
    ids = {(s.ticker, s.first_hour): i for i, s in enumerate(plan.segments)}
    own: list[tuple[str, str]] = []
    feeds: list[tuple[str, str]] = []
    for name in plan.tickers:  # normalised tickers: letters and digits only
        mine = plan.of_ticker(name)
        # Latest segment first: the first whose first hour the tick is not before.
        later = [(f"{hour} >= {s.first_hour}", str(ids[(name, s.first_hour)])) for s in mine[:0:-1]]
        own.append((f"ticker = '{name}'", _case(later, str(ids[(name, mine[0].first_hour)]))))
        for before, after in itertools.pairwise(mine):
            assert after.context_hour is not None
            assert after.context_hour >= before.first_hour  # context lies in one segment
            inside = f"{hour} >= {after.context_hour} AND {hour} < {after.first_hour}"
            feeds.append((f"ticker = '{name}' AND {inside}", str(ids[(name, after.first_hour)])))
    keys = plan.partition_keys
    by_segment = [(f"{SEGMENT} = {i}", str(keys[s.partition])) for i, s in enumerate(plan.segments)]
    return _case(own), f"CAST({_case(feeds)} AS INT)", _case(by_segment, str(keys[0]))


def block_size(windows: Sequence[int]) -> int:
    return reduce(math.gcd, windows)


def window_sums(windows: Sequence[int], over: str) -> tuple[list[str], dict[int, str]]:
    """(lag columns of the block sums, SQL of each window's sum over them)."""
    g = block_size(windows)
    lags = [f"lag(_block, {k}) OVER ({over}) AS _l{k}" for k in range(g, max(windows), g)]
    sums: dict[int, str] = {}
    total, done = "", 0
    for n in sorted(windows):
        parts = ["_block" if k == 0 else f"_l{k}" for k in range(done, n, g)]
        total = " + ".join(([total] if total else []) + parts)
        done = n
        sums[n] = f"({total})"
    return lags, sums


def compute_smas(
    ticks: DataFrame, plan: SegmentPlan, *, dedupe: bool, windows: Sequence[int] = WINDOWS
) -> DataFrame:
    """`sma_n` of every clean tick (`ticker`, `micros`, `bid_price`, ...), context left out.

    With `dedupe`, ticks of one (ticker, time) keep the first by raw text (their raw columns
    must be there); without, every (ticker, time) must be one tick. The result stays
    partitioned by segment (column `part_key`), so each lake partition sits in one task.
    """
    segment, context, key = segment_sql(plan)
    kept = [c for c in ticks.columns if c not in RAW_COLUMNS or dedupe]
    copies = (
        f"explode(array_compact(array(named_struct('{SEGMENT}', _own, '{CONTEXT}', false),"
        f" CASE WHEN _feeds IS NOT NULL THEN named_struct('{SEGMENT}', _feeds, '{CONTEXT}', true)"
        " END))) AS _copy"
    )
    spread = (
        ticks.selectExpr(*kept, f"{floor_div_sql(MICROS, MICROS_PER_HOUR)} AS _hour")
        .selectExpr(*kept, f"{segment} AS _own", f"{context} AS _feeds")
        .selectExpr(*kept, copies)
        .selectExpr(*kept, f"_copy.{SEGMENT} AS {SEGMENT}", f"_copy.{CONTEXT} AS {CONTEXT}")
        .selectExpr("*", f"{key} AS {PARTITION}")
        .repartition(plan.partitions, PARTITION)
    )
    over = f"PARTITION BY {PARTITION}, {SEGMENT} ORDER BY {MICROS}"
    if dedupe:
        by_text = ", ".join(f"{c} ASC NULLS FIRST" for c in RAW_COLUMNS)
        first = f"PARTITION BY {PARTITION}, {SEGMENT} ORDER BY {MICROS}, {by_text}"
        spread = (
            spread.selectExpr("*", f"lag({MICROS}, 1) OVER ({first}) AS _previous")
            .where(f"_previous IS NULL OR _previous != {MICROS}")
            .drop("_previous", *RAW_COLUMNS)
        )
    g = block_size(windows)
    block = " + ".join(["bid_price"] + [f"lag(bid_price, {k}) OVER ({over})" for k in range(1, g)])
    lags, sums = window_sums(windows, over)
    columns = [c for c in spread.columns if c != CONTEXT]
    return (
        spread.selectExpr("*", f"{block} AS _block")
        .selectExpr("*", *lags)
        .where(f"NOT {CONTEXT}")
        .selectExpr(*columns, *(f"{sums[n]} / {n} AS {sma_column(n)}" for n in windows))
    )
