"""The job's ``--extra-py-files`` zip: ``sma/`` and ``sma_etl/`` at the root, byte-for-byte stable.

Stable bytes give a stable asset hash, so an unchanged job re-synthesises to an unchanged
template and ``cdk deploy`` uploads nothing.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from sma_infra.paths import BUILD_DIR, ETL_PACKAGE, SMA_PACKAGE

JOB_CODE_ZIP_NAME: Final[str] = "sma_job_code.zip"
_EXCLUDED_DIRS: Final[frozenset[str]] = frozenset({"__pycache__", "tests"})
_FIXED_TIME: Final[tuple[int, int, int, int, int, int]] = (1980, 1, 1, 0, 0, 0)


def package_files(package: Path) -> Iterator[tuple[str, Path]]:
    """(archive name, file) for every shipped file of a package, in sorted order."""
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if not path.is_file() or _EXCLUDED_DIRS.intersection(relative.parts[:-1]):
            continue
        if path.suffix in {".pyc", ".pyo"}:
            continue
        yield f"{package.name}/{relative.as_posix()}", path


def write_job_code_zip(
    destination: Path, packages: tuple[Path, ...] = (SMA_PACKAGE, ETL_PACKAGE)
) -> Path:
    """Write the zip (fixed timestamps and modes, sorted entries) and return its path."""
    for package in packages:
        if not (package / "__init__.py").is_file():
            raise FileNotFoundError(f"job package not found: {package}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=destination.parent, suffix=".zip.tmp")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp_name, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for package in packages:
                for name, path in package_files(package):
                    info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    archive.writestr(info, path.read_bytes())
        # Atomic so a concurrent synth never uploads a half-written archive.
        os.replace(tmp_name, destination)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return destination


def build_job_code_zip() -> Path:
    """The zip in the git-ignored build directory, rebuilt on every synth."""
    return write_job_code_zip(BUILD_DIR / "glue" / JOB_CODE_ZIP_NAME)
