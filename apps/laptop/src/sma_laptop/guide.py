"""What the demo prints: step headings, run summaries and the commands to paste. Pure text."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sma import names

CATALOG_TABLE: Final[str] = f"{names.GLUE_DATABASE}.{names.GLUE_TABLE}"
EXAMPLE_QUERY: Final[str] = f"SELECT * FROM {CATALOG_TABLE} LIMIT 10"
SUMMARY_QUERY: Final[str] = (
    "SELECT ticker, count(*) AS rows, min(last_refreshed) AS first, "
    "max(last_refreshed) AS latest, round(avg(bid_price), 4) AS avg_bid "
    f"FROM {CATALOG_TABLE} GROUP BY ticker ORDER BY ticker"
)


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def heading(number: int, text: str) -> str:
    return f"\n== {number}. {text}"


def display_path(path: Path, cwd: Path) -> str:
    """`path` relative to `cwd` when it lies under it (shorter to paste), else absolute."""
    try:
        return str(path.resolve().relative_to(cwd))
    except ValueError:
        return str(path.resolve())


def job_progress(line: str) -> str | None:
    """The text to show for one line of ``sma-etl`` output, or None for Spark's own chatter."""
    text = line.strip()
    if " sma_etl." in text and (" INFO " in text or " ERROR " in text):
        return text.split(": ", 1)[-1]
    if text.startswith("sma-etl:"):
        return text
    return None


def describe_run(name: str, summary: Mapping[str, Any]) -> str:
    """One line of an ``sma-etl`` JSON summary."""
    window = summary.get("window", ["?", "?"])
    rejected = summary.get("rows_rejected") or {}
    rejected_text = ", ".join(f"{reason} {n}" for reason, n in rejected.items()) or "none"
    return (
        f"   {name}: window {window[0]} .. {window[1]}: {summary.get('items_read', 0):,} items "
        f"read, {summary.get('rows_written', 0):,} rows written, rejected: {rejected_text}; "
        f"{summary.get('partitions', 0)} partitions in {summary.get('seconds', 0):.1f} s"
    )


def ready_text(base: str, sql_lake: str, first_ticker: str) -> list[str]:
    """The commands to paste once the API answers."""
    return [
        f"   curl {base}/tickers",
        f"   curl {base}/tickers/{first_ticker}/sma",
        f'   curl "{base}/tickers/{first_ticker}/sma?source=live"',
        f'   curl "{base}/tickers/{first_ticker}/sma/history?limit=5&order=desc"',
        f"   curl {base}/tickers/{first_ticker}/signals",
        f"   open {base}/tickers/{first_ticker}/chart   (the price, SMA lines and crossovers)",
        f"   open {base}/docs",
        "",
        f"   Ad-hoc SQL over the lake ({CATALOG_TABLE} is the lake):",
        f'   uv run sma-sql --lake {sql_lake} "{EXAMPLE_QUERY}"',
    ]
