"""Runs every script in examples/ as a user would, and checks what it prints.

Each example generates its data with a seeded `random.Random`; the tests load the
same generator from the script and compute the expected numbers by hand, so a
printed number that is wrong (not just missing) fails here.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from example_scripts import EXAMPLES, load_script

SCRIPTS = [
    "01_basic_analytics.py",
    "02_performance_analysis.py",
    "03_trend_detection.py",
    "04_context_distribution.py",
    "05_comprehensive_dashboard.py",
    "06_comparing_patterns.py",
    "07_json_export.py",
    "08_realtime_monitor.py",
]
DAY = timedelta(days=1)


Runs = dict[str, subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Working and temp directory of the example runs."""
    return tmp_path_factory.mktemp("examples")


@pytest.fixture(scope="module")
def runs(tmp: Path) -> Runs:
    """Every example, run once in a subprocess (concurrently, to keep the suite fast).
    07 gets an output path; the temp dir is redirected so nothing leaks outside."""
    env = {**os.environ, "TMPDIR": str(tmp), "TEMP": str(tmp), "TMP": str(tmp)}
    commands = {name: [sys.executable, str(EXAMPLES / name)] for name in SCRIPTS}
    commands["07_json_export.py"].append(str(tmp / "export.json"))
    commands["07 (no argument)"] = [sys.executable, str(EXAMPLES / "07_json_export.py")]

    def run(command: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command, capture_output=True, text=True, timeout=120, cwd=tmp, env=env, check=False
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(commands, pool.map(run, commands.values()), strict=True))


def output_of(runs: Runs, name: str) -> str:
    process = runs[name]
    assert process.returncode == 0, f"{name} failed:\n{process.stdout}\n{process.stderr}"
    assert process.stderr == ""
    return process.stdout


def load(name: str) -> ModuleType:
    """Import an example as a module (its `main()` does not run) to reuse its generator."""
    return load_script(f"example_{name[:2]}", EXAMPLES / name)


def value(output: str, label: str) -> str:
    """The text after `label:` on its line (the first such line)."""
    match = re.search(rf"^\s*{re.escape(label)}:\s*(.+?)\s*$", output, re.MULTILINE)
    assert match, f"no line {label!r} in:\n{output}"
    return match.group(1)


def linear_percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ols(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sxx
    return slope, mean_y - slope * mean_x


def daily_counts(records: list[dict[str, Any]], start: Any, days: int) -> list[int]:
    counts = [0] * days
    for record in records:
        counts[min((record["timestamp"] - start) // DAY, days - 1)] += 1
    return counts


def ranked(counter: Counter[Any]) -> list[tuple[Any, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


# ---------------------------------------------------------------- all examples


#: Examples that are not scripts to run (each has its own test file).
SERVICES = ["service.py"]  # tests/test_example_service.py


def test_examples_directory_holds_the_scripts_and_readme_lists_them() -> None:
    assert sorted(path.name for path in EXAMPLES.glob("*.py")) == sorted(SCRIPTS + SERVICES)
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name in SCRIPTS + SERVICES:
        assert f"`{name}`" in readme


@pytest.mark.parametrize("name", SCRIPTS)
def test_example_uses_only_the_public_api_and_asyncio_run(name: str) -> None:
    source = (EXAMPLES / name).read_text(encoding="utf-8")
    imports = re.findall(r"^\s*(?:from|import)\s+(usage_analytics\S*)", source, re.MULTILINE)
    assert imports == ["usage_analytics"]
    assert "_core" not in source
    assert "asyncio.run(main())" in source
    assert "random.Random(" in source


@pytest.mark.parametrize("name", [*SCRIPTS, "07 (no argument)"])
def test_example_exits_zero_and_prints(runs: Runs, name: str) -> None:
    output = output_of(runs, name)
    assert len(output.splitlines()) >= 5
    assert re.search(r"\d", output)


# ---------------------------------------------------------------- 01 basic analytics


def test_basic_analytics_prints_the_hand_computed_metrics(runs: Runs) -> None:
    output = output_of(runs, "01_basic_analytics.py")
    example = load("01_basic_analytics.py")
    records = example.generate_executions()
    n = len(records)
    successes = sum(r["success"] for r in records)
    newest = max(r["timestamp"] for r in records)

    assert value(output, "Total executions") == str(n)
    assert value(output, "Executions per day") == f"{n / 7:.2f}"
    assert value(output, "Executions per week") == f"{n:.2f}"
    assert value(output, "Unique contexts") == str(len({r["context_type"] for r in records}))
    assert value(output, "Unique agents") == str(len({r["agent"] for r in records}))
    peak = max(Counter(r["timestamp"].date() for r in records).values())
    assert value(output, "Peak daily usage") == str(peak)
    assert float(value(output, "Hours since last use")) == pytest.approx(
        (example.NOW - newest) / timedelta(hours=1), abs=0.006
    )
    assert value(output, "Successes") == str(successes)
    assert value(output, "Failures") == str(n - successes)
    assert value(output, "Success rate") == f"{successes / n:.1%}"
    assert value(output, "Error rate") == f"{(n - successes) / n:.1%}"
    assert value(output, "Timeouts") == str(sum(r["timeout"] for r in records))
    gate_failures = sum(not r["quality_gates_passed"] for r in records)
    assert value(output, "Quality gate failures") == str(gate_failures)
    avg_quality = math.fsum(r["quality_score"] for r in records) / n
    assert float(value(output, "Avg quality score")) == pytest.approx(avg_quality, abs=0.0006)
    assert value(output, "Records received") == str(n)
    assert 0 < successes < n  # the data really has both outcomes


# ---------------------------------------------------------------- 02 performance


def performance_sections(output: str) -> dict[str, str]:
    parts = re.split(r"^== (\S+) .*$", output, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


EXPECTED_VERDICTS = {
    "cache-lookup": ["[OK]   P95 < 500 ms: excellent"],
    "search-api": [
        "[WARN] P95 500-1000 ms: needs attention",
        "[WARN] P95 > 2 x P50: high variance, investigate outliers",
    ],
    "report-export": [
        "[FAIL] P95 > 1000 ms: requires optimization",
        "[FAIL] P99 > 1 s: critical",
    ],
}


def test_performance_example_prints_exact_percentiles_and_health_checks(
    runs: Runs,
) -> None:
    output = output_of(runs, "02_performance_analysis.py")
    example = load("02_performance_analysis.py")
    sections = performance_sections(output)
    assert list(sections) == list(EXPECTED_VERDICTS)

    for pattern, verdicts in EXPECTED_VERDICTS.items():
        times = [r["execution_time_ms"] for r in example.generate_executions(pattern)]
        section = sections[pattern]
        printed = {
            key: float(number)
            for key, number in re.findall(r"^\s+(\w+)\s+(-?\d+\.\d+) m?s$", section, re.MULTILINE)
        }
        expected = {
            "avg": math.fsum(times) / len(times),
            "p50": linear_percentile(times, 0.50),
            "p95": linear_percentile(times, 0.95),
            "p99": linear_percentile(times, 0.99),
            "min": min(times),
            "max": max(times),
            "std": math.sqrt(
                math.fsum((t - math.fsum(times) / len(times)) ** 2 for t in times)
                / (len(times) - 1)
            ),
            "total": math.fsum(times) / 1000,
        }
        assert printed == pytest.approx(expected, abs=0.006), pattern
        printed_verdicts = [line.strip() for line in section.splitlines() if "[" in line]
        assert printed_verdicts == verdicts, pattern


# ---------------------------------------------------------------- 03 trends


TREND_LINE = re.compile(
    r"^pattern-(\w+)\s+trend=(\w+)\s+executions=(\d+)\s+velocity=\s*([+-]\d+\.\d+)/day/day"
    r"\s+significant=(True|False)$",
    re.MULTILINE,
)


def test_trend_example_classifies_each_generated_pattern(runs: Runs) -> None:
    output = output_of(runs, "03_trend_detection.py")
    example = load("03_trend_detection.py")
    lines = {m[0]: m[1:] for m in TREND_LINE.findall(output)}
    assert list(lines) == ["growing", "declining", "stable", "emerging", "abandoned"]

    for shape, (trend, executions, velocity, _significant) in lines.items():
        records = example.generate_executions(shape)
        counts = daily_counts(records, example.START, example.DAYS)
        expected_velocity, _ = ols([d + 0.5 for d in range(example.DAYS)], counts)
        assert trend == shape  # each shape was built to land in its class
        assert int(executions) == len(records)
        assert float(velocity) == pytest.approx(expected_velocity, abs=0.0006), shape

    assert float(lines["growing"][2]) > 0.5
    assert float(lines["declining"][2]) < -0.5
    assert lines["growing"][3] == lines["declining"][3] == "True"
    assert int(lines["emerging"][1]) < 10
    assert "action: mark for deprecation" in output
    assert "action: invest in optimization and scaling" in output


# ---------------------------------------------------------------- 04 distribution


def section_rows(output: str, title: str) -> list[list[str]]:
    block = output.split(f"{title}\n", 1)[1]
    rows = []
    for line in block.splitlines():
        if not line.startswith("  "):
            break
        rows.append(line.split())
    return rows


def test_distribution_example_prints_hand_counted_breakdowns(runs: Runs) -> None:
    output = output_of(runs, "04_context_distribution.py")
    example = load("04_context_distribution.py")
    records = example.generate_executions()
    assert output.startswith(f"{len(records)} executions")

    agents = ranked(Counter(r["agent"] for r in records))
    assert [(row[0], int(row[1])) for row in section_rows(output, "Top agents:")] == agents[:5]
    projects = ranked(Counter(r["project"] for r in records))
    assert [(row[0], int(row[1])) for row in section_rows(output, "Projects:")] == projects
    contexts = ranked(Counter(r["context_type"] for r in records))
    assert [(row[0], int(row[1])) for row in section_rows(output, "Context types:")] == contexts

    def extension(path: str) -> str:
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        return name.rsplit(".", 1)[1] if "." in name[1:] else "unknown"

    file_types = ranked(Counter(extension(r["file_path"]) for r in records))
    assert [(row[0], int(row[1])) for row in section_rows(output, "File types:")] == file_types
    assert {"py", "ps1", "unknown"} <= {name for name, _ in file_types}

    def peak_hours(zone: str) -> list[tuple[str, int]]:
        hours = Counter(r["timestamp"].astimezone(ZoneInfo(zone)).hour for r in records)
        top3 = sorted(sorted(hours.items()), key=lambda item: item[1], reverse=True)[:3]
        return [(f"{hour:02d}:00", count) for hour, count in top3]

    for zone in ("UTC", "America/New_York"):
        rows = section_rows(output, f"Peak hours ({zone}):")
        assert [(row[0], int(row[2])) for row in rows] == peak_hours(zone), zone

    weekdays = sorted(Counter(r["timestamp"].weekday() for r in records).items())
    rows = section_rows(output, "By weekday:")
    assert [(row[0], int(row[1])) for row in rows] == [
        (example.WEEKDAYS[day], count) for day, count in weekdays
    ]


# ---------------------------------------------------------------- 05 dashboard


def test_dashboard_example_prints_time_series_and_prediction(runs: Runs) -> None:
    output = output_of(runs, "05_comprehensive_dashboard.py")
    example = load("05_comprehensive_dashboard.py")
    records = example.generate_executions()
    counts = daily_counts(records, example.START, example.DAYS)

    assert "(comprehensive)" in output
    assert value(output, "Executions").startswith(f"{len(records)} (")
    assert value(output, "Trend").startswith("growing, velocity +")
    assert "\nTime series (30 buckets of 24 h):\n" in output
    rows = re.findall(r"^  \w{3} (\d\d-\d\d)\s+(\d+) #*$", output, re.MULTILINE)
    expected_days = [f"{example.START + day * DAY:%m-%d}" for day in range(example.DAYS)]
    assert [(day, int(count)) for day, count in rows] == list(
        zip(expected_days, counts, strict=True)
    )

    slope, intercept = ols([d + 0.5 for d in range(example.DAYS)], counts)
    rate = max(0.0, intercept + slope * 1.5 * example.DAYS)
    match = re.search(
        r"^Prediction \(next 30 days\): (\d+\.\d)/day, (\d+) executions$", output, re.MULTILINE
    )
    assert match, output
    assert float(match[1]) == pytest.approx(rate, abs=0.06)
    assert int(match[2]) == pytest.approx(rate * example.DAYS, abs=1)
    assert slope > 0.5


# ---------------------------------------------------------------- 06 comparing


ROW = re.compile(
    r"^(\S+)\s+(\d+)\s+(\d+\.\d)\s+(\d+\.\d%)\s+(\d+\.\d)\s+(\w+)\s+([+-]\d+\.\d\d)/day/day$",
    re.MULTILINE,
)
EXPECTED_TRENDS = {
    "auth-token-refresh": "stable",
    "search-suggestions": "growing",
    "pdf-report": "declining",
    "bulk-import": "stable",
}


def test_comparison_example_prints_one_hand_checked_row_per_pattern(
    runs: Runs,
) -> None:
    output = output_of(runs, "06_comparing_patterns.py")
    example = load("06_comparing_patterns.py")
    rows = {row[0]: row[1:] for row in ROW.findall(output)}
    assert list(rows) == list(EXPECTED_TRENDS)  # gather keeps the input order

    totals = {}
    success_rates = {}
    p95s = {}
    for name, (runs_, per_day, success, p95, trend, velocity) in rows.items():
        records = example.generate_executions(name)
        successes = sum(r["success"] for r in records)
        totals[name] = len(records)
        success_rates[name] = successes / len(records)
        p95s[name] = linear_percentile([r["execution_time_ms"] for r in records], 0.95)
        counts = daily_counts(records, example.START, example.DAYS)
        assert int(runs_) == len(records)
        assert per_day == f"{len(records) / example.DAYS:.1f}"
        assert success == f"{successes / len(records):.1%}"
        assert float(p95) == pytest.approx(p95s[name], abs=0.06)
        assert trend == EXPECTED_TRENDS[name]
        expected_velocity, _ = ols([d + 0.5 for d in range(example.DAYS)], counts)
        assert float(velocity) == pytest.approx(expected_velocity, abs=0.006)

    assert value(output, "Busiest") == max(totals, key=totals.__getitem__)
    assert value(output, "Least reliable") == min(success_rates, key=success_rates.__getitem__)
    assert value(output, "Slowest (p95)") == max(p95s, key=p95s.__getitem__)


# ---------------------------------------------------------------- 07 JSON export


def check_export_shape(exported: dict[str, Any], n_valid: int, n_received: int) -> None:
    assert list(exported) == [
        "pattern_id",
        "correlation_id",
        "time_window",
        "usage_metrics",
        "success_metrics",
        "performance_metrics",
        "trend_analysis",
        "context_distribution",
        "summary",
        "data_quality",
    ]
    assert exported["pattern_id"] == "lint-autofix"
    assert exported["time_window"] == {
        "start": "2026-02-23T00:00:00Z",
        "end": "2026-03-02T00:00:00Z",
        "type": "weekly",
        "granularity": "detailed",
        "timezone": "UTC",
    }
    assert exported["usage_metrics"]["total_executions"] == n_valid
    assert set(exported["success_metrics"]) >= {"success_rate", "error_rate", "avg_quality_score"}
    assert exported["performance_metrics"]["sample_count"] == n_valid
    assert exported["trend_analysis"]["trend_type"] in {
        "growing",
        "stable",
        "declining",
        "emerging",
        "abandoned",
    }
    assert sum(exported["context_distribution"]["by_agent"].values()) == n_valid
    hours = exported["context_distribution"]["by_time_of_day"]
    assert all(key.isdigit() and 0 <= int(key) <= 23 for key in hours)  # JSON keys are str
    assert set(exported["summary"]) == {
        "total_data_points",
        "analytics_quality_score",
        "computation_time_ms",
        "computed_at",
    }
    assert exported["summary"]["total_data_points"] == n_received
    quality = exported["data_quality"]
    assert quality["records_received"] == n_received
    assert quality["records_in_window"] == n_valid
    assert quality["invalid_records"] == n_received - n_valid == 2
    assert [(s["index"], s["field"]) for s in quality["error_samples"]] == [
        (n_received - 2, "timestamp"),
        (n_received - 1, "execution_time_ms"),
    ]


def test_json_export_writes_valid_json_of_the_documented_shape(runs: Runs, tmp: Path) -> None:
    output = output_of(runs, "07_json_export.py")
    example = load("07_json_export.py")
    records = example.generate_executions()
    target = tmp / "export.json"

    exported = json.loads(target.read_text(encoding="utf-8"))

    check_export_shape(exported, n_valid=len(records) - 2, n_received=len(records))
    assert f"Wrote {target} (" in output
    assert value(output, "usage_metrics.total_executions") == str(len(records) - 2)
    assert value(output, "data_quality.invalid_records") == "2"
    assert value(output, "Round trip equal") == "True"


def test_json_export_without_argument_writes_to_the_temp_dir(runs: Runs, tmp: Path) -> None:
    output = output_of(runs, "07 (no argument)")
    target = tmp / "usage-analytics-example.json"

    exported = json.loads(target.read_text(encoding="utf-8"))

    assert f"Wrote {target} (" in output
    assert exported["pattern_id"] == "lint-autofix"
