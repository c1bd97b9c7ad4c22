"""The refresh marker: ``<lake>/_refresh.json``, written when a run has completed.

Written last, after the run's partitions are written and registered, so a reader that sees a new
marker finds the new data in place. It holds the run's id and end time; the API keys its caches,
ETags and Athena result reuse on it.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any, Final

from sma_etl.lake_objects import write_text
from sma_etl.window import iso

MARKER: Final = "_refresh.json"


def publish_refresh(root: str, window: list[str], rows_written: int) -> dict[str, Any]:
    """Write the marker of a run that has just completed; returns what it holds."""
    ended = datetime.now(UTC)
    body = {
        "run_id": uuid.uuid4().hex,
        "ended": ended.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "ended_hour": iso(ended.replace(minute=0, second=0, microsecond=0)),
        "window": window,
        "rows_written": rows_written,
    }
    write_text(root, MARKER, json.dumps(body, separators=(",", ":")))
    return body
