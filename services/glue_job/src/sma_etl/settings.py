"""The job's settings: read once from job arguments and the environment, typed and checked.

Names are the ones users already know (``DYNAMO_TABLE_NAME``, ``S3_BUCKET_NAME``, ...). A job
argument wins over an environment variable of the same name.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sma import names
from sma.errors import SettingsError
from sma_etl.catalog import CatalogTarget
from sma_etl.window import Window, WindowError, parse_instant, resolve_window

DEFAULT_TABLE: Final = names.SOURCE_TABLE
DEFAULT_PREFIX: Final = names.S3_PREFIX
DEFAULT_DATABASE: Final = names.GLUE_DATABASE
DEFAULT_GLUE_TABLE: Final = names.GLUE_TABLE
DEFAULT_REGION: Final = names.DEFAULT_REGION
DEFAULT_CHUNK_HOURS: Final = 24 * 7
DEFAULT_MAX_CATCHUP_HOURS: Final = 48
RETRY_MODES: Final = ("adaptive", "standard", "legacy")

# Settings that may also come from the environment under the same name.
ENV_NAMES: Final[tuple[str, ...]] = (
    "DYNAMO_TABLE_NAME",
    "S3_BUCKET_NAME",
    "S3_PREFIX",
    "GLUE_DATABASE_NAME",
    "GLUE_TABLE_NAME",
    "TICKERS",
    "DISCOVER_TICKERS",
    "MAX_CATCHUP_HOURS",
    "LATE_HORIZON_HOURS",
)

_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_FALSE: Final = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything one run needs to know, decided before it starts."""

    table: str
    output: str  # local folder or s3://bucket/prefix
    window: Window
    tickers: tuple[str, ...]  # source partition keys as stored, e.g. BTC/USD
    discover_tickers: bool
    region: str
    dynamodb_endpoint: str | None  # passed to the executors explicitly
    glue_endpoint: str | None  # None: boto3 reads AWS_ENDPOINT_URL_GLUE / AWS_ENDPOINT_URL
    catalog: CatalogTarget | None
    chunk_hours: int = DEFAULT_CHUNK_HOURS
    write_rejected: bool = True
    retry_mode: str = "adaptive"
    max_attempts: int = 10
    discover_daily: bool = False  # DISCOVER_TICKERS=daily: one keys-only Scan a UTC day
    # Scheduled runs only (no START): catch up from the newest hour written, this far at most.
    scheduled: bool = False
    now: datetime | None = None
    max_catchup_hours: int = DEFAULT_MAX_CATCHUP_HOURS
    # <output>/_refresh.json when the run completes: by default for the runs the API follows
    # (scheduled ones, and any that registers partitions in the catalog).
    refresh_marker: bool = False
    late_horizon_hours: int = 24  # scheduled runs rewrite hours with late ticks this far back


def parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise SettingsError(f"{name} must be true or false, got {value!r}")


def parse_int(name: str, value: str, minimum: int = 1) -> int:
    try:
        number = int(value)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {value!r}") from None
    if number < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {number}")
    return number


def parse_tickers(value: str) -> tuple[str, ...]:
    """A comma-separated list of source tickers, as stored (``BTC/USD,ETH/USD``)."""
    names = [part.strip() for part in value.split(",")]
    return tuple(dict.fromkeys(name for name in names if name))


def _output(options: Mapping[str, str]) -> str:
    if options.get("OUTPUT"):
        return options["OUTPUT"]
    bucket = options.get("S3_BUCKET_NAME", "").strip()
    if not bucket:
        raise SettingsError(
            "no output: pass --output PATH (a folder or s3://bucket/prefix) or set S3_BUCKET_NAME"
        )
    if "/" in bucket or bucket.startswith("s3:"):
        raise SettingsError(f"S3_BUCKET_NAME must be a bare bucket name, got {bucket!r}")
    prefix = options.get("S3_PREFIX", DEFAULT_PREFIX).strip("/")
    return f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"


def _catalog(given: Mapping[str, str], options: Mapping[str, str]) -> CatalogTarget | None:
    """On when a job argument names the database or table, or CATALOG=true; off otherwise.

    Only arguments switch it on (the environment may name a database for the API's sake);
    once on, names come from arguments, then the environment, then the defaults.
    """
    named = bool(given.get("GLUE_DATABASE_NAME") or given.get("GLUE_TABLE_NAME"))
    wanted = parse_bool("CATALOG", given["CATALOG"]) if "CATALOG" in given else named
    if not wanted:
        return None
    return CatalogTarget(
        database=options.get("GLUE_DATABASE_NAME") or DEFAULT_DATABASE,
        table=options.get("GLUE_TABLE_NAME") or DEFAULT_GLUE_TABLE,
    )


def _region(env: Mapping[str, str]) -> str:
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        return region
    import boto3

    return boto3.session.Session().region_name or DEFAULT_REGION


def load_settings(
    options: Mapping[str, str | None],
    env: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> Settings:
    """Settings from job `options` (Glue argument names, None = not given) and `env`.

    `now` pins the clock for the scheduled window; an option NOW does the same.
    """
    environ = dict(os.environ if env is None else env)
    merged: dict[str, str] = {name: environ[name] for name in ENV_NAMES if name in environ}
    given = {k: v for k, v in options.items() if v is not None}
    merged.update(given)

    try:
        clock = parse_instant(merged["NOW"]) if "NOW" in merged else (now or datetime.now(UTC))
        window = resolve_window(merged.get("START"), merged.get("END"), clock)
    except WindowError as error:
        raise SettingsError(str(error)) from None

    discovery = merged.get("DISCOVER_TICKERS", "false").strip().lower()
    daily = discovery == "daily"
    discover = not daily and parse_bool("DISCOVER_TICKERS", discovery)
    tickers = parse_tickers(merged.get("TICKERS", ""))
    if not tickers and not (discover or daily):
        raise SettingsError(
            "no tickers: pass --tickers BTC/USD,ETH/USD (TICKERS) or opt in to "
            "--discover-tickers (DISCOVER_TICKERS=true, scans the table's keys)"
        )

    table = merged.get("DYNAMO_TABLE_NAME", "").strip() or DEFAULT_TABLE
    retry_mode = merged.get("RETRY_MODE", "adaptive")
    if retry_mode not in RETRY_MODES:
        raise SettingsError(
            f"RETRY_MODE must be one of {', '.join(RETRY_MODES)}, got {retry_mode!r}"
        )

    endpoint = merged.get("ENDPOINT_URL") or None
    scheduled = "START" not in merged and "END" not in merged
    catalog = _catalog(given, merged)
    return Settings(
        table=table,
        output=_output(merged),
        window=window,
        tickers=tickers,
        discover_tickers=discover,
        region=_region(environ),
        dynamodb_endpoint=endpoint
        or environ.get("AWS_ENDPOINT_URL_DYNAMODB")
        or environ.get("AWS_ENDPOINT_URL")
        or None,
        glue_endpoint=endpoint,
        catalog=catalog,
        chunk_hours=parse_int("CHUNK_HOURS", merged.get("CHUNK_HOURS", str(DEFAULT_CHUNK_HOURS))),
        write_rejected=parse_bool("WRITE_REJECTED", merged.get("WRITE_REJECTED", "true")),
        retry_mode=retry_mode,
        max_attempts=parse_int("MAX_ATTEMPTS", merged.get("MAX_ATTEMPTS", "10")),
        discover_daily=daily,
        scheduled=scheduled,
        refresh_marker=parse_bool(
            "REFRESH_MARKER",
            merged.get("REFRESH_MARKER", str(scheduled or catalog is not None)),
        ),
        now=clock,
        late_horizon_hours=parse_int("LATE_HORIZON_HOURS", merged.get("LATE_HORIZON_HOURS", "24")),
        max_catchup_hours=parse_int(
            "MAX_CATCHUP_HOURS",
            merged.get("MAX_CATCHUP_HOURS", str(DEFAULT_MAX_CATCHUP_HOURS)),
        ),
    )
