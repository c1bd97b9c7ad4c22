"""The run's metrics in CloudWatch: one PutMetricData call after a run that completed.

The stack alarms on them (``infra/src/sma_infra/monitoring.py``): no ``RunSucceeded`` for two
hours, and any ``LateBeyondHorizon`` or ``TickersWithoutTicks`` above zero. Publishing is on
on Glue and off elsewhere unless asked for (``--publish-metrics``, ``SMA_PUBLISH_METRICS``,
the job argument ``--PUBLISH_METRICS``); a refusal is a warning, never a failed run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sized
from dataclasses import dataclass
from typing import Any, Final

from sma import names
from sma_etl.aws_clients import aws_client
from sma_etl.settings import parse_bool

log = logging.getLogger(__name__)

ENV_SWITCH: Final = "SMA_PUBLISH_METRICS"
# A run that is done should not wait long on its metrics.
CLIENT_ATTEMPTS: Final[int] = 3
CLIENT_TIMEOUT_SECONDS: Final[int] = 10
JOB_ARGUMENT: Final = "PUBLISH_METRICS"
# The summary keys each metric reads; absent keys count as 0.
SUMMARY_KEYS: Final[dict[str, str]] = {
    names.METRIC_LATE_BEYOND_HORIZON: "late_beyond_horizon",
    names.METRIC_TICKERS_WITHOUT_TICKS: "tickers_without_ticks",
    names.METRIC_ROWS_WRITTEN: "rows_written",
}


@dataclass(frozen=True, slots=True)
class MetricsTarget:
    """Where a run's metrics go: the job they are filed under and the CloudWatch to reach."""

    job_name: str
    region: str
    endpoint_url: str | None = None  # None: boto3's AWS_ENDPOINT_URL_CLOUDWATCH, or AWS


def publishing_enabled(given: str | None, env: Mapping[str, str], *, default: bool = False) -> bool:
    """The switch: `given` (flag or job argument), then ``SMA_PUBLISH_METRICS``, then `default`.

    A value that is not a boolean is a ``SettingsError``, raised before the run starts.
    """
    if given:
        return parse_bool(JOB_ARGUMENT, given)
    if env.get(ENV_SWITCH):
        return parse_bool(ENV_SWITCH, env[ENV_SWITCH])
    return default


def count(value: Any) -> float:
    """A summary figure as a number: a list (of tickers, say) counts its items; None is 0."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Sized):
        return float(len(value))
    raise TypeError(f"not a count: {value!r}")


def metric_data(summary: Mapping[str, Any], job_name: str) -> list[dict[str, Any]]:
    """The MetricData of one completed run, read from its JSON summary."""
    dimensions = [{"Name": names.METRICS_DIMENSION, "Value": job_name}]
    values = {names.METRIC_RUN_SUCCEEDED: 1.0}
    values.update({metric: count(summary.get(key)) for metric, key in SUMMARY_KEYS.items()})
    return [
        {"MetricName": metric, "Dimensions": dimensions, "Value": value, "Unit": "Count"}
        for metric, value in values.items()
    ]


def cloudwatch_client(target: MetricsTarget) -> Any:
    return aws_client(
        "cloudwatch",
        region=target.region,
        endpoint_url=target.endpoint_url,
        attempts=CLIENT_ATTEMPTS,
        timeout_seconds=CLIENT_TIMEOUT_SECONDS,
    )


def publish_run_metrics(
    summary: Mapping[str, Any], target: MetricsTarget, client: Any | None = None
) -> bool:
    """Put the run's metrics in one call; True if CloudWatch took them.

    Runs only after a run completed, so whatever goes wrong here is logged as a warning and
    the run still succeeds: the staleness alarm is what notices metrics that never arrive.
    """
    try:
        client = client or cloudwatch_client(target)
        client.put_metric_data(
            Namespace=names.METRICS_NAMESPACE, MetricData=metric_data(summary, target.job_name)
        )
    except Exception as error:  # the run is done: nothing here may fail it
        log.warning("run metrics not published to CloudWatch: %s", error)
        return False
    log.info("run metrics published to CloudWatch (%s)", names.METRICS_NAMESPACE)
    return True
