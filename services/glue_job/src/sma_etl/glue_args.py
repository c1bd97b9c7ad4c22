"""Glue job arguments, read the way ``awsglue.utils.getResolvedOptions`` reads them.

The job cannot import ``awsglue`` off Glue, so this module follows its rules (Glue 5.1, the
version the stack deploys) with the standard library parser it is built on:

- ``--NAME value`` and ``--NAME=value``; a value may be empty but cannot start with ``-``
  (a negative number can); the last occurrence of a name wins;
- an unambiguous prefix of a declared name stands for it (Glue 5.1; Glue 6.0 refuses them),
  an ambiguous one is an error;
- Glue's own arguments are declared, so they parse and come back: ``--JOB_ID``,
  ``--JOB_RUN_ID``, ``--SECURITY_CONFIGURATION``, ``--TempDir`` (mirrored as
  ``RedshiftTempDir``), ``--job-bookmark-option`` (one of its three values; default
  ``job-bookmark-disable``, or translated from the older ``--continuation-option``),
  ``--job-bookmark-from`` / ``--job-bookmark-to`` (both with a pause, never both otherwise),
  ``--encryption-type sse-s3``, ``--enable-data-lineage``;
- anything else (``--enable-metrics``, ``--extra-py-files``, ``--JOB_NAME`` unless asked for,
  stray values) is ignored;
- a required name that is missing, or without a value, is an error naming it.

Deliberate difference: ``-h``/``--help`` is not special (Glue's parser would print help and
exit 0 without running the job). Errors are ``SettingsError``.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from typing import Final, NoReturn

from sma.errors import SettingsError

# Glue 5.1 accepts abbreviated names (its parser keeps argparse's default); 6.0 does not.
ALLOW_ABBREVIATIONS: Final = True

BOOKMARK_OPTION: Final = "job-bookmark-option"
BOOKMARK_CHOICES: Final = ("job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable")
CONTINUATION_OPTION: Final = "continuation-option"
# In the order of BOOKMARK_CHOICES, which each stands for.
CONTINUATION_CHOICES: Final = (
    "continuation-enabled",
    "continuation-readonly",
    "continuation-ignore",
)
BOOKMARK_RANGE: Final = ("job-bookmark-from", "job-bookmark-to")
RUN_IDS: Final = ("JOB_ID", "JOB_RUN_ID", "SECURITY_CONFIGURATION")
TEMP_DIRS: Final = ("TempDir", "RedshiftTempDir")
ENCRYPTION_TYPE: Final = "encryption-type"
DATA_LINEAGE: Final = "enable-data-lineage"

# Names a job may not declare for itself (Glue raises on them too).
RESERVED: Final = frozenset(
    {BOOKMARK_OPTION, CONTINUATION_OPTION, *BOOKMARK_RANGE, *RUN_IDS, ENCRYPTION_TYPE, DATA_LINEAGE}
)


class _Parser(argparse.ArgumentParser):
    """Raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        raise SettingsError(message)


def _key(name: str) -> str:
    """The result key of ``--name``: dashes become underscores, as in Glue's result."""
    return name.replace("-", "_")


def _parser(required: Iterable[str], optional: Iterable[str]) -> _Parser:
    parser = _Parser(add_help=False, allow_abbrev=ALLOW_ABBREVIATIONS)
    parser.add_argument(f"--{BOOKMARK_OPTION}", choices=BOOKMARK_CHOICES)
    parser.add_argument(f"--{CONTINUATION_OPTION}", choices=CONTINUATION_CHOICES)
    for name in (*BOOKMARK_RANGE, *RUN_IDS, DATA_LINEAGE):
        parser.add_argument(f"--{name}")
    parser.add_argument(f"--{ENCRYPTION_TYPE}", choices=("sse-s3",))
    for name in TEMP_DIRS:
        parser.add_argument(f"--{name}")
    for name in required:
        parser.add_argument(f"--{name}", required=True)
    for name in optional:
        parser.add_argument(f"--{name}")
    return parser


def _resolve_bookmarks(found: dict[str, str | None]) -> None:
    """Glue's defaults and checks for the bookmark arguments, in place."""
    continuation = found.pop(_key(CONTINUATION_OPTION))
    if found[_key(BOOKMARK_OPTION)] is None:
        found[_key(BOOKMARK_OPTION)] = (
            BOOKMARK_CHOICES[CONTINUATION_CHOICES.index(continuation)]
            if continuation is not None
            else "job-bookmark-disable"
        )
    absent = [name for name in BOOKMARK_RANGE if found[_key(name)] is None]
    if found[_key(BOOKMARK_OPTION)] == "job-bookmark-pause":
        if len(absent) == 1:
            raise SettingsError(f"job-bookmark-pause needs --{absent[0]} as well")
    elif not absent:
        raise SettingsError(
            "--job-bookmark-from and --job-bookmark-to go with "
            "--job-bookmark-option job-bookmark-pause only"
        )


def resolve_options(
    argv: Sequence[str], required: Sequence[str] = (), optional: Sequence[str] = ()
) -> dict[str, str | None]:
    """Glue's arguments and the job's named ones, from `argv` (the arguments after the script).

    Every declared name maps to its value, or None when not given; Glue's own come back
    under Glue's keys (``job_bookmark_option``, ``TempDir``, ``JOB_RUN_ID``, ...).
    """
    asked = [*required, *optional]
    clash = sorted({_key(name) for name in RESERVED} & {_key(name) for name in asked})
    if clash:
        raise ValueError(f"reserved Glue argument names: {', '.join(clash)}")
    # TempDir is declared (optional) for every job, whether or not the job asks for it.
    required = [name for name in required if name not in TEMP_DIRS]
    optional = [name for name in optional if name not in TEMP_DIRS]
    known, _ignored = _parser(required, optional).parse_known_args(list(argv))
    found: dict[str, str | None] = vars(known)
    temp_dir = found["TempDir"] if found["TempDir"] is not None else found["RedshiftTempDir"]
    found["TempDir"] = found["RedshiftTempDir"] = temp_dir
    _resolve_bookmarks(found)
    return found
