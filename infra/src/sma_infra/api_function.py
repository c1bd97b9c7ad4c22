"""The API's Lambda function: the locked, tested bundle, its runtime, timeout and concurrency."""

from __future__ import annotations

from typing import Final

from aws_cdk import (
    AssetHashType,
    BundlingOptions,
    CfnParameter,
    CfnRule,
    CfnRuleAssertion,
    Duration,
    Fn,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from sma_infra.api_role import function_role
from sma_infra.arns import refresh_marker_key
from sma_infra.lambda_bundle import BundleRecipe, LocalApiBundler
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
# A template synthesised without the Lambda bundle carries this rule, which CloudFormation
# evaluates (and fails) before it creates or updates anything.
UNBUNDLED_RULE: Final[str] = "RefuseUnbundledLambdaCode"
UNBUNDLED_PARAMETER: Final[str] = "LambdaCodeBundled"


class ApiFunction:
    """The function, its log group and role, created in `stack` (whose paths name them)."""

    def __init__(self, stack: Stack, settings: InfraSettings, *, bundle_platform: str) -> None:
        self.stack = stack
        self.settings = settings
        self.recipe = BundleRecipe(RUNTIME.name.removeprefix("python"), bundle_platform)
        self.logs = logs.LogGroup(
            stack,
            "FunctionLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = function_role(stack, settings, self.logs)
        self.function = self._function()

    def _function(self) -> lambda_.Function:
        settings = self.settings
        function = lambda_.Function(
            self.stack,
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
            log_group=self.logs,
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
        bundled = self.stack.bundling_required
        if not bundled:
            # "no" is the only value the parameter allows, and the rule wants "yes".
            marker = CfnParameter(
                self.stack,
                UNBUNDLED_PARAMETER,
                type="String",
                default="no",
                allowed_values=["no"],
                description="Is the Lambda code the built bundle? No: this template cannot be "
                "deployed.",
            )
            CfnRule(
                self.stack,
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
