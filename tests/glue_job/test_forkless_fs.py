"""The forkless local file system: same files and permission bits as Hadoop's, no chmod process."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sma_etl import forkless_fs

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark


def _file_system(spark: SparkSession, root: Path, stock: bool) -> Any:
    jvm: Any = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    uri = jvm.java.net.URI(root.as_uri())
    if stock:
        fs = jvm.org.apache.hadoop.fs.RawLocalFileSystem()
        fs.initialize(uri, conf)
        return fs
    return jvm.org.apache.hadoop.fs.Path(f"file://{root}").getFileSystem(conf)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_sessions_started_here_write_through_the_forkless_file_system(spark: SparkSession) -> None:
    configured = spark.sparkContext._jsc.hadoopConfiguration().get("fs.file.impl")
    assert configured == forkless_fs.CLASS_NAME
    assert forkless_fs.spark_conf()["spark.driver.extraClassPath"] == str(forkless_fs.jar_path())


def test_a_missing_jar_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(forkless_fs.JAR_ENV, str(tmp_path / "forkless-fs.jar"))
    with pytest.raises(forkless_fs.ForklessFsNotBuilt, match="make setup"):
        forkless_fs.spark_conf()


def test_files_and_folders_get_the_same_modes_as_with_hadoops_own(
    spark: SparkSession, tmp_path: Path
) -> None:
    jvm: Any = spark.sparkContext._jvm
    modes: dict[bool, tuple[int, int]] = {}
    for stock in (True, False):
        root = tmp_path / ("stock" if stock else "forkless")
        fs = _file_system(spark, tmp_path, stock)
        assert (
            fs.getClass()
            .getName()
            .endswith("RawLocalFileSystem" if stock else "ForklessRawLocalFileSystem")
        )
        folder = jvm.org.apache.hadoop.fs.Path(f"file://{root}/ticker=BTCUSD/hour=07")
        fs.mkdirs(folder, jvm.org.apache.hadoop.fs.permission.FsPermission.getDirDefault())
        stream = fs.create(jvm.org.apache.hadoop.fs.Path(folder, "part-00000.parquet"))
        stream.write(b"PAR1")
        stream.close()
        written = root / "ticker=BTCUSD" / "hour=07"
        modes[stock] = (_mode(written), _mode(written / "part-00000.parquet"))
        assert sorted(p.name for p in written.iterdir()) == ["part-00000.parquet"]
    assert modes[False] == modes[True]


@pytest.mark.parametrize("mode", [0o600, 0o750, 0o1777])
def test_set_permission_sets_exactly_the_mode_asked(
    spark: SparkSession, tmp_path: Path, mode: int
) -> None:
    jvm: Any = spark.sparkContext._jvm
    target = tmp_path / "folder"
    target.mkdir()
    fs = _file_system(spark, tmp_path, stock=False)
    permission = jvm.org.apache.hadoop.fs.permission.FsPermission(mode)
    # 0o1777 carries the sticky bit, which java.nio cannot set: it goes through Hadoop's chmod.
    fs.setPermission(jvm.org.apache.hadoop.fs.Path(f"file://{target}"), permission)
    assert _mode(target) == mode
