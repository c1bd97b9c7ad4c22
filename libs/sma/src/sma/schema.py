"""The output table as data: the Spark schema, the Glue table and the API model derive from it.

Types are Hive/Athena type names (``double``, ``timestamp``, ``string``, ``date``), which the
Glue catalog takes as they are and every other consumer maps from.
"""

from dataclasses import dataclass
from typing import Final, Literal

from sma.windows import SMA_COLUMNS

ColumnType = Literal["double", "timestamp", "string", "date"]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: ColumnType
    comment: str = ""


DATA_COLUMNS: Final[tuple[Column, ...]] = (
    Column("ask_price", "double", "ask price of the tick"),
    Column("bid_price", "double", "bid price of the tick; the SMAs average it"),
    Column("last_refreshed", "timestamp", "time of the tick, UTC"),
    *(
        Column(name, "double", f"mean bid price over the last {name[4:]} ticks, null until then")
        for name in SMA_COLUMNS
    ),
)

PARTITION_KEYS: Final[tuple[Column, ...]] = (
    Column("ticker", "string", "normalised ticker, e.g. BTCUSD"),
    Column("date", "date", "UTC date of last_refreshed"),
    Column("hour", "string", "UTC hour of last_refreshed, zero-padded 00..23"),
)

ALL_COLUMNS: Final[tuple[Column, ...]] = DATA_COLUMNS + PARTITION_KEYS

DATA_COLUMN_NAMES: Final[tuple[str, ...]] = tuple(c.name for c in DATA_COLUMNS)
PARTITION_KEY_NAMES: Final[tuple[str, ...]] = tuple(c.name for c in PARTITION_KEYS)

# Source side: the DynamoDB table the upstream producer fills.
SOURCE_PARTITION_KEY: Final[str] = "ticker"
SOURCE_SORT_KEY: Final[str] = "last_refreshed"
SOURCE_TIME_FORMAT: Final[str] = "%Y-%m-%d %H:%M:%S"


def hour_partition(hour: int) -> str:
    """The ``hour`` partition value for an hour of the day: ``7`` -> ``'07'``."""
    if not 0 <= hour <= 23:
        raise ValueError(f"hour must be 0..23, got {hour}")
    return f"{hour:02d}"
