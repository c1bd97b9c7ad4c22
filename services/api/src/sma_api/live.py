"""Live answers: the newest ticks straight from the source DynamoDB table, judged as the job does.

One Query per page on the partition key (`ticker`, the source's spelling such as ``BTC/USD``),
newest sort key first, asking only for the ticks the longest window still needs (Limit, then the
shortfall), eventually consistent. Every item goes through the job's tick rule (`sma.ticks`) and
the job's duplicate rule (one tick per instant: of several spellings, the first by raw text), so
the same ticks give the same SMAs here as in the lake.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any, Final

from sma.schema import SOURCE_PARTITION_KEY, SOURCE_SORT_KEY
from sma.tickers import normalize
from sma.ticks import CleanTick, attribute_text, clean_tick
from sma_api.deadline import seconds_left
from sma_api.errors import BackendUnavailable, TickerNotFound

logger = logging.getLogger(__name__)

# The raw attributes the tick rule reads, in the order the job's duplicate rule compares them.
_RAW: Final[tuple[str, ...]] = (
    SOURCE_PARTITION_KEY,
    SOURCE_SORT_KEY,
    "bid_price",
    "ask_price",
    "time_zone",
)

Raw = tuple[str | None, ...]


def source_keys(tickers: str) -> dict[str, str]:
    """``"BTC/USD,ETH/USD"`` -> ``{"BTCUSD": "BTC/USD", "ETHUSD": "ETH/USD"}``."""
    keys = [t.strip() for t in tickers.split(",") if t.strip()]
    return {normalize(key): key for key in keys}


def _first_spelling(raw: Raw) -> tuple[tuple[bool, str], ...]:
    """The job's order among spellings of one tick: raw texts ascending, absent ones first."""
    return tuple((v is not None, v or "") for v in raw)


class LiveSource:
    """Reads the newest ticks of the tickers in `keys` (normalised -> source spelling)."""

    def __init__(
        self,
        table: str,
        keys: Mapping[str, str],
        *,
        region: str | None = None,
        timeout_seconds: float = 5.0,
    ) -> None:
        self.table = table
        self.keys = dict(keys)
        self._region = region
        self._timeout = timeout_seconds
        self._client: Any = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        """The DynamoDB client, made on first use (a cold start that serves no live answer
        pays nothing for it); `AWS_ENDPOINT_URL_DYNAMODB` points it at a local endpoint."""
        with self._lock:
            if self._client is None:
                import botocore.session
                from botocore.config import Config

                self._client = botocore.session.get_session().create_client(
                    "dynamodb",
                    region_name=self._region,
                    config=Config(
                        connect_timeout=2,
                        read_timeout=self._timeout,
                        retries={"mode": "standard", "max_attempts": 3},
                    ),
                )
            return self._client

    def recent(self, ticker: str, count: int) -> list[CleanTick]:
        """The newest `count` clean ticks of `ticker` (fewer where its history ends), in time
        order; TickerNotFound when the table has none or the ticker is not a source ticker."""
        key = self.keys.get(ticker)
        if key is None:
            listed = ", ".join(sorted(self.keys.values())) or "none"
            raise TickerNotFound(
                ticker,
                f"no live data for ticker {ticker!r}: live answers cover the source tickers "
                f"(TICKERS: {listed})",
            )
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "#t = :t",
            "ExpressionAttributeNames": {"#t": SOURCE_PARTITION_KEY},
            "ExpressionAttributeValues": {":t": {"S": key}},
            "ScanIndexForward": False,
            "ConsistentRead": False,
            "Limit": count,
        }
        found: dict[int, tuple[Raw, CleanTick]] = {}
        client = self.client()
        while True:
            if seconds_left(self._timeout) <= 0:
                raise BackendUnavailable("the request's deadline passed before the next Query")
            try:
                page = client.query(**request)
            except Exception as exc:
                logger.warning("DynamoDB Query of %s failed: %s", key, exc)
                raise BackendUnavailable("the source table did not answer") from exc
            for item in page.get("Items", []):
                raw = tuple(attribute_text(item.get(name)) for name in _RAW)
                tick = clean_tick(*raw)
                if not isinstance(tick, CleanTick):
                    continue  # a malformed tick is no history, as in the job
                kept = found.get(tick.micros)
                if kept is None or _first_spelling(raw) < _first_spelling(kept[0]):
                    found[tick.micros] = (raw, tick)
            if len(found) >= count or "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            request["Limit"] = count - len(found)
        if not found:
            raise TickerNotFound(ticker)
        ticks = [tick for _, (_, tick) in sorted(found.items())]
        return ticks[-count:]
