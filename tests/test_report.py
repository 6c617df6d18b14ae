"""The terminal report's and summary table's exact text, of outputs from real reductions:
every section, field and table as a reader sees it (see `usage_analytics.report`)."""

from __future__ import annotations

import math
import os
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from source_cases import START, analyse
from test_dashboard import ALIKE, result, runs
from usage_analytics import (
    AnalyticsGranularity,
    ModelUsageAnalyticsOutput,
    TimeWindowType,
    UsageTrendType,
)
from usage_analytics.report import (
    _DURATION_UNITS,
    _bar,
    _duration_ms,
    _hour_chart,
    _join_notes,
    _levels,
    _percent,
    attention_notes,
    by_attention,
    escaping_unencodable,
    printable,
    printable_name,
    render_report,
    render_summary,
    terminal_width,
    trend_label,
)

WINDOW_START = datetime(2026, 2, 2, tzinfo=UTC)
CONTEXTS = ["debugging", "refactoring", "review", "testing", "docs", "deploy", "決済"]


def _records() -> list[dict[str, Any]]:
    """Eighty runs over four weeks with every field varied, and five invalid records."""
    records: list[dict[str, Any]] = [
        {
            "timestamp": WINDOW_START + timedelta(hours=7 * i + (i * i) % 5, minutes=13),
            "success": i % 6 != 0,
            "execution_time_ms": 40.0 + (i * 37) % 400 if i % 10 != 9 else None,
            "quality_score": 0.55 + (i % 5) * 0.1,
            "quality_gates_passed": i % 4 != 1,
            "timeout": i % 15 == 0,
            "context_type": CONTEXTS[(i * i + i // 9) % 7],
            "agent": f"agent-{i % 3 if i < 40 else 3 + i % 2}",
            "project": "checkout" if i % 3 else "billing",
            "file_path": ["a.py", "b.ts", None][i % 3],
        }
        for i in range(80)
    ]
    invalid: list[dict[str, Any]] = [
        {"timestamp": "yesterday"},
        {"timestamp": WINDOW_START, "success": "maybe"},
    ]
    return records + invalid + [{"timestamp": WINDOW_START, "execution_time_ms": -1}] * 3


@pytest.fixture(scope="module")
def checkout() -> ModelUsageAnalyticsOutput:
    output = analyse(
        _records(),
        "checkout-api",
        WINDOW_START,
        WINDOW_START + timedelta(days=28),
        time_window_type=TimeWindowType.MONTHLY,
        granularity=AnalyticsGranularity.COMPREHENSIVE,
        on_invalid="skip",
    )
    # (The one number that differs from run to run.)
    return output.model_copy(update={"computation_time_ms": 1.25})


REPORT = """\
════════════════════════════════════════════════════════════════════════════════════════════════════
 Checkout  (checkout-api)                                                                  → STABLE
 2026-02-02 00:00 → 2026-03-02 00:00 UTC · 28 days · monthly window
════════════════════════════════════════════════════════════════════════════════════════════════════
 ⚠ needs a look: 18% errors, 6 timeouts, 25% gate failures

USAGE ──────────────────────────────────────────────────────────────────────────────────────────────
  Executions    80   (2.9/day · 20.0/week · 80.0/month)
  Busiest day   4 executions
  Reach         7 context types · 5 agents
  Last used     4.9 days before the end

SUCCESS & QUALITY ──────────────────────────────────────────────────────────────────────────────────
  Success rate  82.5%   (66 ok · 14 failed · 6 timeouts)
  Quality       0.75 average score · 20 quality-gate failures

PERFORMANCE ────────────────────────────────────────────────────────────────────────────────────────
  Percentiles   p50 220 ms · p95 416 ms · p99 433 ms
  Spread        mean 227 ms · std 121 ms · min 40 ms · max 438 ms
  Total         16.38 s over 72 timed runs

TREND ──────────────────────────────────────────────────────────────────────────────────────────────
  Direction     → STABLE
  Velocity      -0.10 runs/day per day (significant) · acceleration -0.33
  Growth        -66.7% (last quarter vs first)
  Agents        retention 40.0% · churn 60.0% · 0.0 new/week
  Rate per day  ▆██▆▆█▆▆██▆▆█▆█▆▆██▄██▆▂      (peak 4.0/day)
  Projection    ~0.0/day over the next 28 days (~0 runs; linear, experimental)
  Confidence    0.86   (28 buckets of 1 day)

WHERE IT RUNS (top 5) ──────────────────────────────────────────────────────────────────────────────
  Context type                     runs  share    Agent                            runs  share
  debugging                          13  16.2%    agent-3                            20  25.0%
  refactoring                        13  16.2%    agent-4                            20  25.0%
  deploy                             12  15.0%    agent-0                            14  17.5%
  testing                            12  15.0%    agent-1                            13  16.2%
  docs                               11  13.8%    agent-2                            13  16.2%
  + 2 more                           19  23.8%

  Project                          runs  share    File type                        runs  share
  checkout                           53  66.2%    py                                 27  50.0%
  billing                            27  33.8%    ts                                 27  50.0%

WHEN IT RUNS ───────────────────────────────────────────────────────────────────────────────────────
  Hour of day (UTC)
     ██       ██ ██ ██    ██    ██    ██       ██    ██    ██    ██    ██
  ██ ██ ██ ██ ██ ██ ██    ██    ██ ██ ██    ██ ██ ██ ██ ██ ██    ██ ██ ██
  ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██
  ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██ ██
  00       03       06       09       12       15       18       21
  busiest hour 01:00-02:00 (4 runs)

  Day of week (UTC)
  Mon      14  ████████████████████████████████████████
  Tue      14  ████████████████████████████████████████
  Wed      12  ██████████████████████████████████▎
  Thu      10  ████████████████████████████▋
  Fri      10  ████████████████████████████▋
  Sat      10  ████████████████████████████▋
  Sun      10  ████████████████████████████▋

DATA QUALITY ───────────────────────────────────────────────────────────────────────────────────────
  Records       85 received · 80 in the window · 0 outside · 5 invalid (left out)
                line 81: timestamp = 'yesterday': not an ISO-8601 date-time (e.g.
                2026-01-05T10:00:00Z)
                line 82: success = 'maybe': must be a bool (or the int 0 or 1), got str
                line 83: execution_time_ms = -1: must be >= 0
                and 2 more invalid records
  Analytics     quality score 0.84 · computed in 1.2 ms"""

ASCII_REPORT = """\
============================================================
 Checkout  (checkout-api)                          = STABLE
 2026-02-02 00:00 -> 2026-03-02 00:00 UTC | 28 days | month~
============================================================
 ! needs a look: 18% errors, 6 timeouts, 25% gate failures

USAGE ------------------------------------------------------
  Executions    80   (2.9/day | 20.0/week | 80.0/month)
  Busiest day   4 executions
  Reach         7 context types | 5 agents
  Last used     4.9 days before the end

SUCCESS & QUALITY ------------------------------------------
  Success rate  82.5%   (66 ok | 14 failed | 6 timeouts)
  Quality       0.75 average score | 20 quality-gate
                failures

PERFORMANCE ------------------------------------------------
  Percentiles   p50 220 ms | p95 416 ms | p99 433 ms
  Spread        mean 227 ms | std 121 ms | min 40 ms | max
                438 ms
  Total         16.38 s over 72 timed runs

TREND ------------------------------------------------------
  Direction     = STABLE
  Velocity      -0.10 runs/day per day (significant) |
                acceleration -0.33
  Growth        -66.7% (last quarter vs first)
  Agents        retention 40.0% | churn 60.0% | 0.0 new/week
  Rate per day  *#%*%*#%*%#*%#*#*.    (peak 4.0/day)
  Projection    ~0.0/day over the next 28 days (~0 runs;
                linear, experimental)
  Confidence    0.86   (28 buckets of 1 day)

WHERE IT RUNS (top 5) --------------------------------------
  Context type                     runs  share
  debugging                          13  16.2%
  refactoring                        13  16.2%
  deploy                             12  15.0%
  testing                            12  15.0%
  docs                               11  13.8%
  + 2 more                           19  23.8%

  Agent                            runs  share
  agent-3                            20  25.0%
  agent-4                            20  25.0%
  agent-0                            14  17.5%
  agent-1                            13  16.2%
  agent-2                            13  16.2%

  Project                          runs  share
  checkout                           53  66.2%
  billing                            27  33.8%

  File type                        runs  share
  py                                 27  50.0%
  ts                                 27  50.0%

WHEN IT RUNS -----------------------------------------------
  Hour of day (UTC)
    #     # # #   #   #   #     #   #   #   #   #
  # # # # # # #   #   # # #   # # # # # #   # # #
  # # # # # # # # # # # # # # # # # # # # # # # #
  # # # # # # # # # # # # # # # # # # # # # # # #
  00    03    06    09    12    15    18    21
  busiest hour 01:00-02:00 (4 runs)

  Day of week (UTC)
  Mon      14  ########################################
  Tue      14  ########################################
  Wed      12  ##################################
  Thu      10  #############################
  Fri      10  #############################
  Sat      10  #############################
  Sun      10  #############################

DATA QUALITY -----------------------------------------------
  Records       85 received | 80 in the window | 0 outside |
                5 invalid (left out)
                line 81: timestamp = 'yesterday': not an
                ISO-8601 date-time (e.g.
                2026-01-05T10:00:00Z)
                line 82: success = 'maybe': must be a bool
                (or the int 0 or 1), got str
                line 83: execution_time_ms = -1: must be >=
                0
                and 2 more invalid records
  Analytics     quality score 0.84 | computed in 1.2 ms"""


def test_report_in_full(checkout: ModelUsageAnalyticsOutput) -> None:
    def locate(index: int) -> str:
        return f"line {index + 1}"

    assert render_report(checkout, name="Checkout", width=100, locate=locate) == REPORT


def test_ascii_report_at_the_least_width_in_full(checkout: ModelUsageAnalyticsOutput) -> None:
    # One table to a row, two-column hour cells, field lines wrapped under their value.
    def locate(index: int) -> str:
        return f"line {index + 1}"

    text = render_report(checkout, name="Checkout", width=60, unicode=False, locate=locate)
    assert text == ASCII_REPORT


@pytest.fixture(scope="module")
def patterns(checkout: ModelUsageAnalyticsOutput) -> list[tuple[str, ModelUsageAnalyticsOutput]]:
    abandoned = [
        {"timestamp": START + timedelta(hours=i), "success": True, "quality_score": 0.5}
        for i in range(3)
    ]
    steady = result(runs(60, ms=20.0))
    assert steady.trend_analysis is not None
    # (A declining class, on a real output: the rules' own tests cover when it is one.)
    trend = steady.trend_analysis.model_copy(
        update={"trend_type": UsageTrendType.DECLINING, "velocity": -0.5}
    )
    return [
        ("checkout", checkout),
        ("idle", result([])),
        ("failing", result(runs(40, success=0.5))),
        ("declining", steady.model_copy(update={"trend_analysis": trend})),
        ("abandoned", result(abandoned)),
        ("low-quality", result(runs(30, quality_score=0.6, ms=2_500.0))),
    ]


SUMMARY = """\
PATTERN      TREND        RUNS  /DAY  VELOCITY  SUCCESS     P95  QUALITY  LAST USE  NOTES
─────────────────────────────────────────────────────────────────────────────────────────
checkout     → stable       80   2.9     -0.10    82.5%  416 ms     0.75     4.9 d  18% errors, 6 timeouts, +1 more
abandoned    ✗ abandoned     3   0.1     -0.02   100.0%       -     0.50    29.9 d  no recent use, quality 0.50
failing      → stable       40   1.3      0.00    50.0%  100 ms     0.90     9.0 h  50% errors
declining    ↘ declining    60   2.0     -0.50   100.0%   20 ms     0.90     6.0 h  declining
low-quality  → stable       30   1.0      0.00   100.0%  2.50 s     0.60    12.0 h  quality 0.60
idle         ✧ emerging      0   0.0      0.00        -       -        -         -"""  # noqa: E501

#: At 90 columns, in ASCII: VELOCITY and QUALITY are left out first, then notes are cut
#: to whole ones and "+N more".
ASCII_SUMMARY = """\
PATTERN      TREND        RUNS  /DAY  SUCCESS     P95  LAST USE  NOTES
----------------------------------------------------------------------
checkout     = stable       80   2.9    82.5%  416 ms     4.9 d  18% errors, +2 more
abandoned    x abandoned     3   0.1   100.0%       -    29.9 d  no recent use, +1 more
failing      = stable       40   1.3    50.0%  100 ms     9.0 h  50% errors
declining    v declining    60   2.0   100.0%   20 ms     6.0 h  declining
low-quality  = stable       30   1.0   100.0%  2.50 s    12.0 h  quality 0.60
idle         + emerging      0   0.0        -       -         -"""

#: At 60, /DAY and LAST USE too, and the notes are cut mid-word.
NARROW_SUMMARY = """\
PATTERN      TREND        RUNS  SUCCESS     P95  NOTES
──────────────────────────────────────────────────────
checkout     → stable       80    82.5%  416 ms  18% errors
abandoned    ✗ abandoned     3   100.0%       -  no recent …
failing      → stable       40    50.0%  100 ms  50% errors
declining    ↘ declining    60   100.0%   20 ms  declining
low-quality  → stable       30   100.0%  2.50 s  quality 0.…
idle         ✧ emerging      0        -       -"""


def test_summary_in_full_worst_first(
    patterns: list[tuple[str, ModelUsageAnalyticsOutput]],
) -> None:
    # Most notes first, then the highest error rate, then by name.
    ordered = by_attention(patterns)
    assert [name for name, _ in ordered] == [
        "checkout",
        "abandoned",
        "failing",
        "declining",
        "low-quality",
        "idle",
    ]
    assert render_summary(ordered, width=120) == SUMMARY
    assert render_summary(ordered, width=90, unicode=False) == ASCII_SUMMARY
    # (Its names, all shorter than 12 columns, kept their width: they were widened to 12.)
    assert render_summary(ordered, width=60) == NARROW_SUMMARY


@pytest.mark.parametrize(
    ("numbers", "notes"),
    [
        ({}, ["18% errors", "6 timeouts", "25% gate failures"]),
        # Each at its threshold, and just short of it.
        ({"error_rate": 0.10}, ["10% errors", "6 timeouts", "25% gate failures"]),
        ({"error_rate": 0.0999}, ["6 timeouts", "25% gate failures"]),
        ({"timeout_count": 1, "quality_gate_failures": 0}, ["18% errors", "1 timeout"]),
        ({"timeout_count": 0, "quality_gate_failures": 8}, ["18% errors", "10% gate failures"]),
        ({"timeout_count": 0, "quality_gate_failures": 7}, ["18% errors"]),
        (
            {"avg_quality_score": 0.7499, "error_rate": 0.0},
            ["6 timeouts", "quality 0.75", "25% gate failures"],
        ),
        ({"avg_quality_score": 0.0, "error_rate": 0.0, "timeout_count": 0}, ["25% gate failures"]),
        # One timeout in a hundred runs is a note; one in two hundred is not.
        (
            {"success_count": 186, "failure_count": 14, "error_rate": 0.07, "timeout_count": 2},
            ["2 timeouts", "10% gate failures"],
        ),
        (
            {"success_count": 186, "failure_count": 14, "error_rate": 0.07, "timeout_count": 1},
            ["10% gate failures"],
        ),
        # Without runs, no rate is a note (and nothing is divided by zero).
        ({"success_count": 0, "failure_count": 0}, []),
    ],
)
def test_attention_notes_at_their_thresholds(
    checkout: ModelUsageAnalyticsOutput, numbers: dict[str, Any], notes: list[str]
) -> None:
    success = checkout.success_metrics.model_copy(update=numbers)
    assert attention_notes(checkout.model_copy(update={"success_metrics": success})) == notes


def test_printable_escapes_what_the_terminal_would_act_on_or_cannot_write() -> None:
    # Controls always; under an output encoding, what it cannot encode too, the report's
    # own characters as their ASCII stand-ins; and only while the context lasts.
    assert printable("a\x1b[2Jé→日\n") == "a\\x1b[2Jé→日\\n"
    with escaping_unencodable("cp1252"):
        assert printable("é·…→日") == "é·…->\\u65e5"
        assert printable("plain") == "plain"
    with escaping_unencodable("ascii"):
        assert printable("é·→…±\u202e") == "\\xe9|->~+/-\\u202e"
    with escaping_unencodable("no-such-codec"):  # (a stream's encoding Python lacks)
        assert printable("aé→") == "a\\xe9->"
    assert printable("é→日") == "é→日"


BARE_REPORT = """\
════════════════════════════════════════════════════════════
 p                                                        -
 2026-02-01 14:00 → 2026-03-03 14:00 UTC · 30 days · monthl…
════════════════════════════════════════════════════════════

USAGE ──────────────────────────────────────────────────────
  Executions    12   (0.4/day · 2.8/week · 12.0/month)
  Busiest day   1 execution
  Reach         1 context type · 3 agents
  Last used     30.0 h before the end

SUCCESS & QUALITY ──────────────────────────────────────────
  Success rate  100.0%   (12 ok · 0 failed · 0 timeouts)
  Quality       0.90 average score · 0 quality-gate failures

DATA QUALITY ───────────────────────────────────────────────
  Records       12 received · 12 in the window · 0 outside ·
                0 invalid (left out)
  Analytics     quality score 0.38 · computed in 0.5 ms"""

EMPTY_REPORT = """\
════════════════════════════════════════════════════════════
 p                                               ✧ EMERGING
 2026-02-01 14:00 → 2026-03-03 14:00 UTC · 30 days · monthl…
════════════════════════════════════════════════════════════

USAGE ──────────────────────────────────────────────────────
  Executions    0   (0.0/day · 0.0/week · 0.0/month)
  Busiest day   0 executions
  Reach         0 context types · 0 agents
  Last used     never in this window

SUCCESS & QUALITY ──────────────────────────────────────────
  Success rate  - (no executions)

PERFORMANCE ────────────────────────────────────────────────
  Latency       no execution times recorded

TREND ──────────────────────────────────────────────────────
  Direction     ✧ EMERGING
  Velocity      0.00 runs/day per day (no runs) ·
                acceleration 0.00
  Growth        0.0% (last quarter vs first)
  Agents        retention 0.0% · churn 0.0% · 0.0 new/week
  Confidence    0.30   (30 buckets of 1 day)

WHERE IT RUNS (top 5) ──────────────────────────────────────
  Context type                     runs  share
  (none)

  Agent                            runs  share
  (none)

  Project                          runs  share
  (none)

  File type                        runs  share
  (none)

WHEN IT RUNS ───────────────────────────────────────────────
  Hour of day (UTC)




  00    03    06    09    12    15    18    21

  Day of week (UTC)
  Mon       0
  Tue       0
  Wed       0
  Thu       0
  Fri       0
  Sat       0
  Sun       0

DATA QUALITY ───────────────────────────────────────────────
  Records       0 received · 0 in the window · 0 outside · 0
                invalid (left out)
  Analytics     quality score 0.00 · computed in 0.5 ms"""


def test_reports_without_the_optional_families_or_any_run() -> None:
    # Sections a result lacks are left out, and a window without runs says so in each
    # (no rate of nothing, no empty percentiles, "(none)" for the tables, no peaks).
    bare = analyse(
        runs(12), "p", include_trends=False, include_performance=False, include_distribution=False
    )
    assert attention_notes(bare) == []
    assert render_report(bare.model_copy(update={"computation_time_ms": 0.5}), width=60) == (
        BARE_REPORT
    )
    idle = result([]).model_copy(update={"computation_time_ms": 0.5})
    assert render_report(idle, width=60) == EMPTY_REPORT


LONG = "a-pattern-name-of-forty-characters-long!"

LONG_NAME_SUMMARY = """\
PATTERN                           TREND       RUNS  /DAY  SUCCESS     P95  LAST USE  NOTES
──────────────────────────────────────────────────────────────────────────────────────────
a-pattern-name-of-forty-charact…  → stable      12   0.4   100.0%  100 ms    30.0 h
short                             ✧ emerging     5   0.2    40.0%  100 ms     3.0 d  60% errors"""

#: Narrower: the essential columns kept, the names shortened (down to 12 columns) to fit.
NARROW_LONG_NAME_SUMMARY = """\
PATTERN        TREND       RUNS  SUCCESS     P95  NOTES
───────────────────────────────────────────────────────
a-pattern-na…  → stable      12   100.0%  100 ms
short          ✧ emerging     5    40.0%  100 ms  60% errors"""


def test_summary_cuts_names_past_32_columns_and_shortens_them_to_fit() -> None:
    items = [(LONG, result(runs(12))), ("short", result(runs(5, success=0.5)))]
    assert render_summary(items, width=100) == LONG_NAME_SUMMARY
    assert render_summary(items, width=60) == NARROW_LONG_NAME_SUMMARY


def test_summary_names_are_shortened_to_no_less_than_12_columns(
    checkout: ModelUsageAnalyticsOutput,
) -> None:
    # (Past what would fit: the notes are cut instead.)
    assert render_summary([(LONG, checkout)], width=60).splitlines()[2] == (
        "a-pattern-n…  → stable    80    82.5%  416 ms  18% errors"
    )


@pytest.mark.parametrize(
    ("ms", "shown"),
    [
        (0.07, "0.07 ms"),  # two significant digits below a tenth of a millisecond
        (0.12, "0.1 ms"),
        (3.6e6 * 750_000, "750,000.0 h"),
        (3.6e6 * 1.2e6, "1.2e+06 h"),  # compact from a million hours
    ],
)
def test_durations_at_the_edges_of_their_forms(ms: float, shown: str) -> None:
    assert _duration_ms(ms) == shown


def _duration_by_units(ms: float) -> str:
    """`_duration_ms` of a finite duration from 0.1 ms up, by its units alone (without its
    shortcut for whole milliseconds)."""
    for below, scale, digits, unit in _DURATION_UNITS:
        if round(ms / scale, digits) < below / scale:
            return f"{ms / scale:.{digits}f} {unit}"
    raise AssertionError("past the units")


@given(
    st.floats(0.1, 59_999.0)
    | st.sampled_from([9.95, 10.0, 999.49999, 999.5, 999.5000001]).flatmap(
        lambda edge: st.sampled_from([edge, math.nextafter(edge, 0), math.nextafter(edge, 1e9)])
    )
)
def test_whole_milliseconds_are_written_as_the_units_write_them(ms: float) -> None:
    assert _duration_ms(ms) == _duration_by_units(ms)


def _percent_as_first_written(ratio: float, digits: int) -> str:
    shown = f"{ratio * 100:.{digits}f}%"
    step = 10.0**-digits
    if ratio < 1 and shown == f"{100:.{digits}f}%":
        return f">{100 - step:.{digits}f}%"
    if ratio > 0 and shown == f"{0:.{digits}f}%":
        return f"<{step:.{digits}f}%"
    return shown


@given(
    st.floats(0, 1) | st.sampled_from([1e-9, 0.0004, 0.0005, 0.9995, 0.99951, 1 - 1e-9]),
    st.integers(0, 3),
)
def test_percentages_with_their_ends_written_once_are_as_first_written(
    ratio: float, digits: int
) -> None:
    assert _percent(ratio, digits) == _percent_as_first_written(ratio, digits)


def test_terminal_width_is_columns_or_the_default_kept_in_range(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_terminal(*_: Any) -> os.terminal_size:
        raise OSError("not a terminal")

    monkeypatch.setattr(os, "get_terminal_size", no_terminal)
    monkeypatch.delenv("COLUMNS", raising=False)
    assert terminal_width() == 100
    for columns, width in [("90", 90), ("200", 120), ("121", 120), ("10", 60), ("59", 60)]:
        monkeypatch.setenv("COLUMNS", columns)
        assert terminal_width() == width


def test_trend_label_draws_in_unicode_unless_told(checkout: ModelUsageAnalyticsOutput) -> None:
    assert trend_label(checkout.trend_analysis) == "→ stable"
    assert trend_label(checkout.trend_analysis, unicode=False) == "= stable"
    assert trend_label(None) == "-"


def test_tables_sit_two_to_a_row_while_two_of_their_least_width_fit() -> None:
    # The name column keeps at least 12 columns ("Context type"): a runs column of 27
    # characters makes a table 47 wide, and two of them just fit 100 columns.
    output = result(runs(50))
    assert output.context_distribution is not None
    agents = {"agent-0": 10**20, "agent-1": 5}
    distribution = output.context_distribution.model_copy(update={"by_agent": agents})
    lines = render_report(
        output.model_copy(update={"context_distribution": distribution}), width=100
    ).splitlines()
    first = lines.index(next(line for line in lines if line.startswith("WHERE IT RUNS")))
    left = "  Context type                        runs  share"
    right = "    Agent                               runs  share"
    assert lines[first + 1 : first + 7] == [
        left + right,
        "  unknown                               50 100.0%"
        "    agent-0      100,000,000,000,000,000,000 100.0%",
        " " * 53 + "agent-1                                5  <0.1%",
        "",
        left.replace("Context type", "Project     ") + right.replace("Agent    ", "File type"),
        "  unknown                               50 100.0%    (none)",
    ]


def test_days_without_runs_have_no_bar() -> None:
    three = result([{"timestamp": START + timedelta(hours=i), "success": True} for i in range(3)])
    lines = render_report(three, width=100).splitlines()
    first = lines.index("  Day of week (UTC)")
    assert lines[first + 1 : first + 8] == [
        "  Mon       0",
        "  Tue       0",
        "  Wed       0",
        "  Thu       0",
        "  Fri       0",
        "  Sat       0",
        "  Sun       3  " + "█" * 40,
    ]


def test_a_day_of_few_runs_beside_a_busy_one_still_has_a_bar() -> None:
    # One run against a thousand is under half an eighth of 40 cells: still the least
    # bar, not none (a day with runs must not look like one without).
    assert [_bar(1, 1_000, 40, unicode) for unicode in (True, False)] == ["▏", "#"]
    assert _bar(0, 1_000, 40, unicode=True) == ""
    assert _bar(1, 1, 10, unicode=True) == "█" * 10  # (a peak of one run is a peak)
    assert _bar(3, 20, 10, unicode=True) == "█▌"  # (12 eighths: a cell and a half)


def test_levels_scale_below_one_and_keep_any_positive_value_visible() -> None:
    # Rates under one a day (a sparkline's) and hour counts of at most one (the hour
    # chart's) are scaled to their peak like any others.
    assert _levels([0.0, 0.25, 0.5], 8) == [0, 4, 8]
    assert _levels([1, 0, 1], 32) == [32, 0, 32]
    assert _levels([0.001, 1_000.0], 8) == [1, 8]
    assert _levels([0.0, 0.0], 8) == [0, 0]


def test_ascii_lines_are_fitted_as_written_where_their_stand_ins_are_longer(
    checkout: ModelUsageAnalyticsOutput,
) -> None:
    # "±" is written "+/-" in ASCII: a line that fits in Unicode by a column or two must
    # still be wrapped to the width when it is written in ASCII.
    assert checkout.performance_metrics is not None
    sketched = checkout.model_copy(
        update={
            "performance_metrics": checkout.performance_metrics.model_copy(
                update={"percentile_method": "sketch", "percentile_relative_error": 0.01}
            )
        }
    )
    for width in range(60, 121):
        text = render_report(sketched, name="Checkout", width=width, unicode=False)
        assert "+/-1%" in text.replace("\n", "")
        assert [line for line in text.splitlines() if len(line) > width] == [], width


def test_notes_that_fill_their_width_exactly_are_all_shown() -> None:
    notes = ["18% errors", "6 timeouts"]
    assert _join_notes(notes, 22) == "18% errors, 6 timeouts"
    assert _join_notes(notes, 21) == "18% errors, +1 more"


def test_summary_notes_get_twenty_columns_before_a_column_is_left_out(
    patterns: list[tuple[str, ModelUsageAnalyticsOutput]],
) -> None:
    ordered = by_attention(patterns)
    every = (
        "PATTERN      TREND        RUNS  /DAY  VELOCITY  SUCCESS     P95  QUALITY  LAST USE  NOTES"
    )
    assert render_summary(ordered, width=104).splitlines()[0] == every
    assert render_summary(ordered, width=103).splitlines()[0] == every.replace("VELOCITY  ", "")


#: One name as one code point and as its letters and combining marks (not NFC): a
#: terminal draws both alike.
COMPOSED, DECOMPOSED = "caf\u00e9-\u00c5", "cafe\u0301-A\u030a"


def test_names_differing_only_by_normalisation_are_written_differently() -> None:
    # Two agents, two patterns, drawn as two identical "café-Å" rows. Text not in NFC
    # has its marks (and what NFC would replace) escaped; NFC text is left as it is.
    assert printable(COMPOSED) == COMPOSED
    assert printable(DECOMPOSED) == "cafe\\u0301-A\\u030a"
    assert printable("\u212bngstr\u00f6m") == "\\u212bngstr\u00f6m"  # the Angstrom sign
    assert printable("\u1100\u1161") == "\\u1100\\u1161"  # jamo NFC makes one syllable
    records = [*runs(3, agent=COMPOSED), *runs(2, agent=DECOMPOSED)]
    report = render_report(result(records), width=100)
    assert "  café-Å  " in report
    assert "  cafe\\u0301-A\\u030a  " in report
    summary = render_summary([(COMPOSED, result(runs(3))), (DECOMPOSED, result(runs(3)))])
    assert [line.split()[0] for line in summary.splitlines()[2:]] == [
        "café-Å",
        "cafe\\u0301-A\\u030a",
    ]


#: Letters, marks, controls, format characters, jamo and a singleton NFC replaces: text
#: in NFC and not, and marks after what is escaped.
MARKED_TEXT = st.lists(
    st.sampled_from(["a", "e", " ", "日", "\u0301", "\u0327", "\x1b", "\u202e", "\u200d",
                     "\u1100", "\u1161", "\u212b", "\x85"]),
    max_size=12,
).map("".join)  # fmt: skip


@given(st.text(max_size=12) | MARKED_TEXT)
@example("\u202e\u0301")  # (was "\\u202e" and the mark, which joined its "e")
def test_printable_text_is_in_nfc_and_a_second_pass_keeps_it(text: str) -> None:
    # Names are made printable, laid out, and their lines made printable again: a second
    # pass that escaped more would move the columns after the name. (A mark after an
    # escape, "\u202e" and U+0301, made "e" and U+0301 of it: not NFC, escaped then.)
    shown = printable(text)
    assert unicodedata.is_normalized("NFC", f" {shown} ")
    assert printable(shown) == shown


def test_long_names_alike_at_their_start_are_cut_apart_in_the_tables() -> None:
    # Cut to their columns, two agents (and two patterns) alike in their first 29 (32)
    # columns were two rows of one name.
    records = [*runs(3, agent=ALIKE[0]), *runs(2, agent=ALIKE[1])]
    report = render_report(result(records), width=100)
    assert "  payments.check…int.v1-primary       3  60.0%" in report
    assert "  payments.check…int.v2-primary       2  40.0%" in report
    summary = render_summary([(name, result(runs(3))) for name in ALIKE], width=100)
    assert [line.split("  ")[0] for line in summary.splitlines()[2:]] == [
        "payments.checkou…oint.v1-primary",
        "payments.checkou…oint.v2-primary",
    ]


def test_names_differing_only_by_spaces_at_their_ends_are_written_differently() -> None:
    # "admin" and "admin " (a CSV cell's trailing space) are two agents, two patterns:
    # two rows of "admin". Spaces at either end of a name are written "\\x20".
    records = [*runs(3, agent="admin"), *runs(2, agent="admin "), *runs(1, agent=" admin")]
    report = render_report(result(records), width=100)
    for shown in ("admin", "admin\\x20", "\\x20admin"):
        assert f"  {shown}      " in report, shown
    items = [(name, result(runs(3))) for name in ("admin", "admin  ")]
    summary = render_summary(items, width=100)
    assert [line.split("  ")[0] for line in summary.splitlines()[2:]] == [
        "admin",
        "admin\\x20\\x20",
    ]


def test_a_name_holding_an_escapes_text_is_not_taken_for_it() -> None:
    # The text "\\x1b" (a backslash, "x1b") and ESC, escaped, were both "\\x1b": two
    # agents, two patterns, drawn as one. In names, a backslash is written as Python
    # writes it, doubled.
    records = [*runs(3, agent="a\\x1b"), *runs(2, agent="a\x1b")]
    report = render_report(result(records), width=100)
    assert "  a\\\\x1b      " in report
    assert "  a\\x1b      " in report
    items = [(name, result(runs(3))) for name in ("a\\x1b", "a\x1b")]
    summary = render_summary(items, width=100)
    assert [line.split("  ")[0] for line in summary.splitlines()[2:]] == ["a\\\\x1b", "a\\x1b"]
    # The report's title writes its name as the dashboard above it does.
    assert (
        render_report(result(runs(3), "a\\x1b"), width=100)
        .splitlines()[1]
        .startswith(" a\\\\x1b   ")
    )


#: Backslashes, the letters and digits of escapes, what is escaped, and spaces.
ESCAPE_LIKE_TEXT = st.lists(
    st.sampled_from(["\\", "x", "u", "n", "1", "b", "2", "0", "\x1b", "\n", "\u202e", " ",
                     "e", "\u0301"]),
    max_size=8,
).map("".join)  # fmt: skip


@given(ESCAPE_LIKE_TEXT, ESCAPE_LIKE_TEXT)
def test_names_are_written_apart_and_as_printable_writes_them_again(one: str, other: str) -> None:
    if one != other:
        assert printable_name(one) != printable_name(other)
    shown = printable_name(one)
    assert printable(shown) == shown
    assert unicodedata.is_normalized("NFC", f" {shown} ")


#: The report's own characters with an ASCII stand-in ("→" written "->"), and the
#: characters of the stand-ins.
STAND_IN_TEXT = st.lists(
    st.sampled_from(["a", "→", "-", ">", "·", "|", "…", "~", "±", "+", "/", "═", "=", "\\"]),
    max_size=6,
).map("".join)


@pytest.mark.parametrize("encoding", ["ascii", "cp1252"])
@given(one=STAND_IN_TEXT, other=STAND_IN_TEXT)
def test_names_stay_apart_where_the_stream_cannot_encode_them(
    encoding: str, one: str, other: str
) -> None:
    # A name's "→" was given the report's own stand-in, "->": "a→b" and "a->b" were
    # two dashboard rows of "a->b". A name's character is escaped instead.
    with escaping_unencodable(encoding):
        shown = printable_name(one)
        assert shown.encode(encoding).decode(encoding) == shown
        if one != other:
            assert shown != printable_name(other)


def test_names_are_escaped_not_given_stand_ins_in_every_ascii_table() -> None:
    # (As on an ASCII stream, and with no stream's encoding told: `unicode=False` alone.)
    records = [*runs(3, agent="x±1"), *runs(2, agent="x+/-1")]
    report = render_report(result(records, "a→b"), width=100, unicode=False)
    summary = render_summary(
        [(name, result(runs(3))) for name in ("a→b", "a->b")], width=100, unicode=False
    )
    assert report.isascii()
    assert summary.isascii()
    assert report.splitlines()[1].startswith(" a\\u2192b ")
    assert "  x\\xb11 " in report
    assert "  x+/-1 " in report
    assert [line.split("  ")[0] for line in summary.splitlines()[2:]] == ["a\\u2192b", "a->b"]


def test_names_in_an_ascii_table_keep_what_the_streams_encoding_can_write() -> None:
    # Where the stream's encoding is told, it says what a name may keep in a table drawn
    # in ASCII: "é" on a UTF-8 stream (escaped only where no encoding is told).
    def first_row() -> str:
        summary = render_summary([("café", result(runs(3)))], width=100, unicode=False)
        return summary.splitlines()[2]

    with escaping_unencodable("utf-8"):
        assert first_row().startswith("café ")
    assert first_row().startswith("caf\\xe9 ")


def test_a_success_rate_of_as_many_failures_as_successes_is_shown() -> None:
    # (Not "no executions": the runs are the successes and the failures, summed.)
    report = render_report(result(runs(2, success=0.5)), width=100)
    assert "  Success rate  50.0%   (1 ok · 1 failed · 0 timeouts)" in report.splitlines()


def test_invalid_records_past_the_samples_shown_are_counted_and_no_others() -> None:
    # One invalid record, its sample shown: no "and 0 more". A result without samples
    # (as a state's): its count alone, no "and 1 more" of samples never shown.
    one = analyse([*runs(3), {"timestamp": "yesterday"}], "p", on_invalid="skip")
    unsampled = one.model_copy(
        update={"data_quality": one.data_quality.model_copy(update={"error_samples": []})}
    )
    for shown in (one, unsampled):
        report = render_report(shown, width=100)
        assert "1 invalid (left out)" in report
        assert "more invalid record" not in report


def test_the_calendar_charts_are_labelled_with_the_zone_given() -> None:
    report = render_report(result(runs(3)), width=100, timezone="Asia/Tokyo")
    assert "  Hour of day (Asia/Tokyo)" in report.splitlines()
    assert "  Day of week (Asia/Tokyo)" in report.splitlines()


def test_only_a_mark_after_a_names_end_space_is_escaped_with_it() -> None:
    # (The mark would join the "0" of "\\x20"; the character after it is another's.)
    assert printable_name(" \u0301x") == "\\x20\\u0301x"
    assert printable_name(" é") == "\\x20é"
    assert printable_name("  x") == "\\x20\\x20x"


def test_a_texts_characters_that_nfc_would_change_are_escaped_to_the_ends_of_jamo() -> None:
    # In a text not in NFC, the conjoining jamo U+1100..U+11FF are escaped, the first and
    # the last included; in NFC, a mark is written as it is ("कि": a letter and its sign).
    assert printable("\u1100\u1161") == "\\u1100\\u1161"
    assert printable("\u1100e\u0301") == "\\u1100e\\u0301"
    assert printable("\u11ffe\u0301") == "\\u11ffe\\u0301"
    assert printable("\u0915\u093f\x1b") == "\u0915\u093f\\x1b"  # (the ESC: not plain)


def test_the_hour_chart_has_three_column_cells_from_exactly_72_columns() -> None:
    axis = "".join(f"{hour:02d}".ljust(9) for hour in range(0, 24, 3)).rstrip()
    assert _hour_chart({0: 1}, 74, True, "  ")[-1] == "  " + axis
    narrow = "".join(f"{hour:02d}".ljust(6) for hour in range(0, 24, 3)).rstrip()
    assert _hour_chart({0: 1}, 73, True, "  ")[-1] == "  " + narrow


def test_a_reports_header_names_the_pattern_once_and_ends_a_column_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A name that is the pattern's id is not written twice; the trend's label ends one
    # column before the width (as the rules above and below it are drawn); with no
    # width given, the terminal's ($COLUMNS).
    monkeypatch.setenv("COLUMNS", "90")
    for width in (80, None):
        lines = render_report(result(runs(3)), width=width, name="p").splitlines()
        assert len(lines[0]) == (width or 90)
        assert lines[1].startswith(" p ")
        assert "(p)" not in lines[1]
        assert len(lines[1]) == (width or 90) - 1
    long_name = "n" * 64  # (the least gap before the label, which is then cut)
    header = render_report(result(runs(3)), width=80, name=long_name).splitlines()[1]
    assert header.startswith(f" {long_name}  (p)  ✧ ")


def test_a_backslash_that_reads_as_no_escape_is_kept_single() -> None:
    assert printable_name("CORP\\jsmith") == "CORP\\jsmith"
    assert printable_name("C:\\new") == "C:\\\\new"
    assert printable_name("a\\ ") == "a\\\\\\x20"


@pytest.mark.parametrize("score", [None, 0.0])
def test_a_quality_of_0_says_it_may_be_no_scores(score: float | None) -> None:
    # The output's average is 0.0 without scores as with every score 0 (the design's
    # choice): "0.00 average score" alone read as a failing quality for records that had
    # none, as most files of runs have. (The HTML page's tile and the health rule, which
    # skips it, said so already.)
    report = render_report(analyse(runs(12, quality_score=score), "p"), width=100)
    assert (
        "  Quality       0.00 average score (no scores, or all 0) · 0 quality-gate failures"
        in report.splitlines()
    )
    scored = render_report(analyse(runs(12), "p"), width=100)
    assert "  Quality       0.90 average score · 0 quality-gate failures" in scored.splitlines()
