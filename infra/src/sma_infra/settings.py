"""One typed settings object for the CDK app: environment variables, then CDK context on top.

Context keys are the environment variable names, so ``-c GLUE_EXECUTION_CLASS=FLEX`` and
``export GLUE_EXECUTION_CLASS=FLEX`` mean the same thing; context wins when both are set.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sma import names
from sma.errors import SettingsError
from sma.tickers import InvalidTicker, normalize
from sma_infra.paths import GLUE_ENTRY_SCRIPT, REPO_ROOT

DEFAULT_TICKERS: Final[str] = ",".join(names.DEFAULT_TICKERS)
REQUIRED: Final[tuple[str, ...]] = ("DYNAMO_TABLE_NAME", "S3_BUCKET_NAME")
# Glue 4.0 runs Python 3.10, which the code does not support.
MIN_GLUE_VERSION: Final[tuple[int, int]] = (5, 0)
# The job runs hourly with one run at a time: a longer timeout would let a hung run swallow
# whole hours.
MAX_GLUE_TIMEOUT_MINUTES: Final[int] = 60

# S3 general purpose bucket naming rules, minus the rarely used dotted names.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
# Glue catalog names are lower-case; Athena cannot query names with other characters.
_CATALOG_NAME = re.compile(r"^[a-z0-9_]{1,255}$")
_DYNAMO_TABLE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_PREFIX = re.compile(r"^[A-Za-z0-9_.\-/]+/$")


class InfraSettings(BaseSettings):
    """Everything the stacks need to know about the deployment, validated once at synth start."""

    model_config = SettingsConfigDict(
        env_file=REPO_ROOT / ".env",
        env_file_encoding="utf-8",
        case_sensitive=False,
        extra="ignore",
        frozen=True,
    )

    dynamo_table_name: str = Field(pattern=_DYNAMO_TABLE.pattern)
    s3_bucket_name: str = Field(pattern=_BUCKET_NAME.pattern)
    s3_prefix: str = Field(default=names.S3_PREFIX, pattern=_PREFIX.pattern)
    glue_database_name: str = Field(default=names.GLUE_DATABASE, pattern=_CATALOG_NAME.pattern)
    glue_table_name: str = Field(default=names.GLUE_TABLE, pattern=_CATALOG_NAME.pattern)
    tickers: str = DEFAULT_TICKERS
    discover_tickers: bool = False
    alert_email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    # Point the stack at a bucket that already exists instead of creating one.
    use_existing_bucket: bool = False

    # Also names the failure rule `<job>-failed-runs`, which EventBridge limits to 64 of these
    # characters.
    glue_job_name: str = Field(default=names.GLUE_JOB, pattern=r"^[A-Za-z0-9_.-]{1,52}$")
    glue_version: str = Field(default="5.1", pattern=r"^\d+\.\d+$")
    glue_execution_class: Literal["STANDARD", "FLEX"] = "STANDARD"
    glue_script_path: Path = GLUE_ENTRY_SCRIPT
    # A run takes about a minute; a hung one holds the single run slot until this timeout, and
    # the hourly schedule can start the next run only once it has ended.
    glue_job_timeout_minutes: int = Field(default=15, ge=1, le=MAX_GLUE_TIMEOUT_MINUTES)

    athena_workgroup: str = Field(default="crypto-sma", pattern=r"^[A-Za-z0-9._-]{1,128}$")
    # Athena bills at least 10 MB a query and refuses a lower cutoff. The API's widest useful
    # query (31 days of one ticker for /signals) reads a few MB; 100 MB holds about two years
    # of one ticker's hourly files, and caps what a single request can cost.
    athena_bytes_scanned_cutoff: int = Field(default=100_000_000, ge=10_000_000)

    # Routes that cannot start a new Athena query per request (/health, /tickers, the docs):
    # each is throttled to this rate and burst.
    api_throttle_rate: float = Field(default=5.0, gt=0)
    api_throttle_burst: int = Field(default=10, gt=0)
    # GET /tickers/{proxy+}: each request with new parameters may start an Athena query.
    api_query_throttle_rate: float = Field(default=2.0, gt=0)
    api_query_throttle_burst: int = Field(default=5, gt=0)
    # Concurrent executions reserved for (and capping) the API function; `none` reserves
    # nothing, for accounts whose whole concurrency quota is the minimum of 10.
    api_reserved_concurrency: int | None = Field(default=5, ge=1)
    api_cors_origins: str = "*"

    @field_validator("glue_version")
    @classmethod
    def _glue_runs_python_3_11(cls, value: str) -> str:
        major, minor = (int(part) for part in value.split("."))
        if (major, minor) < MIN_GLUE_VERSION:
            raise ValueError(
                "the job needs Python 3.11 and Glue 5 logging: use Glue 5.0 or newer, e.g. 5.1"
            )
        return value

    @field_validator("api_reserved_concurrency", mode="before")
    @classmethod
    def _none_reserves_nothing(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in {"none", ""}:
            return None
        return value

    @field_validator("tickers")
    @classmethod
    def _tickers_are_valid(cls, value: str) -> str:
        raw = [part.strip() for part in value.split(",") if part.strip()]
        if not raw:
            raise ValueError("at least one ticker is needed, e.g. BTC/USD")
        for ticker in raw:
            try:
                normalize(ticker)
            except InvalidTicker as err:
                raise ValueError(str(err)) from None
        return ",".join(raw)

    @field_validator("s3_prefix")
    @classmethod
    def _prefix_is_relative(cls, value: str) -> str:
        if value.startswith("/") or "//" in value or ".." in value:
            raise ValueError("S3_PREFIX must be a relative key prefix like 'processed-data/'")
        return value

    @property
    def ticker_list(self) -> tuple[str, ...]:
        return tuple(self.tickers.split(","))

    @property
    def cors_origins(self) -> tuple[str, ...]:
        return tuple(o.strip() for o in self.api_cors_origins.split(",") if o.strip())

    @property
    def lake_location(self) -> str:
        return f"s3://{self.s3_bucket_name}/{self.s3_prefix}"


def _describe(error: Mapping[str, Any]) -> str:
    name = str(error["loc"][0]).upper() if error.get("loc") else "settings"
    if error.get("type") == "missing":
        return (
            f"{name} is required: export {name}=... or pass -c {name}=... to cdk "
            f"(required: {', '.join(REQUIRED)})"
        )
    return f"{name}: {error['msg']} (got {error.get('input')!r})"


def load_settings(
    context: Mapping[str, object] | None = None, *, env_file: Path | None = REPO_ROOT / ".env"
) -> InfraSettings:
    """Settings from the environment (and ``.env``) with CDK context values on top."""
    fields = InfraSettings.model_fields
    overrides: dict[str, Any] = {
        key.lower(): value
        for key, value in (context or {}).items()
        if key.lower() in fields and value is not None
    }
    try:
        return InfraSettings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as err:
        problems = "; ".join(_describe(e) for e in err.errors())
        raise SettingsError(f"invalid deployment settings: {problems}") from None
