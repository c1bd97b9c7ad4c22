"""The Lambda bundle: built from the lock with hashes, hashed over all its inputs, importable alone.

``bundled_api`` (conftest) synthesises SmaApiStack with CDK's local bundling, exactly as
``cdk deploy`` does, except that the wheels are for this machine's platform so that the bundle
can be imported here: same lock, same code, same Python (3.11).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from sma_infra import api_function
from sma_infra.api_function import ARCHITECTURE, RUNTIME, UNBUNDLED_PARAMETER, UNBUNDLED_RULE
from sma_infra.app import SKIP_BUNDLING_SWITCH, main
from sma_infra.lambda_bundle import (
    BUNDLE_INPUTS,
    LAMBDA_PLATFORM,
    RECIPE,
    BundleRecipe,
    uv_command,
)
from sma_infra.paths import API_PACKAGE, REPO_ROOT, SMA_PACKAGE
from tests.infra.infra_templates import (
    API,
    BASE_CONTEXT,
    HOST_PLATFORM,
    Synthesised,
    lambda_asset,
    lambda_s3_key,
    synthesise_api,
)

PYTHON = RUNTIME.name.removeprefix("python")
# Answers three API Gateway v2 events through the Lambda handler and reports what it loaded.
PROBE = r"""
import json, sys
bundle = sys.argv[1]
sys.path.insert(0, bundle)
from sma_api.lambda_handler import handler

def event(path, query=""):
    context = {"accountId": "123456789012", "apiId": "api", "domainName": "api.example.com",
               "domainPrefix": "api", "requestId": "probe", "routeKey": "GET /x",
               "stage": "$default", "time": "30/Nov/2026:00:00:00 +0000", "timeEpoch": 0,
               "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1",
                        "sourceIp": "192.0.2.1", "userAgent": "probe"}}
    return {"version": "2.0", "routeKey": "GET /x", "rawPath": path, "rawQueryString": query,
            "headers": {"host": "api.example.com"}, "isBase64Encoded": False,
            "requestContext": context}

answers = {}
for path, query in (("/openapi.json", ""), ("/tickers/BTC-USD/sma/history", "limit=0"),
                    ("/health", "")):
    response = handler(event(path, query), None)
    answers[path] = {"status": response["statusCode"], "headers": response["headers"],
                     "body": json.loads(response["body"])}
files = {getattr(module, "__file__", None) for module in list(sys.modules.values())}
from importlib import metadata
print(json.dumps({
    "answers": answers,
    "modules": sorted(f for f in files if f),
    "sys_path": sys.path,
    "base_prefix": sys.base_prefix,
    "versions": {d.metadata["Name"]: d.version for d in metadata.distributions(path=[bundle])},
}))
"""


def bundle_dir(app: Synthesised) -> Path:
    return app.outdir / lambda_asset(app)["source"]["path"]


def locked_pins() -> dict[str, str]:
    """name -> version of every third-party package the lock gives the API."""
    exported = subprocess.run(
        [
            uv_command(), "export", "--quiet", "--locked", "--package", "sma-api", "--no-dev",
            "--no-emit-workspace", "--no-hashes", "--no-header", "--no-annotate",
        ],
        cwd=REPO_ROOT, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    pins = (line.split("==") for line in exported.splitlines() if "==" in line)
    return {normalise(name): version.split(";")[0].strip() for name, version in pins}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def probe(bundled_api: Synthesised, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Import the bundle in an isolated interpreter (-I -S: no site-packages, no workspace)."""
    home = tmp_path_factory.mktemp("home")
    script = home / "probe.py"
    script.write_text(PROBE)
    environment = {
        "SMA_BACKEND": "athena",
        "ATHENA_WORKGROUP": "crypto-sma",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        # /health reaches for Athena: a closed port on loopback, answered at once.
        "AWS_ENDPOINT_URL_ATHENA": "http://127.0.0.1:9",
        "HOME": str(home),
    }
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(script), str(bundle_dir(bundled_api))],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


# -- the bundle itself -----------------------------------------------------------------------


def test_bundle_answers_api_gateway_events_in_a_clean_interpreter(probe: Any) -> None:
    answers = probe["answers"]
    schema = answers["/openapi.json"]
    assert schema["status"] == 200
    assert "/tickers/{ticker}/sma" in schema["body"]["paths"]
    # Request validation ran (pydantic-core, the compiled part of the bundle).
    assert answers["/tickers/BTC-USD/sma/history"]["status"] == 422
    # The Athena store was built (boto3 from the bundle) and its failure mapped to 503.
    health = answers["/health"]
    assert health["status"] == 503
    assert health["headers"]["retry-after"]


def test_bundle_needs_nothing_of_the_workspace(probe: Any, bundled_api: Synthesised) -> None:
    bundle = str(bundle_dir(bundled_api))
    assert not [p for p in probe["sys_path"] if "site-packages" in p]
    outside = [f for f in probe["modules"] if not f.startswith((bundle, probe["base_prefix"]))]
    assert [Path(f).name for f in outside] == ["probe.py"]


def test_bundle_holds_exactly_the_locked_versions_and_our_wheels(probe: Any) -> None:
    installed = {normalise(name): version for name, version in probe["versions"].items()}
    workspace = {"sma": "0.1.0", "sma-api": "0.1.0"}
    assert installed == locked_pins() | workspace
    # The runtime's own boto3 is not used: the bundle ships the locked one.
    assert "boto3" in installed
    assert not {"duckdb", "uvicorn", "pytest"} & set(installed)


@pytest.mark.parametrize("package", [SMA_PACKAGE, API_PACKAGE], ids=lambda p: p.name)
def test_bundle_carries_every_file_of_our_packages(bundled_api: Synthesised, package: Path) -> None:
    # Package data (static files, py.typed, ...) too, not only modules.
    shipped = bundle_dir(bundled_api) / package.name
    for source in package.rglob("*"):
        if source.is_file() and "__pycache__" not in source.parts:
            copy = shipped / source.relative_to(package)
            assert copy.read_bytes() == source.read_bytes(), source


def test_bundle_is_the_deployed_asset(bundled_api: Synthesised, default_app: Synthesised) -> None:
    staged = lambda_asset(bundled_api)["source"]["path"]
    assert staged.startswith("asset.")
    assert lambda_s3_key(bundled_api) == f"{staged.removeprefix('asset.')}.zip"
    assert UNBUNDLED_RULE not in bundled_api.templates[API].get("Rules", {})
    assert UNBUNDLED_PARAMETER not in bundled_api.templates[API].get("Parameters", {})
    assert not (bundle_dir(bundled_api) / "bin").exists()


# -- Python and platform ---------------------------------------------------------------------


def test_lambda_runs_the_python_the_workspace_is_locked_and_tested_on() -> None:
    assert (sys.version_info.major, sys.version_info.minor) == (3, 11)
    assert RUNTIME.name == f"python{sys.version_info.major}.{sys.version_info.minor}"
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    assert project["project"]["requires-python"] == ">=3.11,<3.12"
    lock = (REPO_ROOT / "uv.lock").read_text()
    assert 'requires-python = "==3.11.*"' in lock
    # The wheels are for the function's architecture.
    assert ARCHITECTURE.name == "arm64"
    assert LAMBDA_PLATFORM.startswith("aarch64-")


# -- the asset hash --------------------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of every bundle input, to change one at a time."""
    for name in BUNDLE_INPUTS:
        source = REPO_ROOT / name
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(
                source, target, ignore=shutil.ignore_patterns("__pycache__", "node_modules")
            )
        else:
            shutil.copy2(source, target)
    return tmp_path


def fingerprint(root: Path) -> str:
    return BundleRecipe(PYTHON, LAMBDA_PLATFORM, root).fingerprint()


def test_a_copy_of_the_inputs_has_the_repository_fingerprint(checkout: Path) -> None:
    assert fingerprint(checkout) == fingerprint(REPO_ROOT)


@pytest.mark.parametrize(
    "changed",
    [
        "libs/sma/src/sma/names.py",
        "libs/sma/pyproject.toml",
        "services/api/src/sma_api/main.py",
        "services/api/src/sma_api/static/new-page.html",
        "services/api/pyproject.toml",
        "uv.lock",
        "pyproject.toml",
        RECIPE,
    ],
)
def test_every_input_of_the_bundle_changes_the_asset_hash(checkout: Path, changed: str) -> None:
    before = fingerprint(checkout)
    path = checkout / changed
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as edited:
        edited.write("\n# changed\n")
    assert fingerprint(checkout) != before


def test_caches_do_not_change_the_asset_hash(checkout: Path) -> None:
    before = fingerprint(checkout)
    cache = checkout / "libs/sma/src/sma/__pycache__"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "names.cpython-311.pyc").write_bytes(b"\0")
    assert fingerprint(checkout) == before


def test_python_platform_and_bundling_are_part_of_the_hash() -> None:
    base = BundleRecipe(PYTHON, LAMBDA_PLATFORM)
    assert len({
        base.fingerprint(),
        BundleRecipe("3.12", LAMBDA_PLATFORM).fingerprint(),
        BundleRecipe(PYTHON, HOST_PLATFORM).fingerprint(),
        base.fingerprint(bundled=False),
    }) == 4  # fmt: skip


def test_a_change_in_libs_sma_changes_the_lambda_code_in_the_template(
    checkout: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    default_app: Synthesised,
) -> None:
    monkeypatch.setattr(
        api_function, "BundleRecipe", functools.partial(BundleRecipe, root=checkout)
    )

    def s3_key() -> str:
        app = synthesise_api(BASE_CONTEXT, tmp_path_factory.mktemp("cdk-key"), skip_bundling=True)
        return lambda_s3_key(app)

    # The copy synthesises to the key the real app has; one edit in libs/sma moves it.
    unchanged = s3_key()
    assert unchanged == lambda_s3_key(default_app)
    with (checkout / "libs/sma/src/sma/names.py").open("a", encoding="utf-8") as edited:
        edited.write("\n# changed\n")
    assert s3_key() != unchanged


# -- never deploy an unbundled asset ---------------------------------------------------------


def test_a_template_without_the_bundle_cannot_be_deployed(default_app: Synthesised) -> None:
    template = default_app.templates[API]
    [assertion] = template["Rules"][UNBUNDLED_RULE]["Assertions"]
    # CloudFormation evaluates the rule before creating or updating anything, and it fails:
    # it wants a value the parameter does not allow.
    reference, wanted = assertion["Assert"]["Fn::Equals"]
    parameter = template["Parameters"][reference["Ref"]]
    assert wanted not in parameter["AllowedValues"]
    assert parameter["Default"] in parameter["AllowedValues"]
    assert "without the Lambda bundle" in assertion["AssertDescription"]
    # The unbuilt folder is staged, and uploaded if at all, under a key no bundle can have.
    assert lambda_asset(default_app)["source"]["path"] == str(api_function.API_SERVICE)
    recipe = BundleRecipe(PYTHON)
    assert recipe.fingerprint(bundled=False) != recipe.fingerprint()


def test_the_cli_app_refuses_the_skip_bundling_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in BASE_CONTEXT.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.setenv(SKIP_BUNDLING_SWITCH, "1")
    with pytest.raises(SystemExit) as caught:
        main()
    message = str(caught.value.code)
    assert f"{SKIP_BUNDLING_SWITCH} is refused" in message
    assert "npx cdk synth --exclusively GlueSMAStack" in message


def test_the_cli_app_refuses_the_skip_bundling_context(tmp_path: Path) -> None:
    # As `npx cdk deploy -c SMA_SKIP_BUNDLING=1` runs it: cdk.json's command, context in env.
    environment = {
        **{k: v for k, v in os.environ.items() if k != SKIP_BUNDLING_SWITCH},
        **{k: str(v) for k, v in BASE_CONTEXT.items()},
        "CDK_CONTEXT_JSON": json.dumps({SKIP_BUNDLING_SWITCH: "1"}),
        "CDK_OUTDIR": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "sma_infra.app"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    assert f"{SKIP_BUNDLING_SWITCH} is refused" in done.stderr
    assert not list(tmp_path.iterdir())
