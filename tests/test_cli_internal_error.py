"""A fault of the library's own is an `InternalError`, worded as the core words its own,
and the command shows it as one: its line, and exit status 70 (sysexits' EX_SOFTWARE),
neither 1 (the data) nor 2 (the command line). The batch's missing result of a pattern
was a plain `UsageAnalyticsError` (exit 1, as if the data were at fault), and an
internal error of the batch reduction was hidden by the retry one pattern at a time."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_runs import run
from usage_analytics import InternalError, ModelUsageAnalyticsInput, UsageAnalyticsError
from usage_analytics.cli import batch, valid_end
from usage_analytics.cli.common import EXIT_INTERNAL, first_record_problem
from usage_analytics.contracts import ModelUsageAnalyticsBatchOutput
from usage_analytics.dask import _merge_states
from usage_analytics.errors import INTERNAL_WORDS, internal_error
from usage_analytics.ingest import dispatch
from usage_analytics.ingest.dispatch import reduce_any
from usage_analytics.output import output_builder
from usage_analytics.reducer import NodeUsageAnalyticsReducer, core_options
from usage_analytics.sources import FileSource

NOW = datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
#: The command's line for an internal error, up to its reason.
LINE = re.compile(r"^usage-analytics: error: internal error in usage-analytics \(please report\): ")


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    """A CSV file of two patterns' runs, one of them failed."""
    path = tmp_path / "runs.csv"
    lines = ["pattern_id,timestamp,success,execution_time_ms"]
    for hours in range(1, 5):
        stamp = (NOW - timedelta(hours=hours)).isoformat()
        lines += [f"a,{stamp},true,10", f"b,{stamp},{'false' if hours == 2 else 'true'},20"]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_internal_error_is_worded_as_the_cores_own() -> None:
    # (A result made without analytics asked for its output: the core's own check.)
    contract_records: list[dict[str, Any]] = [{"timestamp": "yesterday", "success": True}]
    contract = ModelUsageAnalyticsInput(
        pattern_id="p",
        time_window_start=NOW - timedelta(days=1),
        time_window_end=NOW,
        execution_data=contract_records,
    )
    raw = reduce_any(contract.execution_data, core_options(contract, by_pattern=False))
    with pytest.raises(InternalError) as raised:
        output_builder(contract, NOW).output("p", raw["result"], 0.0)
    ours = internal_error("why")
    assert type(ours) is InternalError
    assert str(raised.value).startswith(f"{INTERNAL_WORDS}: ")
    assert str(ours) == f"{INTERNAL_WORDS}: why"


def test_a_pattern_the_batch_gave_no_result_is_an_internal_error(
    runs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class Forgetful(NodeUsageAnalyticsReducer):
        async def execute_batch_reduction(self, *args: Any, **kwargs: Any) -> Any:
            output: ModelUsageAnalyticsBatchOutput = await super().execute_batch_reduction(
                *args, **kwargs
            )
            results = {key: value for key, value in output.results.items() if key != "b"}
            return output.model_copy(update={"results": results})

    monkeypatch.setattr(batch, "NodeUsageAnalyticsReducer", Forgetful)
    code, out, err = run(capsys, "dashboard", str(runs))
    assert code == EXIT_INTERNAL == 70
    assert LINE.match(err)
    assert err.endswith("no batch result for pattern 'b'\n")
    assert out == ""


def test_an_internal_error_of_the_batch_is_not_retried_one_pattern_at_a_time(
    runs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any, **__: Any) -> Any:
        raise internal_error("a broken invariant of the batch")

    async def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("retried one pattern at a time")

    monkeypatch.setattr(NodeUsageAnalyticsReducer, "execute_batch_reduction", broken)
    monkeypatch.setattr(batch, "reduce_all", refuse)
    code, _, err = run(capsys, "dashboard", str(runs))
    assert code == EXIT_INTERNAL
    assert LINE.match(err)
    assert err.endswith("a broken invariant of the batch\n")


@pytest.mark.parametrize("command", ["analyze", "dashboard"])
def test_an_internal_error_of_one_patterns_reduction_keeps_its_exit_status(
    command: str,
    runs: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(*_: Any, **__: Any) -> Any:
        raise internal_error("a broken invariant of one reduction")

    async def refused(*_: Any, **__: Any) -> Any:
        raise UsageAnalyticsError("columns have different lengths")  # (to go one by one)

    monkeypatch.setattr(NodeUsageAnalyticsReducer, "execute_reduction", broken)
    monkeypatch.setattr(NodeUsageAnalyticsReducer, "execute_batch_reduction", refused)
    pattern = ["--pattern", "a"] if command == "analyze" else []
    code, _, err = run(capsys, command, str(runs), *pattern)
    assert code == EXIT_INTERNAL
    assert LINE.match(err)
    assert "pattern" not in err  # (not placed as a record's problem would be)


def test_a_refusal_of_the_data_keeps_exit_status_1(
    runs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(*_: Any, **__: Any) -> Any:
        raise UsageAnalyticsError("columns have different lengths")

    monkeypatch.setattr(NodeUsageAnalyticsReducer, "execute_reduction", refused)
    code, _, err = run(capsys, "analyze", str(runs), "--pattern", "a")
    assert code == 1
    assert "internal error" not in err


def test_a_newest_valid_record_lost_between_two_steps_is_an_internal_error(
    runs: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    async def lost(*_: Any, **__: Any) -> None:
        return None

    # (Its newest record invalid: the window ends at the newest valid one, read again.)
    with runs.open("a") as file:
        file.write(f"a,{NOW.isoformat()},true,-1\n")
    monkeypatch.setattr(valid_end, "newest_valid_us", lost)
    code, _, err = run(capsys, "analyze", str(runs), "--pattern", "a", "--on-invalid", "skip")
    assert code == EXIT_INTERNAL
    assert LINE.match(err)
    assert "was lost" in err


def test_no_partition_state_to_merge_is_an_internal_error() -> None:
    with pytest.raises(InternalError, match=re.escape(f"{INTERNAL_WORDS}: no partition state")):
        _merge_states([])


def test_an_input_of_no_form_past_its_check_is_an_internal_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(dispatch, "records_container", lambda data: data)
    with pytest.raises(InternalError, match="an input of no form"):
        dispatch.read_any(object(), records=dict, arrow=dict, grouped=False)  # type: ignore[arg-type]


def test_an_internal_error_is_no_first_records_problem(
    runs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (`first_record_problem` words the core's refusal of the first record as its
    # problem; a fault of ours is no record's.)
    async def broken(*_: Any, **__: Any) -> Any:
        raise internal_error("a broken invariant of one reduction")

    monkeypatch.setattr(NodeUsageAnalyticsReducer, "execute_reduction", broken)
    with pytest.raises(InternalError, match="a broken invariant"):
        asyncio.run(first_record_problem(FileSource(runs), "a"))
