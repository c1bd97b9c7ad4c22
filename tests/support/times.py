"""How the API and the job's options spell an instant."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(when: datetime, timespec: str = "auto") -> str:
    """ISO 8601 in UTC with ``Z``, as the API writes times and the job's options take them.

    ``timespec="seconds"`` drops fractions, as the job's run summary writes its window.
    """
    return when.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")
