"""GlueSMAStack as synthesised: the job, catalog, schedule, alerts, bucket and Athena workgroup."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from infra_templates import Synthesised, only, resources

from sma.schema import DATA_COLUMNS, PARTITION_KEYS, Column
from sma_etl.glue_entry import JOB_ARGUMENTS

GLUE = "GlueSMAStack"


def job(app: Synthesised) -> dict[str, Any]:
    return only(app.templates[GLUE], "AWS::Glue::Job")


def statements(role: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Sid -> statement for every inline policy statement of a role resource."""
    found: dict[str, dict[str, Any]] = {}
    for policy in role["Properties"].get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            found[statement["Sid"]] = statement
    return found


def role_id_assumed_by(template: dict[str, Any], service: str) -> str:
    roles = [
        role_id
        for role_id, role in resources(template, "AWS::IAM::Role").items()
        if role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
        == {"Service": service}
    ]
    assert len(roles) == 1, f"expected one role for {service}"
    return roles[0]


def role_assumed_by(template: dict[str, Any], service: str) -> dict[str, Any]:
    role: dict[str, Any] = template["Resources"][role_id_assumed_by(template, service)]
    return role


def as_column(column: Column) -> dict[str, str]:
    return {"Name": column.name, "Type": column.type, "Comment": column.comment}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def rendered(value: Any) -> str:
    """A template value (string or Fn::Join) as text, tokens shown as their JSON."""
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        return str(value["Fn::Sub"])
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(p if isinstance(p, str) else json.dumps(p) for p in parts)
    return value if isinstance(value, str) else json.dumps(value)


# -- the job -----------------------------------------------------------------------------------


def test_job_runs_glue_5_1_on_two_g1x_workers_for_at_most_an_hour(
    default_app: Synthesised,
) -> None:
    props = job(default_app)
    assert props["Name"] == "CryptoHourlyETLJob"
    assert props["Command"]["Name"] == "glueetl"
    assert props["Command"]["PythonVersion"] == "3"
    assert props["GlueVersion"] == "5.1"
    assert props["WorkerType"] == "G.1X"
    assert props["NumberOfWorkers"] == 2
    assert props["Timeout"] == 60
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
    assert args["--enable-continuous-cloudwatch-log"] == "true"
    assert args["--enable-observability-metrics"] == "true"
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
    key = only(default_app.templates[GLUE], "AWS::KMS::Key")
    assert key["EnableKeyRotation"] is True


def test_flex_version_and_discovery_follow_the_context(variant_app: Synthesised) -> None:
    props = job(variant_app)
    assert props["ExecutionClass"] == "FLEX"
    assert props["GlueVersion"] == "5.0"
    args = props["DefaultArguments"]
    assert args["--DISCOVER_TICKERS"] == "true"
    assert args["--TICKERS"] == "BTC/USD,SOL-USD"
    assert args["--S3_PREFIX"] == "lake/v1/"


# -- least privilege -----------------------------------------------------------------------------


def test_job_role_reads_one_table_and_scans_only_when_discovering(
    default_app: Synthesised, variant_app: Synthesised
) -> None:
    default = statements(role_assumed_by(default_app.templates[GLUE], "glue.amazonaws.com"))
    variant = statements(role_assumed_by(variant_app.templates[GLUE], "glue.amazonaws.com"))
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
    found = statements(role_assumed_by(default_app.templates[GLUE], "glue.amazonaws.com"))
    lake = rendered(found["ReadWriteLake"]["Resource"])
    assert lake.endswith(":s3:::crypto-sma-test-lake/processed-data*")
    assert found["ListLakePrefix"]["Condition"] == {
        "StringLike": {"s3:prefix": ["processed-data*"]}
    }
    assert sorted(found["RegisterPartitions"]["Action"]) == [
        "glue:BatchCreatePartition",
        "glue:GetTable",
    ]
    catalog = [rendered(r) for r in found["RegisterPartitions"]["Resource"]]
    assert [c.rsplit(":", 1)[1] for c in catalog] == [
        "catalog",
        "database/crypto_sma_db",
        "table/crypto_sma_db/crypto_sma_table",
    ]
    assets = [rendered(r) for r in found["ReadJobAssets"]["Resource"]]
    assert all(a.endswith((".py", ".zip")) for a in assets)
    assert found["PublishJobMetrics"]["Condition"] == {
        "StringEquals": {"cloudwatch:namespace": "Glue"}
    }


def test_no_role_uses_managed_policies_or_wildcard_actions(
    default_app: Synthesised, variant_app: Synthesised
) -> None:
    for app in (default_app, variant_app):
        for template in app.templates.values():
            for role in resources(template, "AWS::IAM::Role").values():
                assert "ManagedPolicyArns" not in role["Properties"]
                for statement in statements(role).values():
                    for action in as_list(statement["Action"]):
                        assert "*" not in action, action
            for policy in resources(template, "AWS::IAM::Policy").values():
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                    for action in as_list(statement["Action"]):
                        assert "*" not in action, action


# -- catalog -------------------------------------------------------------------------------------


def test_table_columns_and_partitions_are_sma_schema(default_app: Synthesised) -> None:
    table = only(default_app.templates[GLUE], "AWS::Glue::Table")
    table_input = table["TableInput"]
    assert table["DatabaseName"] == "crypto_sma_db"
    assert table_input["Name"] == "crypto_sma_table"
    assert table_input["TableType"] == "EXTERNAL_TABLE"
    expected_columns = [as_column(c) for c in DATA_COLUMNS]
    expected_keys = [as_column(c) for c in PARTITION_KEYS]
    descriptor = table_input["StorageDescriptor"]
    assert descriptor["Columns"] == expected_columns
    assert table_input["PartitionKeys"] == expected_keys
    assert descriptor["Location"] == "s3://crypto-sma-test-lake/processed-data/"
    assert descriptor["InputFormat"].endswith("MapredParquetInputFormat")
    assert descriptor["SerdeInfo"]["SerializationLibrary"].endswith("ParquetHiveSerDe")
    database = only(default_app.templates[GLUE], "AWS::Glue::Database")
    assert database["DatabaseInput"]["Name"] == "crypto_sma_db"


def test_catalog_names_and_prefix_follow_the_context(variant_app: Synthesised) -> None:
    table = only(variant_app.templates[GLUE], "AWS::Glue::Table")
    assert table["DatabaseName"] == "other_db"
    assert table["TableInput"]["Name"] == "other_table"
    location = table["TableInput"]["StorageDescriptor"]["Location"]
    assert location == "s3://crypto-sma-test-lake/lake/v1/"


# -- schedule and alerts -------------------------------------------------------------------------


def test_scheduler_starts_the_job_at_ten_past_every_hour_utc(default_app: Synthesised) -> None:
    template = default_app.templates[GLUE]
    schedule = only(template, "AWS::Scheduler::Schedule")
    assert schedule["ScheduleExpression"] == "cron(10 * * * ? *)"
    assert schedule["ScheduleExpressionTimezone"] == "UTC"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    target = schedule["Target"]
    assert target["Arn"] == "arn:aws:scheduler:::aws-sdk:glue:startJobRun"
    assert json.loads(target["Input"]) == {"JobName": "CryptoHourlyETLJob"}
    assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    assert 0 < target["RetryPolicy"]["MaximumEventAgeInSeconds"] < 3600
    role_id = role_id_assumed_by(template, "scheduler.amazonaws.com")
    assert target["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    [only_statement] = statements(template["Resources"][role_id]).values()
    assert only_statement["Action"] == "glue:StartJobRun"
    assert rendered(only_statement["Resource"]).endswith(":job/CryptoHourlyETLJob")
    assert not resources(template, "AWS::Lambda::Function")


def test_failed_timed_out_or_errored_runs_alert_the_topic(default_app: Synthesised) -> None:
    template = default_app.templates[GLUE]
    rule = only(template, "AWS::Events::Rule")
    assert rule["EventPattern"] == {
        "source": ["aws.glue"],
        "detail-type": ["Glue Job State Change"],
        "detail": {"jobName": ["CryptoHourlyETLJob"], "state": ["FAILED", "TIMEOUT", "ERROR"]},
    }
    [topic_id] = resources(template, "AWS::SNS::Topic")
    assert rule["Targets"][0]["Arn"] == {"Ref": topic_id}
    assert "KmsMasterKeyId" in only(template, "AWS::SNS::Topic")
    assert not resources(template, "AWS::SNS::Subscription")


def test_alert_email_subscribes_when_given(variant_app: Synthesised) -> None:
    subscription = only(variant_app.templates[GLUE], "AWS::SNS::Subscription")
    assert subscription["Protocol"] == "email"
    assert subscription["Endpoint"] == "alerts@example.com"


# -- storage and Athena --------------------------------------------------------------------------


def test_data_bucket_is_encrypted_private_ssl_only_with_results_lifecycle(
    default_app: Synthesised,
) -> None:
    template = default_app.templates[GLUE]
    buckets = resources(template, "AWS::S3::Bucket")
    [data_id] = [k for k, b in buckets.items() if b["Properties"].get("BucketName")]
    data = buckets[data_id]
    props = data["Properties"]
    assert props["BucketName"] == "crypto-sma-test-lake"
    assert data["DeletionPolicy"] == "Retain"
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireAthenaResults"]["Prefix"] == "athena-results/"
    assert rules["ExpireAthenaResults"]["ExpirationInDays"] == 7
    assert "LoggingConfiguration" in props
    policies = [
        p["Properties"]
        for p in resources(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": data_id}
    ]
    [policy] = policies
    denies = [s for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert {"Bool": {"aws:SecureTransport": "false"}} in [s["Condition"] for s in denies]


def test_existing_bucket_is_used_not_created(variant_app: Synthesised) -> None:
    template = variant_app.templates[GLUE]
    assert not resources(template, "AWS::S3::Bucket")
    assert only(template, "AWS::Glue::Job")["DefaultArguments"]["--S3_BUCKET_NAME"] == (
        "crypto-sma-test-lake"
    )


def test_athena_workgroup_enforces_engine_3_encryption_and_a_scan_cutoff(
    default_app: Synthesised, variant_app: Synthesised
) -> None:
    workgroup = only(default_app.templates[GLUE], "AWS::Athena::WorkGroup")
    assert workgroup["Name"] == "crypto-sma"
    config = workgroup["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    assert config["BytesScannedCutoffPerQuery"] == 1024**3
    result = config["ResultConfiguration"]
    assert result["OutputLocation"] == "s3://crypto-sma-test-lake/athena-results/"
    assert result["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    variant = only(variant_app.templates[GLUE], "AWS::Athena::WorkGroup")
    assert variant["WorkGroupConfiguration"]["BytesScannedCutoffPerQuery"] == 50_000_000
