"""Missed runs: a scheduled run covers every hour since the newest one the lake holds.

The scheduled window is the last two whole hours, so two failed or skipped runs in a row would
leave a hole. A scheduled run therefore starts at the newest hour already written (any ticker's
newest ``date=``/``hour=`` folder: one listing of the tickers, then two per ticker) when that is
earlier, and ends at the scheduled end. A gap longer than the maximum catch-up span is covered
from its start, that many hours of it, and the run then fails so the alarm fires; the next run
goes on from there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sma_etl.lake_objects import list_folders
from sma_etl.window import HOUR, Window

log = logging.getLogger(__name__)


class CatchUpIncomplete(RuntimeError):
    """The run covered the longest span it may, and hours remain to be caught up."""


@dataclass(frozen=True, slots=True)
class CatchUp:
    window: Window  # what this run processes
    hours_left: int  # hours between its end and the scheduled end, left for later runs


def _value(folder: str, name: str) -> str | None:
    prefix = f"{name}="
    return folder[len(prefix) :] if folder.startswith(prefix) else None


def newest_hour_written(root: str) -> datetime | None:
    """The start of the newest hour partition of any ticker in the lake, or None when empty."""
    newest: datetime | None = None
    for ticker in list_folders(root):
        if _value(ticker, "ticker") is None:
            continue
        days = sorted(
            (d for d in list_folders(root, ticker) if _value(d, "date") is not None), reverse=True
        )
        for day in days:
            hours = [_value(h, "hour") for h in list_folders(root, f"{ticker}/{day}")]
            numbers = [int(h) for h in hours if h is not None and h.isdigit()]
            if not numbers:
                continue
            found = datetime.combine(
                date.fromisoformat(str(_value(day, "date"))), datetime.min.time()
            )
            candidate = found.replace(tzinfo=UTC) + max(numbers) * HOUR
            newest = candidate if newest is None else max(newest, candidate)
            break
    return newest


def catch_up(root: str, scheduled: Window, max_hours: int) -> CatchUp:
    """The window a scheduled run processes: from the newest hour written, if that is earlier."""
    newest = newest_hour_written(root)
    if newest is None or newest >= scheduled.start or newest >= scheduled.end:
        return CatchUp(scheduled, 0)
    end = min(scheduled.end, newest + timedelta(hours=max_hours))
    left = int((scheduled.end - end) / HOUR)
    log.info("catching up from %s: the newest hour the lake holds", newest.isoformat())
    return CatchUp(Window(newest, end), left)
