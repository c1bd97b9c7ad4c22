"""The Java a local Spark session will run on, checked before Spark is asked to start one.

Spark's launcher runs ``$JAVA_HOME/bin/java`` when JAVA_HOME is set and ``java`` from PATH
otherwise; without a usable one it fails with ``JAVA_GATEWAY_EXITED`` after pages of output.
This check looks where the launcher will look and says in one line what is missing.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Final

# Glue 5 runs Spark 3.5 on Java 17: the version the job is built and tested against.
MINIMUM_VERSION: Final[int] = 17
INSTALL_HINT: Final[str] = (
    "install Java 17 or newer (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; "
    "macOS: brew install openjdk@17)"
)
_VERSION: Final = re.compile(r'version "(\d+)(?:\.(\d+))?')


class JavaUnavailable(RuntimeError):
    """No usable Java for Spark; the message says what was found and what to install."""


def java_command(env: Mapping[str, str]) -> str:
    """The java Spark's launcher would run, or JavaUnavailable naming where it looked."""
    home = env.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if not os.access(java, os.X_OK):
            raise JavaUnavailable(
                f"Spark needs Java {MINIMUM_VERSION}+, but JAVA_HOME={home} has no bin/java: "
                f"point JAVA_HOME at a Java {MINIMUM_VERSION}+ (or unset it to use java from "
                f"PATH), or {INSTALL_HINT}"
            )
        return str(java)
    found = shutil.which("java", path=env.get("PATH"))
    if not found:
        raise JavaUnavailable(
            f"Spark needs Java {MINIMUM_VERSION}+, but there is no java on PATH and JAVA_HOME "
            f"is not set: {INSTALL_HINT}"
        )
    return found


def parse_version(text: str) -> int | None:
    """The major version in ``java -version`` output (``"1.8.0_402"`` is 8, ``"17.0.15"`` 17)."""
    match = _VERSION.search(text)
    if match is None:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


@functools.cache
def _checked(java: str) -> int:
    try:
        done = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise JavaUnavailable(f"{java} -version did not run ({error}): {INSTALL_HINT}") from None
    version = parse_version(done.stderr + done.stdout)
    if done.returncode != 0 or version is None:
        raise JavaUnavailable(f"{java} -version failed (exit {done.returncode}): {INSTALL_HINT}")
    if version < MINIMUM_VERSION:
        raise JavaUnavailable(
            f"Spark here needs Java {MINIMUM_VERSION}+, but {java} is Java {version}: "
            f"{INSTALL_HINT}, and point JAVA_HOME at it"
        )
    return version


def require_java(env: Mapping[str, str] | None = None) -> int:
    """The major version of the Java a local session would use; JavaUnavailable if unusable."""
    return _checked(java_command(os.environ if env is None else env))
