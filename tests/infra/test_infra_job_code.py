"""The job's --extra-py-files zip: our two packages at the root, every module, stable bytes."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

from sma_infra.job_code import write_job_code_zip
from sma_infra.paths import ETL_PACKAGE, SMA_PACKAGE


def test_zip_holds_both_packages_at_the_root_and_nothing_else(tmp_path: Path) -> None:
    archive = write_job_code_zip(tmp_path / "code.zip")
    names = zipfile.ZipFile(archive).namelist()
    assert "sma/__init__.py" in names
    assert "sma/schema.py" in names
    assert "sma_etl/__init__.py" in names
    assert "sma_etl/glue_entry.py" in names
    assert {name.split("/")[0] for name in names} == {"sma", "sma_etl"}
    assert not [n for n in names if "/local/" in n or "__pycache__" in n or n.endswith(".pyc")]
    # The laptop stack is a package of its own now: every module of the job's packages ships.
    expected = {
        f"{package.name}/{path.relative_to(package).as_posix()}"
        for package in (SMA_PACKAGE, ETL_PACKAGE)
        for path in package.rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert expected <= set(names)


def test_zip_bytes_do_not_depend_on_when_it_was_built(tmp_path: Path) -> None:
    first = write_job_code_zip(tmp_path / "a" / "code.zip").read_bytes()
    second = write_job_code_zip(tmp_path / "b" / "code.zip").read_bytes()
    assert hashlib.sha256(first).hexdigest() == hashlib.sha256(second).hexdigest()


def test_glue_can_import_the_entry_module_from_the_zip_alone(tmp_path: Path) -> None:
    archive = write_job_code_zip(tmp_path / "code.zip")
    # -S -I: no site-packages, no workspace install; only the zip and the standard library,
    # as on Glue before pyspark is put on the path.
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "import sma.schema, sma_etl.glue_entry; print(sma_etl.glue_entry.__file__)"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-I", "-c", probe, str(archive)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(archive))
