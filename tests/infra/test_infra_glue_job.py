"""GlueJob as synthesised: the Glue job, its assets, security configuration and role."""

from __future__ import annotations

import ast
import json
import zipfile
from pathlib import Path
from typing import Any

from sma import names
from sma_etl import catalog
from sma_etl.glue_entry import JOB_ARGUMENTS
from tests.infra.infra_templates import (
    GLUE,
    Synthesised,
    as_list,
    only,
    rendered,
    resources,
    role_assumed_by,
    statements,
)


def glue_calls_of_the_job() -> set[str]:
    """The Glue API actions the job's catalog module calls on its client, as IAM actions."""
    source = Path(catalog.__file__).read_text(encoding="utf-8")
    calls = {
        node.func.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "client"
    }
    assert calls, "found no Glue client call in sma_etl.catalog"
    return {"glue:" + "".join(part.title() for part in call.split("_")) for call in calls}


def job(app: Synthesised) -> dict[str, Any]:
    return only(app.templates[GLUE], "AWS::Glue::Job")


def job_role_statements(app: Synthesised) -> dict[str, dict[str, Any]]:
    return statements(role_assumed_by(app.templates[GLUE], "glue.amazonaws.com"))


def test_job_runs_glue_5_1_on_two_g1x_workers_for_at_most_15_minutes(
    default_app: Synthesised,
) -> None:
    props = job(default_app)
    assert props["Name"] == "CryptoHourlyETLJob"
    assert props["Command"]["Name"] == "glueetl"
    assert props["Command"]["PythonVersion"] == "3"
    assert props["GlueVersion"] == "5.1"
    assert props["WorkerType"] == "G.1X"
    assert props["NumberOfWorkers"] == 2
    # A run takes about a minute; a hung one must free the single run slot long before the
    # next hourly start.
    assert props["Timeout"] == 15
    assert props["ExecutionClass"] == "STANDARD"
    assert props["ExecutionProperty"] == {"MaxConcurrentRuns": 1}
    [config_id] = resources(default_app.templates[GLUE], "AWS::Glue::SecurityConfiguration")
    assert props["SecurityConfiguration"] == {"Ref": config_id}


def test_job_arguments_carry_the_settings_under_the_names_the_job_reads(
    default_app: Synthesised,
) -> None:
    args = job(default_app)["DefaultArguments"]
    assert args["--DYNAMO_TABLE_NAME"] == "DataConsumerTable"
    assert args["--S3_BUCKET_NAME"] == "crypto-sma-test-lake"
    assert args["--S3_PREFIX"] == "processed-data/"
    assert args["--GLUE_DATABASE_NAME"] == "crypto_sma_db"
    assert args["--GLUE_TABLE_NAME"] == "crypto_sma_table"
    assert args["--TICKERS"] == "BTC/USD,ETH/USD,DOGE/USD"
    assert args["--DISCOVER_TICKERS"] == "false"
    assert args["--job-language"] == "python"
    assert args["--enable-metrics"] == "true"
    assert args["--enable-observability-metrics"] == "true"
    assert args["--PUBLISH_METRICS"] == "true"  # the run metrics monitoring.py alarms on
    ours = {k[2:] for k in args if k[2:].isupper()}
    assert ours <= set(JOB_ARGUMENTS), ours - set(JOB_ARGUMENTS)


def test_entry_script_and_code_zip_ship_as_assets(default_app: Synthesised) -> None:
    props = job(default_app)
    script = rendered(props["Command"]["ScriptLocation"])
    code = rendered(props["DefaultArguments"]["--extra-py-files"])
    assert script.startswith("s3://")
    assert script.endswith(".py")
    assert code.startswith("s3://")
    assert code.endswith(".zip")
    manifest = json.loads((default_app.outdir / f"{GLUE}.assets.json").read_text())
    sources = {a["source"]["path"] for a in manifest["files"].values()}
    zips = [default_app.outdir / s for s in sources if s.endswith(".zip")]
    assert len(zips) == 1
    assert {n.split("/")[0] for n in zipfile.ZipFile(zips[0]).namelist()} == {"sma", "sma_etl"}
    scripts = [default_app.outdir / s for s in sources if s.endswith(".py")]
    entry = Path(__file__).resolve().parents[2] / "services/glue_job/glue/crypto_hourly_etl.py"
    assert [p.read_bytes() for p in scripts] == [entry.read_bytes()]


def test_security_configuration_encrypts_output_logs_and_bookmarks(
    default_app: Synthesised,
) -> None:
    config = only(default_app.templates[GLUE], "AWS::Glue::SecurityConfiguration")
    encryption = config["EncryptionConfiguration"]
    assert encryption["S3Encryptions"] == [{"S3EncryptionMode": "SSE-S3"}]
    assert encryption["CloudWatchEncryption"]["CloudWatchEncryptionMode"] == "SSE-KMS"
    assert encryption["JobBookmarksEncryption"]["JobBookmarksEncryptionMode"] == "CSE-KMS"
    [key_id] = resources(default_app.templates[GLUE], "AWS::KMS::Key")
    key_arn = {"Fn::GetAtt": [key_id, "Arn"]}
    assert encryption["CloudWatchEncryption"]["KmsKeyArn"] == key_arn
    assert encryption["JobBookmarksEncryption"]["KmsKeyArn"] == key_arn


def test_job_passes_no_glue_4_only_switches(
    default_app: Synthesised, variant_app: Synthesised
) -> None:
    # Glue 5 always logs in real time; the continuous-logging switches are Glue 4 and
    # earlier. The job reads the catalog with boto3, so Spark needs no catalog switch.
    for app in (default_app, variant_app):
        glue_switches = {k for k in job(app)["DefaultArguments"] if not k[2:].isupper()}
        assert glue_switches == {
            "--job-language",
            "--extra-py-files",
            "--enable-metrics",
            "--enable-observability-metrics",
            "--job-bookmark-option",
        }


def test_flex_version_timeout_and_discovery_follow_the_context(variant_app: Synthesised) -> None:
    props = job(variant_app)
    assert props["ExecutionClass"] == "FLEX"
    assert props["GlueVersion"] == "5.0"
    assert props["Timeout"] == 30
    args = props["DefaultArguments"]
    assert args["--DISCOVER_TICKERS"] == "true"
    assert args["--TICKERS"] == "BTC/USD,SOL-USD"
    assert args["--S3_PREFIX"] == "lake/v1/"


# -- least privilege -----------------------------------------------------------------------------


def test_job_role_reads_one_table_and_scans_only_when_discovering(
    default_app: Synthesised, variant_app: Synthesised
) -> None:
    default = job_role_statements(default_app)
    variant = job_role_statements(variant_app)
    assert sorted(as_list(default["ReadSourceTable"]["Action"])) == [
        "dynamodb:DescribeTable",
        "dynamodb:Query",
    ]
    assert "dynamodb:Scan" in variant["ReadSourceTable"]["Action"]
    table_arn = rendered(default["ReadSourceTable"]["Resource"])
    assert table_arn.endswith(":table/DataConsumerTable")


def test_job_role_writes_only_its_prefix_and_registers_partitions_only(
    default_app: Synthesised,
) -> None:
    found = job_role_statements(default_app)
    lake = rendered(found["ReadWriteLake"]["Resource"])
    assert lake.endswith(":s3:::crypto-sma-test-lake/processed-data*")
    assert found["ListLakePrefix"]["Condition"] == {
        "StringLike": {"s3:prefix": ["processed-data*"]}
    }
    assert sorted(found["RegisterPartitions"]["Action"]) == sorted(glue_calls_of_the_job())
    catalog = [rendered(r) for r in found["RegisterPartitions"]["Resource"]]
    assert [c.rsplit(":", 1)[1] for c in catalog] == [
        "catalog",
        "database/crypto_sma_db",
        "table/crypto_sma_db/crypto_sma_table",
    ]
    assets = [rendered(r) for r in found["ReadJobAssets"]["Resource"]]
    assert all(a.endswith((".py", ".zip")) for a in assets)
    assert found["PublishJobMetrics"]["Action"] == "cloudwatch:PutMetricData"
    assert found["PublishJobMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": ["Glue", names.METRICS_NAMESPACE]}
    }
