"""Settings: read from the environment under the known names, refused early with clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sma.errors import SettingsError
from sma_api.config import load_settings
from sma_api.main import create_app

_VARS = (
    "SMA_BACKEND",
    "SMA_LAKE_PATH",
    "ATHENA_WORKGROUP",
    "ATHENA_OUTPUT_LOCATION",
    "GLUE_DATABASE_NAME",
    "GLUE_TABLE_NAME",
    "SMA_CACHE_ENABLED",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in _VARS:
        monkeypatch.delenv(var, raising=False)


def test_defaults_and_names_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SMA_LAKE_PATH", str(tmp_path))
    monkeypatch.setenv("SMA_CACHE_ENABLED", "false")
    settings = load_settings()
    assert settings.backend == "duckdb"
    assert settings.lake_path == tmp_path
    assert settings.glue_database_name == "crypto_sma_db"
    assert settings.glue_table_name == "crypto_sma_table"
    assert settings.cache_enabled is False
    assert settings.refresh_minute == 10
    assert settings.aws_region == "us-east-1"


def test_a_missing_lake_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SMA_LAKE_PATH", str(tmp_path / "nowhere"))
    with pytest.raises(SettingsError, match=r"SMA_LAKE_PATH=.*nowhere.* is not a directory"):
        load_settings()


def test_athena_without_a_workgroup_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMA_BACKEND", "athena")
    with pytest.raises(SettingsError, match="needs ATHENA_WORKGROUP"):
        load_settings()


def test_athena_settings_need_no_lake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SMA_BACKEND", "athena")
    monkeypatch.setenv("SMA_LAKE_PATH", str(tmp_path / "nowhere"))
    monkeypatch.setenv("ATHENA_WORKGROUP", "sma")
    monkeypatch.setenv("ATHENA_OUTPUT_LOCATION", "s3://results/sma/")
    settings = load_settings()
    assert (settings.backend, settings.athena_workgroup) == ("athena", "sma")


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("SMA_BACKEND", "postgres", "SMA_BACKEND"),
        ("GLUE_TABLE_NAME", 'x"; DROP TABLE y', "GLUE_TABLE_NAME"),
        ("ATHENA_OUTPUT_LOCATION", "/tmp/results", "must be an s3:// URI"),
        ("SMA_REFRESH_MINUTE", "61", "SMA_REFRESH_MINUTE"),
    ],
)
def test_bad_values_are_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, var: str, value: str, message: str
) -> None:
    monkeypatch.setenv("SMA_LAKE_PATH", str(tmp_path))
    monkeypatch.setenv("ATHENA_WORKGROUP", "sma")
    if var == "ATHENA_OUTPUT_LOCATION":
        monkeypatch.setenv("SMA_BACKEND", "athena")
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError, match=message):
        load_settings()


def test_create_app_fails_at_start_up_on_bad_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sma_api import config

    config.get_settings.cache_clear()
    monkeypatch.setenv("SMA_LAKE_PATH", str(tmp_path / "missing"))
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # the failure sets a one-line hook
    try:
        with pytest.raises(SettingsError, match="SMA_LAKE_PATH"):
            create_app()
    finally:
        config.get_settings.cache_clear()


def test_a_server_started_on_a_missing_lake_says_so_in_one_line(tmp_path: Path) -> None:
    # Before: a 49-line traceback through uvicorn, asyncio and click, the cause in the last.
    env = {**os.environ, "SMA_BACKEND": "duckdb", "SMA_LAKE_PATH": "/nonexistent"}
    command = [sys.executable, "-m", "uvicorn", "--factory", "sma_api.main:create_app"]
    done = subprocess.run(
        [*command, "--port", "0"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "sma-api: invalid API settings: settings: SMA_LAKE_PATH='/nonexistent' is not a "
        "directory: point it at the lake the job writes (ticker=/date=/hour= folders), or set "
        "SMA_BACKEND=athena"
    ]
