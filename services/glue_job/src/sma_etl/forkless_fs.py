"""Lake writes on this machine without a forked ``chmod`` per file.

Without its native library (libhadoop, absent from pyspark's wheel), Hadoop's
``RawLocalFileSystem`` sets the permission of every file and folder it creates by starting a
``chmod`` process: ~1.8 processes per written partition, several milliseconds each. A backfill
of 16.7k hour partitions spends minutes on them. ``ForklessRawLocalFileSystem``
(``services/glue_job/java/``) is the same file system with ``setPermission`` done by
``java.nio`` (the same chmod(2), in process), so files, folders, names and permission bits come
out exactly as before.

``make setup`` compiles it against pyspark's own Hadoop jar into
``services/glue_job/build/forkless-fs.jar`` (git-ignored); ``SMA_FORKLESS_FS_JAR`` names a jar
elsewhere (an image that installs the package outside this tree). Only sessions this process
starts itself load it: on Glue the lake is on S3 and nothing here runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

CLASS_NAME: Final = "sma.etl.hadoop.ForklessRawLocalFileSystem"
JAR_ENV: Final = "SMA_FORKLESS_FS_JAR"
# Where `make setup` puts the jar, beside this package's source (services/glue_job/build/).
BUILT_JAR: Final = Path(__file__).resolve().parents[2] / "build" / "forkless-fs.jar"


class ForklessFsNotBuilt(FileNotFoundError):
    """The jar of the forkless file system is not where the session looks for it."""


def jar_path() -> Path:
    """The built jar: ``$SMA_FORKLESS_FS_JAR`` if set, else ``services/glue_job/build/``'s."""
    configured = os.environ.get(JAR_ENV)
    jar = Path(configured) if configured else BUILT_JAR
    if not jar.is_file():
        raise ForklessFsNotBuilt(
            f"the forkless local file system is not built: no {jar}. Run `make setup` (it "
            f"compiles services/glue_job/java/ with a JDK's javac), or set {JAR_ENV} to a "
            "built forkless-fs.jar"
        )
    return jar


def spark_conf() -> dict[str, str]:
    """Settings a session started here adds so ``file://`` writes go through the class.

    They must be set before the JVM starts (the class path is fixed then), so they belong with
    the builder's other settings.
    """
    jar = str(jar_path())
    return {
        "spark.hadoop.fs.file.impl": CLASS_NAME,
        "spark.driver.extraClassPath": jar,
        "spark.executor.extraClassPath": jar,
    }
