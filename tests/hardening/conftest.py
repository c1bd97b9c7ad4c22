"""Fixtures of the hardening tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def lakes(tmp_path: Path) -> Any:
    """A fresh lake folder per name: lakes('clean'), lakes('faulty'), ..."""

    def make(name: str) -> Path:
        path = tmp_path / name
        path.mkdir()
        return path

    return make
