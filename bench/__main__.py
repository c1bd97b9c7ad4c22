"""Every benchmark in turn: ``python -m bench [--quick] [--only NAME,...]``.

Each one runs in its own process (Spark and servers start and stop with it), prints its table and
ends with its JSON line; this runner adds nothing but the order and a header per benchmark.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

# Issue 7's order; local_write is the small-file experiment behind the backfill's write.
BENCHMARKS: Final[tuple[str, ...]] = (
    "scheduled",
    "backfill",
    "api_latency",
    "athena_economy",
    "lambda_cold",
    "local_write",
)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes each")
    parser.add_argument("--only", help=f"comma-separated subset of {', '.join(BENCHMARKS)}")
    args = parser.parse_args()
    chosen = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    failed: list[str] = []
    for name in chosen:
        print(f"\n=== bench.{name} {'--quick' if args.quick else ''}", flush=True)
        began = time.perf_counter()
        command = [sys.executable, "-m", f"bench.{name}", *(["--quick"] if args.quick else [])]
        done = subprocess.run(command, cwd=Path(__file__).resolve().parents[1], check=False)
        print(f"=== bench.{name}: exit {done.returncode} in {time.perf_counter() - began:.0f} s")
        if done.returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
