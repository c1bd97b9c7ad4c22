import pytest

from sma.schema import (
    ALL_COLUMNS,
    DATA_COLUMN_NAMES,
    PARTITION_KEY_NAMES,
    PARTITION_KEYS,
    hour_partition,
)
from sma.windows import MAX_WINDOW, SMA_COLUMNS, WINDOWS, sma_column


def test_windows_and_columns() -> None:
    assert WINDOWS == (10, 30, 60, 100)
    assert SMA_COLUMNS == ("sma_10", "sma_30", "sma_60", "sma_100")
    assert MAX_WINDOW == 100
    with pytest.raises(ValueError, match="no SMA window of 7"):
        sma_column(7)


def test_table_layout_matches_the_catalog_contract() -> None:
    assert [(c.name, c.type) for c in ALL_COLUMNS] == [
        ("ask_price", "double"),
        ("bid_price", "double"),
        ("last_refreshed", "timestamp"),
        ("sma_10", "double"),
        ("sma_30", "double"),
        ("sma_60", "double"),
        ("sma_100", "double"),
        ("ticker", "string"),
        ("date", "date"),
        ("hour", "string"),
    ]
    assert PARTITION_KEY_NAMES == ("ticker", "date", "hour")
    assert not set(DATA_COLUMN_NAMES) & {c.name for c in PARTITION_KEYS}


def test_hour_partition_is_zero_padded() -> None:
    assert [hour_partition(h) for h in (0, 7, 23)] == ["00", "07", "23"]
    with pytest.raises(ValueError, match=r"0\.\.23"):
        hour_partition(24)
