"""SmaApiStack: the FastAPI app on Lambda (arm64) behind a throttled API Gateway HTTP API."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from sma_infra.api_function import ApiFunction
from sma_infra.http_api import HttpApi
from sma_infra.lambda_bundle import LAMBDA_PLATFORM
from sma_infra.settings import InfraSettings


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
        api_function = ApiFunction(self, settings, bundle_platform=bundle_platform)
        self.recipe = api_function.recipe
        self.function_logs = api_function.logs
        self.role = api_function.role
        self.function = api_function.function
        http = HttpApi(self, settings, self.function)
        self.http_api, self.stage, self.query_routes = http.http_api, http.stage, http.query_routes
        CfnOutput(self, "ApiUrl", value=self.http_api.api_endpoint, description="Base URL")
