"""Each workspace member installs alone from uv.lock and imports what it ships (``make packages``).

For every member, as a CI that syncs one package at a time would: ``uv sync --locked --package
NAME --no-dev`` into a scratch environment, then ``tools/package_probe.py`` with that
environment's Python (every module imports, every console script answers ``--help``, every import
comes from a declared distribution). uv's cache links the files in, so a run takes seconds.
Members are installed editable, as ``make setup`` installs them: the probe sees the sources as
they are now, not a wheel uv cached before the last edit.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

REPO: Final[Path] = Path(__file__).resolve().parents[1]
PROBE: Final[Path] = REPO / "tools" / "package_probe.py"


@dataclass(frozen=True, slots=True)
class Member:
    dist: str
    package: str
    runs: tuple[str, ...] = ()  # modules it starts as child processes
    provided: tuple[str, ...] = ()  # modules its platform supplies


MEMBERS: Final[tuple[Member, ...]] = (
    Member("sma", "sma"),
    Member("sma-etl", "sma_etl", provided=("awsglue",)),  # the Glue runtime brings awsglue
    Member("sma-api", "sma_api"),
    Member("sma-infra", "sma_infra"),
    # The demo runs moto's server, uvicorn over the API, sma-etl and sma-sql as child processes.
    Member(
        "sma-laptop",
        "sma_laptop",
        runs=("moto.server", "uvicorn", "duckdb", "sma_api.main", "sma_api.sql_cli", "sma_etl.cli"),
    ),
)

# The Lambda entry point builds its app at import, from the environment Lambda would give it.
PROBE_ENV: Final[dict[str, str]] = {
    "SMA_BACKEND": "athena",
    "ATHENA_WORKGROUP": "package-check",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "package-check",
    "AWS_SECRET_ACCESS_KEY": "package-check",
    "AWS_EC2_METADATA_DISABLED": "true",
    "PYTHONDONTWRITEBYTECODE": "1",
}


def workspace_members() -> set[str]:
    """Distribution names of the members the root pyproject.toml lists."""
    root = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    names = set()
    for folder in root["tool"]["uv"]["workspace"]["members"]:
        member = tomllib.loads((REPO / folder / "pyproject.toml").read_text(encoding="utf-8"))
        names.add(member["project"]["name"])
    return names


def check(member: Member, uv: str, scratch: Path) -> tuple[list[str], float, float]:
    """Problems found, seconds to sync, seconds to probe."""
    venv = scratch / member.dist / "venv"
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(venv), **PROBE_ENV}
    env.pop("VIRTUAL_ENV", None)
    began = time.monotonic()
    sync = subprocess.run(
        [uv, "sync", "--locked", "--package", member.dist, "--no-dev", "--quiet"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    synced = time.monotonic()
    if sync.returncode != 0:
        reason = (sync.stderr or sync.stdout).strip().splitlines() or ["(no output)"]
        return [f"{member.dist}: uv sync failed: {reason[-1]}"], synced - began, 0.0
    command = [str(venv / "bin" / "python"), str(PROBE), member.dist, member.package]
    if member.runs:
        command += ["--runs", *member.runs]
    if member.provided:
        command += ["--provided", *member.provided]
    # Outside the repository, so only the installed copy can be imported.
    probe = subprocess.run(
        command, cwd=scratch, env=env, capture_output=True, text=True, check=False
    )
    problems = probe.stdout.strip().splitlines()
    if probe.returncode != 0 and not problems:
        problems = [f"{member.dist}: the probe failed: {probe.stderr.strip()[-500:]}"]
    return problems, synced - began, time.monotonic() - synced


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--uv", default=shutil.which("uv") or "uv", help="the uv to run")
    parser.add_argument("members", nargs="*", help="only these (default: every member)")
    args = parser.parse_args()

    unlisted = workspace_members() - {m.dist for m in MEMBERS}
    if unlisted:
        print(f"packages: add {sorted(unlisted)} to MEMBERS in {Path(__file__).name}")
        return 1
    chosen = [m for m in MEMBERS if not args.members or m.dist in args.members]
    began = time.monotonic()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="sma-packages-") as scratch:
        for member in chosen:
            problems, sync_s, probe_s = check(member, args.uv, Path(scratch))
            status = "FAILED" if problems else "ok"
            print(
                f"{member.dist:<11} {status}  (sync {sync_s:.1f} s, imports {probe_s:.1f} s)",
                flush=True,
            )
            for line in problems:
                print(f"  {line}", flush=True)
            failures += bool(problems)
    total = time.monotonic() - began
    passed = len(chosen) - failures
    print(f"packages: {passed} of {len(chosen)} install and import alone in {total:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
