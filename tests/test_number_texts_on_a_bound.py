"""A number stored as text whose float lands on its field's bound but whose own value is
past it ("1.00000000000000000001" is the float 1.0, "-1e-400" -0.0) is an invalid value,
as the same `Decimal` is in a list of dicts (test_edge_cases.py,
test_scores_a_hair_above_one_are_invalid_not_one): a CSV cell, by pyarrow's reader or the
csv module's, and a SQLite text cell, by the core's reader or `sqlite3`'s. The error
names the row, the field and the value as the cell has it. "-0" and "-0.0" are no
negative numbers (as the float -0.0 and `Decimal("-0")` are not)."""

from __future__ import annotations

import asyncio
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference import InvalidValue, read_record, short_repr
from source_cases import NOW, START, analyse
from usage_analytics.cli import main
from usage_analytics.sources import FileSource, SQLiteSource, sqlite_scan
from usage_analytics.sources import sqlite as sqlite_source

#: (execution time, score) cells, and the record's error: (field, reason) or None.
CELLS: list[tuple[str, str, tuple[str, str] | None]] = [
    ("5", "1.00000000000000000001", ("quality_score", "must be within [0, 1]")),
    ("-1e-400", "0.5", ("execution_time_ms", "must be >= 0")),
    ("5", "-1e-400", ("quality_score", "must be within [0, 1]")),
    (f" -0.{'0' * 400}1 ", "0.5", ("execution_time_ms", "must be >= 0")),  # (blanks too)
    ("5", " 10000000000000000000001e-22 ", ("quality_score", "must be within [0, 1]")),
    ("-0", "-0.0", None),
    ("-0.0", "1.000", None),
    ("1e-400", "0.99999999999999999999", None),
    ("5", "1", None),
    ("5", "+1.", None),
    ("1.00000000000000000001", "1e0", None),  # (a time has no upper bound)
]


def _csv(path: Path, cells: list[tuple[str, str]]) -> Path:
    lines = ["pattern_id,timestamp,execution_time_ms,quality_score"]
    lines += [
        f'p,2026-02-20T{i % 24:02}:{i // 24:02}:00Z,"{ms}","{score}"'
        for i, (ms, score) in enumerate(cells)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _sqlite(path: Path, cells: list[tuple[str, str]]) -> Path:
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as connection:
        # (No type: the text is stored as text, as `.import` stores a CSV's cells.)
        connection.execute(
            "CREATE TABLE pattern_executions "
            "(pattern_id TEXT, timestamp TEXT, execution_time_ms, quality_score)"
        )
        connection.executemany(
            "INSERT INTO pattern_executions VALUES ('p', ?, ?, ?)",
            [
                (f"2026-02-20T{i % 24:02}:{i // 24:02}:00Z", ms, score)
                for i, (ms, score) in enumerate(cells)
            ],
        )
    connection.close()
    return path


def _outcome(data: Any) -> tuple[Any, ...]:
    """What a reduction skipping invalid records gives: the invalid records' samples
    (index, field, value, reason), how many, and the score and time averages."""
    out = analyse(data, "p", on_invalid="skip")
    samples = [(s.index, s.field, s.value, s.reason) for s in out.data_quality.error_samples]
    performance = out.performance_metrics
    mean = None if performance is None else performance.avg_execution_time_ms
    return (
        samples,
        out.data_quality.invalid_records,
        out.success_metrics.avg_quality_score,
        mean,
    )


def _as_decimals(cells: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The cells' records as a list of dicts of their exact values."""
    return [
        {
            "timestamp": f"2026-02-20T{i % 24:02}:{i // 24:02}:00Z",
            "execution_time_ms": Decimal(ms),
            "quality_score": Decimal(score),
        }
        for i, (ms, score) in enumerate(cells)
    ]


def _expected(cells: list[tuple[str, str]]) -> tuple[Any, ...]:
    """The outcome of the cells' exact values as a list of dicts, each bad value whose
    float is on its bound shown as its cell has it (trimmed), not as `Decimal('...')`."""
    samples, invalid, score, mean = _outcome(_as_decimals(cells))
    written = []
    for index, field, _, reason in samples:
        ms, score_cell = cells[index]
        text = (ms if field == "execution_time_ms" else score_cell).strip()
        # (Off the bounds, a bad number is shown as its float, -1e-16, as before.)
        shown = text if float(text) in (0.0, 1.0) else repr(float(text))
        written.append((index, field, short_repr(_Written(shown)), reason))
    return written, invalid, score, mean


class _Written:
    """A text's stand-in, whose repr is the text (shortened as any value's is)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _fetched(source: Any) -> Any:
    return asyncio.run(source.fetch("p", START, NOW)).data


def _readers(
    tmp_path: Path, cells: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The cells' records as each text source reads them."""
    csv_path = _csv(tmp_path / "runs.csv", cells)
    db = _sqlite(tmp_path / "runs.sqlite", cells)
    read = {
        "csv_pyarrow": _fetched(FileSource(csv_path, arrow=True)),
        "csv_module": _fetched(FileSource(csv_path, arrow=False)),
        "sqlite_core": _fetched(SQLiteSource(db)),
        "sqlite_core_batch": asyncio.run(SQLiteSource(db).fetch_all(START, NOW))[0].data,
    }
    with monkeypatch.context() as patched:
        for module in (sqlite_source, sqlite_scan):
            patched.setattr(module, "native_rows", lambda *_, **__: None)
        read["sqlite3"] = _fetched(SQLiteSource(db))
        read["sqlite3_batch"] = asyncio.run(SQLiteSource(db).fetch_all(START, NOW))[0].data
    return read


def test_number_texts_past_the_bound_their_float_is_on_are_invalid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cells = [(ms, score) for ms, score, _ in CELLS]
    expected = _expected(cells)
    samples = expected[0]
    assert [(index, field, reason) for index, field, _, reason in samples] == [
        (index, *error) for index, (_, _, error) in enumerate(CELLS) if error is not None
    ][: len(samples)]
    assert expected[1] == sum(error is not None for _, _, error in CELLS)
    for reader, data in _readers(tmp_path, cells, monkeypatch).items():
        assert _outcome(data) == expected, reader


def test_the_command_line_names_the_row_and_the_cell_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "runs.csv", [("5", "0.5"), ("5", "1.00000000000000000001")])
    window = ["--start", "2026-02-20T00:00:00Z", "--end", "2026-02-28T00:00:00Z"]
    assert main(["analyze", str(path), "--pattern", "p", *window]) == 1
    error = capsys.readouterr().err
    assert "line 3: field 'quality_score' = 1.00000000000000000001: must be within [0, 1]" in error


#: Number texts near the bounds: on them as floats, or a hair off as values.
_NEAR = st.sampled_from(["0", "1", "-0", "1.0", "0.0", "-0.0", "+1", "01", "1."])
_HAIR = st.builds(
    lambda sign, whole, zeros, last, exponent: f"{sign}{whole}.{'0' * zeros}{last}{exponent}",
    st.sampled_from(["", "-", "+"]),
    st.sampled_from(["0", "1"]),
    st.integers(15, 30),
    st.integers(0, 9),
    st.sampled_from(["", "e0", "e-400", "E-330", "e1"]),
)
_TEXT = st.one_of(_NEAR, _HAIR)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(st.tuples(_TEXT, _TEXT), min_size=1, max_size=8))
def test_every_text_source_judges_a_cell_as_its_exact_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cells: list[tuple[str, str]]
) -> None:
    # The oracle: the pure-Python reference, given each cell's exact value.
    invalid = []
    for index, record in enumerate(_as_decimals(cells)):
        try:
            read_record(record)
        except InvalidValue as error:
            invalid.append((index, error.field))
    expected = _expected(cells)
    assert [(index, field) for index, field, _, _ in expected[0]] == invalid[:5]
    assert expected[1] == len(invalid)
    for reader, data in _readers(tmp_path, cells, monkeypatch).items():
        assert _outcome(data) == expected, (reader, cells)
