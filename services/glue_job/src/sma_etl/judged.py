"""The columns a judged tick gets, and the producer's spellings both forms of the rule know."""

from __future__ import annotations

from typing import Final

REASON: Final = "reject_reason"  # the first rule a tick breaks (``sma.ticks``); null when clean
MICROS: Final = "micros"  # last_refreshed in UTC, microseconds since the epoch
ZONE_KEY: Final = "zone_key"  # the zone of a tick whose UTC time the driver works out, else null
LOCAL_SECONDS: Final = "local_seconds"  # that tick's wall time, seconds since 1970-01-01 00:00
UTC_SECONDS: Final = "utc_seconds"  # the driver's answer for (zone_key, local_seconds)
# Clean, with a time in the producer's spelling and in UTC: two such ticks of one raw ticker
# are two keys of the source table, so they cannot be one tick spelt twice.
PLAIN_KEY: Final = "plain_key"
MICROS_PER_SECOND: Final = 1_000_000

# Java regular expressions of the producer's spellings.
PADDED_TIME: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\z"
SPELLING: Final = r"^[A-Za-z0-9]+(?:[/\-_][A-Za-z0-9]+)*\z"  # sma.tickers._SPELLING
DECIMAL: Final = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\z"  # sma.ticks
# A decimal whose exponent (if any) has at most 4 digits: Decimal() reads every such text.
SHORT_DECIMAL: Final = r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?\z"


def sql_string(text: str) -> str:
    """`text` as a Spark SQL string literal (backslashes and quotes escaped)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
