"""The worst-case bill per day under abuse, computed from the synthesised templates.

The limits that bound it (route throttles, reserved concurrency, memory, the Athena cutoff)
are read from the templates, not from the settings, and the result must be the figure
``docs/security.md`` states: change a limit and the test names the figure to write there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sma_infra.http_api import QUERY_ROUTE
from sma_infra.paths import REPO_ROOT
from tests.infra.infra_templates import API, GLUE, Synthesised, only, resources

SECURITY_DOC: Final[str] = (REPO_ROOT / "docs" / "security.md").read_text(encoding="utf-8")
SECONDS_PER_DAY: Final[int] = 86_400
# Prices of us-east-1 (November 2026), in dollars.
HTTP_API_PER_REQUEST: Final[float] = 1.00 / 1e6  # first 300 million a month
LAMBDA_PER_REQUEST: Final[float] = 0.20 / 1e6
LAMBDA_ARM_PER_GB_SECOND: Final[float] = 0.0000133334
ATHENA_PER_BYTE: Final[float] = 5.00 / 1e12  # $5 per TB scanned
ATHENA_MIN_BYTES: Final[int] = 10_000_000  # each query bills at least 10 MB
LOGS_PER_BYTE: Final[float] = 0.50 / 1e9  # CloudWatch Logs ingestion
# An access-log line (~300 B) plus Lambda's START/END/REPORT lines (~400 B), rounded up.
LOG_BYTES_PER_REQUEST: Final[int] = 1_000
# A ticker request with new parameters (a new range, an unknown ticker) starts one query; the
# latest tick of a known ticker (up to 4 queries) and /tickers (2) are cached per container
# until the next hourly refresh.
QUERIES_PER_TICKER_REQUEST: Final[int] = 1
CACHED_QUERIES_PER_TICKER: Final[int] = 4
CACHED_QUERIES_FOR_TICKERS: Final[int] = 2
REFRESHES_PER_DAY: Final[int] = 24


@dataclass(frozen=True)
class WorstDay:
    requests: int
    queries: int
    api_gateway: float
    lambda_requests: float
    lambda_compute: float
    athena: float
    athena_at_cutoff: float
    logs: float

    @property
    def total(self) -> float:
        parts = (self.api_gateway, self.lambda_requests, self.lambda_compute, self.logs)
        return round(sum(round(p, 2) for p in parts) + round(self.athena, 2), 2)

    @property
    def ceiling(self) -> float:
        return round(self.total - round(self.athena, 2) + round(self.athena_at_cutoff, 2), 2)


def worst_day(app: Synthesised) -> WorstDay:
    api = app.templates[API]
    stage = only(api, "AWS::ApiGatewayV2::Stage")
    routes = [
        r["Properties"]["RouteKey"] for r in resources(api, "AWS::ApiGatewayV2::Route").values()
    ]
    query_limits = stage["RouteSettings"]
    # Counted per route: the stage default applies to each route that has no limit of its own.
    plain_routes = len(routes) - len(query_limits)
    plain_rate = stage["DefaultRouteSettings"]["ThrottlingRateLimit"] * plain_routes
    query_rate = sum(limits["ThrottlingRateLimit"] for limits in query_limits.values())
    function = only(api, "AWS::Lambda::Function")
    concurrency = function["ReservedConcurrentExecutions"]
    gigabytes = function["MemorySize"] / 1024
    glue = app.templates[GLUE]
    cutoff = only(glue, "AWS::Athena::WorkGroup")["WorkGroupConfiguration"][
        "BytesScannedCutoffPerQuery"
    ]
    tickers = len(only(glue, "AWS::Glue::Job")["DefaultArguments"]["--TICKERS"].split(","))

    requests = int((plain_rate + query_rate) * SECONDS_PER_DAY)
    cached = CACHED_QUERIES_FOR_TICKERS + CACHED_QUERIES_PER_TICKER * tickers
    queries = int(
        query_rate * SECONDS_PER_DAY * QUERIES_PER_TICKER_REQUEST
        + concurrency * REFRESHES_PER_DAY * cached
    )
    return WorstDay(
        requests=requests,
        queries=queries,
        api_gateway=requests * HTTP_API_PER_REQUEST,
        lambda_requests=requests * LAMBDA_PER_REQUEST,
        # Every reserved container busy all day, whatever the requests do.
        lambda_compute=concurrency * gigabytes * SECONDS_PER_DAY * LAMBDA_ARM_PER_GB_SECOND,
        athena=queries * ATHENA_MIN_BYTES * ATHENA_PER_BYTE,
        athena_at_cutoff=queries * cutoff * ATHENA_PER_BYTE,
        logs=requests * LOG_BYTES_PER_REQUEST * LOGS_PER_BYTE,
    )


def test_the_documented_worst_case_is_what_the_templates_allow(default_app: Synthesised) -> None:
    day = worst_day(default_app)
    stated = {
        "requests": f"{day.requests:,} requests",
        "queries": f"{day.queries:,} queries",
        "API Gateway": f"${day.api_gateway:.2f}",
        "Lambda requests": f"${day.lambda_requests:.2f}",
        "Lambda compute": f"${day.lambda_compute:.2f}",
        "Athena": f"${day.athena:.2f}",
        "Athena at the cutoff": f"${day.athena_at_cutoff:.2f}",
        "logs": f"${day.logs:.2f}",
        "total": f"**${day.total:.2f} per day**",
        "ceiling": f"**${day.ceiling:.2f} per day**",
    }
    missing = {name: figure for name, figure in stated.items() if figure not in SECURITY_DOC}
    assert missing == {}, f"docs/security.md should state {missing}"


def test_every_limit_of_the_bound_is_in_the_template(default_app: Synthesised) -> None:
    # Without any one of them the day above has no bound.
    api = default_app.templates[API]
    stage = only(api, "AWS::ApiGatewayV2::Stage")
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert stage["RouteSettings"][f"GET {QUERY_ROUTE}"]["ThrottlingRateLimit"] > 0
    assert only(api, "AWS::Lambda::Function")["ReservedConcurrentExecutions"] > 0
    workgroup = only(default_app.templates[GLUE], "AWS::Athena::WorkGroup")
    config = workgroup["WorkGroupConfiguration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert ATHENA_MIN_BYTES <= config["BytesScannedCutoffPerQuery"] <= 100_000_000
