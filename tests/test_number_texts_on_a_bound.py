"""A number stored as text whose float lands on its field's bound but whose own value is
past it ("1.00000000000000000001" is the float 1.0, "-1e-400" -0.0) is an invalid value,
as the same `Decimal` is in a list of dicts (test_edge_cases.py,
test_scores_a_hair_above_one_are_invalid_not_one): a CSV cell, by pyarrow's reader or the
csv module's, and a SQLite text cell, by the core's reader or `sqlite3`'s. The error
names the row, the field and the value as the cell has it. "-0" and "-0.0" are no
negative numbers (as the float -0.0 and `Decimal("-0")` are not).

So is every other bad number text, shown as written, not as its float: "1e400" (inf as a
float, no finite number however written: a time of 1e400 ms is invalid too), a 400-digit
integer, "-0.00000000000000000001" (-1e-20), a score "1.50" (1.5)."""

from __future__ import annotations

import asyncio
import math
import re
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
from usage_analytics.sources import FileSource, SourceError, SQLiteSource, sqlite_scan
from usage_analytics.sources import sqlite as sqlite_source
from usage_analytics.sources.base import typed_text
from usage_analytics.sources.partition_numbers import number_partition_value

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


#: A whole number past the double's range, as a text and as a list of dicts' int.
_HUGE = "1" + "0" * 400

#: Bad number texts off the bounds, each shown as written (no more than five bad a
#: group: a reduction keeps five samples).
OFF_THE_BOUNDS: list[list[tuple[str, str, tuple[str, str] | None]]] = [
    [
        ("1e400", "0.5", ("execution_time_ms", "must be a finite number")),
        ("-1e400", "0.5", ("execution_time_ms", "must be a finite number")),
        ("5", " 1E+400 ", ("quality_score", "must be a finite number")),
        (_HUGE, "0.5", ("execution_time_ms", "must be a finite number")),
        ("5", f"-{_HUGE}", ("quality_score", "must be a finite number")),
        ("1e308", "0.5", None),  # (finite: a time has no upper bound)
    ],
    [
        ("-0.00000000000000000001", "0.5", ("execution_time_ms", "must be >= 0")),
        ("5", "1.50", ("quality_score", "must be within [0, 1]")),
        ("-1", "-01", ("execution_time_ms", "must be >= 0")),
        ("5", "-2.5e-3", ("quality_score", "must be within [0, 1]")),
        ("5", "1.000000000000001", ("quality_score", "must be within [0, 1]")),
    ],
    [
        ("Infinity", "0.5", ("execution_time_ms", "must be a finite number")),
        ("5", "-inf", ("quality_score", "must be a finite number")),
        ("NaN", "0.5", ("execution_time_ms", "must be a finite number")),
        ("12.5", "0.25", None),
    ],
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
    """The outcome of the cells' exact values as a list of dicts, each bad value shown as
    its cell has it (trimmed), not as `Decimal('...')` (nor as its float: inf, -1e-20)."""
    samples, invalid, score, mean = _outcome(_as_decimals(cells))
    written = []
    for index, field, _, reason in samples:
        ms, score_cell = cells[index]
        text = (ms if field == "execution_time_ms" else score_cell).strip()
        written.append((index, field, short_repr(_Written(text)), reason))
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


@pytest.mark.parametrize("group", OFF_THE_BOUNDS)
def test_bad_number_texts_off_the_bounds_are_shown_as_written(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    group: list[tuple[str, str, tuple[str, str] | None]],
) -> None:
    cells = [(ms, score) for ms, score, _ in group]
    expected = _expected(cells)
    errors = [(index, *error) for index, (_, _, error) in enumerate(group) if error]
    assert [(index, field, reason) for index, field, _, reason in expected[0]] == errors
    for reader, data in _readers(tmp_path, cells, monkeypatch).items():
        assert _outcome(data) == expected, reader


def test_a_huge_number_is_shown_as_the_list_of_dicts_shows_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A list of dicts shows the int and the Decimal it was given, cut as any long value
    # is (80 characters); a text, as written, cut so too.
    cells = [(_HUGE, "0.5"), ("1e400", "0.5")]
    given = [{"timestamp": "2026-02-20T00:00:00Z", "execution_time_ms": int(_HUGE)}]
    given += [{"timestamp": "2026-02-20T01:00:00Z", "execution_time_ms": Decimal("1e400")}]
    shown = [value for _, _, value, _ in _outcome(given)[0]]
    assert shown == [short_repr(int(_HUGE)), "Decimal('1E+400')"]
    for reader, data in _readers(tmp_path, cells, monkeypatch).items():
        assert [value for _, _, value, _ in _outcome(data)[0]] == [
            short_repr(_Written(_HUGE)),
            "1e400",
        ], reader
    assert short_repr(_Written(_HUGE)) == short_repr(int(_HUGE))


def test_the_command_line_names_the_row_and_the_cell_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "runs.csv", [("5", "0.5"), ("5", "1.00000000000000000001")])
    window = ["--start", "2026-02-20T00:00:00Z", "--end", "2026-02-28T00:00:00Z"]
    assert main(["analyze", str(path), "--pattern", "p", *window]) == 1
    error = capsys.readouterr().err
    assert "line 3: field 'quality_score' = 1.00000000000000000001: must be within [0, 1]" in error


def test_the_command_line_names_a_number_past_a_double_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _csv(tmp_path / "runs.csv", [("5", "0.5"), ("-1e400", "0.5")])
    window = ["--start", "2026-02-20T00:00:00Z", "--end", "2026-02-28T00:00:00Z"]
    assert main(["analyze", str(path), "--pattern", "p", *window]) == 1
    error = capsys.readouterr().err
    assert "line 3: field 'execution_time_ms' = -1e400: must be a finite number" in error


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
#: Bad number texts off the bounds: past the double's range, below 0, a score above 1.
_OFF = st.one_of(
    st.sampled_from(["1e400", "-1E400", _HUGE, "-1", "1.50", "2", "inf", "-Infinity", "nan"]),
    st.builds(
        lambda sign, digits, exponent: f"{sign}{digits}e{exponent}",
        st.sampled_from(["", "-"]),
        st.sampled_from(["1", "9.99", "0.00000000000000000001"]),
        st.integers(-400, 400),
    ),
)
_TEXT = st.one_of(_NEAR, _HAIR, _OFF)


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


# ------------------------------------------------------------------ one grammar of text

#: The grammar of a number's text (`sources.number_text`), as its docstring writes it:
#: ASCII blanks around a decimal number or a word of the floats that are not finite.
_GRAMMAR = re.compile(
    r"[ \t\n\r\x0b\x0c]*[+-]?"
    r"(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?i:inf|infinity|nan))"
    r"[ \t\n\r\x0b\x0c]*"
)

#: Text near numbers: digits, signs, points, exponents, underscores, the words' letters,
#: blanks (ASCII and Unicode: a no-break space), an Arabic-Indic digit, a full-width one.
_NEAR_NUMBERS = st.text(
    st.sampled_from([*"0123456789+-.eE_ \t\x0b\x0cinfatyINFATYx", "\xa0", "\u0661", "\uff11"]),
    min_size=1,
    max_size=12,
)


def _modelled(text: str) -> Any:
    """A number text's exact value (as `_as_decimals` has it), else the text itself."""
    return Decimal(text.strip(" \t\n\r\x0b\x0c")) if _GRAMMAR.fullmatch(text) else text


@given(text=st.one_of(_NEAR_NUMBERS, st.text(max_size=12)))
def test_typed_text_and_directories_read_the_grammar_and_nothing_else(text: str) -> None:
    for field in ("execution_time_ms", "quality_score"):
        read = typed_text(field, text)
        if not _GRAMMAR.fullmatch(text):
            assert type(read) is str, (field, text, read)
            assert read == text
            continue
        # (A number, or a bad one as written: a `WrittenNumber`, the exact value.)
        exact = _modelled(text)
        if isinstance(read, Decimal):
            assert read.compare_total(exact) == 0 or (read.is_nan() and exact.is_nan())
        else:
            assert type(read) in (int, float), (field, text, read)
            assert read == float(exact) or (math.isnan(read) and exact.is_nan()), (text, read)
        good = not isinstance(read, Decimal)  # (a bad one is as written)
        try:
            number_partition_value(field, text, f"{field}={text}", "part.parquet")
        except SourceError:
            assert not good, (field, text)
        else:
            assert good, (field, text)


@pytest.mark.parametrize(
    "text", ["1_000", "1__0", "\xa012\xa0", "\u0661\u0662", "\uff11", "1_0e1", "nan(ind)", "0x10"]
)
def test_text_past_the_grammar_is_no_number_in_any_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    # (`float()` read the first five as 1000, 10, 12, 12 and 1.)
    cells = [(text, "0.5"), ("12.5", "0.5")]
    refused = [(0, "execution_time_ms", repr(text), "must be a number, got str")]
    for reader, data in _readers(tmp_path, cells, monkeypatch).items():
        assert _outcome(data) == (refused, 1, 0.5, 12.5), reader


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.one_of(_NEAR_NUMBERS, st.just("7")), min_size=1, max_size=4))
def test_every_text_reader_reads_arbitrary_text_as_the_grammar_has_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, texts: list[str]
) -> None:
    """The CSV readers (pyarrow's, the csv module's) and SQLite's (the core's, `sqlite3`'s)
    read a number field's text as a list of dicts of the grammar's values: a number
    text's exact value, any other text as it is; a bad number shown as written."""
    records = [
        {
            "timestamp": f"2026-02-20T{i % 24:02}:{i // 24:02}:00Z",
            "execution_time_ms": _modelled(text),
            "quality_score": Decimal("0.5"),
        }
        for i, text in enumerate(texts)
    ]
    samples, invalid, score, mean = _outcome(records)
    written = [
        (i, field, value if isinstance(_modelled(texts[i]), str) else repr(_Written(texts[i])), why)
        for i, field, value, why in samples
    ]
    cells = [(text, "0.5") for text in texts]
    for reader, data in _readers(tmp_path, cells, monkeypatch).items():
        assert _outcome(data) == (written, invalid, score, mean), (reader, texts)
