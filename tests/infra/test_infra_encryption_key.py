"""EncryptionKey as synthesised: a rotating key CloudWatch Logs may use for Glue's logs only."""

from __future__ import annotations

from infra_templates import GLUE, Synthesised, only, rendered, resources


def test_key_rotates_and_lets_cloudwatch_logs_encrypt_only_the_glue_job_logs(
    default_app: Synthesised,
) -> None:
    key = only(default_app.templates[GLUE], "AWS::KMS::Key")
    assert key["EnableKeyRotation"] is True
    assert key["PendingWindowInDays"] == 7
    [logs] = [s for s in key["KeyPolicy"]["Statement"] if s.get("Sid") == "GlueJobLogsEncryption"]
    assert rendered(logs["Principal"]["Service"]) == 'logs.{"Ref": "AWS::Region"}.amazonaws.com'
    context = rendered(logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"])
    assert context.endswith(":log-group:/aws-glue/jobs/*")


def test_key_is_destroyed_with_the_stack(default_app: Synthesised) -> None:
    [key] = resources(default_app.templates[GLUE], "AWS::KMS::Key").values()
    assert key["DeletionPolicy"] == "Delete"
