"""A JSON Lines key naming a record field but for case inside a nested object
(`"meta": {"Agent": "x"}`) is no key of the record, and keeps the file on pyarrow's path
(`sources/jsonl_column_case.py`, `_named_at_top_level`): the search of the file's bytes
matched it, and the whole file was read again by the standard reader for the same
records (5-6 times the CPU of a million lines: BENCHMARKS.md, helper-223). A key of the
line's own object still gives the field, an object there refused by the core naming the
line, the field and the value, on both readers.
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
from test_file_column_case import TIMES
from test_jsonl_key_case_by_line import READERS
from usage_analytics.sources import TableSpec, jsonl_column_case, open_source


def fetched(path: Path, arrow: bool | None) -> tuple[bool, list[Any]]:
    """Whether pyarrow's reader read `path` (a table), and its records' agents."""

    async def fetch() -> Any:
        source = open_source(path, arrow=arrow)
        try:
            return (await source.fetch_all(datetime.min, datetime.max))[0].data
        finally:
            await source.close()

    data = asyncio.run(fetch())
    if isinstance(data, pa.Table):
        return True, data.column("agent").to_pylist()
    if isinstance(data, dict):
        return False, list(data["agent"])
    return False, [record.get("agent") for record in data]


def lines_file(path: Path, extras: list[dict[str, Any]]) -> Path:
    """A line of pattern p per dict of `extras`, each with its keys added."""
    path.write_text(
        "".join(
            json.dumps({"pattern_id": "p", "timestamp": TIMES[index % 3], **extra}) + "\n"
            for index, extra in enumerate(extras)
        )
    )
    return path


@pytest.mark.parametrize(
    "nested",
    [
        {"meta": {"Agent": "x"}},
        {"meta": {"deeper": {"AGENT": "x"}}},
        {"tags": [{"Agent": "x"}]},
    ],
)
def test_a_nested_key_of_a_field_but_for_case_keeps_pyarrows_path(
    nested: dict[str, Any], tmp_path: Path
) -> None:
    path = lines_file(tmp_path / "runs.jsonl", [nested, {"agent": "y"}])
    assert fetched(path, None) == (True, [None, "y"])
    assert fetched(path, False)[1] == [None, "y"]


@pytest.mark.parametrize("block", [1, 7, 64, 1 << 26])
def test_only_a_key_of_a_lines_own_object_without_the_exact_key_is_searched_for(
    block: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Blocks end at a line's end: each line matched is decoded whole.
    monkeypatch.setattr(jsonl_column_case, "_BLOCK", block)
    table = pa.table({"pattern_id": ["p", "p"], "agent": ["y", None]})
    path = tmp_path / "runs.jsonl"
    filler = '{"pattern_id": "p", "agent": "y"}\n' * 3
    for line, found in (
        ('{"pattern_id": "p", "meta": {"Agent": "x"}}', False),
        ('{"pattern_id": "p", "agent": "y", "Agent": "x"}', False),  # the exact key wins
        ('{"pattern_id": "p", "Agent": "x"}', True),
        ('{"pattern_id": "p", "Agent": {"name": "x"}}', True),
        ('{"pattern_id": "p", "\\u0041gent": "x"}', True),
        ('{"pattern_id": "p", "meta": {"\\u0041gent": "x"}}', False),
    ):
        path.write_text(filler + line + "\n" + filler)
        assert jsonl_column_case.other_case_keys(pa, path, table, TableSpec()) is found, line


def test_an_object_under_a_fields_key_of_another_case_is_refused_naming_line_field_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = lines_file(tmp_path / "runs.jsonl", [{"success": True}, {"Agent": {"name": "x"}}])
    for arrow in READERS:  # (the agent, an object, is the line's, for the core to judge)
        assert fetched(path, arrow)[1] == [None, {"name": "x"}], arrow
    code, _, err = run(capsys, "analyze", str(path), "--pattern", "p", "--format", "json")
    assert code != 0
    assert "runs.jsonl, line 2: field 'agent' = {'name': 'x'}: must be a str, got dict" in err


#: How a line gives its agent: not at all, under its own key, under a key of another
#: case, nested under another key, or both of the last with the exact key.
WAYS = ["none", "exact", "other case", "nested", "exact and other case", "exact and nested"]


def _line(way: str, index: int) -> dict[str, Any]:
    line: dict[str, Any] = {"success": True}
    if "exact" in way:
        line["agent"] = f"a{index}"
    if "other case" in way:
        line["Agent"] = f"b{index}"
    if "nested" in way:
        line["meta"] = {"Agent": f"c{index}"}
    return line


def _model(way: str, index: int) -> str | None:
    """The agent a line gives: its exact key's, else its own key of another case."""
    if "exact" in way:
        return f"a{index}"
    return f"b{index}" if way == "other case" else None


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ways=st.lists(st.sampled_from(WAYS), min_size=1, max_size=8))
def test_each_lines_agent_is_its_own_keys_on_both_readers(tmp_path: Path, ways: list[str]) -> None:
    path = lines_file(tmp_path / "runs.jsonl", [_line(way, i) for i, way in enumerate(ways)])
    expected = [_model(way, index) for index, way in enumerate(ways)]
    for arrow in READERS:
        assert fetched(path, arrow)[1] == expected, arrow
    # pyarrow's path keeps the file unless a line gives the agent by another case alone.
    assert fetched(path, None)[0] is ("other case" not in ways)
