"""The API's Lambda bundle, built on this machine (no Docker): locked wheels for arm64 + our code.

Dependencies come from ``uv.lock`` (``uv export``) so the bundle holds exactly the versions the
tests ran against. boto3 and botocore stay out: the Lambda runtime provides them.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Final

import jsii
from aws_cdk import DockerImage, ILocalBundling

from sma_infra.paths import API_PACKAGE, REPO_ROOT, SMA_PACKAGE

log = logging.getLogger(__name__)

# Provided by every Python Lambda runtime; shipping our own copies only adds cold-start weight.
RUNTIME_PROVIDED: Final[tuple[str, ...]] = ("boto3", "botocore", "s3transfer", "jmespath")
LAMBDA_PLATFORM: Final[str] = "aarch64-manylinux2014"
# The API's browser files (chart library, docs UIs): git-ignored, built by `make web-assets`.
API_WEB_ASSETS: Final[Path] = API_PACKAGE / "static" / "vendor"


def locked_requirements() -> str:
    """The API's third-party dependencies pinned by the workspace lock, minus the runtime's."""
    command = [
        "uv", "export", "--package", "sma-api", "--frozen", "--no-dev", "--no-hashes",
        "--no-emit-workspace", "--no-header", "--no-annotate",
        *(arg for name in RUNTIME_PROVIDED for arg in ("--prune", name)),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=REPO_ROOT, check=True, capture_output=True, text=True)
    lines = [line for line in result.stdout.splitlines() if line and not line.startswith("#")]
    return "\n".join(lines) + "\n"


def install_bundle(output_dir: Path, python_version: str) -> None:
    """Fill ``output_dir`` with manylinux aarch64 wheels for ``python_version`` and our sources."""
    with tempfile.TemporaryDirectory() as scratch:
        requirements = Path(scratch) / "requirements.txt"
        requirements.write_text(locked_requirements(), encoding="utf-8")
        subprocess.run(
            [
                "uv", "pip", "install", "--quiet", "--no-deps", "--only-binary", ":all:",
                "--python-platform", LAMBDA_PLATFORM, "--python-version", python_version,
                "--target", str(output_dir), "--requirements", str(requirements),
            ],
            cwd=REPO_ROOT,
            check=True,
        )  # fmt: skip
    # Console scripts of the dependencies: nothing on Lambda runs them.
    shutil.rmtree(output_dir / "bin", ignore_errors=True)
    copy_sources(output_dir)


def copy_sources(output_dir: Path) -> None:
    """Our packages as source, with the API's built browser files; never a bundle without them."""
    if not any(API_WEB_ASSETS.rglob("*.js")):
        raise RuntimeError(
            f"{API_WEB_ASSETS} holds no built files: run `make web-assets` before bundling, "
            "or the chart and docs pages answer 503 on Lambda"
        )
    for package in (SMA_PACKAGE, API_PACKAGE):
        shutil.copytree(
            package,
            output_dir / package.name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            dirs_exist_ok=True,
        )


@jsii.implements(ILocalBundling)
class LocalApiBundler:
    """CDK local bundling hook: builds the bundle in-process instead of in a container."""

    def __init__(self, python_version: str) -> None:
        self.python_version = python_version

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        log.info("bundling the API for Python %s on %s", self.python_version, LAMBDA_PLATFORM)
        install_bundle(Path(output_dir), self.python_version)
        return True
