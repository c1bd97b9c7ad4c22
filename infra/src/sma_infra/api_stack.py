"""SmaApiStack: the FastAPI app on Lambda (arm64) behind a throttled API Gateway HTTP API."""

from __future__ import annotations

import json
from typing import Any, Final

from aws_cdk import (
    AssetHashType,
    BundlingOptions,
    CfnOutput,
    CfnParameter,
    CfnRule,
    CfnRuleAssertion,
    Duration,
    Fn,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from sma_infra.arns import arn, bucket_arn, catalog_arns, lake_key_pattern, refresh_marker_key
from sma_infra.lake import ATHENA_RESULTS_PREFIX
from sma_infra.lambda_bundle import LAMBDA_PLATFORM, BundleRecipe, LocalApiBundler
from sma_infra.nag import acknowledge
from sma_infra.paths import API_SERVICE
from sma_infra.settings import InfraSettings

# The Python the workspace is locked for and tested on (requires-python ==3.11): the lock
# holds hashes for cp311 wheels only. Lambda supports it until 2027-06-30 (docs/deploy.md).
RUNTIME: Final[lambda_.Runtime] = lambda_.Runtime.PYTHON_3_11
ARCHITECTURE: Final[lambda_.Architecture] = lambda_.Architecture.ARM_64
MEMORY_MB: Final[int] = 1024
HANDLER: Final[str] = "sma_api.lambda_handler.handler"
# API Gateway gives an integration at most 30 s; the function must answer (or fail) first.
FUNCTION_TIMEOUT: Final[Duration] = Duration.seconds(28)
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
# A template synthesised without the Lambda bundle carries this rule, which CloudFormation
# evaluates (and fails) before it creates or updates anything.
UNBUNDLED_RULE: Final[str] = "RefuseUnbundledLambdaCode"
UNBUNDLED_PARAMETER: Final[str] = "LambdaCodeBundled"
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


class SmaApiStack(Stack):
    """Read-only HTTP API over the Athena workgroup that GlueSMAStack creates."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: InfraSettings,
        bundle_platform: str = LAMBDA_PLATFORM,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.settings = settings
        self.recipe = BundleRecipe(RUNTIME.name.removeprefix("python"), bundle_platform)
        self.function_logs = logs.LogGroup(
            self,
            "FunctionLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = self._function_role()
        self.function = self._function()
        self.http_api, self.stage = self._http_api()
        CfnOutput(self, "ApiUrl", value=self.http_api.api_endpoint, description="Base URL")

    def _function_role(self) -> iam.Role:
        settings = self.settings
        bucket = settings.s3_bucket_name
        lake = lake_key_pattern(settings.s3_prefix)
        results = f"{ATHENA_RESULTS_PREFIX}*"
        statements = [
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.function_logs.log_group_arn],
            ),
            iam.PolicyStatement(
                sid="RunQueriesInWorkGroup",
                actions=[
                    "athena:StartQueryExecution",
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:StopQueryExecution",
                    "athena:GetWorkGroup",
                ],
                resources=[arn("athena", f"workgroup/{settings.athena_workgroup}")],
            ),
            iam.PolicyStatement(
                sid="ReadCatalog",
                actions=[
                    "glue:GetDatabase",
                    "glue:GetTable",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchGetPartition",
                ],
                resources=catalog_arns(settings.glue_database_name, settings.glue_table_name),
            ),
            iam.PolicyStatement(
                sid="LocateBucket",
                actions=["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
                resources=[bucket_arn(bucket)],
            ),
            iam.PolicyStatement(
                sid="ListLakeAndResults",
                actions=["s3:ListBucket"],
                resources=[bucket_arn(bucket)],
                conditions={"StringLike": {"s3:prefix": [lake, results]}},
            ),
            iam.PolicyStatement(
                sid="ReadLake",
                actions=["s3:GetObject"],
                resources=[bucket_arn(bucket, lake)],
            ),
            iam.PolicyStatement(
                # The job's refresh marker, which the API's caches key on (sma_api.refresh_marker).
                sid="ReadRefreshMarker",
                actions=["s3:GetObject"],
                resources=[bucket_arn(bucket, refresh_marker_key(settings.s3_prefix))],
            ),
            iam.PolicyStatement(
                sid="WriteQueryResults",
                actions=[
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:AbortMultipartUpload",
                    "s3:ListMultipartUploadParts",
                ],
                resources=[bucket_arn(bucket, results)],
            ),
            iam.PolicyStatement(
                # ?source=live: the newest ticks of one ticker, read from the source table.
                sid="QuerySourceTable",
                actions=["dynamodb:Query"],
                resources=[arn("dynamodb", f"table/{settings.dynamo_table_name}")],
            ),
        ]
        role = iam.Role(
            self,
            "FunctionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="crypto-sma read API: Athena queries in one workgroup",
            inline_policies={"SmaApi": iam.PolicyDocument(statements=statements)},
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}/{lake}]",
            "Athena reads whichever partition files a query selects; access is read-only and "
            "limited to the lake prefix of this one bucket.",
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::{bucket}/{results}]",
            "Athena writes each query's results under a fresh key that it chooses; access is "
            "limited to the workgroup's result prefix.",
        )
        return role

    def _function(self) -> lambda_.Function:
        settings = self.settings
        function = lambda_.Function(
            self,
            "Function",
            description="crypto-sma read API (FastAPI over Athena)",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=HANDLER,
            code=self._code(),
            memory_size=MEMORY_MB,
            timeout=FUNCTION_TIMEOUT,
            # Caps the function's cost and its Athena queries in flight; unset, a flood could
            # take the account's whole concurrency quota.
            reserved_concurrent_executions=settings.api_reserved_concurrency,
            role=self.role,
            log_group=self.function_logs,
            environment={
                "SMA_BACKEND": "athena",
                "ATHENA_WORKGROUP": settings.athena_workgroup,
                "GLUE_DATABASE_NAME": settings.glue_database_name,
                "GLUE_TABLE_NAME": settings.glue_table_name,
                # Live answers: the source table and the spellings of its partition keys.
                "DYNAMO_TABLE_NAME": settings.dynamo_table_name,
                "TICKERS": settings.tickers,
                "SMA_REFRESH_MARKER": (
                    f"s3://{settings.s3_bucket_name}/{refresh_marker_key(settings.s3_prefix)}"
                ),
            },
        )
        acknowledge(
            function,
            "AwsSolutions-L1",
            "Python 3.11 is the interpreter the workspace is locked for and tested on: the "
            "bundle's wheels are hash-checked cp311 builds. Lambda supports python3.11 until "
            "2027-06-30; the move to a newer Python is a relock and a test run, not an edit here.",
        )
        return function

    def _code(self) -> lambda_.Code:
        """The bundle as an asset whose hash covers every input of the bundle.

        When CDK skips bundling for this stack (``cdk synth -e GlueSMAStack``, the tests), the
        asset is the unbuilt source folder: it gets a hash of its own, never a bundle's, and
        the template a rule that CloudFormation refuses, so it cannot be deployed.
        """
        bundled = self.bundling_required
        if not bundled:
            # "no" is the only value the parameter allows, and the rule wants "yes".
            marker = CfnParameter(
                self,
                UNBUNDLED_PARAMETER,
                type="String",
                default="no",
                allowed_values=["no"],
                description="Is the Lambda code the built bundle? No: this template cannot be "
                "deployed.",
            )
            CfnRule(
                self,
                UNBUNDLED_RULE,
                assertions=[
                    CfnRuleAssertion(
                        assert_=Fn.condition_equals(marker.value_as_string, "yes"),
                        assert_description=(
                            "This template was synthesised without the Lambda bundle and cannot "
                            "be deployed: run cdk deploy for SmaApiStack (or --all), which "
                            "builds the bundle."
                        ),
                    )
                ],
            )
        return lambda_.Code.from_asset(
            str(API_SERVICE),
            asset_hash_type=AssetHashType.CUSTOM,
            asset_hash=self.recipe.fingerprint(bundled=bundled),
            bundling=BundlingOptions(
                image=RUNTIME.bundling_image,
                local=LocalApiBundler(self.recipe),
                command=["false"],  # never runs: local bundling always succeeds or raises
            ),
        )

    def _http_api(self) -> tuple[apigw.HttpApi, apigw.HttpStage]:
        settings = self.settings
        http_api = apigw.HttpApi(
            self,
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
        integration = integrations.HttpLambdaIntegration("Api", self.function)
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
            self,
            "AccessLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        stage = apigw.HttpStage(
            self,
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
        return http_api, stage
