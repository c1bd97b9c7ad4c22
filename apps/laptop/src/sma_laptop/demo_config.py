"""The demo's settings: command-line flags over ``DEMO_*`` environment variables over defaults."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from sma_laptop.seed import DEFAULT_DAYS, DEFAULT_SEED, DEFAULT_TABLE

HOST: Final[str] = "127.0.0.1"
DEFAULT_API_PORT: Final[int] = 8000
DEFAULT_DYNAMODB_PORT: Final[int] = 8001
DEFAULT_STATE_DIR: Final[str] = ".demo"


@dataclass(frozen=True, slots=True)
class DemoConfig:
    state_dir: Path
    api_port: int
    dynamodb_port: int
    table: str
    csv: str | None
    days: float | None  # None: all of the CSV files
    seed_value: int
    serve: bool  # False: stop once every step has run (--exit-when-ready)

    @property
    def lake(self) -> Path:
        return self.state_dir / "lake"


def _float(value: str | None) -> float | None:
    text = (value or "").strip()
    return float(text) if text else None


def build_parser(env: Mapping[str, str] | None = None) -> argparse.ArgumentParser:
    """The demo's flags; their defaults come from `env` (default: this process's environment)."""
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(
        prog="sma-demo",
        description="The whole crypto-sma pipeline locally: endpoint, ticks, job, lake, API.",
    )
    parser.add_argument(
        "--csv",
        default=env.get("DEMO_CSV") or None,
        help="load real prices from CSV files (path[,path...]) instead of simulating "
        "(default: $DEMO_CSV)",
    )
    parser.add_argument(
        "--days",
        type=float,
        default=_float(env.get("DEMO_DAYS")),
        help=f"days of ticks: simulated (default {DEFAULT_DAYS:g}), or the last days of the CSV "
        f"files (default {DEFAULT_DAYS:g}; 0 = all) ($DEMO_DAYS)",
    )
    parser.add_argument("--seed", type=int, default=int(env.get("DEMO_SEED") or DEFAULT_SEED))
    parser.add_argument(
        "--api-port", type=int, default=int(env.get("DEMO_API_PORT") or DEFAULT_API_PORT)
    )
    parser.add_argument(
        "--dynamodb-port",
        type=int,
        default=int(env.get("DEMO_DYNAMODB_PORT") or DEFAULT_DYNAMODB_PORT),
    )
    parser.add_argument("--table", default=env.get("DYNAMO_TABLE_NAME") or DEFAULT_TABLE)
    parser.add_argument(
        "--state-dir", type=Path, default=Path(env.get("DEMO_DIR") or DEFAULT_STATE_DIR)
    )
    parser.add_argument(
        "--exit-when-ready",
        action="store_true",
        help="run every step, then stop what was started and exit: for scripts and timing",
    )
    return parser


def parse_config(argv: Sequence[str] | None = None) -> DemoConfig:
    """The settings of one run, from `argv` (default: the command line)."""
    args = build_parser().parse_args(argv)
    days = args.days if args.days is not None else DEFAULT_DAYS
    return DemoConfig(
        state_dir=args.state_dir,
        api_port=args.api_port,
        dynamodb_port=args.dynamodb_port,
        table=args.table,
        csv=args.csv,
        days=days or None,
        seed_value=args.seed,
        serve=not args.exit_when_ready,
    )
