"""What the demo prints, as pure text: job progress, run summaries, the commands to paste."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sma_laptop.guide import (
    EXAMPLE_QUERY,
    describe_run,
    display_path,
    heading,
    iso,
    job_progress,
    ready_text,
)
from sma_laptop.job_runner import BACKFILL_CHUNKS, backfill_chunk_hours


def test_only_the_jobs_own_lines_are_shown() -> None:
    job = "2025-01-13 07:00:01 INFO sma_etl.run: chunk 1/3 [2025-01-13T00:00:00Z ..) done"
    assert job_progress(job + "\n") == "chunk 1/3 [2025-01-13T00:00:00Z ..) done"
    assert job_progress("25/01/13 07:00:01 WARN NativeCodeLoader: Unable to load") is None
    assert job_progress("2025-01-13 07:00:01 DEBUG sma_etl.source: page 3") is None
    assert job_progress("sma-etl: --tickers is required") == "sma-etl: --tickers is required"


def test_a_run_summary_is_one_line_with_rejections_by_reason() -> None:
    summary = {
        "window": ["2025-01-13T00:00:00Z", "2025-01-14T00:00:00Z"],
        "items_read": 4321,
        "rows_written": 4300,
        "rows_rejected": {"non_numeric_bid_price": 21},
        "partitions": 72,
        "seconds": 12.345,
    }
    assert describe_run("backfill ", summary) == (
        "   backfill : window 2025-01-13T00:00:00Z .. 2025-01-14T00:00:00Z: 4,321 items read, "
        "4,300 rows written, rejected: non_numeric_bid_price 21; 72 partitions in 12.3 s"
    )
    assert "rejected: none" in describe_run("scheduled", {**summary, "rows_rejected": {}})


def test_headings_times_and_paths() -> None:
    assert heading(3, "The job") == "\n== 3. The job"
    assert iso(datetime(2025, 1, 13, 7, tzinfo=UTC)) == "2025-01-13T07:00:00Z"
    here = Path.cwd()
    assert display_path(here / ".demo" / "lake", here) == str(Path(".demo") / "lake")
    assert display_path(Path("/elsewhere/lake"), here) == "/elsewhere/lake"


def test_ready_text_names_every_route_and_the_sql_command() -> None:
    lines = ready_text("localhost:8000", ".demo/lake", "BTCUSD")
    assert "   curl localhost:8000/tickers/BTCUSD/sma" in lines
    assert lines[-1] == f'   uv run sma-sql --lake .demo/lake "{EXAMPLE_QUERY}"'


def test_ready_text_points_at_the_chart_page() -> None:
    lines = ready_text("localhost:8000", ".demo/lake", "ETHUSD")
    assert any(line.startswith("   open localhost:8000/tickers/ETHUSD/chart") for line in lines)


def test_a_backfill_is_cut_into_about_five_chunks_of_whole_days() -> None:
    for days in (1, 3, 5, 6, 29, 30, 31, 90):
        size = backfill_chunk_hours(days * 24)
        chunks = -(-days * 24 // size)
        assert size % 24 == 0
        assert chunks <= BACKFILL_CHUNKS
        if size > 24:  # the smallest such size: a day less would make more chunks
            assert -(-days // (size // 24 - 1)) > BACKFILL_CHUNKS
    assert backfill_chunk_hours(3 * 24) == 24  # the default demo: a chunk a day
    assert backfill_chunk_hours(25) == 24  # a partial day counts as one
