"""The Java check before a local Spark session: where Spark's launcher looks, what it accepts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sma_etl.java_runtime import JavaUnavailable, parse_version, require_java


def fake_java(home: Path, version_line: str) -> Path:
    java = home / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
    java.chmod(0o755)
    return home


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_402"', 8),
        ('openjdk version "11.0.22" 2024-01-16 LTS', 11),
        ("no version here", None),
    ],
)
def test_the_major_version_is_read_from_java_version(output: str, major: int | None) -> None:
    assert parse_version(output) == major


def test_a_java_home_without_java_is_named() -> None:
    with pytest.raises(JavaUnavailable, match=r"JAVA_HOME=/nonexistent has no bin/java") as info:
        require_java({"JAVA_HOME": "/nonexistent", "PATH": os.environ["PATH"]})
    assert "apt-get install openjdk-17-jre-headless" in str(info.value)


def test_no_java_on_path_is_named(tmp_path: Path) -> None:
    with pytest.raises(JavaUnavailable, match="no java on PATH and JAVA_HOME is not set"):
        require_java({"PATH": str(tmp_path)})


def test_an_old_java_is_refused_with_its_version(tmp_path: Path) -> None:
    home = fake_java(tmp_path / "jdk11", 'openjdk version "11.0.22" 2024-01-16')
    with pytest.raises(JavaUnavailable, match=r"is Java 11: install Java 17 or newer"):
        require_java({"JAVA_HOME": str(home)})


def test_java_17_or_newer_is_accepted(tmp_path: Path) -> None:
    home = fake_java(tmp_path / "jdk21", 'openjdk version "21.0.2" 2024-01-16')
    assert require_java({"JAVA_HOME": str(home)}) == 21
    # The java Spark's launcher falls back to: the one on PATH.
    assert require_java({"PATH": str(home / "bin")}) == 21
