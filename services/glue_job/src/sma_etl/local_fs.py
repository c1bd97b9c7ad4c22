"""Local lake writes without a forked ``chmod`` per file.

Without its native library (libhadoop, absent from pyspark's wheel), Hadoop's
``RawLocalFileSystem`` sets the permission of every file and folder it creates by starting a
``chmod`` process: ~3.5 processes per written partition, several milliseconds each. A backfill
of 16.7k hour partitions spends minutes on them. ``ForklessRawLocalFileSystem`` below is the
same file system with ``setPermission`` done by ``java.nio`` (the same chmod(2), in process), so
files, folders, names and permission bits come out exactly as before.

The class is compiled once with the machine's ``javac`` against pyspark's own Hadoop jar and
cached; without a JDK the settings are empty and Spark keeps the stock file system. Only local
sessions use it: on Glue the lake is on S3 and nothing here runs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from functools import cache
from pathlib import Path
from typing import Final

log = logging.getLogger(__name__)

CLASS_NAME: Final = "sma.etl.hadoop.ForklessRawLocalFileSystem"

JAVA_SOURCE: Final = """\
package sma.etl.hadoop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/** RawLocalFileSystem whose setPermission runs chmod(2) in process instead of forking chmod. */
public class ForklessRawLocalFileSystem extends RawLocalFileSystem {
    // Bit i of the POSIX mode, from 0001 (others execute) to 0400 (owner read).
    private static final PosixFilePermission[] BITS = {
        PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
        PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
        PosixFilePermission.OWNER_READ,
    };

    @Override
    public void setPermission(Path p, FsPermission permission) throws IOException {
        short mode = permission.toShort();
        if ((mode & ~0777) != 0) {
            // Sticky bit and friends have no java.nio form: keep Hadoop's own way.
            super.setPermission(p, permission);
            return;
        }
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        for (int i = 0; i < BITS.length; i++) {
            if ((mode & (1 << i)) != 0) {
                perms.add(BITS[i]);
            }
        }
        Files.setPosixFilePermissions(pathToFile(p).toPath(), perms);
    }
}
"""

_COMPILE_TIMEOUT_SECONDS: Final = 180


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "crypto-sma"


def _javac() -> str | None:
    """The javac of the JDK Spark will run on (Spark's launcher prefers JAVA_HOME too)."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "javac").is_file():
        return str(Path(java_home) / "bin" / "javac")
    return shutil.which("javac")


def _hadoop_jar() -> Path | None:
    """pyspark's Hadoop client API jar, the one the class is loaded beside."""
    import pyspark

    homes = [Path(pyspark.__file__).parent]
    if os.environ.get("SPARK_HOME"):
        homes.insert(0, Path(os.environ["SPARK_HOME"]))
    for home in homes:
        jars = sorted((home / "jars").glob("hadoop-client-api-*.jar"))
        if jars:
            return jars[-1]
    return None


def _compile(javac: str, jar: Path, target: Path) -> None:
    """Compile into a fresh folder, then move it into place (concurrent first uses are safe)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        source = Path(scratch) / "src" / "ForklessRawLocalFileSystem.java"
        source.parent.mkdir()
        source.write_text(JAVA_SOURCE)
        classes = Path(scratch) / "classes"
        base = [javac, "-nowarn", "-cp", str(jar), "-d", str(classes), str(source)]
        # Java 8 bytecode loads on every JVM Spark 3.5 supports; older javacs lack --release.
        for command in ([*base[:1], "--release", "8", *base[1:]], base):
            done = subprocess.run(
                command,
                check=False,
                capture_output=True,
                text=True,
                timeout=_COMPILE_TIMEOUT_SECONDS,
            )
            if done.returncode == 0:
                break
        else:
            raise RuntimeError(done.stderr.strip() or f"javac exited {done.returncode}")
        try:
            classes.rename(target)
        except OSError:
            if not target.is_dir():  # another process won the race: its classes are identical
                raise


@cache
def forkless_classpath() -> Path | None:
    """Folder holding the compiled class (compiled on first use), or None without a JDK."""
    javac, jar = _javac(), _hadoop_jar()
    if javac is None or jar is None:
        log.info("no javac or Hadoop jar: local writes fork chmod per file (slower, same output)")
        return None
    key = hashlib.sha256(f"{jar.name}\n{JAVA_SOURCE}".encode()).hexdigest()[:16]
    target = _cache_root() / f"hadoop-local-fs-{key}"
    class_file = target / Path(*CLASS_NAME.split(".")).with_suffix(".class")
    if not class_file.is_file():
        try:
            _compile(javac, jar, target)
        except (OSError, RuntimeError, subprocess.SubprocessError) as error:
            log.warning("could not compile %s, keeping Hadoop's local FS: %s", CLASS_NAME, error)
            return None
    return target


def spark_conf() -> dict[str, str]:
    """Settings a local session adds so ``file://`` writes use the forkless file system.

    Empty when the class is unavailable. They must be set before the JVM starts (the class
    path is fixed then), so they belong with the builder's other settings.
    """
    classpath = forkless_classpath()
    if classpath is None:
        return {}
    return {
        "spark.hadoop.fs.file.impl": CLASS_NAME,
        "spark.driver.extraClassPath": str(classpath),
        "spark.executor.extraClassPath": str(classpath),
    }
