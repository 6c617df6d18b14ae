"""The `usage-analytics` command: `main([...])` in-process, plus the module run as a
subprocess, the way a user runs it."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import usage_analytics
from cli_runs import run
from usage_analytics import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
    text_width,
)
from usage_analytics.cli import CliError, main
from usage_analytics.cli.common import (
    EXIT_DATA,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    window_of,
)
from usage_analytics.cli.dates import parse_start, start_arg
from usage_analytics.cli.running import abandoned_threads, run_async
from usage_analytics.demo import DEMO_PATTERNS, generate_demo_records
from usage_analytics.sources import load_records, read_records
from usage_analytics.sources.base import FIELDS as RECORD_FIELDS
from usage_analytics.sources.base import PATTERN_ID
from usage_analytics.sources.files import FileSource

NOW = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
NOW_ARG = "2026-03-03T14:00Z"
GROWING = DEMO_PATTERNS[0]  # code-review-assistant
assert GROWING.name == "code-review-assistant"

#: Fields of to_dict() that differ between two runs on the same data.
VOLATILE = {("summary", "computation_time_ms"), ("summary", "computed_at"), ("correlation_id",)}

FIELDS = (PATTERN_ID, *RECORD_FIELDS)


@pytest.fixture(autouse=True)
def _fixed_width(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.chdir(tmp_path)  # `demo` writes its SQLite file to the working directory


@pytest.fixture(scope="module")
def demo_records() -> list[dict[str, Any]]:
    """Every demo pattern's records, in time order (so the file mixes patterns)."""
    records = generate_demo_records(NOW, seed=11)
    return sorted((r for rows in records.values() for r in rows), key=lambda r: r["timestamp"])


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    with path.open("w", encoding="utf-8") as stream:
        for record in records:
            row = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in record.items()}
            stream.write(json.dumps(row) + "\n")
    return path


def write_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    """Booleans alternate between the spellings a CSV export may use; missing = empty."""
    spellings = [("true", "false"), ("1", "0"), ("TRUE", "FALSE")]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(FIELDS)
        for number, record in enumerate(records):
            yes, no = spellings[number % len(spellings)]
            row = []
            for field in FIELDS:
                value = record.get(field)
                if value is None:
                    row.append("")
                elif isinstance(value, bool):
                    row.append(yes if value else no)
                elif isinstance(value, datetime):
                    row.append(value.isoformat())
                else:
                    row.append(repr(value) if isinstance(value, float) else str(value))
            writer.writerow(row)
    return path


def api_result(records: list[dict[str, Any]], pattern_id: str, **options: Any) -> dict[str, Any]:
    """What the library gives for the records of `pattern_id` over the CLI's default
    window (30 days up to the source's newest record, of any pattern)."""
    mine = [r for r in records if r["pattern_id"] == pattern_id]
    end = max(r["timestamp"] for r in records)
    contract = ModelUsageAnalyticsInput(
        pattern_id=pattern_id,
        time_window_start=end - timedelta(days=30),
        time_window_end=end,
        time_window_type=TimeWindowType.MONTHLY,
        granularity=AnalyticsGranularity.DETAILED,
        execution_data=mine,
        **options,
    )
    return NodeUsageAnalyticsReducer().execute_reduction_sync(contract).to_dict()


def without_volatile(document: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = json.loads(json.dumps(document))
    for path in VOLATILE:
        target = cleaned
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return cleaned


START_2026 = datetime(2025, 12, 1, tzinfo=UTC)
END_2026 = datetime(2026, 2, 1, tzinfo=UTC)


# ------------------------------------------------------------------------------- demo


def test_demo_summary_lists_every_pattern_with_its_expected_trend(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "demo", "--now", NOW_ARG)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    for pattern in DEMO_PATTERNS:
        (row,) = [line for line in lines if line.startswith(pattern.name + " ")]
        assert pattern.expected_trend.value in row.split()
    # Then one full report, of the first (worst) row.
    first_row = lines[lines.index(next(line for line in lines if line.startswith("PATTERN"))) + 2]
    assert "USAGE" in out
    assert "PERFORMANCE" in out
    assert "DATA QUALITY" in out
    assert f"\n {first_row.split()[0]} " in out  # (the report's title: its name, the id)


def test_demo_worst_pattern_comes_first(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "demo", "--now", NOW_ARG)
    names = [p.name for p in DEMO_PATTERNS]
    order = [
        line.split()[0]
        for line in out.splitlines()
        if line.split()[:1] and line.split()[0] in names
    ]
    assert order[0] == "ci-failure-triage"  # ~20 % errors, timeouts, low quality
    assert order.index("legacy-lint-fixer") < order.index("code-review-assistant")


def test_demo_table_separates_heading_dashboard_report_and_footer_by_a_blank_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, _ = run(capsys, "demo", "--now", NOW_ARG, "--db", str(tmp_path / "demo.sqlite"))
    assert code == 0
    lines = out.splitlines()
    header = lines.index(next(line for line in lines if line.startswith("PATTERN")))
    assert lines[header - 1] == ""  # (after the heading)
    after = header + 2 + len(DEMO_PATTERNS)  # (the header, its rule, a row per pattern)
    assert lines[after] == ""
    assert set(lines[after + 1]) == {"═"}  # (the report's top rule)
    footer = next(i for i, line in enumerate(lines) if line.startswith("The results are"))
    assert lines[footer - 1] == ""


def test_demo_html_shows_its_heading_and_footer(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The page says what it is of and what to try next, as the table does.
    database = tmp_path / "demo.sqlite"
    code, out, _ = run(capsys, "demo", "--now", NOW_ARG, "--db", str(database), "--format", "html")
    assert code == 0
    assert '<p class="note page-heading">Demo data (seed 7): 6 patterns' in out
    assert '<p class="note page-note">The results are stored in' in out


def test_demo_pattern_option_reports_that_pattern(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo", "--now", NOW_ARG, "--pattern", "xml-config-converter")
    assert code == 0
    report = out[out.index("═") :]
    assert "xml-config-converter" in report
    assert "ABANDONED" in report
    assert "no recent use" in report


def test_demo_suggested_commands_run_on_its_file_and_data(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A path with a space is quoted, and the rerun keeps the options that chose the data:
    # `demo --pattern NAME` alone wrote the default file with the default seed and hour.
    options = ["--db", "my demo.sqlite", "--seed", "8", "--now", NOW_ARG]
    code, out, err = run(capsys, "demo", *options, "--save", "my runs.csv")
    assert code == 0
    text = " ".join(out.split())  # (the footer is wrapped to the width)
    rerun = text.split("Full report of another pattern: ")[1].split(" NAME. ")[0]
    suggested = text.split("Try the commands on the file: ")[1].removesuffix(".")
    dashboard, analyze = suggested.split("; ")
    assert analyze.endswith(f" --pattern {GROWING.name}")  # (the name its table shows)
    saved = err.split("; try: ")[1].strip()
    for command in (dashboard, analyze, saved):
        assert run(capsys, *shlex.split(command)[1:])[0] == 0
    code, again, _ = run(capsys, *shlex.split(rerun)[1:], "xml-config-converter")
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith(GROWING.name + " ")]
    assert rows == [line for line in again.splitlines() if line.startswith(GROWING.name + " ")]
    assert "ABANDONED" in again[again.index("═") :]


def test_demo_json_has_every_pattern_in_to_dict_shape(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "demo", "--now", NOW_ARG, "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert set(document) == {pattern.name for pattern in DEMO_PATTERNS}
    for pattern in DEMO_PATTERNS:
        result = document[pattern.name]
        assert result["pattern_id"] == pattern.name  # (see test_demo_pattern_names.py)
        assert result["trend_analysis"]["trend_type"] == pattern.expected_trend.value
        assert result["time_window"]["type"] == "monthly"


def test_demo_save_then_analyze_the_saved_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = tmp_path / "demo.csv"
    code, _, err = run(capsys, "demo", "--now", NOW_ARG, "--save", str(saved), "--format", "json")
    assert code == 0
    assert f"--pattern {GROWING.name}" in err  # the hint names a pattern to try
    code, out, _ = run(capsys, "analyze", str(saved), "--pattern", GROWING.name, "--format", "json")
    assert code == 0
    assert json.loads(out)["trend_analysis"]["trend_type"] == "growing"


# ---------------------------------------------------------------------------- analyze


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson", ".csv"])
def test_analyze_file_gives_the_api_numbers(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    demo_records: list[dict[str, Any]],
    suffix: str,
) -> None:
    writer = write_csv if suffix == ".csv" else write_jsonl
    path = writer(tmp_path / f"runs{suffix}", demo_records)
    pattern_id = str(GROWING.pattern_id)
    code, out, err = run(capsys, "analyze", str(path), "--pattern", pattern_id, "--format", "json")
    assert (code, err) == (0, "")
    cli = json.loads(out)
    expected = api_result(demo_records, pattern_id)
    assert without_volatile(cli) == without_volatile(expected)
    assert cli["usage_metrics"]["total_executions"] > 100  # filtered to one pattern, not all
    assert cli["data_quality"]["records_received"] == sum(
        r["pattern_id"] == pattern_id for r in demo_records
    )


def test_analyze_json_has_the_shape_of_to_dict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, demo_records: list[dict[str, Any]]
) -> None:
    path = write_jsonl(tmp_path / "runs.jsonl", demo_records)
    pattern_id = str(DEMO_PATTERNS[1].pattern_id)
    _, out, _ = run(capsys, "analyze", str(path), "--pattern", pattern_id, "--format", "json")
    cli, api = json.loads(out), api_result(demo_records, pattern_id)
    assert list(cli) == list(api)
    for key, value in api.items():
        if isinstance(value, dict):
            assert list(cli[key]) == list(value), key


def test_analyze_csv_and_jsonl_agree_with_options(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, demo_records: list[dict[str, Any]]
) -> None:
    pattern_id = str(DEMO_PATTERNS[3].pattern_id)
    options = [
        "--pattern",
        pattern_id.upper(),  # UUIDs match whatever their case
        "--start",
        "2026-02-10",
        "--end",
        "2026-03-01T12:00:00+01:00",
        "--tz",
        "america/new_york",  # any case; the output names the zone as the tzdb does
        "--granularity",
        "comprehensive",
        "--window-type",
        "weekly",
        "--format",
        "json",
    ]
    results = []
    for path in (
        write_csv(tmp_path / "runs.csv", demo_records),
        write_jsonl(tmp_path / "runs.jsonl", demo_records),
    ):
        code, out, _ = run(capsys, "analyze", str(path), *options)
        assert code == 0
        results.append(without_volatile(json.loads(out)))
    assert results[0] == results[1]
    window = results[0]["time_window"]
    assert window == {
        "start": "2026-02-10T05:00:00Z",  # (the date on --tz's clocks: 00:00-05:00)
        "end": "2026-03-01T11:00:00Z",
        "type": "weekly",
        "granularity": "comprehensive",
        "timezone": "America/New_York",
    }
    assert results[0]["trend_analysis"]["time_series"]
    assert results[0]["data_quality"]["records_outside_window"] > 0


def test_option_values_of_a_list_are_taken_in_any_case(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--window-type Weekly (the enum's member is WEEKLY), --format JSON, ... were refused
    as invalid choices, where --tz and the pattern id take any case."""
    source = good_jsonl(tmp_path)
    code, out, err = run(
        capsys, "analyze", source, "--pattern", "p", "--window-type", "Weekly",
        "--granularity", "SUMMARY", "--on-invalid", "Skip", "--format", "JSON",
    )  # fmt: skip
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["time_window"]["type"] == "weekly"
    assert document["time_window"]["granularity"] == "summary"
    code, out, err = run(capsys, "dashboard", source, "--window-type", "DAILY", "--format", "Json")
    assert (code, err) == (0, "")
    assert json.loads(out)["window"]["type"] == "daily"


@pytest.mark.parametrize("option", ["--format", "--window-type", "--on-invalid", "--granularity"])
def test_an_option_value_of_no_case_is_refused_as_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str
) -> None:
    # (It was quoted lowered, 'xml', a value the user had not written.)
    code, _, err = run(capsys, "analyze", good_jsonl(tmp_path), "--pattern", "p", option, "XmL")
    assert code == 2
    assert f"argument {option}: invalid choice: 'XmL' (choose from" in err


def test_analyze_default_window_is_30_days_up_to_the_newest_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_jsonl(
        tmp_path / "runs.jsonl",
        [
            {"timestamp": "2026-01-01T00:00:00Z", "success": True},
            {"timestamp": "2026-02-15T06:30:00+02:00", "success": True},
            {"timestamp": "2026-01-20T08:00:00Z", "success": False},
        ],
    )
    _, out, _ = run(capsys, "analyze", str(path), "--pattern", "p", "--format", "json")
    document = json.loads(out)
    assert document["time_window"]["end"] == "2026-02-15T04:30:00Z"
    assert document["time_window"]["start"] == "2026-01-16T04:30:00Z"
    assert document["time_window"]["type"] == "monthly"
    assert document["data_quality"]["records_outside_window"] == 1
    assert document["usage_metrics"]["total_executions"] == 2


@pytest.mark.parametrize("command", ["analyze", "dashboard"])
def test_a_newest_record_days_after_the_clock_is_noted_as_the_windows_end(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    future = now + timedelta(days=400, hours=12)
    path = write_jsonl(
        tmp_path / "runs.jsonl",
        [
            {"pattern_id": "p", "timestamp": now.isoformat(), "success": True},
            {"pattern_id": "p", "timestamp": future.isoformat(), "success": True},
            {"pattern_id": "p", "timestamp": (now + timedelta(hours=20)).isoformat()},
        ],
    )
    pattern = ["--pattern", "p"] if command == "analyze" else []
    code, out, err = run(capsys, command, str(path), *pattern, "--format", "json")
    assert code == 0
    # (The source's newest record, which ends both commands' windows.)
    assert err == (
        f"usage-analytics: note: the newest record ({future.isoformat()}) is 400 days "
        "after this machine's clock, and the window ends there; pass --end to choose another\n"
    )
    # (The report is as before: the window ends at that record.)
    document = json.loads(out)
    window = document["time_window"] if command == "analyze" else document["window"]
    # (Both commands write the window's times as the results' JSON does: "...Z".)
    assert window["end"] == future.isoformat().replace("+00:00", "Z")
    # A day ahead at most (a clock a little fast) is no note; --end none either.
    path.write_text("\n".join(path.read_text().splitlines()[::2]) + "\n")
    assert run(capsys, command, str(path), *pattern)[2] == ""
    record = {"pattern_id": "p", "timestamp": future.isoformat()}
    path.write_text(path.read_text() + json.dumps(record) + "\n")
    end = ["--end", now.isoformat()]
    assert run(capsys, command, str(path), *pattern, *end)[2] == ""


@pytest.mark.parametrize("kind", ["parquet", "csv", "sqlite"])
def test_default_window_ends_at_the_newest_record_a_window_can_hold(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    # A timestamp past the year 9999 (an Arrow timestamp of year 148,000; ISO text at the
    # end of 9999 with a negative offset) is in no window: the default window ended there,
    # and the command failed with no file or record named.
    import sqlite3

    import pyarrow as pa
    import pyarrow.parquet as pq

    newest = "2026-02-15T04:30:00Z"
    if kind == "parquet":
        path = tmp_path / "runs.parquet"
        stamps = [datetime(2026, 2, 15, 4, 30, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)]
        micros = [int(stamp.timestamp()) * 1_000_000 for stamp in stamps] + [2**62]
        times = pa.array(micros, pa.timestamp("us", "UTC"))
        pq.write_table(pa.table({"timestamp": times, "success": [True] * 3}), path)
    else:
        texts = [newest, "2026-02-01T00:00:00Z", "9999-12-31T23:00:00-05:00"]
        if kind == "csv":
            path = tmp_path / "runs.csv"
            lines = [f"{text},true" for text in texts]
            path.write_text("timestamp,success\n" + "\n".join(lines) + "\n", encoding="utf-8")
        else:
            path = tmp_path / "runs.sqlite"
            with sqlite3.connect(path) as connection:
                connection.execute(
                    "CREATE TABLE pattern_executions (pattern_id TEXT, timestamp TEXT, "
                    "success INTEGER)"
                )
                rows = [("p", text, 1) for text in texts]
                connection.executemany("INSERT INTO pattern_executions VALUES (?, ?, ?)", rows)
                # (Without it, the command notes its absence: `cli.index_hint`.)
                connection.execute(
                    "CREATE INDEX by_pattern ON pattern_executions (pattern_id, timestamp)"
                )
            connection.close()
    code, out, err = run(capsys, "analyze", str(path), "--pattern", "p", "--format", "json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["time_window"]["end"] == newest
    assert document["usage_metrics"]["total_executions"] == 2


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_records_only_past_the_year_9999_say_so_not_another_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    # Their timestamps are valid: the advice to look for the time in another column,
    # given when none is, was wrong.
    import pyarrow as pa
    import pyarrow.parquet as pq

    if kind == "parquet":
        path = tmp_path / "runs.parquet"
        pq.write_table(pa.table({"timestamp": pa.array([2**62], pa.timestamp("us", "UTC"))}), path)
    else:
        path = tmp_path / "runs.csv"
        path.write_text("timestamp\n9999-12-31T23:30:00-01:00\n", encoding="utf-8")
    code, out, err = run(capsys, "analyze", str(path), "--pattern", "p")
    assert (code, out) == (1, "")
    assert err == (
        "usage-analytics: error: no record has a timestamp within the years 1-9999 that a "
        "window can hold (the first record's is valid but lies past them), so the window "
        "cannot end at the newest one: pass --start and --end\n"
    )


def test_analyze_file_without_pattern_id_belongs_to_the_given_pattern(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "runs.csv"
    path.write_text(
        "timestamp,success,execution_time_ms,agent\n"
        "2026-01-05T10:00:00Z,true,120.5,alice\n"
        "2026-01-06T10:00:00Z,0,,bob\n",
        encoding="utf-8",
    )
    _, out, _ = run(capsys, "analyze", str(path), "--pattern", "checkout", "--format", "json")
    document = json.loads(out)
    assert document["pattern_id"] == "checkout"
    assert document["success_metrics"]["success_count"] == 1
    assert document["success_metrics"]["failure_count"] == 1
    assert document["performance_metrics"]["sample_count"] == 1  # empty cell = missing
    assert document["usage_metrics"]["unique_users"] == 2


def test_analyze_table_report_reads_well(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, demo_records: list[dict[str, Any]]
) -> None:
    path = write_jsonl(tmp_path / "runs.jsonl", demo_records)
    code, out, _ = run(capsys, "analyze", str(path), "--pattern", str(GROWING.pattern_id))
    assert code == 0
    for section in ("USAGE", "SUCCESS & QUALITY", "PERFORMANCE", "TREND", "WHERE IT RUNS"):
        assert section in out
    assert "↗ GROWING" in out
    assert "p95" in out
    assert "Hour of day (UTC)" in out
    assert all(len(line) <= 100 for line in out.splitlines())


@pytest.mark.parametrize("width", [60, 80, 120])
def test_output_fits_the_terminal_width(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, width: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    for name in ("ci-failure-triage", "schema-migration-helper"):
        code, out, _ = run(capsys, "demo", "--now", NOW_ARG, "--pattern", name)
        assert code == 0
        too_long = [line for line in out.splitlines() if len(line) > width]
        assert too_long == []


def test_output_falls_back_to_ascii_on_an_ascii_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buffer = io.BytesIO()
    stream = io.TextIOWrapper(buffer, encoding="ascii")
    monkeypatch.setattr(sys, "stdout", stream)
    assert main(["demo", "--now", NOW_ARG]) == 0
    stream.flush()
    text = buffer.getvalue().decode("ascii")
    assert "^ growing" in text
    assert "PERFORMANCE" in text


def test_analyze_output_option_writes_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, demo_records: list[dict[str, Any]]
) -> None:
    path = write_jsonl(tmp_path / "runs.jsonl", demo_records)
    target = tmp_path / "report.json"
    pattern_id = str(GROWING.pattern_id)
    code, out, err = run(
        capsys, "analyze", str(path), "--pattern", pattern_id, "--format", "json",
        "--output", str(target),
    )  # fmt: skip
    assert (code, out, err) == (0, "", "")
    assert json.loads(target.read_text(encoding="utf-8"))["pattern_id"] == pattern_id


def test_a_dashboard_of_one_pattern_is_its_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The table's dashboard is shown for several patterns, or when no pattern is shown in
    # full: a dashboard of a source with one pattern is still its one line.
    path = write_jsonl(
        tmp_path / "runs.jsonl", [{"pattern_id": "solo", "timestamp": NOW, "success": True}]
    )
    code, out, err = run(capsys, "dashboard", str(path))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    header = next(index for index, line in enumerate(lines) if line.startswith("PATTERN"))
    assert lines[header + 2].split()[:3] == ["solo", "1", "100.0%"]
    assert len(lines) == header + 3  # (and no full report after it)


@pytest.mark.parametrize("stream", ["cp1252 bytes", "text only"])
def test_documents_to_a_stream_not_a_terminal_are_utf8_text(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stream: str,
) -> None:
    # A document is written as UTF-8 bytes to the stream's buffer, whatever its encoding
    # (cp1252 would write "é" as one byte); a stream without a buffer (an IDE's, a
    # test's StringIO) takes it as text.
    name = "café ☕"
    path = write_jsonl(
        tmp_path / "runs.jsonl", [{"pattern_id": name, "timestamp": NOW, "success": True}]
    )
    raw = io.BytesIO()
    wrapper = io.TextIOWrapper(raw, encoding="cp1252")
    text_only = io.StringIO()
    monkeypatch.setattr(sys, "stdout", wrapper if stream == "cp1252 bytes" else text_only)
    code = main(["analyze", str(path), "--pattern", name, "--format", "json"])
    assert (code, capsys.readouterr().err) == (0, "")
    wrapper.flush()
    text = raw.getvalue().decode("utf-8") if stream == "cp1252 bytes" else text_only.getvalue()
    assert json.loads(text)["pattern_id"] == name


def test_output_to_a_file_is_100_columns_wide_whatever_the_terminal(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    demo_records: list[dict[str, Any]],
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    path = write_jsonl(tmp_path / "runs.jsonl", demo_records)
    target = tmp_path / "report.txt"
    pattern = ["--pattern", str(GROWING.pattern_id)]
    assert run(capsys, "analyze", str(path), *pattern, "--output", str(target)) == (0, "", "")
    widths = {len(line) for line in target.read_text(encoding="utf-8").splitlines()}
    assert max(widths) == 100  # (the report's rules span it)


@pytest.mark.parametrize("form", ["table", "json"])
@pytest.mark.parametrize("where", ["stdout", "file"])
def test_the_output_ends_in_one_line_break(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    demo_records: list[dict[str, Any]],
    form: str,
    where: str,
) -> None:
    # A text file's last line ends in a line break (`wc -l`, `cat a b`), and only one.
    path = write_jsonl(tmp_path / "runs.jsonl", demo_records)
    target = tmp_path / "report"
    output = ["--output", str(target)] if where == "file" else []
    code, out, err = run(capsys, "dashboard", str(path), "--format", form, *output)
    assert (code, err) == (0, "")
    text = target.read_text(encoding="utf-8") if where == "file" else out
    assert text.endswith("\n")
    assert not text.endswith("\n\n")
    assert text.rstrip("\n") == text[:-1]


def test_a_document_follows_what_a_caller_wrote_to_stdout_before(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The document goes to stdout's byte buffer: text a caller of main() wrote before,
    # still in the text layer, comes first, not after it.
    path = write_jsonl(
        tmp_path / "runs.jsonl", [{"pattern_id": "p", "timestamp": NOW, "success": True}]
    )
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stream)
    stream.write("before\n")
    assert main(["dashboard", str(path), "--format", "json"]) == 0
    stream.flush()
    assert capsys.readouterr().err == ""
    first, document = raw.getvalue().decode("utf-8").split("\n", 1)
    assert first == "before"
    assert json.loads(document)["patterns"][0]["pattern_id"] == "p"


@pytest.mark.parametrize("encoding", ["cp1252", None])
def test_the_table_escapes_only_what_the_stream_cannot_encode(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    encoding: str | None,
) -> None:
    # A cp1252 stream shows "é" and escapes "☕"; one that names no encoding (a test's or
    # an IDE's StringIO) is taken for ASCII.
    name = "café ☕"
    path = write_jsonl(
        tmp_path / "runs.jsonl", [{"pattern_id": name, "timestamp": NOW, "success": True}]
    )
    raw = io.BytesIO()
    wrapper = io.TextIOWrapper(raw, encoding="cp1252")
    text_only = io.StringIO()
    monkeypatch.setattr(sys, "stdout", wrapper if encoding else text_only)
    assert main(["dashboard", str(path)]) == 0
    assert capsys.readouterr().err == ""
    wrapper.flush()
    text = raw.getvalue().decode("cp1252") if encoding else text_only.getvalue()
    shown = "café \\u2615" if encoding else "caf\\xe9 \\u2615"
    assert any(line.startswith(shown) for line in text.splitlines()), text


def test_json_to_a_pipe_keeps_its_characters_unescaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A document to a file or pipe is UTF-8, its names as they are ("\u00e9" escapes are
    # for a terminal that cannot show them).
    name = "café ☕"
    path = write_jsonl(
        tmp_path / "runs.jsonl", [{"pattern_id": name, "timestamp": NOW, "success": True}]
    )
    code, out, err = run(capsys, "dashboard", str(path), "--format", "json")
    assert (code, err) == (0, "")
    assert f'"pattern_id": "{name}"' in out


def test_an_output_file_that_cannot_be_written_is_a_one_line_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_jsonl(tmp_path / "runs.jsonl", [{"pattern_id": "p", "timestamp": NOW}])
    code, out, err = run(capsys, "dashboard", str(path), "--output", "/dev/full")
    assert (code, out) == (2, "")
    assert err == "usage-analytics: error: cannot write /dev/full: No space left on device\n"


def test_a_dashboard_page_of_two_patterns_has_the_table_of_both(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = [
        {"pattern_id": name, "timestamp": NOW, "success": True} for name in ("first", "second")
    ]
    path = write_jsonl(tmp_path / "runs.jsonl", records)
    code, out, err = run(capsys, "dashboard", str(path), "--format", "html")
    assert (code, err) == (0, "")
    assert 'id="overview"' in out
    assert '<td class="name">first</td>' in out
    assert '<td class="name">second</td>' in out


def test_output_dash_is_standard_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, demo_records: list[dict[str, Any]]
) -> None:
    # It wrote a file named "-" in the working directory (the test's: see `_fixed_width`).
    path = write_jsonl(tmp_path / "runs.jsonl", demo_records)
    code, out, err = run(capsys, "dashboard", str(path), "--format", "json", "--output", "-")
    assert (code, err) == (0, "")
    assert len(json.loads(out)["patterns"]) == len(DEMO_PATTERNS)
    assert not (tmp_path / "-").exists()


@pytest.mark.parametrize("command", ["analyze", "dashboard", "demo"])
def test_an_output_path_that_cannot_be_a_file_is_refused_before_the_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    # Refused when the report was written: after the whole source was read and analysed
    # (minutes, for a large one), and after the demo had rewritten its database.
    # `--output ''` was "cannot write .: Is a directory".
    database = tmp_path / "demo.sqlite"
    argv = {
        "analyze": ["analyze", str(tmp_path / "missing.jsonl"), "--pattern", "p"],
        "dashboard": ["dashboard", str(tmp_path / "missing.jsonl")],
        "demo": ["demo", "--now", NOW_ARG, "--db", str(database)],
    }[command]
    (tmp_path / "notes.txt").write_text("notes\n", encoding="utf-8")
    refused = {
        str(tmp_path / "nodir" / "report.html"): f"{tmp_path / 'nodir'}: no such directory",
        str(tmp_path / "notes.txt" / "report.html"): f"{tmp_path / 'notes.txt'}: is not a dir",
        str(tmp_path): "is a directory",
        "": "an empty path",
    }
    for output, reason in refused.items():
        code, out, err = run(capsys, *argv, "--output", output)
        assert (code, out) == (2, "")
        assert err.startswith(f"usage-analytics: error: argument --output: {output}"), err
        assert reason in err, err
    assert not database.exists()


@pytest.mark.parametrize("option", ["--db", "--save"])
def test_demo_paths_that_cannot_be_files_are_refused_before_the_work(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str
) -> None:
    # `--db ''` was "--db .: is a directory"; `--save` in a missing directory was refused
    # after the demo had written its database.
    database = tmp_path / "demo.sqlite"
    refused = {
        str(tmp_path / "nodir" / "demo.db"): f"{tmp_path / 'nodir'}: no such directory",
        str(tmp_path): "is a directory (pass a file's path)",
        "": "an empty path (pass a file's path)",
    }
    for path, reason in refused.items():
        argv = ["demo", "--now", NOW_ARG, option, path]
        if option == "--save":
            argv += ["--db", str(database)]
        code, out, err = run(capsys, *argv)
        assert (code, out) == (2, "")
        assert err.startswith(f"usage-analytics: error: argument {option}: {path}"), err
        assert reason in err, err
    assert not database.exists()


def test_a_directory_at_the_default_demo_database_is_refused_as_one(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # argparse checks only a --db given: the default's directory was "holds other data
    # (not a SQLite database)".
    monkeypatch.chdir(tmp_path)
    (tmp_path / "usage-analytics-demo.sqlite").mkdir()
    code, out, err = run(capsys, "demo", "--now", NOW_ARG)
    assert (code, out) == (2, "")
    assert err == (
        "usage-analytics: error: --db usage-analytics-demo.sqlite: is a directory "
        "(pass a file's path)\n"
    )


@pytest.mark.parametrize("option", ["--output", "--db", "--save"])
def test_a_path_the_file_system_cannot_look_at_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str
) -> None:
    # A name longer than the file system takes made the check's `is_dir` raise
    # (ENAMETOOLONG), which argparse let out as a traceback.
    database = tmp_path / "demo.sqlite"
    path = str(tmp_path / ("a" * 300 + ".json"))
    argv = ["demo", "--now", NOW_ARG, option, path]
    if option != "--db":
        argv += ["--db", str(database)]
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err == (
        f"usage-analytics: error: argument {option}: {path}: File name too long "
        "(see 'usage-analytics demo --help')\n"
    )
    assert not database.exists()


@pytest.mark.parametrize("command", ["analyze", "dashboard", "demo"])
def test_output_over_the_records_is_refused(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    demo_records: list[dict[str, Any]],
    command: str,
) -> None:
    # `--output runs.jsonl` (for `--output runs.html`) wrote the report over the records.
    path = write_jsonl(tmp_path / "runs.jsonl", demo_records)
    records = path.read_bytes()
    database = tmp_path / "demo.sqlite"
    if command == "demo":
        argv = ["demo", "--now", NOW_ARG, "--db", str(database), "--save", str(path)]
        spellings = [str(database), str(tmp_path / "." / "demo.sqlite"), str(path)]
    else:
        argv = [command, str(path)]
        if command == "analyze":
            argv += ["--pattern", str(GROWING.pattern_id)]
        (tmp_path / "linked.jsonl").hardlink_to(path)
        spellings = [
            str(path),
            str(tmp_path / ".." / tmp_path.name / "runs.jsonl"),
            str(tmp_path / "linked.jsonl"),
        ]
    for output in spellings:
        code, out, err = run(capsys, *argv, "--output", output)
        assert (code, out) == (2, "")
        assert "which the report would overwrite; pass another path" in err
        assert path.read_bytes() == records
    assert not database.exists()  # (refused before the demo wrote anything)


def test_demo_records_saved_over_its_database_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # `demo --save` naming the --db file (or a link to it) wrote the records over the
    # database, then failed on it ("file is not a database", exit 1): the file was lost.
    database = tmp_path / "demo.jsonl"  # (a SQLite file named as --save takes a path)
    code, _, _ = run(capsys, "demo", "--now", NOW_ARG, "--db", str(database))
    assert code == 0
    before = database.read_bytes()
    (tmp_path / "linked.jsonl").symlink_to(database)
    for save in (database, tmp_path / "." / "demo.jsonl", tmp_path / "linked.jsonl"):
        code, out, err = run(
            capsys, "demo", "--now", NOW_ARG, "--db", str(database), "--save", str(save)
        )
        assert (code, out) == (2, "")
        assert err == (
            f"usage-analytics: error: --save {save}: is the demo's database (--db), which "
            "the records would overwrite; pass another path\n"
        )
        assert database.read_bytes() == before


def test_analyze_skip_mode_reports_invalid_records_by_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(
        '{"timestamp": "2026-01-05T10:00:00Z", "success": true}\n'
        "\n"
        '{"timestamp": "yesterday", "success": true}\n'
        '{"timestamp": "2026-01-06T10:00:00Z", "success": "yes"}\n',
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "analyze", str(path), "--pattern", "p", "--on-invalid", "skip")
    assert code == 0
    assert "2 invalid" in out
    assert "line 3: timestamp = 'yesterday'" in out  # blank line 2 counted
    assert "line 4: success = 'yes'" in out


def test_analyze_json_samples_say_where_their_record_is(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A sample's index counts among its pattern's records; its location is the file's.
    path = tmp_path / "runs.jsonl"
    path.write_text(
        '{"pattern_id": "q", "timestamp": "2026-01-05T10:00:00Z"}\n'
        '{"pattern_id": "p", "timestamp": "2026-01-05T11:00:00Z"}\n'
        '{"pattern_id": "q", "timestamp": "later"}\n'
        '{"pattern_id": "p", "timestamp": "2026-01-06T10:00:00Z", "success": "yes"}\n',
        encoding="utf-8",
    )
    argv = ["analyze", str(path), "--pattern", "p", "--on-invalid", "skip", "--format", "json"]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    samples = json.loads(out)["data_quality"]["error_samples"]
    assert [(s["index"], s["field"], s["location"]) for s in samples] == [(1, "success", "line 4")]


def test_help_explains_the_default_window(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "analyze", "--help")
    assert code == 0
    assert "30 days up to the newest record" in " ".join(out.split())


@pytest.mark.parametrize("command", ["analyze", "dashboard"])
def test_help_names_each_options_value(capsys: pytest.CaptureFixture[str], command: str) -> None:
    # The help is the command's contract: each option with the kind of value it takes.
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    synopsis = " ".join(out.split("\n\n")[0].split())
    for option in (
        "[--table NAME]", "[--column FIELD=COLUMN]", "[--start ISO]", "[--end ISO]",
        "[--window-type TYPE]", "[--on-invalid {raise,skip}]", "[--tz ZONE]",
        "[--format {table,json,html}]", "[--output PATH]", "SOURCE",
    ):  # fmt: skip
        assert option in synopsis
    text = " ".join(out.split())
    assert "raise: stop at the first invalid record (default); skip: leave invalid" in text
    assert "window start, on --tz's clocks (default UTC) unless it has an offset" in text
    assert "SOURCE where the execution records are: a record file (.csv," in text


def test_a_lowercase_z_is_utc_as_the_uppercase_one() -> None:
    # (Python's fromisoformat takes only "Z".)
    expected = datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert parse_start("2026-03-01T10:00z") == parse_start("2026-03-01T10:00Z") == expected
    assert start_arg("2026-03-01T10:00z").at("Europe/Berlin") == expected


def test_a_window_without_an_end_or_a_newest_record_is_an_error() -> None:
    options = argparse.Namespace(start=None, end=None, window_type=None)
    with pytest.raises(CliError) as raised:
        window_of(options, None)
    assert str(raised.value) == (
        "no record has a valid timestamp, so the window cannot end at the newest one: is the "
        "timestamp in another column (--column timestamp=COLUMN)? Otherwise pass --start and "
        "--end"
    )


def test_help_lists_every_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert (
        "Exit status: 0 success (also when the output's reader stops reading, as `| head` "
        "does), 1 data that cannot be analysed, 2 a wrong command line or setup (a missing "
        "file, an unreachable server, a missing pip extra), 70 a fault of usage-analytics' "
        "own (please report it), 130 interrupted (Ctrl-C)."
    ) in " ".join(out.split())
    # (70, the library's own fault, was missing: a script could not tell it from the help.)
    statuses = [EXIT_OK, EXIT_DATA, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED]
    epilog = " ".join(out.split()).split("Exit status: ")[1]
    assert [status for status in statuses if not re.search(rf"(?<!\d){status} ", epilog)] == []


def test_a_reader_that_stops_early_ends_the_command_quietly_with_success(
    tmp_path: Path,
) -> None:
    # `usage-analytics dashboard ... | head -0`, or any reader gone before the report is
    # written: the exit status was 1 ("data that cannot be analysed"), which failed
    # `set -o pipefail` scripts. (A reader gone part-way through a report larger than
    # the pipe's buffer is not seen at all: Python's buffered write returns short
    # without an error, and nobody is left to read the rest.)
    path = write_jsonl(tmp_path / "runs.jsonl", [{"pattern_id": "p", "timestamp": "2026-03-01"}])
    command = [sys.executable, "-m", "usage_analytics", "dashboard", str(path), "--format", "json"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        try:
            assert process.stdout is not None
            assert process.stderr is not None
            process.stdout.close()  # (before the command has even imported the package)
            stderr = process.stderr.read()
            status = process.wait(timeout=120)
        finally:
            process.kill()
    assert (status, stderr) == (0, b"")


@pytest.mark.parametrize("form", ["table", "json", "html"])
def test_an_output_pipe_whose_reader_is_gone_ends_the_command_quietly_with_success(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, form: str
) -> None:
    # `--output /dev/stdout | head`: the write's EPIPE was "cannot write /dev/stdout:
    # Broken pipe", exit 2, where the help promises 0 for a reader that stops reading.
    path = write_jsonl(
        tmp_path / "runs.jsonl", [{"pattern_id": "p", "timestamp": NOW, "success": True}]
    )
    read, write = os.pipe()
    os.close(read)  # (the reader gone before the report is written)
    try:
        code, out, err = run(
            capsys, "analyze", str(path), "--pattern", "p", "--format", form,
            "--output", f"/dev/fd/{write}",
        )  # fmt: skip
    finally:
        os.close(write)
    assert (code, out, err) == (0, "", "")


# ----------------------------------------------------------------------------- errors


def bad_jsonl(tmp_path: Path) -> str:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"pattern_id": "p", "timestamp": "2026-01-05T10:00:00Z"}\n'
        '{"pattern_id": "p", "timestamp": "2026-01-06T10:00:00Z", "quality_score": 1.5}\n',
        encoding="utf-8",
    )
    return str(path)


def good_jsonl(tmp_path: Path) -> str:
    return str(
        write_jsonl(
            tmp_path / "good.jsonl", [{"pattern_id": "p", "timestamp": NOW, "success": True}]
        )
    )


def broken_jsonl(tmp_path: Path) -> str:
    path = tmp_path / "broken.jsonl"
    path.write_text('{"timestamp": \n', encoding="utf-8")
    return str(path)


def analyze(path: str, *options: str) -> list[str]:
    return ["analyze", path, *options]


def text_file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def quote_left_open(tmp_path: Path) -> str:
    # pyarrow reads the open quote's cell to the end of the file: the nine records after
    # it were silently one agent name.
    rows = "".join(f"p,2026-01-01T0{hour}:00:00Z,x\n" for hour in range(1, 10))
    header = 'pattern_id,timestamp,agent\np,2026-01-01T00:00:00Z,"abc\n'
    return text_file(tmp_path, "open.csv", header + rows)


def nested_ids_parquet(tmp_path: Path) -> str:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "nested.parquet"
    stamps = pa.array([datetime(2026, 1, 1, tzinfo=UTC)], pa.timestamp("us", tz="UTC"))
    pq.write_table(pa.table({"pattern_id": pa.array([["p"]]), "timestamp": stamps}), path)
    return str(path)


def float_timestamps_parquet(tmp_path: Path) -> str:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = tmp_path / "floats.parquet"
    pq.write_table(pa.table({"pattern_id": ["p"], "timestamp": [1.5]}), path)
    return str(path)


# (case, argv from tmp_path, exit code, a fragment of the message)
ERROR_CASES = [
    ("missing_file", lambda t: analyze(str(t / "no.jsonl"), "--pattern", "p"), 2, "no such file"),
    (
        "empty_source",  # (an unset variable, `analyze "$RUNS"`: ".: is a directory")
        lambda t: analyze("", "--pattern", "p"),
        2,
        "argument SOURCE: an empty source '' (pass a record file, a SQLite file or a URL)",
    ),
    ("blank_source", lambda t: ["dashboard", "  "], 2, "argument SOURCE: an empty source '  '"),
    (
        "column_without_a_field",
        lambda t: analyze(good_jsonl(t), "--pattern", "p", "--column", "=x"),
        2,
        "usage-analytics: error: --column: expected FIELD=COLUMN, got '=x'\n",
    ),
    (
        "bad_column_beside_a_good_table",  # (the option given is named, not both)
        lambda t: analyze(good_jsonl(t), "--pattern", "p", "--table", "t", "--column", "x"),
        2,
        "usage-analytics: error: --column: expected FIELD=COLUMN, got 'x'\n",
    ),
    ("unknown_extension", lambda t: analyze(str(t / "a.xlsx"), "--pattern", "p"), 2, ".xlsx"),
    (
        "bad_start_date",
        lambda t: analyze(good_jsonl(t), "--pattern", "p", "--start", "2026-13-01"),
        2,
        "argument --start",
    ),
    (
        "end_before_start",
        lambda t: analyze(good_jsonl(t), "--pattern", "p", "--start", "2027-01-01"),
        2,
        "the window end (the newest record, 2026-03-03T14:00:00+00:00) must be after its start",
    ),
    (
        "given_end_before_start",
        lambda t: analyze(
            good_jsonl(t), "--pattern", "p", "--start", "2027-01-01", "--end", "2026-12-01"
        ),
        2,
        # (A date alone as the end includes that day: the window ends at the next 00:00.)
        "the window end (2026-12-02T00:00:00+00:00) must be after its start",
    ),
    (
        "window_type_with_too_many_buckets",
        lambda t: analyze(
            good_jsonl(t), "--pattern", "p", "--start", "2000-01-01", "--window-type", "hourly"
        ),
        2,
        "time_window_type 'hourly' over",
    ),
    (
        "unknown_pattern",
        lambda t: analyze(good_jsonl(t), "--pattern", "other"),
        1,
        "no records with pattern_id 'other'",
    ),
    (
        "invalid_record_raise_mode",
        lambda t: analyze(bad_jsonl(t), "--pattern", "p"),
        1,
        "line 2: field 'quality_score'",
    ),
    (
        "bad_time_zone",
        lambda t: analyze(good_jsonl(t), "--pattern", "p", "--tz", "Mars/Olympus"),
        2,
        "unknown time zone 'Mars/Olympus'",
    ),
    (
        "malformed_json",
        lambda t: analyze(broken_jsonl(t), "--pattern", "p"),
        1,
        "line 1: not valid JSON",
    ),
    (
        "csv_quote_left_open",
        lambda t: analyze(quote_left_open(t), "--pattern", "p"),
        1,
        "open.csv, line 2: malformed CSV: a quote is left open (its cell runs to the end "
        "of the file, line 11)",
    ),
    (
        "csv_column_named_twice",
        lambda t: analyze(
            text_file(t, "twice.csv", "pattern_id,timestamp,pattern_id\np,2026-01-01,q\n"),
            "--pattern",
            "p",
        ),
        1,
        "line 1: the header names column(s) 'pattern_id' more than once",
    ),
    (
        "jsonl_object_pattern_id",
        lambda t: analyze(
            text_file(t, "o.jsonl", '{"pattern_id": {"a": 1}, "timestamp": "2026-01-01"}\n'),
            "--pattern",
            "p",
        ),
        1,
        "line 1: pattern_id must be a string or a number, got an object",
    ),
    (
        "jsonl_null_line",
        lambda t: analyze(
            text_file(t, "z.jsonl", '{"pattern_id": "p", "timestamp": "2026-01-01"}\nnull\n'),
            "--pattern",
            "p",
        ),
        1,
        "z.jsonl, line 2: expected a JSON object, got null",
    ),
    (
        "jsonl_two_objects_on_a_line",
        lambda t: analyze(
            text_file(
                t,
                "two.jsonl",
                '{"pattern_id": "p", "timestamp": "2026-01-01"}\n'
                '{"pattern_id": "p", "timestamp": "2026-01-02"} {"pattern_id": "p"}\n',
            ),
            "--pattern",
            "p",
        ),
        1,
        "two.jsonl, line 2: not valid JSON: Extra data",
    ),
    (
        "jsonl_two_objects_on_a_line_and_one_over_two_lines",
        lambda t: analyze(
            text_file(
                t,
                "split.jsonl",
                '{"pattern_id": "p", "timestamp": "2026-01-01"} {"pattern_id": "p"}\n'
                '{"pattern_id": "p",\n"timestamp": "2026-01-02"}\n',
            ),
            "--pattern",
            "p",
        ),
        1,
        "split.jsonl, line 1: not valid JSON: Extra data",
    ),
    (
        "jsonl_line_cut_short",  # (its error at the line's end, not the next line's start)
        lambda t: analyze(
            text_file(t, "cut.jsonl", '{"pattern_id": "p", "timestamp": "2026-01-01"\n'),
            "--pattern",
            "p",
        ),
        1,
        "cut.jsonl, line 1: not valid JSON: Expecting ',' delimiter (column 46)",
    ),
    (
        "jsonl_last_line_being_written",  # (no line ending: said so)
        lambda t: analyze(
            text_file(t, "live.jsonl", '{"pattern_id": "p", "timestamp": "2026-01-01"}\n{"pat'),
            "--pattern",
            "p",
        ),
        1,
        "live.jsonl, line 2: not valid JSON: Unterminated string starting at "
        "(column 2; the last line, with no line ending: still written?)",
    ),
    (
        "jsonl_last_line_unended_but_whole",  # (wrong JSON, not cut short: no such hint)
        lambda t: analyze(
            text_file(t, "whole.jsonl", '{"pattern_id": "p", "timestamp": x}'),
            "--pattern",
            "p",
        ),
        1,
        "whole.jsonl, line 1: not valid JSON: Expecting value (column 34)\n",
    ),
    (
        "jsonl_number_of_5000_digits",
        lambda t: analyze(
            text_file(
                t,
                "n.jsonl",
                '{"pattern_id": "p", "timestamp": "2026-01-01", "execution_time_ms": '
                + "9" * 5000
                + "}\n",
            ),
            "--pattern",
            "p",
        ),
        1,
        # (pyarrow read it as an infinity, "= inf: must be a finite number"; Python's limit
        # on an int's digits stops the standard reader, the reference: test_odd_cells.py)
        "line 1: not valid JSON: a number has too many digits",
    ),
    (
        "jsonl_pattern_id_not_utf8",
        lambda t: [
            "dashboard",
            text_file(t, "s.jsonl", '{"pattern_id": "p\\ud800", "timestamp": "2026-01-01"}\n'),
        ],
        1,
        "line 1: pattern_id 'p\\ud800' is not valid UTF-8 text",
    ),
    (
        "parquet_column_of_a_type_no_field_has",
        lambda t: analyze(
            float_timestamps_parquet(t),
            "--pattern",
            "p",
            "--start",
            "2026-01-01",
            "--end",
            "2026-02-01",
        ),
        1,
        "floats.parquet: invalid input: column 'timestamp' has Arrow type Float64",
    ),
    (
        "parquet_nested_pattern_ids",
        lambda t: analyze(nested_ids_parquet(t), "--pattern", "p"),
        1,
        "column 'pattern_id' holds list<element: string> values",
    ),
    (
        "window_option_past_year_9999",
        lambda t: analyze(good_jsonl(t), "--pattern", "p", "--end", "9999-12-31T23:00:00-14:00"),
        2,
        "the window from --start/--end reaches past the years 1-9999",
    ),
    (
        "default_window_before_year_1",
        lambda t: analyze(
            text_file(t, "y1.csv", "pattern_id,timestamp\np,0001-01-01T00:00:00Z\n"),
            "--pattern",
            "p",
        ),
        1,
        "the window from the newest record reaches past the years 1-9999",
    ),
    ("missing_pattern_option", lambda t: analyze(good_jsonl(t)), 2, "--pattern"),
    (
        "unknown_window_type",
        lambda t: analyze(good_jsonl(t), "--pattern", "p", "--window-type", "fortnightly"),
        2,
        "argument --window-type: invalid choice: 'fortnightly' (choose from 'hourly',",
    ),
    ("unknown_command", lambda t: ["report"], 2, "invalid choice"),
    ("unknown_demo_pattern", lambda t: ["demo", "--pattern", "nope"], 2, "invalid choice"),
]


@pytest.mark.parametrize(
    ("make_argv", "expected_code", "fragment"),
    [pytest.param(*case[1:], id=case[0]) for case in ERROR_CASES],
)
def test_error_is_one_line_without_traceback(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    make_argv: Callable[[Path], list[str]],
    expected_code: int,
    fragment: str,
) -> None:
    code, out, err = run(capsys, *make_argv(tmp_path))
    assert code == expected_code
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("usage-analytics: error: ")
    assert fragment in err
    assert "Traceback" not in err


def test_parquet_string_view_columns_are_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # pyarrow's take and unique kernels lack string views (a traceback before).
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    stamps = pa.array([datetime(2026, 1, 1, hour, tzinfo=UTC) for hour in range(3)])
    columns = {
        "pattern_id": ["p", "q", "p"],
        "timestamp": stamps,
        "success": [True, False, True],
        "agent": ["a", "b", "c"],
    }
    plain, views = tmp_path / "plain.parquet", tmp_path / "views.parquet"
    pq.write_table(pa.table(columns), plain)
    viewed = {**columns, "agent": pa.array(columns["agent"], pa.string_view())}
    viewed["pattern_id"] = pa.array(columns["pattern_id"], pa.string_view())
    pq.write_table(pa.table(viewed), views)
    documents = []
    for path in (plain, views):
        code, out, err = run(capsys, "analyze", str(path), "--pattern", "p", "--format", "json")
        assert (code, err) == (0, "")
        documents.append(without_volatile(json.loads(out)))
    assert documents[0] == documents[1]
    assert documents[0]["context_distribution"]["by_agent"] == {"a": 1, "c": 1}


@pytest.mark.parametrize("arrow", [True, False], ids=["pyarrow", "standard_library"])
def test_lenient_csv_and_json_lines_still_read(tmp_path: Path, arrow: bool) -> None:
    # Text after a closing quote, unused columns named twice (empty spreadsheet columns),
    # a quoted line break in the last row followed by another cell: read as before, by
    # both readers. A JSON number as a pattern id groups by its value: 1.0 is pattern "1".
    csv_text = (
        "pattern_id,timestamp,agent,note,note,,\n"
        'p,2026-01-01T00:00:00Z,"abc" ,x,y,,\n'
        'p,2026-01-01T01:00:00Z,"multi\nline",z,w,,\n'
    )
    csv_path = Path(text_file(tmp_path, "lenient.csv", csv_text))
    fetched = asyncio.run(FileSource(csv_path, arrow=arrow).fetch("p", START_2026, END_2026))
    assert fetched.count == 2
    jsonl = Path(
        text_file(tmp_path, "ids.jsonl", '{"pattern_id": 1.0, "timestamp": "2026-01-01"}\n')
    )
    fetched = asyncio.run(FileSource(jsonl, arrow=arrow).fetch("1", START_2026, END_2026))
    assert fetched.count == 1


def test_json_output_is_valid_json_when_a_sum_passes_the_largest_float(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Two finite times of 1e308 sum past the largest float: Python's json wrote Infinity.
    path = text_file(
        tmp_path,
        "h.csv",
        "pattern_id,timestamp,execution_time_ms\n"
        "p,2026-01-01T00:00:00Z,1e308\np,2026-01-01T01:00:00Z,1e308\n",
    )
    code, out, _ = run(capsys, "analyze", path, "--pattern", "p", "--format", "json")

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    performance = json.loads(out, parse_constant=refuse)["performance_metrics"]
    assert code == 0
    assert performance["total_execution_time_ms"] is None
    assert performance["max_execution_time_ms"] == 1e308


# --------------------------------------------------------------------- CSV conversion


def test_csv_cells_are_typed_by_column_name(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text(
        "timestamp,success,timeout,quality_gates_passed,execution_time_ms,quality_score,agent,extra\n"
        "2026-01-05T10:00:00Z,True,0,yes,12.5,1,1,true\n"
        "2026-01-05T11:00:00Z,maybe,,,fast,,,\n",
        encoding="utf-8",
    )
    first, second = load_records(path)
    assert first == {
        "timestamp": "2026-01-05T10:00:00Z",
        "success": True,
        "timeout": False,
        "quality_gates_passed": True,
        "execution_time_ms": 12.5,
        "quality_score": 1.0,
        "agent": "1",  # not a bool: typed by column, not guessed
        "extra": "true",
    }
    # Unconvertible cells stay as written (the core reports them); empty = missing.
    assert second == {
        "timestamp": "2026-01-05T11:00:00Z",
        "success": "maybe",
        "execution_time_ms": "fast",
    }
    assert read_records(path).location_label(1) == "line 3"


# ------------------------------------------------------------------------- subprocess


def test_module_runs_as_a_command(tmp_path: Path, demo_records: list[dict[str, Any]]) -> None:
    path = write_csv(tmp_path / "runs.csv", demo_records)
    pattern_id = str(GROWING.pattern_id)
    command = [sys.executable, "-m", "usage_analytics", "analyze", str(path)]
    done = subprocess.run(
        [*command, "--pattern", pattern_id, "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert without_volatile(json.loads(done.stdout)) == without_volatile(
        api_result(demo_records, pattern_id)
    )
    failed = subprocess.run(
        [*command, "--pattern", pattern_id, "--start", "yesterday"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert failed.stderr.startswith("usage-analytics: error: argument --start")
    assert failed.stderr.count("\n") == 1
    assert "Traceback" not in failed.stderr


@pytest.mark.parametrize("stdout", ["full", "closed"])
@pytest.mark.parametrize("form", ["table", "json"])
def test_a_stdout_that_fails_is_a_one_line_error(
    tmp_path: Path, demo_records: list[dict[str, Any]], stdout: str, form: str
) -> None:
    # A full disk under `> file` and a closed stdout (`>&-`) printed a traceback.
    path = write_csv(tmp_path / "runs.csv", demo_records)
    command = [sys.executable, "-m", "usage_analytics", "analyze", str(path), "--format", form]
    pattern = ["--pattern", str(GROWING.pattern_id)]
    with open(os.devnull if stdout == "closed" else "/dev/full", "wb") as sink:
        failed = subprocess.run(
            [*command, *pattern],
            stdout=sink if stdout == "full" else None,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            timeout=60,
            # (`>&-`: the child starts with descriptor 1 closed.)
            preexec_fn=(lambda: os.close(1)) if stdout == "closed" else None,
        )
    assert failed.returncode == 2
    reason = (
        "the report: standard output is closed"
        if stdout == "closed"
        else "to standard output: No space left on device"
    )
    assert failed.stderr == f"usage-analytics: error: cannot write {reason}\n"


@pytest.mark.parametrize("form", ["json", "html"])
def test_without_stderr_the_demo_note_stays_out_of_the_report(tmp_path: Path, form: str) -> None:
    # Started with stderr closed (`2>&-`), Python's `sys.stderr` is None, and `print` to
    # it writes to stdout: the demo's "wrote ... demo records" note was the report's first
    # line, and the JSON no JSON (with exit status 0).
    save, database = tmp_path / "runs.jsonl", tmp_path / "demo.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "usage_analytics", "demo", "--now", NOW_ARG, "--format", form,
         "--db", str(database), "--save", str(save)],
        stdout=subprocess.PIPE,
        check=False,
        timeout=60,
        preexec_fn=lambda: os.close(2),
    )  # fmt: skip
    assert done.returncode == 0
    if form == "json":
        assert set(json.loads(done.stdout)) == {pattern.name for pattern in DEMO_PATTERNS}
    else:
        assert done.stdout.startswith(b"<!DOCTYPE html>")
    assert save.exists()


def test_without_stderr_an_error_leaves_stdout_empty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (As above: the error's line went to stdout, `> report.json` holding it.)
    monkeypatch.setattr(sys, "stderr", None)
    code, out, _ = run(capsys, "analyze", str(tmp_path / "missing.jsonl"), "--pattern", "p")
    assert (code, out) == (2, "")


def _with_stderr_unread(*argv: str) -> subprocess.CompletedProcess[bytes]:
    """The command run with stderr a pipe whose reader is gone, stdout captured."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "usage_analytics", *argv],
            stdout=subprocess.PIPE,
            stderr=write,
            check=False,
            timeout=60,
        )
    finally:
        os.close(write)


def test_a_diagnostic_whose_reader_is_gone_changes_neither_status_nor_report(
    tmp_path: Path,
) -> None:
    # (`... 2>&1 >report.json | head -0`.) Writing the error's line raised out of
    # `main`'s handler: a missing file (a usage error, 2) ended with status 1; and the
    # demo's note on its saved records ended the demo as `| head` does, the report
    # unwritten, with status 0.
    failed = _with_stderr_unread("analyze", str(tmp_path / "missing.jsonl"), "--pattern", "p")
    assert (failed.returncode, failed.stdout) == (2, b"")
    demo = _with_stderr_unread(
        "demo", "--now", NOW_ARG, "--db", str(tmp_path / "demo.sqlite"),
        "--save", str(tmp_path / "runs.jsonl"), "--format", "json",
    )  # fmt: skip
    assert demo.returncode == 0
    assert set(json.loads(demo.stdout)) == {pattern.name for pattern in DEMO_PATTERNS}


def test_a_short_document_to_a_full_disk_is_the_same_one_line_error(tmp_path: Path) -> None:
    # A document smaller than stdout's buffer fails at its flush, not its write: were it
    # left buffered, the failure came at the process's exit (Python's own message, 120).
    path = write_jsonl(tmp_path / "runs.jsonl", [{"pattern_id": "p", "timestamp": NOW}])
    command = [sys.executable, "-m", "usage_analytics", "dashboard", str(path), "--format", "json"]
    # (Buffered, as by default: PYTHONUNBUFFERED would make every write reach the disk.)
    env = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    with open("/dev/full", "wb") as sink:
        failed = subprocess.run(
            command, stdout=sink, stderr=subprocess.PIPE, text=True, check=False, timeout=60,
            env=env,
        )  # fmt: skip
    assert (failed.returncode, failed.stderr) == (
        2,
        "usage-analytics: error: cannot write to standard output: No space left on device\n",
    )


def test_terminal_reports_show_data_characters_escaped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Names from the data with a terminal's escape sequences, a bell, a line break and a
    # right-to-left override: shown as escapes, one row per pattern.
    hostile = "\x1b]0;pwned\x07\x1b[2J\x1b[31mevil"
    when = datetime(2026, 1, 10, tzinfo=UTC)
    records = [
        {
            "pattern_id": "two\nlines",
            "timestamp": when,
            "agent": hostile,
            "context_type": "a\u202eb",
        },
        {"pattern_id": "plain", "timestamp": when, "project": "p\x7fq"},
    ]
    path = write_jsonl(tmp_path / "hostile.jsonl", records)
    for argv in (["dashboard", str(path)], ["analyze", str(path), "--pattern", "two\nlines"]):
        code, out, _ = run(capsys, *argv, "--on-invalid", "skip")
        assert code == 0
        shown = [char for char in out if not char.isprintable() and char != "\n"]
        assert shown == [], argv
        assert "two\\nlines" in out
    code, out, _ = run(capsys, "analyze", str(path), "--pattern", "two\nlines")
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in out
    assert "a\\u202eb" in out
    code, out, _ = run(capsys, "dashboard", str(path))
    rows = [line for line in out.splitlines() if line.startswith(("two", "plain"))]
    assert len(rows) == 2


@pytest.mark.parametrize("arrow", [True, False], ids=["pyarrow", "standard_library"])
def test_a_record_spanning_lines_is_located_at_its_first(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, arrow: bool
) -> None:
    text = (
        "pattern_id,timestamp,success,agent\n"
        "b,2026-01-01T00:00:00Z,true,z\n"
        'b,2026-01-02T00:00:00Z,nope,"q\nr\ns"\n'
        "b,2026-01-03T00:00:00Z,true,z\n"
    )
    path = Path(text_file(tmp_path, "spans.csv", text))
    fetched = asyncio.run(FileSource(path, arrow=arrow).fetch("b", START_2026, END_2026))
    assert [fetched.locate(index) for index in range(3)] == ["line 2", "line 3", "line 6"]
    code, _, err = run(capsys, "analyze", str(path), "--pattern", "b")
    assert code == 1
    assert "spans.csv, line 3: field 'success' = 'nope'" in err


def test_dashboard_counts_records_skipped_as_invalid(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # `--on-invalid skip` left the invalid records out of the dashboard unseen: patterns
    # healthy, nothing in the heading, the table or the JSON.
    text = (
        "pattern_id,timestamp,success,execution_time_ms\n"
        "a,2026-01-01T00:00:00Z,true,5\n"
        "b,2026-01-02T00:00:00Z,true,-3\n"
        "b,2026-01-02T00:00:00Z,true,7\n"
        "a,2026-01-02T00:00:00Z,maybe,5\n"
        "a,2026-01-02T00:00:00Z,false,bad\n"
    )
    path = text_file(tmp_path, "bad.csv", text)
    code, out, _ = run(capsys, "dashboard", path, "--on-invalid", "skip")
    assert code == 0
    assert "3 invalid records left out, counted under INVALID." in " ".join(out.split())
    rows = {line[0]: line.split()[1:3] for line in out.splitlines() if line[:2] in ("a ", "b ")}
    assert rows == {"a": ["1", "2"], "b": ["1", "1"]}  # runs, invalid
    code, out, _ = run(capsys, "dashboard", path, "--on-invalid", "skip", "--format", "json")
    document = json.loads(out)
    assert {row["name"]: row["invalid_records"] for row in document["patterns"]} == {
        "a": 2,
        "b": 1,
    }
    assert document["invalid_records"] == 3


def test_the_heading_fits_the_width_in_terminal_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The heading was wrapped counting characters: a path of wide (CJK) characters made
    # its lines up to twice the width; an escaped control character widened them after.
    text = "pattern_id,timestamp,success\na,2026-03-01T10:00:00Z,true\n"
    name = "使用状況データ" * 4 + "\x1b" + "使用状況データ" * 2 + ".csv"
    path = text_file(tmp_path, name, text)
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run(capsys, "dashboard", path)
    assert code == 0
    heading = out.split("\n\n")[0].splitlines()
    assert len(heading) > 1
    assert max(text_width.width(line) for line in heading) <= 60
    assert "\\x1b" in "".join(heading)


def test_dashboard_heading_writes_years_in_four_digits(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # `%Y` wrote the year 1 as "1": "1-01-01 00:00 to 1-01-02 00:00".
    text = "pattern_id,timestamp,success\na,0001-01-01T10:00:00Z,true\nb,0001-01-01T11:00:00Z,1\n"
    path = text_file(tmp_path, "first.csv", text)
    window = ["--start", "0001-01-01T00:00Z", "--end", "0001-01-02T00:00Z"]
    code, out, _ = run(capsys, "dashboard", path, *window)
    assert code == 0
    assert "0001-01-01 00:00 to 0001-01-02 00:00 UTC" in " ".join(out.split())


# ------------------------------------------------------------------------------ Ctrl-C


def test_interrupted_command_does_not_wait_for_its_worker_thread() -> None:
    # A scan on a worker thread cannot be stopped; asyncio.run and Python's exit waited
    # for it, so Ctrl-C during a large file's read ended the command when the read did.
    release = threading.Event()
    began = threading.Event()

    def scan() -> None:
        began.set()
        release.wait(60)

    async def command() -> None:
        scanning = asyncio.ensure_future(asyncio.to_thread(scan))
        await asyncio.to_thread(began.wait, 10)
        assert not scanning.done()
        raise KeyboardInterrupt  # (as Ctrl-C reaches the loop)

    try:
        with pytest.raises(KeyboardInterrupt):
            run_async(command())
        assert abandoned_threads()  # the scan still runs: `entry` ends the process
    finally:
        release.set()
    for thread in threading.enumerate():
        if thread.name.startswith("usage-analytics-scan"):
            thread.join(10)
    assert not abandoned_threads()


def _interrupted_during_a_read(tmp_path: Path, *script: str) -> tuple[int, str, str]:
    """Run `script` in a child whose file reads block (printing "reading" first; the read
    waits on `release`, which the script may set), send it SIGINT once it reads, and
    return its exit status, stdout after "reading", and stderr."""
    path = write_jsonl(
        tmp_path / "runs.jsonl", [{"pattern_id": "p", "timestamp": "2026-03-01T10:00:00Z"}]
    )
    child = "\n".join(
        [
            "import atexit, sys, threading",
            "from usage_analytics.cli import entry, main",
            "from usage_analytics.sources.files import FileSource",
            "release = threading.Event()",
            "def read(self):",
            "    print('reading', flush=True)",
            "    release.wait(600)",
            "FileSource.read = read",
            *script,
        ]
    )
    return _interrupted_once_it_prints("reading", child, str(path))


def _interrupted_once_it_prints(line: str, child: str, *arguments: str) -> tuple[int, str, str]:
    """Run the Python `child` with `arguments`, send it SIGINT once it prints `line`, and
    return its exit status, stdout after that line, and stderr."""
    process = subprocess.Popen(
        [sys.executable, "-c", child, *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == line + "\n"
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    return process.returncode, stdout, stderr


def test_ctrl_c_during_a_read_ends_the_command_at_once(tmp_path: Path) -> None:
    # The read outlasts the test: before, Ctrl-C left the command waiting for it.
    status, _, stderr = _interrupted_during_a_read(
        tmp_path, "sys.argv[1:] = ['dashboard', sys.argv[1]]", "entry()"
    )
    assert status == 130
    assert stderr.splitlines()[-1] == "usage-analytics: error: interrupted"


def test_ctrl_c_during_a_read_without_stderr_still_exits_130(tmp_path: Path) -> None:
    # Started with `2>&-` (Python's `sys.stderr` None), the flush before the process's
    # immediate end raised AttributeError on it, and the process then waited at exit for
    # the read it was to leave behind (here, 600 s).
    status, _, stderr = _interrupted_during_a_read(
        tmp_path, "sys.stderr = None", "sys.argv[1:] = ['dashboard', sys.argv[1]]", "entry()"
    )
    assert (status, stderr) == (130, "")


def test_ctrl_c_taken_by_the_reading_thread_still_ends_the_command(tmp_path: Path) -> None:
    # Any thread may take a process's SIGINT (here the reading one, by pthread_kill); the
    # Runner's handler runs only once the main thread runs Python again, and it waited
    # in the event loop's select, which the signal did not interrupt: the command waited
    # for its read (600 s). So did a Ctrl-C that came just before the loop began to wait
    # (the test above hung once in about 100 runs on a busy machine).
    path = write_jsonl(
        tmp_path / "runs.jsonl", [{"pattern_id": "p", "timestamp": "2026-03-01T10:00:00Z"}]
    )
    child = "\n".join(
        [
            "import signal, sys, threading, time",
            "from usage_analytics.cli import entry",
            "from usage_analytics.sources.files import FileSource",
            "def read(self):",
            "    time.sleep(0.3)  # (the main thread waits in select by then)",
            "    signal.pthread_kill(threading.get_ident(), signal.SIGINT)",
            "    threading.Event().wait(600)",
            "FileSource.read = read",
            "sys.argv[1:] = ['dashboard', sys.argv[1]]",
            "entry()",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", child, str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 130
    assert done.stderr.splitlines()[-1] == "usage-analytics: error: interrupted"


def test_ctrl_c_while_the_command_imports_itself_ends_it_without_a_traceback() -> None:
    # The installed script imported the command line (pydantic, numpy, the core: a
    # quarter of a second) before any of the command's code ran: Ctrl-C then printed the
    # traceback of the import it stopped, and the status was Python's, not 130.
    (script,) = entry_points(group="console_scripts", name="usage-analytics")
    module, _, function = script.value.partition(":")
    child = "\n".join(
        [
            "import importlib, sys, threading",
            "class Stall:  # holds the command line's import until the signal comes",
            "    def find_spec(self, name, path=None, target=None):",
            "        if name == 'usage_analytics.cli':",
            "            print('importing', flush=True)",
            "            threading.Event().wait(600)",
            "        return None",
            "sys.meta_path.insert(0, Stall())",
            "sys.argv[1:] = ['--version']",
            # (What the installed script does.)
            f"getattr(importlib.import_module({module!r}), {function!r})()",
        ]
    )
    interrupted = _interrupted_once_it_prints("importing", child)
    assert interrupted == (130, "", "usage-analytics: error: interrupted\n")


def test_the_package_imports_its_names_when_first_used() -> None:
    # (So that the command's entry point runs before the heavy imports: the test above.)
    probe = (
        "import sys, usage_analytics; "
        "light = 'pydantic' not in sys.modules and 'usage_analytics.contracts' not in sys.modules; "
        "from usage_analytics import *; "
        "from usage_analytics.errors import UsageAnalyticsError as defined; "
        "print(light, sorted(usage_analytics.__all__) == sorted(usage_analytics._HOMES), "
        "set(usage_analytics.__all__) <= set(dir(usage_analytics)), "
        "usage_analytics.UsageAnalyticsError is defined)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True", "True", "True"]
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchName'"):
        _ = usage_analytics.NoSuchName


def test_a_loop_that_cannot_watch_the_wakeup_socket_keeps_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Windows' proactor loop sets the wakeup fd to its own socket when it is made, and
    # Ctrl-C wakes it through that socket; it has no add_reader. Replacing its fd with a
    # socket it cannot watch would leave nothing to wake it: the hang, on Windows.
    own_reader, own_writer = socket.socketpair()
    own_writer.setblocking(False)

    def refuse(*args: Any) -> None:
        raise NotImplementedError

    def proactor_like() -> asyncio.AbstractEventLoop:
        loop = asyncio.SelectorEventLoop()
        signal.set_wakeup_fd(own_writer.fileno())
        monkeypatch.setattr(loop, "add_reader", refuse)
        return loop

    def current_wakeup_fd() -> int:
        fd = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(fd)
        return fd

    async def command() -> int:
        return current_wakeup_fd()

    runner = asyncio.Runner
    monkeypatch.setattr(asyncio, "Runner", lambda: runner(loop_factory=proactor_like))
    before = current_wakeup_fd()
    try:
        assert run_async(command()) == own_writer.fileno()
    finally:
        signal.set_wakeup_fd(before)
        own_reader.close()
        own_writer.close()


def test_main_returns_after_ctrl_c_and_leaves_the_process_to_its_caller(tmp_path: Path) -> None:
    # Only the command's entry point ends the process past a running scan: a caller of
    # main() (a script, a notebook) gets the status back, and its exit handlers run.
    status, stdout, _ = _interrupted_during_a_read(
        tmp_path,
        "atexit.register(lambda: print('exit handlers ran', flush=True))",
        "status = main(['dashboard', sys.argv[1]])",
        "print('main returned', status, flush=True)",
        "release.set()",
    )
    assert status == 0
    assert stdout.splitlines() == ["main returned 130", "exit handlers ran"]


@pytest.mark.parametrize(
    ("argv", "unrecognized"),
    [
        (["dashboard", "runs.jsonl", "--pattern", "checkout"], "--pattern checkout"),
        (["analyze", "runs.jsonl", "--pattern", "p", "extra"], "extra"),
        (["demo", "--seeds", "3"], "--seeds 3"),
    ],
)
def test_an_unrecognized_argument_points_to_the_command_s_help(
    capsys: pytest.CaptureFixture[str], argv: list[str], unrecognized: str
) -> None:
    # The top-level help it pointed to names the commands, not their options.
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err == (
        f"usage-analytics: error: unrecognized arguments: {unrecognized} "
        f"(see 'usage-analytics {argv[0]} --help')\n"
    )
