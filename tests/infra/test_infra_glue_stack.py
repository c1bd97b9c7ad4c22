"""GlueSMAStack as a whole: the logical ID of every resource, its outputs, no broad IAM.

What each part deploys is tested next to it (``test_infra_lake.py``, ``test_infra_glue_job.py``,
...); here is what holds for the composed stack.
"""

from __future__ import annotations

from typing import Final

from tests.infra.infra_templates import GLUE, Synthesised, as_list, resources, statements

# CloudFormation identifies a resource by its logical ID, which CDK derives from the construct
# path: a changed ID replaces the resource on deploy (and orphans a retained bucket with the
# lake in it). A new resource is added here; renaming one needs a migration, not an edit.
LOGICAL_IDS: Final[dict[str, str]] = {
    "EncryptionKey1B843E66": "AWS::KMS::Key",
    "AccessLogBucketDA470295": "AWS::S3::Bucket",
    "AccessLogBucketPolicyF52D2D01": "AWS::S3::BucketPolicy",
    "DataBucketE3889A50": "AWS::S3::Bucket",
    "DataBucketPolicy3231C704": "AWS::S3::BucketPolicy",
    "Database": "AWS::Glue::Database",
    "Table": "AWS::Glue::Table",
    "JobRole014917C6": "AWS::IAM::Role",
    "SecurityConfiguration": "AWS::Glue::SecurityConfiguration",
    "Job": "AWS::Glue::Job",
    "FailedStartsQueueB0B8ABCF": "AWS::SQS::Queue",
    "FailedStartsQueuePolicy9DFF0B56": "AWS::SQS::QueuePolicy",
    "ScheduleRole756A1A25": "AWS::IAM::Role",
    "HourlySchedule": "AWS::Scheduler::Schedule",
    "AlertTopic2720D535": "AWS::SNS::Topic",
    "AlertTopicPolicy3376BC02": "AWS::SNS::TopicPolicy",
    "JobFailedRuleED837D6E": "AWS::Events::Rule",
    "FailedStartsAlarmC77B79BB": "AWS::CloudWatch::Alarm",
    "NoSuccessfulRunAlarm79DCC422": "AWS::CloudWatch::Alarm",
    "LateBeyondHorizonAlarm79500985": "AWS::CloudWatch::Alarm",
    "TickersWithoutTicksAlarmC595CFC7": "AWS::CloudWatch::Alarm",
    "WorkGroup": "AWS::Athena::WorkGroup",
}
# The stateful resources a teardown or a replacement must leave in place: the buckets, and the
# key the Glue log groups (created by Glue, so outside the stack) stay encrypted with.
RETAINED: Final[frozenset[str]] = frozenset(
    {
        "AccessLogBucketDA470295",
        "AccessLogBucketPolicyF52D2D01",
        "DataBucketE3889A50",
        "DataBucketPolicy3231C704",
        "EncryptionKey1B843E66",
    }
)
# With an existing bucket and an alert e-mail: no buckets, one subscription more.
VARIANT_ONLY: Final[dict[str, str]] = {
    "AlertTopicalertsexamplecom6946C72F": "AWS::SNS::Subscription",
}


def test_every_resource_keeps_its_logical_id_and_type(
    default_app: Synthesised, variant_app: Synthesised
) -> None:
    default = default_app.templates[GLUE]["Resources"]
    assert {k: r["Type"] for k, r in default.items()} == LOGICAL_IDS
    variant = variant_app.templates[GLUE]["Resources"]
    buckets = {k for k, kind in LOGICAL_IDS.items() if kind.startswith("AWS::S3::Bucket")}
    expected = {k: t for k, t in LOGICAL_IDS.items() if k not in buckets} | VARIANT_ONLY
    assert {k: r["Type"] for k, r in variant.items()} == expected


def test_the_buckets_and_the_key_outlive_the_stack_and_a_replacement(
    default_app: Synthesised,
) -> None:
    found = default_app.templates[GLUE]["Resources"]
    retained = {k for k, r in found.items() if r.get("DeletionPolicy") == "Retain"}
    assert retained == RETAINED
    assert all(found[k]["UpdateReplacePolicy"] == "Retain" for k in RETAINED)


def test_outputs_name_what_the_api_and_operators_look_up(default_app: Synthesised) -> None:
    outputs = default_app.templates[GLUE]["Outputs"]
    assert {k: v["Value"] for k, v in outputs.items()} == {
        "DataBucketName": "crypto-sma-test-lake",
        "LakeLocation": "s3://crypto-sma-test-lake/processed-data/",
        "GlueJobName": "CryptoHourlyETLJob",
        "AthenaWorkGroup": "crypto-sma",
        "AlertTopicArn": {"Ref": "AlertTopic2720D535"},
        "FailedStartsQueueUrl": {"Ref": "FailedStartsQueueB0B8ABCF"},
        "EncryptionKeyArn": {"Fn::GetAtt": ["EncryptionKey1B843E66", "Arn"]},
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
