"""Fixtures of the hardening tests; the corpus, the proxy and the helpers sit beside them."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def lakes(tmp_path: Path) -> Any:
    """A fresh lake folder per name: lakes('clean'), lakes('faulty'), ..."""

    def make(name: str) -> Path:
        path = tmp_path / name
        path.mkdir()
        return path

    return make
