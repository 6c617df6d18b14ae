"""`dashboard --on-invalid raise` names the first problem in the file's order, as the
library's batch reduction does: an invalid record of a pattern, or a record without a
pattern_id, whichever comes first (the record without one was named first whatever its
line), and counts the others of both kinds."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer
from usage_analytics.cli import main
from usage_analytics.errors import InvalidRecordError

START = datetime(2026, 11, 1, tzinfo=UTC)

#: Kinds of record: good ones of two patterns, an invalid one, one without a pattern_id.
GOOD_P, GOOD_Q, NEGATIVE, NAMELESS = "p", "q", "negative", "nameless"


def record(kind: str, number: int) -> dict[str, Any]:
    moment = (START + timedelta(hours=number)).isoformat()
    if kind == NAMELESS:
        return {"pattern_id": None, "timestamp": moment, "execution_time_ms": 5.0}
    milliseconds = -1.0 if kind == NEGATIVE else 5.0
    pattern = "q" if kind == GOOD_Q else "p"
    return {"pattern_id": pattern, "timestamp": moment, "execution_time_ms": milliseconds}


def write(path: Path, kinds: list[str]) -> list[dict[str, Any]]:
    records = [record(kind, number) for number, kind in enumerate(kinds)]
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(one) + "\n" for one in records), encoding="utf-8")
    else:
        table = pa.Table.from_pylist(records)
        if path.suffix == ".csv":
            pa_csv.write_csv(table, path)
        else:
            pq.write_table(table, path)
    return records


def error_of(capsys: pytest.CaptureFixture[str], path: Path) -> str:
    # (--end: the window from the records' own dates, whatever the machine's clock.)
    code = main(["dashboard", str(path), "--end", "2026-12-31"])
    captured = capsys.readouterr()
    assert (code, captured.out) == (1, "")
    assert captured.err.count("\n") == 1
    return captured.err


def library_first(records: list[dict[str, Any]]) -> tuple[int, str, int]:
    """The library batch's first invalid record: its index, field, and how many more."""
    batch = ModelUsageAnalyticsBatchInput(
        time_window_start=START - timedelta(days=1),
        time_window_end=datetime(2027, 1, 1, tzinfo=UTC),
        execution_data=records,
    )
    with pytest.raises(InvalidRecordError) as raised:
        NodeUsageAnalyticsReducer().execute_batch_reduction_sync(batch)
    return raised.value.index, raised.value.field, raised.value.more


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_an_invalid_record_before_one_without_a_pattern_id_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"runs{suffix}"
    write(path, [GOOD_P, NEGATIVE, NAMELESS, GOOD_Q, NAMELESS])
    err = error_of(capsys, path)
    # (It named line 4 (the CSV's header is line 1), the record without a pattern_id.)
    line = 3 if suffix == ".csv" else 2
    where = f"line {line}" if suffix != ".parquet" else "row 2"
    assert re.search(rf", {where}: field 'execution_time_ms' = -1(\.0)?: must be >= 0", err), err
    assert "(and 2 more invalid records); --on-invalid skip leaves invalid records out" in err


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_a_record_without_a_pattern_id_before_an_invalid_one_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"runs{suffix}"
    write(path, [GOOD_P, NAMELESS, NEGATIVE, GOOD_Q])
    err = error_of(capsys, path)
    where = "line 2" if suffix == ".jsonl" else "row 2"
    assert f"runs{suffix}, {where}: field 'pattern_id' = <missing>: required field" in err
    assert "(and 1 more invalid record)" in err


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(st.sampled_from([GOOD_P, GOOD_Q, NEGATIVE, NAMELESS]), min_size=1, max_size=12)
)
def test_the_first_problem_is_the_one_the_library_names(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: list[str]
) -> None:
    if NEGATIVE not in kinds and NAMELESS not in kinds:
        kinds = [*kinds, NEGATIVE]
    if set(kinds) == {NAMELESS}:  # (a file of none: "has no pattern_id column")
        kinds = [*kinds, GOOD_P]
    path = tmp_path / "runs.jsonl"
    records = write(path, kinds)
    index, field, more = library_first(records)
    err = error_of(capsys, path)
    assert re.search(rf", line {index + 1}: field '{field}' = ", err), err
    also = f"(and {more} more invalid record{'s' if more != 1 else ''})" if more else None
    # (Records without a pattern_id alone keep their own words for the others.)
    if also is not None and NEGATIVE in kinds:
        assert also in err
