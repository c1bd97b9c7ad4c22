"""Glue's job arguments, read as ``awsglue.utils.getResolvedOptions`` (Glue 5.1) reads them.

The forms come from Glue's documentation: ``start_job_run(Arguments={'--day_partition_key':
'partition_0', ...})`` read back with ``getResolvedOptions(sys.argv, ['JOB_NAME',
'day_partition_key', ...])``; special parameters such as ``--job-bookmark-option
job-bookmark-enable``, ``--TempDir s3://...``, ``--encryption-type sse-s3`` and ``--enable-metrics``
with an empty value; ``aws glue start-job-run --arguments='--scriptLocation="s3://..."'``.
"""

from __future__ import annotations

import pytest

from sma.errors import SettingsError
from sma_etl.glue_args import resolve_options
from sma_etl.glue_entry import JOB_ARGUMENTS, glue_arguments, job_options

DOCUMENTED_RUN = {
    "--day_partition_key": "partition_0",
    "--hour_partition_key": "partition_1",
    "--day_partition_value": "2025-01-13",
    "--hour_partition_value": "07",
}
GLUE_OWN = [
    "--JOB_ID", "j_0123",
    "--JOB_RUN_ID", "jr_0123",
    "--JOB_NAME", "my_test_Job",
    "--SECURITY_CONFIGURATION", "sec",
    "--TempDir", "s3://assets/temporary/",
    "--encryption-type", "sse-s3",
    "--enable-metrics", "",
    "--enable-glue-datacatalog",
    "--extra-py-files", "s3://assets/code.zip",
    "--job-language", "python",
]  # fmt: skip


PAUSE = ["--job-bookmark-option", "job-bookmark-pause"]
DISABLE = ["--job-bookmark-option", "job-bookmark-disable"]


def as_argv(arguments: dict[str, str]) -> list[str]:
    """A run's Arguments map as Glue hands it to the script: ``--KEY value`` pairs."""
    return [token for pair in arguments.items() for token in pair]


def test_the_documented_run_reads_back_under_the_names_asked_for() -> None:
    names = ["JOB_NAME", *(key[2:] for key in DOCUMENTED_RUN)]
    args = resolve_options([*GLUE_OWN, *as_argv(DOCUMENTED_RUN)], required=names)
    assert {name: args[name] for name in names} == {
        "JOB_NAME": "my_test_Job",
        "day_partition_key": "partition_0",
        "hour_partition_key": "partition_1",
        "day_partition_value": "2025-01-13",
        "hour_partition_value": "07",
    }


def test_glues_own_arguments_come_back_and_others_are_ignored() -> None:
    args = resolve_options([*GLUE_OWN, "stray", "--TICKERS", "BTC/USD"], optional=["TICKERS"])
    assert args == {
        "job_bookmark_option": "job-bookmark-disable",  # Glue's default
        "job_bookmark_from": None,
        "job_bookmark_to": None,
        "JOB_ID": "j_0123",
        "JOB_RUN_ID": "jr_0123",
        "SECURITY_CONFIGURATION": "sec",
        "encryption_type": "sse-s3",
        "enable_data_lineage": None,
        "TempDir": "s3://assets/temporary/",
        "RedshiftTempDir": "s3://assets/temporary/",
        "TICKERS": "BTC/USD",
    }


@pytest.mark.parametrize(
    "argv",
    [
        ["--TICKERS", "BTC/USD"],
        ["--TICKERS=BTC/USD"],
        ["--TICKERS", "ETH/USD", "--TICKERS=BTC/USD"],  # the last one wins
        ["--TICKERS=ETH/USD", "--enable-metrics", "--TICKERS", "BTC/USD"],
        ["--TICK", "BTC/USD"],  # an unambiguous prefix stands for the name (Glue 5.1)
        ["--enable-metrics", "true", "--TICKERS", "BTC/USD", "--enable-continuous-log-filter"],
    ],
)
def test_value_spellings(argv: list[str]) -> None:
    assert resolve_options(argv, required=["TICKERS"])["TICKERS"] == "BTC/USD"


@pytest.mark.parametrize(
    ("argv", "value"),
    [
        (["--S3_PREFIX", ""], ""),
        (["--S3_PREFIX="], ""),
        (["--S3_PREFIX=a=b"], "a=b"),  # only the first '=' separates
        (["--S3_PREFIX", "-1"], "-1"),  # negative numbers are values
        (["--S3_PREFIX", "-a b"], "-a b"),  # so is anything with a space
        ([], None),
    ],
)
def test_edge_values(argv: list[str], value: str | None) -> None:
    assert resolve_options(argv, optional=["S3_PREFIX"])["S3_PREFIX"] == value


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "required: --TICKERS"),
        (["--TICKERS"], "--TICKERS: expected one argument"),
        (["--TICKERS", "--JOB_ID", "j"], "--TICKERS: expected one argument"),
        (["--TICKERS", "-x"], "--TICKERS: expected one argument"),
        (["--TICKERS=BTC/USD", "--S3", "p"], "ambiguous option: --S3 could match"),
        (["--TICKERS=x", "--job-bookmark-option", "on"], "--job-bookmark-option: invalid choice"),
        (["--TICKERS=x", "--encryption-type", "kms"], "--encryption-type: invalid choice"),
    ],
)
def test_errors_name_the_argument(argv: list[str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        resolve_options(argv, required=["TICKERS"], optional=["S3_BUCKET_NAME", "S3_PREFIX"])


def test_temp_dir_is_mirrored_both_ways() -> None:
    args = resolve_options(["--RedshiftTempDir", "s3://t/"], required=["TempDir"])
    assert (args["TempDir"], args["RedshiftTempDir"]) == ("s3://t/", "s3://t/")
    both = resolve_options(["--RedshiftTempDir", "s3://r/", "--TempDir", "s3://t/"])
    assert (both["TempDir"], both["RedshiftTempDir"]) == ("s3://t/", "s3://t/")


@pytest.mark.parametrize(
    ("argv", "bookmark"),
    [
        (["--job-bookmark-option", "job-bookmark-enable"], "job-bookmark-enable"),
        (["--continuation-option", "continuation-enabled"], "job-bookmark-enable"),
        (["--continuation-option", "continuation-readonly"], "job-bookmark-pause"),
        (["--continuation-option", "continuation-ignore"], "job-bookmark-disable"),
        ([*DISABLE, "--continuation-option", "continuation-enabled"], "job-bookmark-disable"),
        ([*PAUSE, "--job-bookmark-from", "r1", "--job-bookmark-to", "r2"], "job-bookmark-pause"),
    ],
)
def test_bookmark_option_and_its_older_spelling(argv: list[str], bookmark: str) -> None:
    args = resolve_options(argv)
    assert args["job_bookmark_option"] == bookmark
    assert "continuation_option" not in args


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([*PAUSE, "--job-bookmark-from", "r1"], "needs --job-bookmark-to"),
        (["--job-bookmark-from", "r1", "--job-bookmark-to", "r2"], "job-bookmark-pause only"),
    ],
)
def test_bookmark_range_goes_with_a_pause(argv: list[str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        resolve_options(argv)


@pytest.mark.parametrize("name", ["JOB_RUN_ID", "job-bookmark-option", "job_bookmark_from"])
def test_a_job_cannot_claim_glues_names(name: str) -> None:
    with pytest.raises(ValueError, match="reserved"):
        resolve_options([], optional=[name])


def test_the_jobs_arguments_are_optional_and_empty_means_not_given() -> None:
    args = glue_arguments([*GLUE_OWN, "--TICKERS", "BTC/USD", "--S3_PREFIX", ""])
    assert args["JOB_NAME"] == "my_test_Job"
    options = job_options(args)
    assert set(options) == set(JOB_ARGUMENTS)
    assert options["TICKERS"] == "BTC/USD"
    assert options["S3_PREFIX"] is None
    assert options["DYNAMO_TABLE_NAME"] is None
