"""Under `--on-invalid skip`, the samples of records skipped for a timestamp of no
timestamp type (an integer, a float) give the command's reason, as raise mode's error
does (`cli.integer_timestamps.command_reason`, `cli.sample_reasons`): the table, the JSON
document and the HTML page, of `analyze` and of the dashboard's page. They gave the
library's "must be a datetime, a date, a numpy datetime64 or an ISO-8601 string, got int
(...)", of values a user of the command never passes. Other reasons stay the library's."""

from __future__ import annotations

import html
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cli_runs import run
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer
from usage_analytics.cli.sample_reasons import worded_for_the_command

SECONDS = 1_771_581_600  # 2026-02-20T10:00:00Z
MUST = "timestamps must be ISO-8601 text (e.g. 2026-01-05T10:00:00Z) or of a timestamp type"
INTEGER = f"an integer is no timestamp here: {MUST}; as epoch seconds, this one is 2026-02-20"
FLOAT = f"a float is no timestamp here: {MUST}"
WINDOW = ("--start", "2026-02-01", "--end", "2026-02-28")
SKIP = ("--on-invalid", "skip")


@pytest.fixture(autouse=True)
def _terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")


@pytest.fixture
def database(tmp_path: Path) -> str:
    """A valid record, one with an integer timestamp and one with a score out of range."""
    path = tmp_path / "usage.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute(
            "create table pattern_executions (pattern_id text, timestamp, quality_score real)"
        )
        connection.executemany(
            "insert into pattern_executions values ('p', ?, ?)",
            [("2026-02-10T10:00:00Z", None), (SECONDS, None), ("2026-02-11T10:00:00Z", 7.0)],
        )
    connection.close()
    return str(path)


def test_the_table_gives_the_commands_reason(
    capsys: pytest.CaptureFixture[str], database: str
) -> None:
    code, out, _ = run(capsys, "analyze", database, "--pattern", "p", *WINDOW, *SKIP)
    assert code == 0
    out = " ".join(out.split())  # (a long sample is wrapped)
    assert f"timestamp = {SECONDS}: {INTEGER}" in out
    assert "numpy" not in out
    assert "quality_score = 7.0: must be within [0, 1]" in out  # (the library's, as before)


def test_the_json_document_gives_the_commands_reason(
    capsys: pytest.CaptureFixture[str], database: str
) -> None:
    code, out, _ = run(
        capsys, "analyze", database, "--pattern", "p", *WINDOW, *SKIP, "--format", "json"
    )
    assert code == 0
    samples = json.loads(out)["data_quality"]["error_samples"]
    reasons = {sample["field"]: sample["reason"] for sample in samples}
    assert reasons["timestamp"].startswith(INTEGER)
    assert reasons["quality_score"] == "must be within [0, 1]"


@pytest.mark.parametrize("command", [["analyze", "--pattern", "p"], ["dashboard"]])
def test_the_page_gives_the_commands_reason(
    capsys: pytest.CaptureFixture[str], database: str, command: list[str]
) -> None:
    code, out, _ = run(
        capsys, command[0], database, *command[1:], *WINDOW, *SKIP, "--format", "html"
    )
    assert code == 0
    page = html.unescape(out)
    assert INTEGER in page
    assert "numpy" not in page


def test_a_json_lines_float_gives_the_commands_reason(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "runs.jsonl"
    lines = ['{"pattern_id": "p", "timestamp": "2026-02-10T10:00:00Z"}']
    lines.append(f'{{"pattern_id": "p", "timestamp": {SECONDS}.5}}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, _ = run(capsys, "analyze", str(path), "--pattern", "p", *WINDOW, *SKIP)
    assert code == 0
    out = " ".join(out.split())  # (a long sample is wrapped)
    assert f"timestamp = {SECONDS}.5: {FLOAT}" in out


def test_a_result_without_such_a_sample_is_kept_as_it_is() -> None:
    # (No copy of every result of a dashboard: only those whose samples are reworded.)
    records = [{"timestamp": SECONDS}, {"timestamp": "2026-02-11T10:00:00Z", "quality_score": 7.0}]
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=datetime(2026, 2, 1, tzinfo=UTC),
        time_window_end=datetime(2026, 2, 28, tzinfo=UTC),
        execution_data=records,
        on_invalid="skip",
    )
    result = NodeUsageAnalyticsReducer().execute_reduction_sync(contract)
    worded = worded_for_the_command(result)
    assert [sample.reason for sample in worded.data_quality.error_samples] == [
        f"{INTEGER}T10:00:00+00:00",
        "must be within [0, 1]",
    ]
    quality = result.data_quality
    others = [sample for sample in quality.error_samples if sample.field != "timestamp"]
    kept = result.model_copy(
        update={"data_quality": quality.model_copy(update={"error_samples": others})}
    )
    assert worded_for_the_command(kept) is kept
