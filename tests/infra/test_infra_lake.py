"""Lake as synthesised: the data bucket, its access-log bucket and the Glue database and table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sma.schema import DATA_COLUMNS, PARTITION_KEYS, Column
from tests.infra.infra_templates import GLUE, Synthesised, only, resources


def references(value: Any) -> Iterator[str]:
    """The logical ID of every Ref and Fn::GetAtt in a template value."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::GetAtt":
                yield inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
            else:
                yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def as_column(column: Column) -> dict[str, str]:
    return {"Name": column.name, "Type": column.type, "Comment": column.comment}


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


# -- storage -------------------------------------------------------------------------------------


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


def test_access_logs_land_in_their_own_retained_bucket_for_90_days(
    default_app: Synthesised,
) -> None:
    buckets = resources(default_app.templates[GLUE], "AWS::S3::Bucket")
    [logs_id] = [k for k, b in buckets.items() if not b["Properties"].get("BucketName")]
    logs = buckets[logs_id]
    [data] = [b for k, b in buckets.items() if k != logs_id]
    assert data["Properties"]["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": logs_id},
        "LogFilePrefix": "data-bucket/",
    }
    assert logs["DeletionPolicy"] == "Retain"
    [rule] = logs["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rule["ExpirationInDays"] == 90


def test_existing_bucket_is_used_not_created(variant_app: Synthesised) -> None:
    template = variant_app.templates[GLUE]
    assert not resources(template, "AWS::S3::Bucket")
    assert only(template, "AWS::Glue::Job")["DefaultArguments"]["--S3_BUCKET_NAME"] == (
        "crypto-sma-test-lake"
    )


def test_existing_bucket_is_the_redeploy_path(variant_app: Synthesised) -> None:
    """After a teardown (or a failed first deploy) the retained bucket still holds the name:
    USE_EXISTING_BUCKET=true redeploys over it. Everything finds it by name; nothing needs a
    bucket resource of the stack."""
    for stack, template in variant_app.templates.items():
        assert "AWS::S3::Bucket" not in {r["Type"] for r in template["Resources"].values()}
        # Every reference resolves inside the template: none is left to a bucket resource.
        known = set(template["Resources"]) | set(template.get("Parameters", {}))
        dangling = {t for t in references(template) if t not in known and "::" not in t}
        assert dangling == set(), stack
        assert "crypto-sma-test-lake" in json.dumps(template), stack
    workgroup = only(variant_app.templates[GLUE], "AWS::Athena::WorkGroup")
    location = workgroup["WorkGroupConfiguration"]["ResultConfiguration"]["OutputLocation"]
    assert location == "s3://crypto-sma-test-lake/athena-results/"
    assert variant_app.templates[GLUE]["Outputs"]["DataBucketName"]["Value"] == (
        "crypto-sma-test-lake"
    )
