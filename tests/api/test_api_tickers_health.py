"""GET /tickers and GET /health, and how backend failures surface (503, never a 500)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from sma_api.errors import BackendUnavailable
from sma_api.rows import SmaRow
from sma_api.store.duckdb_store import DuckDbStore
from tests.api.api_lake import AppFactory, Lake
from tests.support.lake import ARROW_SCHEMA
from tests.support.times import iso


def test_tickers_lists_each_ticker_with_its_newest_tick(client: TestClient, lake: Lake) -> None:
    response = client.get("/tickers")
    assert response.status_code == 200
    assert response.json() == {
        "tickers": [
            {"ticker": t, "last_refreshed": iso(lake.latest(t)["last_refreshed"])}
            for t in sorted(lake.rows)
        ]
    }


def test_an_empty_lake_has_no_tickers(make_client: AppFactory, tmp_path: Path) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    client = make_client(root=root)
    assert client.get("/tickers").json() == {"tickers": []}
    assert client.get("/tickers/BTCUSD/sma").status_code == 404


def test_health_is_200_when_the_lake_answers(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "backend": "duckdb"}
    assert response.headers["cache-control"] == "no-store"


def test_a_lake_that_disappears_gives_503_with_retry_after(
    make_client: AppFactory, lake_copy: Lake
) -> None:
    client = make_client(root=lake_copy.root, cache_enabled=False, retry_after_seconds=17)
    assert client.get("/health").status_code == 200
    shutil.rmtree(lake_copy.root)
    for path in ["/health", "/tickers", "/tickers/BTCUSD/sma", "/tickers/BTCUSD/sma/history"]:
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["retry-after"] == "17"
        assert response.json()["detail"].startswith("data backend unavailable")
        assert str(lake_copy.root) not in response.text


def test_a_corrupt_file_gives_503_not_500(make_client: AppFactory, lake_copy: Lake) -> None:
    newest = lake_copy.latest("ETHUSD")["last_refreshed"]
    folder = lake_copy.root / "ticker=ETHUSD" / f"date={newest.date()}" / f"hour={newest.hour:02d}"
    (folder / "part-00000-c000.snappy.parquet").write_bytes(b"PAR1 this is not parquet")
    client = make_client(root=lake_copy.root)
    response = client.get("/tickers/ETHUSD/sma")
    assert response.status_code == 503
    assert "Traceback" not in response.text
    # Other tickers are unaffected.
    assert client.get("/tickers/BTCUSD/sma").status_code == 200


def test_latest_reads_only_the_newest_partitions(make_client: AppFactory, lake_copy: Lake) -> None:
    # Damage the oldest partition: a query that scanned everything would fail on it.
    first = lake_copy.rows["BTCUSD"][0]["last_refreshed"]
    folder = lake_copy.root / "ticker=BTCUSD" / f"date={first.date()}" / f"hour={first.hour:02d}"
    (folder / "part-00000-c000.snappy.parquet").write_bytes(b"garbage")
    client = make_client(root=lake_copy.root)
    assert client.get("/tickers/BTCUSD/sma").status_code == 200
    assert client.get("/tickers").status_code == 200
    # A history over the damaged hour does read it, and says the backend failed.
    history = client.get("/tickers/BTCUSD/sma/history", params={"start": iso(first)})
    assert history.status_code == 503


def test_empty_newest_partition_widens_to_older_ones(
    make_client: AppFactory, lake_copy: Lake
) -> None:
    # A newer hour whose only file holds no rows: the latest tick is still the one before it.
    folder = lake_copy.root / "ticker=ETHUSD" / "date=2025-01-14" / "hour=03"
    folder.mkdir(parents=True)
    pq.write_table(ARROW_SCHEMA.empty_table(), folder / "part-00000.parquet")
    client = make_client(root=lake_copy.root)
    body = client.get("/tickers/ETHUSD/sma").json()
    assert body["last_refreshed"] == iso(lake_copy.latest("ETHUSD")["last_refreshed"])
    listed = {t["ticker"]: t["last_refreshed"] for t in client.get("/tickers").json()["tickers"]}
    assert listed["ETHUSD"] == body["last_refreshed"]


class FailingStore(DuckDbStore):
    """A real store whose latest lookup fails the way a broken backend does."""

    def latest(self, ticker: str) -> SmaRow:
        raise BackendUnavailable("query timed out")


class BuggyStore(DuckDbStore):
    def latest(self, ticker: str) -> SmaRow:
        raise RuntimeError("secret internals")


def test_a_store_raising_unavailable_is_503(make_client: AppFactory, lake: Lake) -> None:
    client = make_client(store=FailingStore(lake.root))
    response = client.get("/tickers/BTCUSD/sma")
    assert response.status_code == 503
    assert response.json() == {"detail": "data backend unavailable: query timed out"}
    assert response.headers["retry-after"] == "30"


def test_an_unexpected_error_is_a_bare_json_500(make_client: AppFactory, lake: Lake) -> None:
    client = make_client(store=BuggyStore(lake.root))
    response = client.get("/tickers/BTCUSD/sma")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error"}
    assert "secret" not in response.text


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_openapi_and_docs_are_served(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_openapi_lists_every_sma_column(client: TestClient) -> None:
    from sma.windows import SMA_COLUMNS

    schema = client.get("/openapi.json").json()["components"]["schemas"]["SmaTick"]
    assert set(SMA_COLUMNS) <= set(schema["properties"])


def test_a_duckdb_query_over_the_timeout_is_interrupted(lake: Lake) -> None:
    store = DuckDbStore(lake.root, timeout_seconds=0.2)
    with pytest.raises(BackendUnavailable, match=r"longer than 0\.2 s"):
        store._execute("SELECT count(*) FROM range(1000000000000) a", [])
    store.ping()  # the store still answers afterwards


def test_duckdb_queries_take_only_what_is_left_of_the_request_deadline(lake: Lake) -> None:
    from sma_api.deadline import request_deadline

    store = DuckDbStore(lake.root, timeout_seconds=20.0)
    with request_deadline(0.2), pytest.raises(BackendUnavailable, match=r"longer than 0\.\d+ s"):
        store._execute("SELECT count(*) FROM range(1000000000000) a", [])
    with request_deadline(0.0), pytest.raises(BackendUnavailable, match="deadline passed"):
        store.latest("BTCUSD")
    store.ping()  # outside a request, its own timeout applies
