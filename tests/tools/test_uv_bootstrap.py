"""`make` finds or bootstraps uv itself, also where the system Python refuses pip (PEP 668)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# Only the operating system's directories: no uv, and the system's own (externally managed)
# python3, as on a fresh Debian, Ubuntu or Homebrew machine.
SYSTEM_PATH = "/usr/bin:/bin"


def make(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"UV", "VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "MFLAGS"}
    }
    env["PATH"] = SYSTEM_PATH
    return subprocess.run(
        ["make", "--no-print-directory", "-s", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def makefile_copy(tmp_path: Path) -> Path:
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    return tmp_path


def test_system_path_has_no_uv() -> None:
    assert shutil.which("uv", path=SYSTEM_PATH) is None
    assert shutil.which("python3", path=SYSTEM_PATH) is not None


def test_bootstraps_pinned_uv_into_project_folder(tmp_path: Path) -> None:
    workdir = makefile_copy(tmp_path)
    result = make(workdir, "uv-path")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ".uv/bin/uv"
    pinned = re.search(r"^UV_VERSION := (\S+)$", (REPO / "Makefile").read_text(), re.M)
    assert pinned is not None
    version = subprocess.run(
        [str(workdir / ".uv/bin/uv"), "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith(f"uv {pinned.group(1)} ")
    # A second call reuses it without reinstalling.
    again = make(workdir, "uv-path")
    assert again.returncode == 0
    assert again.stdout.strip() == ".uv/bin/uv"


def test_unusable_python_stops_with_one_clear_line(tmp_path: Path) -> None:
    workdir = makefile_copy(tmp_path)
    result = make(workdir, "uv-path", "BOOTSTRAP_PYTHON=false")
    assert result.returncode != 0
    # make's own "*** Error" line (make: or make[N]: under another make) may follow ours.
    lines = [line for line in result.stderr.splitlines() if not re.match(r"make(\[\d+\])?:", line)]
    errors = [line for line in result.stderr.splitlines() if "cannot bootstrap uv" in line]
    assert len(errors) == 1, result.stderr
    assert "install uv" in errors[0]
    assert not lines, result.stderr
    assert "unrecognized option" not in result.stderr
    assert not (workdir / ".uv").exists()
