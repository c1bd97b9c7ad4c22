"""The API's settings: one typed model, read once from the environment and checked at start-up."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sma import names
from sma.errors import SettingsError
from sma.tickers import InvalidTicker, is_valid, normalize

# Glue database and table names reach SQL text as quoted identifiers, so they are held to the
# characters Glue itself allows; request values never reach SQL text at all.
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_]{1,255}$")

Backend = Literal["duckdb", "athena"]
Seconds = Annotated[float, Field(gt=0)]


class Settings(BaseSettings):
    """Everything the API reads from its environment, under the names operators already know."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    backend: Backend = Field(default="duckdb", validation_alias="SMA_BACKEND")
    lake_path: Path = Field(default=Path("./lake"), validation_alias="SMA_LAKE_PATH")
    glue_database_name: str = Field(
        default=names.GLUE_DATABASE, validation_alias="GLUE_DATABASE_NAME"
    )
    glue_table_name: str = Field(default=names.GLUE_TABLE, validation_alias="GLUE_TABLE_NAME")
    athena_workgroup: str | None = Field(default=None, validation_alias="ATHENA_WORKGROUP")
    athena_output_location: str | None = Field(
        default=None, validation_alias="ATHENA_OUTPUT_LOCATION"
    )
    aws_region: str | None = Field(
        default=None, validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION")
    )
    athena_poll_seconds: Seconds = Field(default=0.5, validation_alias="SMA_ATHENA_POLL_SECONDS")
    # Athena reuses a result for at most one refresh period: the data cannot be newer than that.
    athena_result_reuse_minutes: int = Field(
        default=60, ge=1, le=10080, validation_alias="SMA_ATHENA_RESULT_REUSE_MINUTES"
    )
    query_timeout_seconds: Seconds = Field(
        default=20.0, validation_alias="SMA_QUERY_TIMEOUT_SECONDS"
    )
    # All queries of one request share this deadline; at it the running query is stopped and the
    # answer is 503 with Retry-After. It must end before the Lambda timeout (infra's
    # FUNCTION_TIMEOUT, 28 s, itself inside API Gateway's 30 s) with room for the stop request
    # (store.athena.STOP_TIMEOUT_SECONDS); tests/infra checks that it does.
    request_deadline_seconds: Seconds = Field(
        default=25.0, validation_alias="SMA_REQUEST_DEADLINE_SECONDS"
    )
    cache_enabled: bool = Field(default=True, validation_alias="SMA_CACHE_ENABLED")
    cache_max_entries: int = Field(default=4096, ge=1, validation_alias="SMA_CACHE_MAX_ENTRIES")
    # Encoded answers are kept as bytes; this bounds their total (a 10,000-tick history is ~2.5 MB).
    cache_max_bytes: int = Field(
        default=64 * 2**20, ge=2**20, validation_alias="SMA_CACHE_MAX_BYTES"
    )
    # How many ticks a day of data is assumed to hold when reading the history a window needs
    # before a range: the producer writes one a minute. Fewer in the data costs a second step.
    lookback_ticks_per_day: int = Field(
        default=24 * 60, ge=1, le=86_400, validation_alias="SMA_LOOKBACK_TICKS_PER_DAY"
    )
    # Live answers (?source=live) read the source table itself.
    dynamo_table_name: str = Field(default=names.SOURCE_TABLE, validation_alias="DYNAMO_TABLE_NAME")
    source_tickers: str = Field(default=",".join(names.DEFAULT_TICKERS), validation_alias="TICKERS")
    live_cache_seconds: float = Field(
        default=30.0, ge=0, le=30, validation_alias="SMA_LIVE_CACHE_SECONDS"
    )
    # The job runs at minute `refresh_minute` of every hour; its data lands within the grace.
    refresh_minute: int = Field(default=10, ge=0, le=59, validation_alias="SMA_REFRESH_MINUTE")
    refresh_grace_seconds: int = Field(
        default=300, ge=0, le=3000, validation_alias="SMA_REFRESH_GRACE_SECONDS"
    )
    # The job's refresh marker (sma_api.refresh_marker): default <SMA_LAKE_PATH>/_refresh.json for
    # DuckDB; for Athena the s3:// URI of <lake>/_refresh.json (unset: the clock alone).
    refresh_marker: str | None = Field(default=None, validation_alias="SMA_REFRESH_MARKER")
    refresh_check_seconds: Seconds = Field(
        default=2.0, validation_alias="SMA_REFRESH_CHECK_SECONDS"
    )
    retry_after_seconds: int = Field(default=30, ge=1, validation_alias="SMA_RETRY_AFTER_SECONDS")
    max_signal_days: int = Field(default=31, ge=1, le=366, validation_alias="SMA_MAX_SIGNAL_DAYS")

    @model_validator(mode="after")
    def _check_backend(self) -> Self:
        for name, value in (
            ("GLUE_DATABASE_NAME", self.glue_database_name),
            ("GLUE_TABLE_NAME", self.glue_table_name),
        ):
            if not _IDENTIFIER.fullmatch(value):
                raise ValueError(f"{name}={value!r}: use letters, digits and '_' only")
        for ticker in self.source_tickers.split(","):
            if ticker.strip() and not is_valid(_normal_or_blank(ticker)):
                raise ValueError(
                    f"TICKERS={self.source_tickers!r}: {ticker.strip()!r} is no ticker "
                    "(e.g. BTC/USD,ETH/USD)"
                )
        if self.backend == "duckdb" and not self.lake_path.is_dir():
            raise ValueError(
                f"SMA_LAKE_PATH={str(self.lake_path)!r} is not a directory: point it at the lake "
                "the job writes (ticker=/date=/hour= folders), or set SMA_BACKEND=athena"
            )
        if self.backend == "athena":
            if not self.athena_workgroup:
                raise ValueError(
                    "SMA_BACKEND=athena needs ATHENA_WORKGROUP (the workgroup to query in)"
                )
            if self.athena_output_location and not self.athena_output_location.startswith("s3://"):
                raise ValueError(
                    f"ATHENA_OUTPUT_LOCATION={self.athena_output_location!r} must be an s3:// URI"
                )
        return self


def _normal_or_blank(ticker: str) -> str:
    try:
        return normalize(ticker)
    except InvalidTicker:
        return ""


def load_settings() -> Settings:
    """Settings from the environment, or a SettingsError that names what is wrong."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: "
            f"{err['msg'].removeprefix('Value error, ')}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid API settings: {problems}") from None


@functools.cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return load_settings()
