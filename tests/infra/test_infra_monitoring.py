"""JobMonitoring as synthesised: the alarms that say a run was lost or the lake is stale.

They read what the job publishes (``sma_etl.metrics``: namespace, metric names, dimension),
and notify the alert topic, which CloudWatch may publish to, and whose key it may use, only for
these alarms of this account.
"""

from __future__ import annotations

from typing import Any

import pytest

from sma import names
from sma_etl.metrics import metric_data
from tests.infra.infra_templates import (
    GLUE,
    Synthesised,
    as_list,
    grants_to,
    only,
    rendered,
    resources,
)

ALARMS = (
    "CryptoHourlyETLJob-failed-starts",
    "CryptoHourlyETLJob-no-successful-run",
    "CryptoHourlyETLJob-late-ticks-beyond-horizon",
    "CryptoHourlyETLJob-tickers-without-ticks",
)


def alarms(app: Synthesised) -> dict[str, dict[str, Any]]:
    found = resources(app.templates[GLUE], "AWS::CloudWatch::Alarm").values()
    return {alarm["Properties"]["AlarmName"]: alarm["Properties"] for alarm in found}


def test_every_alarm_notifies_the_alert_topic(default_app: Synthesised) -> None:
    [topic_id] = resources(default_app.templates[GLUE], "AWS::SNS::Topic")
    found = alarms(default_app)
    assert sorted(found) == sorted(ALARMS)
    for alarm in found.values():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
        assert "docs/deploy.md" in alarm["AlarmDescription"]


def test_a_start_in_the_dead_letter_queue_alarms(default_app: Synthesised) -> None:
    alarm = alarms(default_app)["CryptoHourlyETLJob-failed-starts"]
    [queue_id] = resources(default_app.templates[GLUE], "AWS::SQS::Queue")
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}
    ]
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Maximum",
        "GreaterThanThreshold",
        0,
    )
    # An empty queue that nobody writes to has no data points: that is the good case.
    assert alarm["TreatMissingData"] == "notBreaching"


def test_two_hours_without_a_successful_run_alarm_even_without_data(
    default_app: Synthesised,
) -> None:
    alarm = alarms(default_app)["CryptoHourlyETLJob-no-successful-run"]
    assert alarm["MetricName"] == names.METRIC_RUN_SUCCEEDED
    assert alarm["Statistic"] == "Sum"
    assert alarm["Period"] * alarm["EvaluationPeriods"] == 2 * 3600
    assert alarm["DatapointsToAlarm"] == alarm["EvaluationPeriods"]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanThreshold", 1)
    assert alarm["TreatMissingData"] == "breaching"


@pytest.mark.parametrize(
    ("name", "metric"),
    [
        ("CryptoHourlyETLJob-late-ticks-beyond-horizon", names.METRIC_LATE_BEYOND_HORIZON),
        ("CryptoHourlyETLJob-tickers-without-ticks", names.METRIC_TICKERS_WITHOUT_TICKS),
    ],
)
def test_any_late_tick_or_absent_ticker_alarms(
    default_app: Synthesised, name: str, metric: str
) -> None:
    alarm = alarms(default_app)[name]
    assert alarm["MetricName"] == metric
    assert (alarm["Statistic"], alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "Maximum",
        "GreaterThanThreshold",
        0,
    )
    assert alarm["Period"] == 3600
    assert alarm["TreatMissingData"] == "notBreaching"  # no run is the staleness alarm's


def test_the_alarms_read_what_the_job_publishes(
    default_app: Synthesised, variant_app: Synthesised
) -> None:
    for app in (default_app, variant_app):
        job_name = only(app.templates[GLUE], "AWS::Glue::Job")["Name"]
        published = {
            (names.METRICS_NAMESPACE, d["MetricName"], d["Dimensions"][0]["Name"])
            for d in metric_data({}, job_name)
        }
        for alarm in alarms(app).values():
            if alarm["Namespace"] == "AWS/SQS":
                continue
            [dimension] = alarm["Dimensions"]
            assert dimension["Value"] == job_name
            assert (alarm["Namespace"], alarm["MetricName"], dimension["Name"]) in published


def test_cloudwatch_may_publish_and_use_the_key_only_for_these_alarms(
    default_app: Synthesised,
) -> None:
    template = default_app.templates[GLUE]
    grants = grants_to(template, "cloudwatch.amazonaws.com")
    actions = sorted(a for s in grants for a in as_list(s["Action"]))
    assert actions == ["kms:Decrypt", "kms:GenerateDataKey*", "sns:Publish"]
    for statement in grants:
        condition = statement["Condition"]
        assert condition["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        sources = [rendered(arn) for arn in condition["ArnEquals"]["aws:SourceArn"]]
        prefix = ':cloudwatch:{"Ref": "AWS::Region"}:{"Ref": "AWS::AccountId"}:alarm:'
        assert [s.split(prefix)[1] for s in sources] == list(ALARMS)
    [publish] = [s for s in grants if s["Action"] == "sns:Publish"]
    [topic_id] = resources(template, "AWS::SNS::Topic")
    assert publish["Resource"] == {"Ref": topic_id}
