"""SmaApiStack as synthesised: the Lambda function, its role and the throttled HTTP API."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import aws_lambda as lambda_
from infra_templates import Synthesised, only, resources

from sma_api.config import Settings as ApiSettings
from sma_api.store.athena import STOP_TIMEOUT_SECONDS
from sma_infra.paths import API_SERVICE

API = "SmaApiStack"


def function(app: Synthesised) -> dict[str, Any]:
    return only(app.templates[API], "AWS::Lambda::Function")


def role_statements(app: Synthesised) -> dict[str, dict[str, Any]]:
    role = only(app.templates[API], "AWS::IAM::Role")
    [policy] = role["Policies"]
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def test_function_runs_the_handler_on_arm64_with_the_newest_python() -> None:
    newest = max(
        (r for r in lambda_.Runtime.ALL if r.name.startswith("python3.")),
        key=lambda r: tuple(int(p) for p in r.name.removeprefix("python").split(".")),
    )
    assert newest.name == "python3.14"


def test_function_properties(default_app: Synthesised) -> None:
    props = function(default_app)
    assert props["Handler"] == "sma_api.lambda_handler.handler"
    assert props["Runtime"] == "python3.14"
    assert props["Architectures"] == ["arm64"]
    assert props["Timeout"] < 30  # inside API Gateway's 30 s integration limit
    assert props["Environment"]["Variables"] == {
        "SMA_BACKEND": "athena",
        "ATHENA_WORKGROUP": "crypto-sma",
        "GLUE_DATABASE_NAME": "crypto_sma_db",
        "GLUE_TABLE_NAME": "crypto_sma_table",
    }
    assert "LoggingConfig" in props


def test_the_api_answers_before_the_function_times_out(default_app: Synthesised) -> None:
    """The API's request deadline plus the stop of the query still running fit in the Lambda
    timeout: a slow Athena gives the client 503 with Retry-After, not API Gateway's error."""
    props = function(default_app)
    settings = ApiSettings(**props["Environment"]["Variables"])
    answered_by = settings.request_deadline_seconds + STOP_TIMEOUT_SECONDS
    assert answered_by + 0.5 <= props["Timeout"]


def test_function_environment_follows_the_catalog_names(variant_app: Synthesised) -> None:
    env = function(variant_app)["Environment"]["Variables"]
    assert (env["GLUE_DATABASE_NAME"], env["GLUE_TABLE_NAME"]) == ("other_db", "other_table")


def test_role_queries_one_workgroup_and_writes_only_query_results(
    default_app: Synthesised,
) -> None:
    found = role_statements(default_app)
    athena = found["RunQueriesInWorkGroup"]
    assert sorted(athena["Action"]) == [
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:GetWorkGroup",
        "athena:StartQueryExecution",
        "athena:StopQueryExecution",
    ]
    assert text(athena["Resource"]).endswith(':workgroup/crypto-sma"]]}')
    writers = [
        s
        for s in found.values()
        if {"s3:PutObject"} & set(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    ]
    assert len(writers) == 1
    assert text(writers[0]["Resource"]).endswith(':s3:::crypto-sma-test-lake/athena-results/*"]]}')
    assert text(found["ReadLake"]["Resource"]).endswith('/processed-data*"]]}')
    assert found["ReadLake"]["Action"] == "s3:GetObject"
    assert sorted(found["ReadCatalog"]["Action"]) == [
        "glue:BatchGetPartition",
        "glue:GetDatabase",
        "glue:GetPartition",
        "glue:GetPartitions",
        "glue:GetTable",
    ]
    assert only(default_app.templates[API], "AWS::IAM::Role").get("ManagedPolicyArns") is None


def test_http_api_routes_only_get_and_allows_cors_get(default_app: Synthesised) -> None:
    template = default_app.templates[API]
    api = only(template, "AWS::ApiGatewayV2::Api")
    assert api["ProtocolType"] == "HTTP"
    assert api["CorsConfiguration"]["AllowMethods"] == ["GET"]
    assert api["CorsConfiguration"]["AllowOrigins"] == ["*"]
    routes = sorted(
        r["Properties"]["RouteKey"]
        for r in resources(template, "AWS::ApiGatewayV2::Route").values()
    )
    assert routes == ["GET /", "GET /{proxy+}"]


def test_stage_throttles_and_writes_access_logs(
    default_app: Synthesised, variant_app: Synthesised
) -> None:
    template = default_app.templates[API]
    stage = only(template, "AWS::ApiGatewayV2::Stage")
    assert stage["StageName"] == "$default"
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 50
    assert stage["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 100
    log_groups = resources(template, "AWS::Logs::LogGroup")
    destination = stage["AccessLogSettings"]["DestinationArn"]
    assert destination["Fn::GetAtt"][0] in log_groups
    log_format = json.loads(stage["AccessLogSettings"]["Format"])
    assert log_format["requestId"] == "$context.requestId"
    assert log_format["status"] == "$context.status"
    variant = only(variant_app.templates[API], "AWS::ApiGatewayV2::Stage")
    assert variant["DefaultRouteSettings"]["ThrottlingRateLimit"] == 5
    assert variant["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 10


def test_url_is_an_output(default_app: Synthesised) -> None:
    template = default_app.templates[API]
    [api_id] = resources(template, "AWS::ApiGatewayV2::Api")
    assert template["Outputs"]["ApiUrl"]["Value"] == {"Fn::GetAtt": [api_id, "ApiEndpoint"]}


def test_skip_bundling_switch_is_set_inside_the_app(default_app: Synthesised) -> None:
    # The CLI refuses aws:-prefixed context on its command line, so the app sets it itself.
    assert default_app.app.node.try_get_context("aws:cdk:bundling-stacks") == []
    manifest = json.loads((default_app.outdir / f"{API}.assets.json").read_text())
    [code] = [a for a in manifest["files"].values() if a["source"]["packaging"] == "zip"]
    # Skipped bundling leaves the asset pointing at the unbuilt source folder.
    assert code["source"]["path"] == str(API_SERVICE)
