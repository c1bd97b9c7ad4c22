"""Data access: one small interface, a DuckDB and an Athena implementation chosen by settings."""

from __future__ import annotations

from sma_api.config import Settings
from sma_api.store.base import SmaStore, TickerLatest


def build_store(settings: Settings) -> SmaStore:
    """The store the settings ask for; heavy client libraries are imported only here."""
    if settings.backend == "athena":
        from sma_api.store.athena import AthenaStore

        return AthenaStore.from_settings(settings)
    from sma_api.store.duckdb_store import DuckDbStore

    return DuckDbStore(
        settings.lake_path,
        timeout_seconds=settings.query_timeout_seconds,
        ticks_per_day=settings.lookback_ticks_per_day,
    )


__all__ = ["SmaStore", "TickerLatest", "build_store"]
