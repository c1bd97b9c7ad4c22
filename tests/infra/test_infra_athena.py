"""AthenaWorkGroup as synthesised: engine 3, encrypted results and a bytes-scanned cutoff."""

from __future__ import annotations

from tests.infra.infra_templates import GLUE, Synthesised, only


def test_athena_workgroup_enforces_engine_3_encryption_and_a_scan_cutoff(
    default_app: Synthesised, variant_app: Synthesised
) -> None:
    workgroup = only(default_app.templates[GLUE], "AWS::Athena::WorkGroup")
    assert workgroup["Name"] == "crypto-sma"
    config = workgroup["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["EngineVersion"] == {"SelectedEngineVersion": "Athena engine version 3"}
    assert config["BytesScannedCutoffPerQuery"] == 100_000_000
    result = config["ResultConfiguration"]
    assert result["OutputLocation"] == "s3://crypto-sma-test-lake/athena-results/"
    assert result["EncryptionConfiguration"] == {"EncryptionOption": "SSE_S3"}
    variant = only(variant_app.templates[GLUE], "AWS::Athena::WorkGroup")
    assert variant["WorkGroupConfiguration"]["BytesScannedCutoffPerQuery"] == 50_000_000
