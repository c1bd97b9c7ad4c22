"""A small lake in the job's layout, written with pyarrow, for the local tooling's tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import pytest

from tests.support.lake import LakeRow, write_ticker

LakeWriter = Callable[[str, Sequence[tuple[datetime, float, float]]], list[LakeRow]]


@pytest.fixture
def lake_writer(tmp_path: Path) -> tuple[Path, LakeWriter]:
    root = tmp_path / "lake"
    root.mkdir()

    def write(ticker: str, ticks: Sequence[tuple[datetime, float, float]]) -> list[LakeRow]:
        return write_ticker(root, ticker, ticks)

    return root, write
