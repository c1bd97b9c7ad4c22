"""SmaApiStack as synthesised: the Lambda function, its role and the throttled HTTP API."""

from __future__ import annotations

import json
from typing import Any

from sma_api.config import Settings as ApiSettings
from sma_api.store.athena import STOP_TIMEOUT_SECONDS
from sma_infra.http_api import PLAIN_ROUTES, QUERY_ROUTE, QUERY_ROUTES, STATIC_ROUTE
from tests.infra.infra_templates import Synthesised, only, resources

API = "SmaApiStack"


def function(app: Synthesised) -> dict[str, Any]:
    return only(app.templates[API], "AWS::Lambda::Function")


def role_statements(app: Synthesised) -> dict[str, dict[str, Any]]:
    role = only(app.templates[API], "AWS::IAM::Role")
    [policy] = role["Policies"]
    return {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}


def text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def route_keys(app: Synthesised) -> list[str]:
    routes = resources(app.templates[API], "AWS::ApiGatewayV2::Route").values()
    return sorted(r["Properties"]["RouteKey"] for r in routes)


def test_function_properties(default_app: Synthesised) -> None:
    props = function(default_app)
    assert props["Handler"] == "sma_api.lambda_handler.handler"
    assert props["Runtime"] == "python3.11"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == 1024
    assert props["Timeout"] < 30  # inside API Gateway's 30 s integration limit
    assert props["Environment"]["Variables"] == {
        "SMA_BACKEND": "athena",
        "ATHENA_WORKGROUP": "crypto-sma",
        "GLUE_DATABASE_NAME": "crypto_sma_db",
        "GLUE_TABLE_NAME": "crypto_sma_table",
        "SMA_REFRESH_MARKER": "s3://crypto-sma-test-lake/processed-data/_refresh.json",
        "DYNAMO_TABLE_NAME": "DataConsumerTable",
        "TICKERS": "BTC/USD,ETH/USD,DOGE/USD",
    }
    assert "LoggingConfig" in props


def test_function_reads_the_jobs_refresh_marker(default_app: Synthesised) -> None:
    marker = role_statements(default_app)["ReadRefreshMarker"]
    assert marker["Action"] == "s3:GetObject"
    assert text(marker["Resource"]).endswith(
        ':s3:::crypto-sma-test-lake/processed-data/_refresh.json"]]}'
    )


def test_function_concurrency_is_reserved_and_capped(
    default_app: Synthesised, variant_app: Synthesised
) -> None:
    assert function(default_app)["ReservedConcurrentExecutions"] == 5
    # API_RESERVED_CONCURRENCY=none: the account's own quota is the cap.
    assert "ReservedConcurrentExecutions" not in function(variant_app)


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


def test_live_answers_may_only_query_the_source_table(default_app: Synthesised) -> None:
    """?source=live reads the source table with Query, nothing else: no Scan, no write."""
    found = role_statements(default_app)
    source = found["QuerySourceTable"]
    assert source["Action"] == "dynamodb:Query"
    assert text(source["Resource"]).endswith(':table/DataConsumerTable"]]}')
    dynamodb = [s for s in found.values() if any(a.startswith("dynamodb:") for a in _actions(s))]
    assert dynamodb == [source]
    # The API finds the table and the source spelling of each ticker by the same names.
    settings = ApiSettings(**function(default_app)["Environment"]["Variables"])
    assert settings.dynamo_table_name == "DataConsumerTable"
    assert settings.source_tickers == "BTC/USD,ETH/USD,DOGE/USD"


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return action if isinstance(action, list) else [action]


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
    assert route_keys(default_app) == sorted(
        f"GET {path}" for path in (*PLAIN_ROUTES, STATIC_ROUTE, *QUERY_ROUTES)
    )


def served_paths(routes: Any) -> set[str]:
    """Every path of the routes, also inside included routers (which FastAPI may keep nested)."""
    paths: set[str] = set()
    for route in routes:
        nested = getattr(route, "original_router", None)
        if nested is not None:
            paths |= served_paths(nested.routes)
        elif isinstance(getattr(route, "path", None), str):
            paths.add(route.path)
    return paths


def test_routes_are_exactly_the_paths_the_app_serves(tmp_path: Any) -> None:
    """No catch-all: an unrouted path is a free 404 at API Gateway, and only the ticker
    route, which carries its own throttle, can reach the endpoints that start queries."""
    from sma_api.config import Settings
    from sma_api.main import create_app

    app = create_app(Settings(SMA_BACKEND="duckdb", SMA_LAKE_PATH=tmp_path))
    served = set(app.openapi()["paths"]) | served_paths(app.routes)
    ticker_paths = {p for p in served if p.startswith("/tickers/")}
    assert ticker_paths, "the app serves no /tickers/... path: the query route is dead"
    # A mounted folder (the static files) is one route entry with the folder's path.
    static = STATIC_ROUTE.removesuffix("/{proxy+}")
    assert static in served, "the app no longer mounts its static files: drop STATIC_ROUTE"
    query_paths = {p for p in QUERY_ROUTES if "{" not in p}
    assert query_paths <= served, "a query route serves nothing: drop it from QUERY_ROUTES"
    assert served - ticker_paths - {static} - query_paths == set(PLAIN_ROUTES), (
        "route each path the app serves in infra/src/sma_infra/http_api.py: an exact path in "
        "PLAIN_ROUTES; a path with parameters or a mounted folder needs a {proxy+} route with "
        "its own throttle"
    )
    assert QUERY_ROUTE == "/tickers/{proxy+}"
    assert not [p for p in PLAIN_ROUTES if "{" in p]


def test_stage_throttles_every_route_and_the_query_route_lower(
    default_app: Synthesised, variant_app: Synthesised
) -> None:
    template = default_app.templates[API]
    [stage_id] = resources(template, "AWS::ApiGatewayV2::Stage")
    stage = template["Resources"][stage_id]
    props = stage["Properties"]
    assert props["StageName"] == "$default"
    assert props["AutoDeploy"] is True
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] == 5
    assert props["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 10
    assert props["RouteSettings"] == {
        f"GET {path}": {"ThrottlingRateLimit": 2, "ThrottlingBurstLimit": 5}
        for path in QUERY_ROUTES
    }
    # Route settings name a route key: the route must exist before the stage is updated.
    query_routes = [
        k
        for k, r in resources(template, "AWS::ApiGatewayV2::Route").items()
        if r["Properties"]["RouteKey"] in {f"GET {path}" for path in QUERY_ROUTES}
    ]
    assert len(query_routes) == len(QUERY_ROUTES)
    assert set(query_routes) <= set(stage["DependsOn"])
    variant = only(variant_app.templates[API], "AWS::ApiGatewayV2::Stage")
    assert variant["DefaultRouteSettings"] == {"ThrottlingRateLimit": 3, "ThrottlingBurstLimit": 6}
    assert variant["RouteSettings"] == {
        f"GET {path}": {"ThrottlingRateLimit": 1, "ThrottlingBurstLimit": 2}
        for path in QUERY_ROUTES
    }


def test_stage_writes_access_logs(default_app: Synthesised) -> None:
    template = default_app.templates[API]
    stage = only(template, "AWS::ApiGatewayV2::Stage")
    log_groups = resources(template, "AWS::Logs::LogGroup")
    destination = stage["AccessLogSettings"]["DestinationArn"]
    assert destination["Fn::GetAtt"][0] in log_groups
    log_format = json.loads(stage["AccessLogSettings"]["Format"])
    assert log_format["requestId"] == "$context.requestId"
    assert log_format["status"] == "$context.status"


def test_url_is_an_output(default_app: Synthesised) -> None:
    template = default_app.templates[API]
    [api_id] = resources(template, "AWS::ApiGatewayV2::Api")
    assert template["Outputs"]["ApiUrl"]["Value"] == {"Fn::GetAtt": [api_id, "ApiEndpoint"]}
