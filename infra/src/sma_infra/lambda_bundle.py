"""The API's Lambda bundle: the locked, hash-checked wheels and the workspace's own wheels.

Built on this machine without Docker. Third-party packages come from ``uv.lock`` through
``uv export --locked`` (every pin with its hashes) and are installed with ``--require-hashes
--only-binary :all:`` for the Lambda platform and Python; ``sma`` and ``sma-api`` are installed
from wheels built from the source being deployed, so the bundle holds their package data too.
Nothing comes from the Lambda runtime: boto3 and botocore are the locked versions the tests ran.

The asset hash is :meth:`BundleRecipe.fingerprint`, taken over every input of the recipe, so
a change in any of them (the API, ``libs/sma``, the lock, a pyproject, this module) is a new
asset for ``cdk deploy`` to upload.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import jsii
from aws_cdk import DockerImage, ILocalBundling

from sma_infra.paths import REPO_ROOT

log = logging.getLogger(__name__)

# Lambda's arm64 machines; the manylinux2014 tag (glibc 2.17) runs on every Lambda OS.
LAMBDA_PLATFORM: Final[str] = "aarch64-manylinux2014"
API_PROJECT: Final[str] = "sma-api"
# Workspace packages the API imports, installed from wheels built from this checkout.
WORKSPACE_PROJECTS: Final[tuple[str, ...]] = ("sma", API_PROJECT)
# Everything the bundle is made from, relative to the repository root.
RECIPE: Final[str] = Path(__file__).resolve().relative_to(REPO_ROOT).as_posix()
BUNDLE_INPUTS: Final[tuple[str, ...]] = (
    "services/api",
    "libs/sma",
    "uv.lock",
    "pyproject.toml",
    RECIPE,
)
# Local artefacts that never reach a wheel; everything else under the inputs counts.
_IGNORED_DIRS: Final[frozenset[str]] = frozenset(
    {
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".hypothesis",
        ".venv",
        # npm's install folder; the files the API serves are copied out of it (API_WEB_ASSETS).
        "node_modules",
    }
)
_IGNORED_SUFFIXES: Final[tuple[str, ...]] = (".pyc", ".pyo", ".egg-info")
# Bumped when the recipe changes in a way its source text would not show.
_FINGERPRINT_VERSION: Final[str] = "sma-lambda-bundle/2"
# The API's browser files (chart library, docs UIs): git-ignored, built by `make web-assets`,
# shipped inside the sma-api wheel.
API_WEB_ASSETS: Final[str] = "services/api/src/sma_api/static/vendor"


@dataclass(frozen=True)
class BundleRecipe:
    """How to build the bundle: for which Python and platform, from which checkout."""

    python_version: str
    platform: str = LAMBDA_PLATFORM
    root: Path = REPO_ROOT

    def fingerprint(self, *, bundled: bool = True) -> str:
        """A hash of every input of the bundle; ``bundled=False`` names the unbuilt source."""
        digest = hashlib.sha256()
        kind = "bundle" if bundled else "unbundled-source"
        for part in (_FINGERPRINT_VERSION, kind, self.python_version, self.platform):
            digest.update(part.encode() + b"\0")
        for relative, path in input_files(self.root):
            digest.update(relative.encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        return digest.hexdigest()

    def build(self, output_dir: Path) -> None:
        """Fill ``output_dir`` with the locked wheels and the workspace wheels, hashes checked."""
        assets = self.root / API_WEB_ASSETS
        if not any(assets.rglob("*.js")):
            raise RuntimeError(
                f"{assets} holds no built files: run `make web-assets` before bundling, "
                "or the chart and docs pages answer 503 on Lambda"
            )
        uv = uv_command()
        target = ["--target", str(output_dir)]
        platform = ["--python-platform", self.platform, "--python-version", self.python_version]
        with tempfile.TemporaryDirectory(prefix="sma-bundle-") as scratch:
            requirements = Path(scratch) / "requirements.txt"
            wheels = Path(scratch) / "wheels"
            self._run(
                [
                    uv, "export", "--quiet", "--locked", "--package", API_PROJECT, "--no-dev",
                    "--no-emit-workspace", "--format", "requirements-txt", "--no-header",
                    "--no-annotate", "--output-file", str(requirements),
                ]
            )  # fmt: skip
            # Every requirement is pinned with its hashes; --no-deps because the export is
            # already the whole closure, so nothing unlisted can slip in.
            self._run(
                [
                    uv, "pip", "install", "--quiet", *target, *platform, "--require-hashes",
                    "--no-deps", "--only-binary", ":all:", "--requirements", str(requirements),
                ]
            )  # fmt: skip
            for project in WORKSPACE_PROJECTS:
                self._run(
                    [uv, "build", "--quiet", "--wheel", "--package", project, "--out-dir",
                     str(wheels)]
                )  # fmt: skip
            self._run(
                [
                    uv, "pip", "install", "--quiet", *target, *platform, "--no-deps",
                    "--no-index", *(str(w) for w in sorted(wheels.glob("*.whl"))),
                ]
            )  # fmt: skip
        # Console scripts of the packages: nothing on Lambda runs them.
        shutil.rmtree(output_dir / "bin", ignore_errors=True)

    def _run(self, command: list[str]) -> None:
        subprocess.run(command, cwd=self.root, check=True)


def input_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative posix path, path) of every file the bundle is built from, in a fixed order."""
    for name in BUNDLE_INPUTS:
        top = root / name
        if top.is_file():
            yield name, top
            continue
        if not top.is_dir():
            raise FileNotFoundError(f"Lambda bundle input {top} is missing")
        for path in sorted(top.rglob("*")):
            relative = path.relative_to(root)
            if _ignored(relative) or not path.is_file():
                continue
            yield relative.as_posix(), path


def _ignored(relative: Path) -> bool:
    return any(part in _IGNORED_DIRS or part.endswith(_IGNORED_SUFFIXES) for part in relative.parts)


def uv_command() -> str:
    """The uv running this app (``uv run`` sets ``UV``), else the one on PATH."""
    return os.environ.get("UV") or shutil.which("uv") or "uv"


@jsii.implements(ILocalBundling)
class LocalApiBundler:
    """CDK local bundling hook: builds the bundle in-process instead of in a container."""

    def __init__(self, recipe: BundleRecipe) -> None:
        self.recipe = recipe

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        log.info(
            "bundling the API for Python %s on %s",
            self.recipe.python_version,
            self.recipe.platform,
        )
        self.recipe.build(Path(output_dir))
        return True


def install_bundle(
    output_dir: Path, python_version: str, *, platform: str = LAMBDA_PLATFORM
) -> None:
    """Build the bundle from this checkout into ``output_dir``."""
    BundleRecipe(python_version, platform).build(output_dir)
