"""`--window-type`'s help says the width of the trend's buckets each type gives (its only
effect on the numbers; the help said it "sets the trend bucket width" without saying
what width): each width it states is the one the reduction uses, for the named types
through the command, and for all_time and custom by the rule it states, against the
reducer."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_runs import run
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer, TimeWindowType
from usage_analytics.cli import main

UNITS = {"min": 60, "h": 3600, "day": 86_400, "days": 86_400}
START = datetime(2026, 1, 5, tzinfo=UTC)


def _help_of_window_type() -> str:
    """--window-type's help, as `analyze --help` shows it, on one line."""
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(io.StringIO()) as shown:
        patch.setenv("COLUMNS", "80")
        assert main(["analyze", "--help"]) == 0
    words = " ".join(shown.getvalue().split())
    return words.split("--window-type TYPE ", 1)[1].split(" --on-invalid", 1)[0]


def stated_widths() -> dict[str, int]:
    """Each named window type's bucket width in seconds, as the help states it."""
    named = _help_of_window_type().split(";", 1)[0]  # (then all_time and custom's rule)
    stated = re.findall(r"(\w+) (\d+) (min|h|days?)\b", named)
    return {kind: int(count) * UNITS[unit] for kind, count, unit in stated}


def test_the_help_names_a_width_for_every_type() -> None:
    named = {kind.value for kind in TimeWindowType} - {"all_time", "custom"}
    assert set(stated_widths()) == named
    assert (
        "all_time and custom the smallest of those widths giving at most 120 buckets, "
        "else 7 days" in _help_of_window_type()
    )


@pytest.mark.parametrize("kind", sorted(stated_widths()))
def test_each_stated_width_is_the_command_s(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text("pattern_id,timestamp,success\na,2026-01-20T10:00:00Z,true\n")
    window = ["--start", "2026-01-05", "--end", "2026-03-31"]
    code, out, err = run(
        capsys, "analyze", str(runs), "--pattern", "a", *window, "--window-type", kind,
        "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["trend_analysis"]["bucket_width_seconds"] == stated_widths()[kind]


def _width_by_the_help(span: timedelta) -> int:
    """The help's rule for all_time and custom, in seconds."""
    widths = sorted(set(stated_widths().values()))
    return next((width for width in widths if span // timedelta(seconds=width) <= 120), 7 * 86_400)


@settings(max_examples=60, deadline=None)
@given(
    minutes=st.one_of(st.integers(1, 60 * 24 * 2_000), st.sampled_from([600, 7_200, 43_200])),
    kind=st.sampled_from([TimeWindowType.ALL_TIME, TimeWindowType.CUSTOM]),
)
def test_all_time_and_custom_widths_follow_the_stated_rule(
    minutes: int, kind: TimeWindowType
) -> None:
    span = timedelta(minutes=minutes)
    result = NodeUsageAnalyticsReducer().execute_reduction_sync(
        ModelUsageAnalyticsInput(
            pattern_id="a",
            time_window_start=START,
            time_window_end=START + span,
            time_window_type=kind,
            execution_data=[{"timestamp": START, "success": True}],
        )
    )
    assert result.trend_analysis is not None
    assert result.trend_analysis.bucket_width_seconds == _width_by_the_help(span)
