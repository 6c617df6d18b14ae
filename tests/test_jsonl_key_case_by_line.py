"""JSON Lines keys matched to record fields regardless of ASCII case line by line
(`sources/jsonl_column_case.py`): a log written by two versions of a service, some
lines `"success": true` and others `"Success": true`, holds one field. Matched once for
the whole file, the exact key won: the `Success` lines were silently failures, a
`Timestamp` line "missing" its timestamp, a `Pattern_Id` line of no pattern. Within a
line the exact key wins, and two keys of a field but for case are refused naming the
line and both; both JSON Lines readers (pyarrow's and the standard one) alike.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from cli_runs import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_file_column_case import TIMES, fetched, success_rate
from usage_analytics.sources import SourceError, TableSpec, jsonl_column_case, open_source

#: pyarrow's reader where installed (None), the standard one (False).
READERS = [None, False]


def written(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def read(path: Path, arrow: bool | None) -> dict[str, list[Any]]:
    """The records of pattern p as `success` and `timestamp` columns, read by the reader
    `arrow` chooses (`open_source(path, arrow=...)`)."""

    async def fetch() -> Any:
        source = open_source(path, arrow=arrow)
        try:
            return (await source.fetch("p", datetime.min, datetime.max)).data
        finally:
            await source.close()

    data = asyncio.run(fetch())
    records = data.to_pylist() if isinstance(data, pa.Table) else data
    return {name: [record.get(name) for record in records] for name in ("success", "timestamp")}


@pytest.mark.parametrize("arrow", READERS)
@pytest.mark.parametrize(
    ("field", "other"),
    [("success", "Success"), ("timestamp", "Timestamp"), ("pattern_id", "Pattern_Id")],
)
def test_lines_writing_a_field_in_two_cases_each_give_it(
    arrow: bool | None, field: str, other: str, tmp_path: Path
) -> None:
    lines = [{"pattern_id": "p", "timestamp": time, "success": True} for time in TIMES]
    # The second line spells the field otherwise.
    lines[1] = {(other if key == field else key): value for key, value in lines[1].items()}
    path = written(tmp_path / "runs.jsonl", lines)
    columns = read(path, arrow)
    assert columns["success"] == [True] * 3
    assert columns["timestamp"] == TIMES


@pytest.mark.parametrize("arrow", READERS)
def test_the_command_counts_a_lines_success_of_another_case(
    arrow: bool | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = written(
        tmp_path / "runs.jsonl",
        [
            {"pattern_id": "p", "timestamp": TIMES[0], "success": True},
            {"pattern_id": "p", "timestamp": TIMES[1], "Success": True},
            {"Pattern_Id": "p", "Timestamp": TIMES[2], "SUCCESS": False},
        ],
    )
    if arrow is None:
        assert success_rate(capsys, path) == pytest.approx(2 / 3)
    assert read(path, arrow)["success"] == [True, True, False]


@pytest.mark.parametrize("arrow", READERS)
def test_two_keys_of_a_field_but_for_case_on_one_line_are_refused_naming_it(
    arrow: bool | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = written(
        tmp_path / "runs.jsonl",
        [
            {"pattern_id": "p", "timestamp": TIMES[0], "success": True},
            {"pattern_id": "p", "timestamp": TIMES[1], "Success": True, "SUCCESS": False},
        ],
    )
    named = r"runs\.jsonl, line 2: columns 'Success' and 'SUCCESS' both match 'success' "
    with pytest.raises(SourceError, match=named + r".*--column success=COLUMN"):
        read(path, arrow)
    code, _, err = run(capsys, "analyze", str(path), "--pattern", "p", "--format", "json")
    assert code != 0
    assert "runs.jsonl, line 2: columns 'Success' and 'SUCCESS'" in err


@pytest.mark.parametrize("arrow", READERS)
def test_within_a_line_the_exact_key_wins(arrow: bool | None, tmp_path: Path) -> None:
    path = written(
        tmp_path / "runs.jsonl",
        [
            {"pattern_id": "p", "timestamp": TIMES[0], "success": True, "Success": False},
            {"pattern_id": "p", "timestamp": TIMES[1], "success": None, "SUCCESS": True},
            {"pattern_id": "p", "timestamp": TIMES[2], "Success": False},
        ],
    )
    assert read(path, arrow)["success"] == [True, None, False]


@pytest.mark.parametrize("arrow", READERS)
def test_the_users_mapping_takes_one_key_in_every_line(arrow: bool | None, tmp_path: Path) -> None:
    path = written(
        tmp_path / "runs.jsonl",
        [
            {"pattern_id": "p", "timestamp": TIMES[0], "success": True},
            {"pattern_id": "p", "timestamp": TIMES[1], "Success": True},
        ],
    )
    columns = fetched(path, TableSpec(columns={"success": "Success"}))
    assert columns["success"] == [None, True]


def test_a_directorys_json_lines_are_matched_line_by_line(tmp_path: Path) -> None:
    directory = tmp_path / "logs"
    directory.mkdir()
    written(directory / "a.jsonl", [{"pattern_id": "p", "timestamp": TIMES[0], "success": True}])
    written(
        directory / "b.jsonl",
        [
            {"pattern_id": "p", "timestamp": TIMES[1], "success": False},
            {"pattern_id": "p", "timestamp": TIMES[2], "Success": True},
        ],
    )
    assert fetched(directory)["success"] == [True, False, True]


def test_a_field_with_a_value_in_every_row_is_not_searched_for(tmp_path: Path) -> None:
    # Every line had its exact key, which wins: the search's cost is paid only where a
    # row lacks a value, and where one does, a key of another case there is found.
    path = tmp_path / "runs.jsonl"
    path.write_text('{"pattern_id": "p", "success": true, "Success": false}\n{"Success": true}\n')
    full = pa.table({"pattern_id": ["p"], "success": [True]})
    assert not jsonl_column_case.other_case_keys(pa, path, full, TableSpec())
    gappy = pa.table({"pattern_id": ["p", "p"], "success": [True, None]})
    assert jsonl_column_case.other_case_keys(pa, path, gappy, TableSpec())


#: A field's spellings a line may use: its own, or but for case.
SPELLINGS = {
    "pattern_id": ["pattern_id", "Pattern_Id", "PATTERN_ID"],
    "timestamp": ["timestamp", "Timestamp", "TIMESTAMP"],
    "success": ["success", "Success", "sUCCESS"],
}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(
        st.tuples(
            st.sampled_from(SPELLINGS["pattern_id"]),
            st.sampled_from(SPELLINGS["timestamp"]),
            st.sampled_from(SPELLINGS["success"]),
            st.booleans(),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_each_line_gives_its_fields_whatever_their_case(
    tmp_path: Path, lines: list[tuple[str, str, str, bool]]
) -> None:
    path = written(
        tmp_path / "runs.jsonl",
        [
            {ids: "p", times: TIMES[index % 3], flags: success}
            for index, (ids, times, flags, success) in enumerate(lines)
        ],
    )
    expected = [success for *_, success in lines]
    for arrow in READERS:
        columns = read(path, arrow)
        assert columns["success"] == expected, arrow
        assert columns["timestamp"] == [TIMES[index % 3] for index in range(len(lines))], arrow
