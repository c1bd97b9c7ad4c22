"""How the SMA work is cut so every core has some: time segments per ticker, with context.

A ticker's clean ticks are cut at hour boundaries into segments of similar size. Each segment
is processed on its own, together with copies of the ``MAX_WINDOW - 1`` ticks before it (its
context), so its SMAs are those of one pass over the whole ticker while segments run in
parallel. Segments go to Spark partitions largest first; a partition is chosen by hashing an
integer key, so the keys are picked for Spark's hash to land each on its own partition.
A lake partition (ticker, date, hour) lies in exactly one segment, so the rows arrive at the
writer already clustered by it.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sma.windows import MAX_WINDOW

# Below this a segment costs more in task start-up and context than it gains in parallelism.
MIN_SEGMENT_ROWS: Final = 20_000
# Segments (and at most as many partitions) per core: small enough tasks to balance unevenly
# sized tickers, big enough to amortise a task.
SEGMENTS_PER_CORE: Final = 4
# Spark's hash partitioning: Murmur3 x86 32-bit, seed 42, modulo the partition count.
_SPARK_HASH_SEED: Final = 42
_MASK: Final = 0xFFFFFFFF

# (ticker, UTC hour since the epoch)
TickerHour = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Segment:
    """The ticks of `ticker` from `first_hour` up to its next segment's first hour."""

    ticker: str
    first_hour: int
    rows: int
    context_hour: int | None  # context: the ticks from this hour to `first_hour`; None if first
    partition: int = 0


@dataclass(frozen=True, slots=True)
class SegmentPlan:
    segments: tuple[Segment, ...]  # by ticker, then time
    partitions: int
    partition_keys: tuple[int, ...]  # the integer Spark hashes to each partition, by partition

    def of_ticker(self, ticker: str) -> list[Segment]:
        return [s for s in self.segments if s.ticker == ticker]

    @property
    def tickers(self) -> list[str]:
        return sorted({s.ticker for s in self.segments})


def _cut(hours: list[tuple[int, int]], target: int) -> list[tuple[int, int]]:
    """(first hour, rows) of segments of at least `target` rows, a short tail merged back."""
    cut: list[tuple[int, int]] = []
    first: int | None = None
    rows = 0
    for hour, count in hours:
        first = hour if first is None else first
        rows += count
        if rows >= target:
            cut.append((first, rows))
            first, rows = None, 0
    if first is not None:
        if cut and rows < target // 2:
            cut[-1] = (cut[-1][0], cut[-1][1] + rows)
        else:
            cut.append((first, rows))
    return cut


def _context_hour(hours: list[tuple[int, int]], first_hour: int, context: int) -> int:
    """The latest hour before `first_hour` from which on at least `context` ticks lie before it."""
    rows = 0
    earliest = first_hour
    for hour, count in reversed(hours):
        if hour >= first_hour:
            continue
        earliest, rows = hour, rows + count
        if rows >= context:
            break
    return earliest


def plan_segments(
    hour_rows: Mapping[TickerHour, int],
    parallelism: int,
    context: int = MAX_WINDOW - 1,
    min_rows: int = MIN_SEGMENT_ROWS,
) -> SegmentPlan:
    """Segments of the clean ticks counted by (ticker, hour), packed on partitions."""
    by_ticker: defaultdict[str, list[tuple[int, int]]] = defaultdict(list)
    for (ticker, hour), rows in sorted(hour_rows.items()):
        by_ticker[ticker].append((hour, rows))
    total = sum(hour_rows.values())
    wanted = max(1, parallelism) * SEGMENTS_PER_CORE
    target = max(min_rows, context + 1, math.ceil(total / wanted))
    segments: list[Segment] = []
    for ticker, hours in sorted(by_ticker.items()):
        for index, (first, rows) in enumerate(_cut(hours, target)):
            around = _context_hour(hours, first, context) if index else None
            segments.append(Segment(ticker, first, rows, around))
    partitions = max(1, min(len(segments), wanted))
    loads = [(0, p) for p in range(partitions)]
    placed: dict[int, int] = {}
    for index in sorted(range(len(segments)), key=lambda i: -segments[i].rows):
        load, partition = heapq.heappop(loads)
        placed[index] = partition
        heapq.heappush(loads, (load + segments[index].rows, partition))
    packed = tuple(
        Segment(s.ticker, s.first_hour, s.rows, s.context_hour, placed[i])
        for i, s in enumerate(segments)
    )
    return SegmentPlan(packed, partitions, partition_keys(partitions))


def _rotl(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (32 - bits))) & _MASK


def spark_hash_int(value: int, seed: int = _SPARK_HASH_SEED) -> int:
    """Spark's ``hash()`` of an int column (Murmur3_x86_32.hashInt), as a signed int."""
    k1 = (value & _MASK) * 0xCC9E2D51 & _MASK
    k1 = _rotl(k1, 15) * 0x1B873593 & _MASK
    h1 = _rotl((seed & _MASK) ^ k1, 13)
    h1 = (h1 * 5 + 0xE6546B64) & _MASK
    h1 ^= 4
    h1 = ((h1 ^ (h1 >> 16)) * 0x85EBCA6B) & _MASK
    h1 = ((h1 ^ (h1 >> 13)) * 0xC2B2AE35) & _MASK
    h1 ^= h1 >> 16
    return h1 - (1 << 32) if h1 & 0x80000000 else h1


def partition_keys(partitions: int) -> tuple[int, ...]:
    """For each partition, the smallest non-negative int Spark hashes onto it."""
    keys: dict[int, int] = {}
    value = 0
    while len(keys) < partitions:
        keys.setdefault(spark_hash_int(value) % partitions, value)
        value += 1
    return tuple(keys[p] for p in range(partitions))
