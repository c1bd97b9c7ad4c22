"""EncryptionKey as synthesised: a rotating key CloudWatch Logs may use for Glue's logs only."""

from __future__ import annotations

from tests.infra.infra_templates import GLUE, Synthesised, only, rendered, resources


def test_key_rotates_and_lets_cloudwatch_logs_encrypt_only_the_glue_job_logs(
    default_app: Synthesised,
) -> None:
    key = only(default_app.templates[GLUE], "AWS::KMS::Key")
    assert key["EnableKeyRotation"] is True
    [logs] = [s for s in key["KeyPolicy"]["Statement"] if s.get("Sid") == "GlueJobLogsEncryption"]
    assert rendered(logs["Principal"]["Service"]) == 'logs.{"Ref": "AWS::Region"}.amazonaws.com'
    context = rendered(logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert context.endswith(":log-group:/aws-glue/jobs/*")


def test_the_key_outlives_the_log_groups_it_encrypts(default_app: Synthesised) -> None:
    # Glue creates the job's log groups itself, so no teardown deletes them; they stay
    # encrypted with the key named by the security configuration, which must stay too.
    template = default_app.templates[GLUE]
    config = only(template, "AWS::Glue::SecurityConfiguration")["EncryptionConfiguration"]
    assert config["CloudWatchEncryption"]["CloudWatchEncryptionMode"] == "SSE-KMS"
    [key_id] = config["CloudWatchEncryption"]["KmsKeyArn"]["Fn::GetAtt"][:1]
    key = resources(template, "AWS::KMS::Key")[key_id]
    assert key["DeletionPolicy"] == "Retain"
    assert key["UpdateReplacePolicy"] == "Retain"
    assert not resources(template, "AWS::Logs::LogGroup")
