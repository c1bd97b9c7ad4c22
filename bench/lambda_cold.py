"""Lambda cold path: import time of the handler module, and the bundle's size without boto3.

Import time: ``python -X importtime -c "import sma_api.lambda_handler"`` in fresh processes with
the Lambda's settings (Athena backend), so the app, its store and its boto3 clients are built as
at a cold start. Beside it, in the same rounds, what every Python Lambda pays anyway (a bare
interpreter, ``import boto3``) and FastAPI alone; the figure is the median of the rounds.
Bundle: the infra's own ``sma_infra.lambda_bundle.install_bundle`` (locked manylinux aarch64
wheels for the Lambda's Python, boto3/botocore left to the runtime, plus our code), measured
unzipped and as the deployment zip.

``python -m bench.lambda_cold [--rounds 7] [--no-bundle]``
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Final

from bench.report import print_json, print_table
from sma import names

TARGET_IMPORT_SECONDS: Final = 0.5
TARGET_BUNDLE_MB: Final = 15.0
HANDLER: Final = "sma_api.lambda_handler"

CASES: Final[dict[str, str]] = {
    "python (bare)": "pass",
    "import boto3": "import boto3",
    "import fastapi": "import fastapi",
    "import sma_api.lambda_handler": f"import {HANDLER}",
}

_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def lambda_env() -> dict[str, str]:
    """The Lambda's environment as the stack sets it (Athena backend), no network needed."""
    env = dict(os.environ)
    env.update(
        {
            "SMA_BACKEND": "athena",
            "ATHENA_WORKGROUP": "crypto-sma",
            "GLUE_DATABASE_NAME": names.GLUE_DATABASE,
            "GLUE_TABLE_NAME": names.GLUE_TABLE,
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
            "PYTHONDONTWRITEBYTECODE": "",
        }
    )
    return env


def import_profile(code: str, env: dict[str, str]) -> tuple[float, dict[str, int], float, float]:
    """Process wall s, cumulative us per package, in-process wall s and CPU s of the import."""
    import time

    probe = (
        "import time as _t; _s = _t.perf_counter(); _c = _t.process_time()\n"
        f"{code}\n"
        "print('IN_PROCESS', _t.perf_counter() - _s, _t.process_time() - _c)"
    )
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"{code!r} failed:\n{done.stderr[-3000:]}")
    cumulative: dict[str, int] = {}
    for line in done.stderr.splitlines():
        match = _LINE.match(line)
        # Package roots, wherever first imported: what each third-party library costs in all.
        if match and "." not in match.group(4) and not match.group(4).startswith("_"):
            name = match.group(4)
            cumulative[name] = max(cumulative.get(name, 0), int(match.group(2)))
    inside, cpu = (float(v) for v in done.stdout.split("IN_PROCESS")[-1].split())
    return wall, cumulative, inside, cpu


def bundle_sizes() -> dict[str, Any]:
    from sma_infra.api_function import RUNTIME
    from sma_infra.lambda_bundle import install_bundle

    version = RUNTIME.name.removeprefix("python")
    with tempfile.TemporaryDirectory(prefix="bench-bundle-") as scratch:
        bundle = Path(scratch) / "bundle"
        bundle.mkdir()
        install_bundle(bundle, version)
        files = [p for p in bundle.rglob("*") if p.is_file()]
        unzipped = sum(p.stat().st_size for p in files)
        archive = Path(scratch) / "bundle.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
            for path in files:
                out.write(path, path.relative_to(bundle))
        top: dict[str, int] = {}
        for path in files:
            name = path.relative_to(bundle).parts[0]
            top[name] = top.get(name, 0) + path.stat().st_size
        present = {p.name.split("-")[0].lower() for p in bundle.iterdir()}
        return {
            "python": version,
            "unzipped_mb": unzipped / 1e6,
            "zipped_mb": archive.stat().st_size / 1e6,
            "files": len(files),
            "has_boto3": "boto3" in present or "botocore" in present,
            "has_duckdb": "duckdb" in present,
            "largest": sorted(top.items(), key=lambda kv: -kv[1])[:8],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description="Lambda cold path: import time and bundle size.")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    parser.add_argument("--no-bundle", action="store_true", help="skip building the bundle")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    env = lambda_env()
    walls: dict[str, list[float]] = {name: [] for name in CASES}
    in_process: dict[str, list[float]] = {name: [] for name in CASES}
    cpus: dict[str, list[float]] = {name: [] for name in CASES}
    profiles: list[dict[str, int]] = []
    loads: list[float] = []
    for _ in range(rounds):
        loads.append(os.getloadavg()[0])
        for name, code in CASES.items():  # interleaved: every round sees the same load
            wall, cumulative, inside, cpu = import_profile(code, env)
            walls[name].append(wall)
            in_process[name].append(inside)
            cpus[name].append(cpu)
            if name.endswith(HANDLER):
                profiles.append(cumulative)
    handler_case = f"import {HANDLER}"
    handler = statistics.median(in_process[handler_case])
    bare = statistics.median(walls["python (bare)"])
    rows: list[list[object]] = [
        [
            name,
            statistics.median(in_process[name]),
            min(in_process[name]),
            statistics.median(cpus[name]),
            statistics.median(walls[name]),
            statistics.median(walls[name]) / bare,
            statistics.median(loads),
        ]
        for name in CASES
    ]
    print_table(
        [
            "case",
            "import s (median)",
            "min",
            "import cpu s",
            "process s",
            "x bare python",
            "load 1m",
        ],
        rows,
    )
    profile = {k: statistics.median(p.get(k, 0) for p in profiles) for k in set().union(*profiles)}
    heaviest = sorted(profile.items(), key=lambda kv: -kv[1])[:12]
    print_table(["package (median)", "cumulative import s"], [[k, v / 1e6] for k, v in heaviest])
    figures: dict[str, Any] = {
        "rounds": rounds,
        "handler_import_seconds": round(handler, 4),
        "handler_import_seconds_min": round(min(in_process[handler_case]), 4),
        "handler_import_cpu_seconds": round(statistics.median(cpus[handler_case]), 4),
        "import_seconds": {k: round(statistics.median(v), 4) for k, v in in_process.items()},
        "import_cpu_seconds": {k: round(statistics.median(v), 4) for k, v in cpus.items()},
        "handler_vs_boto3": round(handler / statistics.median(in_process["import boto3"]), 2),
        "target_import_seconds": TARGET_IMPORT_SECONDS,
        "import_target_met": handler <= TARGET_IMPORT_SECONDS,
        "load_1m_median": round(statistics.median(loads), 2),
        "heaviest_imports": {k: round(v / 1e6, 4) for k, v in heaviest},
    }
    if not args.no_bundle:
        sizes = bundle_sizes()
        print_table(
            ["bundle (Python " + sizes["python"] + ", arm64)", "MB"],
            [
                ["unzipped", sizes["unzipped_mb"]],
                ["zipped (deployment package)", sizes["zipped_mb"]],
                *([f"  {name}", size / 1e6] for name, size in sizes["largest"]),
            ],
        )
        figures["bundle"] = {k: v for k, v in sizes.items() if k != "largest"}
        figures["bundle_target_mb"] = TARGET_BUNDLE_MB
        figures["bundle_target_met_unzipped"] = sizes["unzipped_mb"] <= TARGET_BUNDLE_MB
        figures["bundle_target_met_zipped"] = sizes["zipped_mb"] <= TARGET_BUNDLE_MB
    print_json(figures)


if __name__ == "__main__":
    main()
