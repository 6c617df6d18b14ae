"""A JSON Lines number whose double is a bad value is shown in an error as the line writes
it (`sources/jsonl_written.py`), by pyarrow's reader (the whole file, or in pieces) and
by the standard one alike: `1e400` was shown inf, `-0.00000000000000000001` -1e-20 and a
score `1.50` 1.5, where a CSV cell is shown as written. What is valid is unchanged: the
double's verdict."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_cases import NOW, START, analyse
from usage_analytics.cli import main
from usage_analytics.sources import FileSource, files
from usage_analytics.sources.base import TableSpec

#: (field, a number as JSON writes it, what an error shows: None where it is valid).
CASES: list[tuple[str, str, str | None]] = [
    ("execution_time_ms", "1e400", "1e400"),
    ("execution_time_ms", "-1E400", "-1E400"),
    ("execution_time_ms", "-0.00000000000000000001", "-0.00000000000000000001"),
    ("execution_time_ms", "-2.50E0", "-2.50E0"),
    ("execution_time_ms", "Infinity", "Infinity"),
    ("execution_time_ms", "NaN", "NaN"),
    # (A long value shown cut short, as the core shows any.)
    ("execution_time_ms", "1" + "0" * 400 + ".5", "1" + "0" * 76 + "..."),
    ("execution_time_ms", "-1", "-1"),
    ("execution_time_ms", "-1.0", "-1.0"),
    ("quality_score", "1.50", "1.50"),
    ("quality_score", "1e1", "1e1"),
    ("quality_score", "-0.5e0", "-0.5e0"),
    ("quality_score", "2", "2"),
    # Good doubles, as before: -0.0 is no negative number, -1e-400 is the double -0.0
    # (`exact_numbers`: JSON Lines are not read exactly on a bound).
    ("execution_time_ms", "-0.0", None),
    ("execution_time_ms", "-1e-400", None),
    ("quality_score", "1.0", None),
    ("quality_score", "0.50", None),
]


def _line(i: int, key: str = "execution_time_ms", number: str = "5.5") -> str:
    return f'{{"pattern_id": "p", "timestamp": "2026-02-20T{i % 24:02}:00:00Z", "{key}": {number}}}'


def _refuse(*_: Any) -> Any:
    raise AssertionError("the file was read by the standard reader, a dict per record")


def _shown(path: Path, arrow: bool, spec: TableSpec | None = None, **options: Any) -> Any:
    """Each error sample of the file's pattern "p" as (line, field, value)."""
    group = asyncio.run(FileSource(path, spec, arrow=arrow, **options).fetch("p", START, NOW))
    out = analyse(group.data, "p", on_invalid="skip")
    samples = out.data_quality.error_samples
    return [(group.locate(s.index), s.field, s.value) for s in samples]


@pytest.mark.parametrize(("field", "number", "shown"), CASES)
@pytest.mark.parametrize("read", ["whole", "in_pieces", "skipping", "standard"])
def test_a_bad_double_is_shown_as_the_line_writes_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    field: str,
    number: str,
    shown: str | None,
    read: str,
) -> None:
    lines = [_line(i) for i in range(3)] + [_line(3, field, number)]
    if read == "in_pieces":  # (a string for a number: pyarrow refuses the whole file)
        lines.insert(1, _line(9, number='"fast"'))
    if read == "skipping":  # (a line holding no record, left out)
        lines.insert(1, "{not json")
    path = tmp_path / "runs.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if read != "standard":
        monkeypatch.setattr(files, "read_records", _refuse)
    got = _shown(path, read != "standard", skip_unreadable=read == "skipping")
    if read == "in_pieces":
        assert got.pop(0) == ("line 2", "execution_time_ms", "'fast'")
    assert got == ([(f"line {len(lines)}", field, shown)] if shown is not None else [])


def test_a_mapped_key_is_shown_as_written_by_either_reader(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    lines = [_line(0, "ms", "5"), _line(1, "ms", "1e400"), _line(2, "ms", "-1e-20")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    spec = TableSpec(columns={"execution_time_ms": "ms"})
    expected = [
        ("line 2", "execution_time_ms", "1e400"),
        ("line 3", "execution_time_ms", "-1e-20"),
    ]
    assert _shown(path, True, spec) == _shown(path, False, spec) == expected


def test_the_command_line_names_the_number_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(_line(0) + "\n" + _line(1, "execution_time_ms", "1e400") + "\n")
    window = ["--start", "2026-02-20T00:00:00Z", "--end", "2026-02-28T00:00:00Z"]
    assert main(["analyze", str(path), "--pattern", "p", *window]) == 1
    assert "line 2: field 'execution_time_ms' = 1e400: must be a finite number" in (
        capsys.readouterr().err
    )


_NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.from_regex(r"-?(0|[1-9][0-9]{0,3})(\.[0-9]{1,25})?([eE][-+]?[0-9]{1,3})?", fullmatch=True),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1e-400"]),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    numbers=st.lists(
        st.tuples(st.sampled_from(["execution_time_ms", "quality_score"]), _NUMBER_TEXT),
        min_size=1,
        max_size=10,
    )
)
def test_either_reader_shows_each_bad_number_as_written(
    tmp_path: Path, numbers: list[tuple[str, str]]
) -> None:
    path = tmp_path / "runs.jsonl"
    lines = [_line(i, field, number) for i, (field, number) in enumerate(numbers)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    fast, standard = _shown(path, True), _shown(path, False)
    assert fast == standard
    for line, field, value in fast:
        number = numbers[int(line.removeprefix("line ")) - 1]
        assert (field, value) == number
