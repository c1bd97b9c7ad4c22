"""Freshness from the data: the job's refresh marker, ``<lake>/_refresh.json``.

The job writes the marker when a run has completed (after its partitions are written and
registered). The API looks at it at most every `check_seconds` (a local stat, or an S3 GET that
answers 304 while the object is unchanged) and keys its answer cache, its ETags and Athena's
result reuse on it, so every endpoint moves to a run's data within seconds of the run's end.
Without a marker (none configured, or none written yet) the clock-based refresh applies.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

FILE_NAME = "_refresh.json"


@dataclass(frozen=True, slots=True)
class MarkerState:
    version: str  # changes with every completed run
    ended: datetime  # when the run completed (UTC)

    def age_minutes(self, now: datetime | None = None) -> float:
        return ((now or datetime.now(UTC)) - self.ended).total_seconds() / 60


def _state(body: bytes, fallback: datetime) -> MarkerState:
    version = hashlib.sha256(body).hexdigest()[:16]
    try:
        ended = datetime.fromisoformat(str(json.loads(body)["ended"]).replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError):
        ended = fallback
    return MarkerState(version, ended.astimezone(UTC))


class RefreshMarker:
    """The newest marker, read again at most every `check_seconds`."""

    def __init__(self, location: str, check_seconds: float = 2.0) -> None:
        self.location = location
        self.check_seconds = check_seconds
        self._lock = threading.Lock()
        self._checked = float("-inf")
        self._seen: Any = None  # local: (mtime_ns, size); S3: the object's ETag
        self._state: MarkerState | None = None

    @cached_property
    def _s3(self) -> Any:
        import botocore.session  # the API declares botocore; boto3 would add nothing here

        return botocore.session.get_session().create_client("s3")

    def current(self) -> MarkerState | None:
        """The marker as last seen, looked at again when `check_seconds` have passed."""
        with self._lock:
            now = time.monotonic()
            if now - self._checked >= self.check_seconds:
                self._checked = now
                try:
                    self._refresh()
                except Exception as error:  # a marker that cannot be read keeps the last state
                    logger.warning("refresh marker %s not read: %s", self.location, error)
            return self._state

    def _refresh(self) -> None:
        if self.location.startswith("s3://"):
            self._refresh_s3()
            return
        try:
            stat = os.stat(self.location)
        except FileNotFoundError:
            return
        seen = (stat.st_mtime_ns, stat.st_size)
        if seen != self._seen:
            body = Path(self.location).read_bytes()
            modified = datetime.fromtimestamp(stat.st_mtime, UTC)
            self._state = _state(body + str(seen).encode(), modified)
            self._seen = seen

    def _refresh_s3(self) -> None:
        parts = urlsplit(self.location)
        request: dict[str, Any] = {"Bucket": parts.netloc, "Key": parts.path.lstrip("/")}
        if self._seen:
            request["IfNoneMatch"] = self._seen
        try:
            answer = self._s3.get_object(**request)
        except self._s3.exceptions.NoSuchKey:
            return
        except Exception as error:
            if "304" in str(error) or "Not Modified" in str(error):
                return  # unchanged
            raise
        body = answer["Body"].read()
        self._seen = answer.get("ETag")
        modified = answer.get("LastModified") or datetime.now(UTC)
        self._state = _state(body + str(self._seen).encode(), modified)


def marker_location(backend: str, lake_path: Path, configured: str | None) -> str | None:
    """Where the marker is: as configured, else beside a local lake; none for Athena unset."""
    if configured:
        return configured
    return str(lake_path / FILE_NAME) if backend == "duckdb" else None


def reuse_minutes(marker: RefreshMarker | None, configured: int) -> int | None:
    """Athena may reuse results no older than the marker: None disables reuse (a run just ended)."""
    state = marker.current() if marker is not None else None
    if state is None:
        return configured
    whole = int(state.age_minutes())
    return min(configured, whole) if whole >= 1 else None
