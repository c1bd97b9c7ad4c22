"""The API's HTTP API: one GET route per path the app serves, throttles, access logs."""

from __future__ import annotations

import json
from typing import Final

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from sma_infra.nag import acknowledge
from sma_infra.settings import InfraSettings

# Every path the app serves, each its own route: a path API Gateway does not route gets a 404
# there, never reaches Lambda and is not billed. Only the QUERY_ROUTES vary with the request;
# they carry the ticker endpoints (QUERY_ROUTE) and the latest SMAs of many tickers (/sma), the
# only ones that can start a new Athena query per request.
QUERY_ROUTE: Final[str] = "/tickers/{proxy+}"
QUERY_ROUTES: Final[tuple[str, ...]] = (QUERY_ROUTE, "/sma")
PLAIN_ROUTES: Final[tuple[str, ...]] = (
    "/health",
    "/tickers",
    "/openapi.json",
    "/docs",
    "/redoc",
)
# The chart page's and docs pages' own files (sma_api.assets): fixed files, never a query.
STATIC_ROUTE: Final[str] = "/static/{proxy+}"
ACCESS_LOG_FORMAT: Final[str] = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "method": "$context.httpMethod",
        "path": "$context.path",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "latencyMs": "$context.responseLatency",
        "integrationError": "$context.integrationErrorMessage",
    },
    separators=(",", ":"),
)


class HttpApi:
    """The HTTP API and its `$default` stage, created in `stack`, every route to `function`."""

    def __init__(self, stack: Stack, settings: InfraSettings, function: lambda_.IFunction) -> None:
        http_api = apigw.HttpApi(
            stack,
            "HttpApi",
            api_name="crypto-sma",
            description="crypto-sma: simple moving averages and signals (read-only)",
            create_default_stage=False,
            cors_preflight=apigw.CorsPreflightOptions(
                allow_methods=[apigw.CorsHttpMethod.GET],
                allow_origins=list(settings.cors_origins),
                allow_headers=["content-type"],
                max_age=Duration.hours(1),
            ),
        )
        integration = integrations.HttpLambdaIntegration("Api", function)
        # GET only: the API never changes state, so no other method reaches the function.
        self.query_routes = [
            route
            for path in QUERY_ROUTES
            for route in http_api.add_routes(
                path=path, methods=[apigw.HttpMethod.GET], integration=integration
            )
        ]
        for path in (*PLAIN_ROUTES, STATIC_ROUTE):
            http_api.add_routes(path=path, methods=[apigw.HttpMethod.GET], integration=integration)
        for route in http_api.node.find_all():
            if isinstance(route, apigw.HttpRoute):
                acknowledge(
                    route,
                    "AwsSolutions-APIG4",
                    "The API serves public, read-only market statistics without user data; "
                    "abuse is bounded by route throttles, reserved concurrency and the Athena "
                    "bytes-scanned cutoff.",
                )
        access_logs = logs.LogGroup(
            stack,
            "AccessLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        stage = apigw.HttpStage(
            stack,
            "DefaultStage",
            http_api=http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=settings.api_throttle_rate, burst_limit=settings.api_throttle_burst
            ),
        )
        cfn_stage = stage.node.default_child
        assert isinstance(cfn_stage, apigw.CfnStage)
        cfn_stage.access_log_settings = apigw.CfnStage.AccessLogSettingsProperty(
            destination_arn=access_logs.log_group_arn, format=ACCESS_LOG_FORMAT
        )
        # The query routes get their own, lower limit: each of their requests may start a
        # billed Athena query. The stage must be updated after the routes exist.
        cfn_stage.route_settings = {
            f"GET {path}": {
                "ThrottlingRateLimit": settings.api_query_throttle_rate,
                "ThrottlingBurstLimit": settings.api_query_throttle_burst,
            }
            for path in QUERY_ROUTES
        }
        for route in self.query_routes:
            cfn_stage.node.add_dependency(route)
        self.http_api, self.stage = http_api, stage
