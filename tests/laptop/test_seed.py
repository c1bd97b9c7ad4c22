"""sma-seed against moto's server: producer items land in a table with the upstream key schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.dynamodb.types import TypeDeserializer

from sma.schema import SOURCE_PARTITION_KEY, SOURCE_SORT_KEY
from sma_laptop.producer import producer_item
from sma_laptop.seed_cli import main
from sma_laptop.simulator import SimulationParams, is_malformed, simulate

END = datetime(2025, 1, 13, 3, tzinfo=UTC)


def scan_items(endpoint: str, table: str) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb", endpoint_url=endpoint)
    deserializer = TypeDeserializer()
    items: list[dict[str, Any]] = []
    for page in client.get_paginator("scan").paginate(TableName=table):
        items.extend(
            {k: deserializer.deserialize(v) for k, v in item.items()} for item in page["Items"]
        )
    return items


def run_seed(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main([*args, "--json"]) == 0
    summary: dict[str, Any] = json.loads(capsys.readouterr().out)
    return summary


def test_simulated_ticks_land_as_producer_items(
    moto_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = run_seed(
        ["--endpoint", moto_endpoint, "--days", "0.125", "--end", "2025-01-13T03:20:00Z"], capsys
    )
    params = SimulationParams(start=END - timedelta(hours=3), end=END)
    expected = [producer_item(t) for t in simulate(params)]
    key = (SOURCE_PARTITION_KEY, SOURCE_SORT_KEY)

    def by_key(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(items, key=lambda item: tuple(item[k] for k in key))

    assert by_key(scan_items(moto_endpoint, "DataConsumerTable")) == by_key(expected)
    assert summary["period"] == ["2025-01-13T00:00:00Z", "2025-01-13T03:00:00Z"]
    assert summary["ticks"] == len(expected)
    assert summary["malformed"] == sum(is_malformed(t) for t in simulate(params))
    assert set(summary["tickers"]) == {"BTC/USD", "ETH/USD", "DOGE/USD"}

    client = boto3.client("dynamodb", endpoint_url=moto_endpoint)
    table = client.describe_table(TableName="DataConsumerTable")["Table"]
    assert table["KeySchema"] == [
        {"AttributeName": "ticker", "KeyType": "HASH"},
        {"AttributeName": "last_refreshed", "KeyType": "RANGE"},
    ]


def test_reset_replaces_what_was_there(
    moto_endpoint: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", moto_endpoint)
    monkeypatch.setenv("DYNAMO_TABLE_NAME", "Ticks")
    first = run_seed(
        ["--days", "0.05", "--end", "2025-01-13T03:00:00Z", "--tickers", "BTC/USD"], capsys
    )
    again = run_seed(
        ["--days", "0.05", "--end", "2025-01-14T03:00:00Z", "--tickers", "ETH/USD", "--reset"],
        capsys,
    )
    items = scan_items(moto_endpoint, "Ticks")
    assert {item["ticker"] for item in items} == {"ETH/USD"}
    assert len(items) == again["ticks"]
    assert first["table"] == again["table"] == "Ticks"


def test_csv_files_keep_their_last_days(
    moto_endpoint: str, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (btc,) = shared_data.glob("yahoo_BTC-USD_1m_*.csv")
    summary = run_seed(["--endpoint", moto_endpoint, "--csv", str(btc), "--days", "0.1"], capsys)
    assert summary["period"] == ["2025-02-10T21:00:00Z", "2025-02-11T00:00:00Z"]
    items = scan_items(moto_endpoint, "DataConsumerTable")
    assert len(items) == summary["ticks"] == summary["tickers"]["BTC/USD"]["ticks"]
    assert min(item["last_refreshed"] for item in items) >= "2025-02-10 21:00:00"
    assert all(item["bid_price"] == item["ask_price"] for item in items)


def test_no_endpoint_no_writes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "no endpoint" in capsys.readouterr().err
    assert main(["--endpoint", "https://dynamodb.us-east-1.amazonaws.com"]) == 2
    assert "refusing" in capsys.readouterr().err


def test_bad_csv_is_a_message(
    moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "BTC-USD.csv"
    path.write_text("when,price\n")
    assert main(["--endpoint", moto_endpoint, "--csv", str(path)]) == 1
    assert "expected a time column" in capsys.readouterr().err


def test_human_summary_names_each_ticker(
    moto_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--endpoint", moto_endpoint, "--days", "0.05", "--end", "2025-01-13T02:00:00Z"]
    assert main([*args, "--wait", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("loaded ")
    assert "into DataConsumerTable at " + moto_endpoint in lines[0]
    assert [line.split()[0] for line in lines[1:4]] == ["BTC/USD", "DOGE/USD", "ETH/USD"]
    assert lines[-1].strip().startswith("period 2025-01-13T00:00:00Z .. 2025-01-13T02:00:00Z")


def test_waiting_for_an_endpoint_that_never_answers_is_a_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert main(["--endpoint", f"http://127.0.0.1:{port}", "--wait", "1"]) == 1
    assert "no DynamoDB endpoint answered" in capsys.readouterr().err
