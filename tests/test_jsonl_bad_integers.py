"""A JSON Lines file's bad number written as an integer (`"execution_time_ms": -1`) is
shown in an error as the line has it, -1, by pyarrow's reader as by the standard one
(and a list of dicts): pyarrow's column of doubles showed it as -1.0."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_cases import NOW, START, analyse
from test_odd_cells import same_as_the_standard_readers
from usage_analytics.cli import main
from usage_analytics.sources import FileSource, files


def _refuse(*_: Any) -> Any:
    raise AssertionError("the file was read again as records")


def _line(i: int, **values: Any) -> str:
    record = {"pattern_id": f"p{i % 2}", "timestamp": f"2026-02-20T{i % 24:02}:00:00Z"}
    return json.dumps({**record, **values})


def _samples(data: Any, pattern: str) -> list[tuple[int, str, str]]:
    out = analyse(data, pattern, on_invalid="skip")
    return [(s.index, s.field, s.value) for s in out.data_quality.error_samples]


#: (execution time, score) as JSON, and the error sample's (field, value), if any.
VALUES: list[tuple[Any, Any, tuple[str, str] | None]] = [
    (-1, 0.5, ("execution_time_ms", "-1")),
    (-1.0, 0.5, ("execution_time_ms", "-1.0")),
    (-2.5, 0.5, ("execution_time_ms", "-2.5")),
    (5, 2, ("quality_score", "2")),
    (5, -3, ("quality_score", "-3")),
    (5, 2.0, ("quality_score", "2.0")),
    (5, 1, None),
    (0, 0, None),
]


@pytest.mark.parametrize("odd", [False, True], ids=["whole", "in_blocks"])
@pytest.mark.parametrize("skip", [False, True], ids=["strict", "skipping"])
def test_a_bad_integer_is_shown_as_the_line_writes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: bool, skip: bool
) -> None:
    lines = [_line(i, execution_time_ms=ms, quality_score=s) for i, (ms, s, _) in enumerate(VALUES)]
    if odd:  # (a string for a number: pyarrow refuses the file, read in blocks)
        lines.append(_line(len(lines), execution_time_ms="fast"))
    if skip:  # (a line holding no record, left out)
        lines.insert(3, "{not json")
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    expected = [(index, *shown) for index, (_, _, shown) in enumerate(VALUES) if shown is not None]
    for arrow in (True, False):
        if arrow:  # (only the bad integers' lines are decoded again, not the records)
            monkeypatch.setattr(files, "read_records", _refuse)
        else:
            monkeypatch.undo()
        fetched = asyncio.run(
            FileSource(path, arrow=arrow, skip_unreadable=skip).fetch_all(START, NOW)
        )
        by_pattern = {group.pattern_id: group for group in fetched}
        for pattern in ("p0", "p1"):
            group = by_pattern[pattern]
            got = _samples(group.data, pattern)
            wanted = [
                (index // 2, field, value)
                for index, field, value in expected
                if f"p{index % 2}" == pattern
            ]
            assert got[: len(wanted)] == wanted, (arrow, pattern)
            line = 1 + 2 * wanted[0][0] + (pattern == "p1")
            assert group.locate(wanted[0][0]) == f"line {line + (skip and line > 3)}"


def test_the_command_line_names_the_integer_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runs.jsonl"
    lines = [_line(0, execution_time_ms=10), _line(2, execution_time_ms=-1)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    window = ["--start", "2026-02-20T00:00:00Z", "--end", "2026-02-28T00:00:00Z"]
    assert main(["analyze", str(path), "--pattern", "p0", *window]) == 1
    assert "line 2: field 'execution_time_ms' = -1: must be >= 0" in capsys.readouterr().err


_NUMBER = st.one_of(
    st.integers(-3, 3),
    st.sampled_from([-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, -0.0]),
    st.none(),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(st.tuples(_NUMBER, _NUMBER), min_size=1, max_size=12),
    odd=st.booleans(),
)
def test_pyarrows_reader_gives_the_standard_readers_errors(
    tmp_path: Path, values: list[tuple[Any, Any]], odd: bool
) -> None:
    lines = [
        _line(
            i,
            **{
                k: v
                for k, v in zip(("execution_time_ms", "quality_score"), pair, strict=True)
                if v is not None
            },
        )
        for i, pair in enumerate(values)
    ]
    if odd:
        lines.append(_line(len(lines), quality_score="high"))
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast = asyncio.run(FileSource(path, arrow=True).fetch_all(START, NOW))
    slow = asyncio.run(FileSource(path, arrow=False).fetch_all(START, NOW))
    same_as_the_standard_readers(fast, slow, str(path))
