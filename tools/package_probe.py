"""Run by a member's own scratch environment: does the package import there, alone?

``python package_probe.py DIST PACKAGE [--runs MODULE ...] [--provided MODULE ...]`` checks, with
only what ``uv sync --package DIST`` installed:

- every module of PACKAGE imports;
- every console script DIST declares loads and answers ``--help``;
- every module its code imports (deferred imports included, ``if TYPE_CHECKING:`` blocks not)
  comes from a distribution DIST declares itself, not one it only gets through another;
- every module it starts as a child process (``--runs``: ``python -m moto.server``) imports.

``--provided`` names modules the platform supplies (Glue's ``awsglue``). One line per problem,
``DIST: ...``, and exit 1 when there is any. Standard library only.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import pkgutil
import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path
from types import ModuleType

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(requirements: Iterable[str]) -> tuple[set[str], dict[str, str]]:
    """(required distributions, optional distribution -> its extra), canonical names."""
    required: set[str] = set()
    optional: dict[str, str] = {}
    for requirement in requirements:
        match = _NAME.match(requirement)
        if match is None:
            continue
        name = canonical(match.group(1))
        extra = _EXTRA.search(requirement.partition(";")[2])
        if extra:
            optional.setdefault(name, extra.group(1))
        else:
            required.add(name)
    return required, optional


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(nodes: Iterable[ast.AST]) -> Iterator[str]:
    """Top-level names of the absolute imports under `nodes`, outside ``if TYPE_CHECKING:``."""
    for node in nodes:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from imported_modules(node.orelse)
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.partition(".")[0]
        yield from imported_modules(ast.iter_child_nodes(node))


def _failure(dist_name: str, what: str, error: BaseException) -> str:
    return f"{dist_name}: {what} fails: {type(error).__name__}: {error}"


def check_modules(dist_name: str, top: ModuleType, runs: list[str]) -> Iterator[str]:
    """Every module of the package, then every module it runs as a child process, imports."""
    names = [info.name for info in pkgutil.walk_packages(top.__path__, prefix=f"{top.__name__}.")]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:  # any failure is what we report
            yield _failure(dist_name, f"import {name}", error)
    for name in runs:
        try:
            importlib.import_module(name)
        except Exception as error:
            yield _failure(dist_name, f"import {name} (run as a child process)", error)


def check_scripts(dist: metadata.Distribution, dist_name: str) -> Iterator[str]:
    """Every console script loads and answers ``--help``, not with a traceback."""
    for entry in dist.entry_points:
        if entry.group != "console_scripts":
            continue
        try:
            entry.load()
        except Exception as error:
            yield _failure(dist_name, f"console script {entry.name} ({entry.value})", error)
            continue
        script = Path(sys.executable).with_name(entry.name)
        helped = subprocess.run(
            [str(script), "--help"], capture_output=True, text=True, check=False, timeout=120
        )
        if helped.returncode != 0:
            last = (helped.stderr.strip().splitlines() or ["(no output)"])[-1]
            yield f"{dist_name}: `{entry.name} --help` exits {helped.returncode}: {last}"


def _editable_owner(module: str) -> set[str]:
    """An editable install's distribution (its files list a .pth, not the module): same name."""
    try:
        return {canonical(metadata.distribution(module).metadata["Name"])}
    except metadata.PackageNotFoundError:
        return set()


def check_declared(
    dist: metadata.Distribution, dist_name: str, top: ModuleType, provided: set[str]
) -> Iterator[str]:
    """Every module the code imports comes from a distribution the package declares."""
    required, optional = declared(dist.requires or [])
    owners = metadata.packages_distributions()
    seen: dict[str, Path] = {}
    for path in sorted(Path(next(iter(top.__path__))).rglob("*.py")):
        for name in imported_modules([ast.parse(path.read_bytes(), filename=str(path))]):
            seen.setdefault(name, path)
    for name, path in sorted(seen.items()):
        if name in sys.stdlib_module_names or name == top.__name__ or name in provided:
            continue
        where = f"{name} (imported by {path.name})"
        dists = {canonical(d) for d in owners.get(name, [])} or _editable_owner(name)
        if not dists:
            if canonical(name) not in optional:  # an extra's module is imported where it is used
                yield f"{dist_name}: missing import {where}: no installed distribution has it"
        elif not dists & (required | set(optional)):
            yield (
                f"{dist_name}: imports {where} from {', '.join(sorted(dists))}, which its "
                "pyproject.toml does not declare"
            )


def probe(dist_name: str, package: str, runs: list[str], provided: set[str]) -> list[str]:
    """Every problem found, one line each."""
    try:
        dist = metadata.distribution(dist_name)
    except metadata.PackageNotFoundError:
        return [f"{dist_name}: not installed in this environment"]
    try:
        top = importlib.import_module(package)
    except Exception as error:
        return [_failure(dist_name, f"import {package}", error)]
    return [
        *check_modules(dist_name, top, runs),
        *check_scripts(dist, dist_name),
        *check_declared(dist, dist_name, top, provided),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dist")
    parser.add_argument("package")
    parser.add_argument("--runs", nargs="*", default=[])
    parser.add_argument("--provided", nargs="*", default=[])
    args = parser.parse_args()
    problems = probe(args.dist, args.package, args.runs, set(args.provided))
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
