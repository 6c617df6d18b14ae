"""The dashboard: one row per pattern, worst first, fit to the terminal; and the
progress line of the command line."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from typing import Any

import pytest
from source_cases import NOW, START, analyse
from usage_analytics import ModelUsageAnalyticsOutput
from usage_analytics.dashboard import (
    dashboard_document,
    dashboard_rows,
    headline,
    render_dashboard,
)
from usage_analytics.progress import Progress


def runs(count: int, *, success: float = 1.0, ms: float = 100.0, **extra: Any) -> list[Any]:
    """`count` runs spread evenly over the window (so the trend is stable)."""
    step = (NOW - START) / count
    return [
        {
            "timestamp": START + step * (index + 0.5),
            "success": index < round(count * success),
            "execution_time_ms": ms,
            "quality_score": 0.9,
            "agent": f"agent-{index % 3}",
            **extra,
        }
        for index in range(count)
    ]


def result(records: list[Any], pattern_id: str = "p") -> ModelUsageAnalyticsOutput:
    return analyse(records, pattern_id)


@pytest.fixture(scope="module")
def items() -> list[tuple[str, ModelUsageAnalyticsOutput]]:
    return [
        ("healthy", result(runs(120))),
        ("idle", result([])),
        ("failing", result(runs(120, success=0.5))),
        ("slow", result(runs(120, ms=800.0))),
        ("slow-and-failing", result(runs(120, success=0.5, ms=2_000.0))),
    ]


def test_rows_come_worst_first(items: list[tuple[str, ModelUsageAnalyticsOutput]]) -> None:
    rows = dashboard_rows(items)
    assert [row.name for row in rows] == [
        "slow-and-failing",  # four critical findings
        "failing",  # two critical (success and error rate), a higher error rate than slow
        "slow",  # two critical (p95 and p99)
        "idle",  # info: no executions
        "healthy",  # no finding
    ]
    assert rows[-1].worst is None
    assert rows[-2].worst is not None
    assert rows[-2].worst.code == "no_executions"


def test_table_shows_the_numbers_and_the_worst_finding(
    items: list[tuple[str, ModelUsageAnalyticsOutput]],
) -> None:
    text = render_dashboard(dashboard_rows(items), width=100)
    lines = text.splitlines()
    assert lines[0].split() == [
        "PATTERN",
        "RUNS",
        "SUCCESS",
        "P95",
        "TREND",
        "WORST",
        "HEALTH",
        "FINDING",
    ]
    failing = next(line for line in lines if line.startswith("failing "))
    assert failing.split()[:6] == ["failing", "120", "50.0%", "100", "ms", "→"]
    assert "✗ Success rate 50.0% < 80.0% (+1)" in failing
    idle = next(line for line in lines if line.startswith("idle "))
    assert idle.split()[1:4] == ["0", "-", "-"]
    assert "· No executions in the window" in idle
    assert next(line for line in lines if line.startswith("healthy ")).endswith("healthy")


@pytest.mark.parametrize("width", [60, 72, 80, 100, 140])
def test_table_fits_the_width(
    items: list[tuple[str, ModelUsageAnalyticsOutput]], width: int
) -> None:
    long_name = [("5b1f0e62-3c4d-4e8a-9a51-7d0c2f6b8e10", items[2][1]), *items]
    text = render_dashboard(dashboard_rows(long_name), width=width)
    assert all(len(line) <= width for line in text.splitlines())
    if width >= 100:
        assert "5b1f0e62-3c4d-4e8a-9a51-7d0c2f6b8e10" in text  # ids shown whole
    if width <= 60:
        assert "\n    ✗ Success rate 50.0% < 80.0% (+1)" in text  # finding on its own line


def test_ascii_table(items: list[tuple[str, ModelUsageAnalyticsOutput]]) -> None:
    text = render_dashboard(dashboard_rows(items), width=100, unicode=False)
    text.encode("ascii")
    assert "X Success rate" in text
    assert "i No executions" in text


def test_headline_keeps_the_sentence_up_to_its_details(
    items: list[tuple[str, ModelUsageAnalyticsOutput]],
) -> None:
    findings = items[4][1].health()
    assert [headline(finding) for finding in findings][:2] == [
        "Success rate 50.0% < 80.0%",
        "Error rate 50.0% > 20.0%",
    ]


def test_document_holds_full_precision_numbers(
    items: list[tuple[str, ModelUsageAnalyticsOutput]],
) -> None:
    (first, *_), rows = dashboard_document(dashboard_rows(items)), dashboard_rows(items)
    worst = rows[0].result
    assert first["name"] == "slow-and-failing"
    assert first["success_rate"] == worst.success_metrics.success_rate
    assert first["findings"] == len(worst.health())
    assert first["worst_finding"]["code"] == worst.health()[0].code
    idle = next(row for row in dashboard_document(rows) if row["name"] == "idle")
    assert (idle["p95_execution_time_ms"], idle["total_executions"]) == (None, 0)
    assert idle["success_rate"] is None  # (the table's "-"; the result's rate is 0.0)


# ---------------------------------------------------------------------------- progress


class Terminal(io.StringIO):
    """A terminal that takes UTF-8 (or `charset`)."""

    charset = "utf-8"

    def isatty(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.charset


class AsciiTerminal(Terminal):
    charset = "ascii"


def test_progress_draws_nothing_off_a_terminal() -> None:
    stream = io.StringIO()
    progress = Progress(stream, delay=0.0)
    progress.bar("analysing", 1, 2)
    progress.status("loading")
    progress.clear()
    assert stream.getvalue() == ""


def test_progress_bar_is_drawn_in_place_and_erased() -> None:
    stream = Terminal()
    progress = Progress(stream, delay=0.0, interval=0.0)
    progress.bar("analysing", 3, 12)
    progress.bar("analysing", 12, 12)
    drawn = stream.getvalue()
    assert drawn.startswith("\ranalysing [██████░░░░░░░░░░░░░░░░░░] 3/12\x1b[K")
    assert "\ranalysing [████████████████████████] 12/12\x1b[K" in drawn
    progress.clear()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_progress_waits_for_the_delay_before_drawing() -> None:
    stream = Terminal()
    progress = Progress(stream, delay=3600.0)
    progress.bar("analysing", 12, 12)
    progress.clear()
    assert stream.getvalue() == ""


def test_progress_on_an_ascii_terminal() -> None:
    stream = AsciiTerminal()
    Progress(stream, delay=0.0).bar("x", 1, 2)
    assert "[############------------] 1/2" in stream.getvalue()


def test_step_spins_while_awaiting() -> None:
    stream = Terminal()
    progress = Progress(stream, delay=0.0, interval=0.005)

    async def slow() -> None:
        async with progress.step("loading runs.csv"):
            await asyncio.sleep(0.1)

    asyncio.run(slow())
    frames = [part for part in stream.getvalue().split("\r") if "loading runs.csv" in part]
    assert len(frames) >= 3
    assert {frame[0] for frame in frames} >= {"|", "/"}
    assert frames[-1].endswith(" s)\x1b[K")


def test_window_helper_is_consistent() -> None:
    assert START + timedelta(days=30) == NOW
