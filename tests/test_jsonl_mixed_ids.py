"""A JSON Lines file whose pattern ids are of two types (`"checkout"` beside `1`, UUID
text beside integers) stays on pyarrow's reader, the ids read as text
(`sources/jsonl_text_ids.py`): it was read by the standard reader, a dict per record. Its
groups, their records (but for an integer id, its pattern's text), their analytics, the
lines their bad records are named by and the CLI's batch are the standard reader's."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_cases import NOW, START
from test_odd_cells import same_as_the_standard_readers
from usage_analytics.cli import main
from usage_analytics.sources import Fetched, FileSource, arrow_jsonl, files
from usage_analytics.sources.base import FIELDS, PATTERN_ID, TableSpec
from usage_analytics.sources.jsonl_text_ids import id_text, integer_ids_quoted

STAMP = "2026-02-20T10:00:00Z"
WINDOW = ["--start", "2026-02-01", "--end", "2026-03-03"]


def _refuse(*_: Any) -> Any:
    raise AssertionError("the file was read by the standard reader, a dict per record")


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _line(pattern_id: Any, key: str = "pattern_id", **values: Any) -> str:
    return json.dumps({key: pattern_id, "timestamp": STAMP, **values})


def _groups(path: Path, **options: Any) -> list[Fetched]:
    groups: list[Fetched] = asyncio.run(FileSource(path, **options).fetch_all(START, NOW))
    return groups


def _ids_as_text(groups: list[Fetched]) -> list[Fetched]:
    """The standard reader's groups with each record's id as the fast path's column holds
    it (`id_text`: an integer its digits), the one way their records differ, and only the
    record fields (pyarrow's reader keeps no other key)."""
    return [
        Fetched(
            group.pattern_id,
            [
                {
                    key: id_text(value) if key == PATTERN_ID else value
                    for key, value in record.items()
                    if key in (PATTERN_ID, *FIELDS)
                }
                for record in group.data
            ],
            group.count,
            group.locate,
            group.position,
        )
        for group in groups
    ]


def _same_groups(
    path: Path,
    monkeypatch: pytest.MonkeyPatch,
    spec: TableSpec | None = None,
    as_text: bool = True,
    **options: Any,
) -> list[Fetched]:
    """Check that `path` is read by pyarrow (the standard reader refused) into the
    standard reader's groups (`same_as_the_standard_readers`), its ids as text where
    `as_text`; the standard groups."""
    with monkeypatch.context() as patched:
        patched.setattr(files, "read_records", _refuse)
        fast = _groups(path, table=spec, **options)
    slow = _groups(path, table=spec, arrow=False, **options)
    same_as_the_standard_readers(fast, _ids_as_text(slow) if as_text else slow, path.name)
    return slow


#: Files of ids of two types (lines of `_line` but where given as text).
CASES: dict[str, list[str]] = {
    "an integer among text": [_line("checkout"), _line(1), _line("checkout"), _line("1")],
    "text among integers": [_line(7), _line(8), _line("checkout"), _line(7)],
    "UUIDs beside integers": [
        _line(str(UUID(int=5))),
        _line(str(UUID(int=5)).upper()),
        _line(3),
        _line(0x0123456789ABCDEF0123456789ABCDEF),  # 39 digits
        _line("01234567890123456789012345678901"),  # 32 digits: a UUID's text
        _line(1234567890123456789012345678901),  # the int of those digits, less its 0
    ],
    "integers past int64, negative, zero": [
        _line("a"),
        _line(2**70),
        _line(-(2**70)),
        _line(-5),
        _line(0),
        '{"pattern_id": -0, "timestamp": "2026-02-20T10:00:00Z"}',
        _line("0"),
    ],
    "floats and flags among text": [
        _line("p"),
        _line(1.0),
        _line(1),
        _line(2.5),
        _line(True),
        _line("true"),
        '{"pattern_id": 1e2, "timestamp": "2026-02-20T10:00:00Z"}',
        _line(float("nan")),
    ],
    "written otherwise": [
        _line("p"),
        '{"timestamp": "2026-02-20T10:00:00Z",   "pattern_id"  :  12  }',
        '{"timestamp": "2026-02-20T10:00:00Z","pattern_id":13}',
        '{"\\u0070attern_id": 14, "timestamp": "2026-02-20T10:00:00Z"}',
        '{"pattern_id": "p", "agent": "x\\"pattern_id\\": 15", "timestamp": "2026-02-20"}',
        '{"pattern_id": "q", "meta": {"pattern_id": 16}, "timestamp": "2026-02-20T10:00:00Z"}',
        '{"pattern_id": 17,\t"timestamp": "2026-02-20T10:00:00Z"}',
        '{"agent": "a\\\\", "pattern_id": 18, "timestamp": "2026-02-20T10:00:00Z"}',
    ],
    "bad values beside them": [
        _line("p", execution_time_ms=-1),
        _line(1, execution_time_ms="fast"),
        _line(1, quality_score=2, success="yes"),
        _line("1", execution_time_ms=5, timestamp="never"),
        _line(2, timeout=1),
    ],
}


@pytest.mark.parametrize("case", CASES)
def test_ids_of_two_types_stay_on_arrow_and_give_the_standard_readers_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    _same_groups(_write(tmp_path / "runs.jsonl", CASES[case]), monkeypatch)


def test_a_long_file_of_ids_of_two_types_is_read_in_pieces_by_pyarrow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (Beyond a piece of lines, the integers late and early; a bad time among them.)
    lines = [_line(i % 5 if i % 97 == 3 else f"{i % 5}") for i in range(5000)]
    lines[4000] = _line(3, execution_time_ms=-2)
    decoded = []
    original = arrow_jsonl._decoded

    def counted(*arguments: Any) -> Any:
        decoded.append(1)
        return original(*arguments)

    monkeypatch.setattr(arrow_jsonl, "_decoded", counted)
    slow = _same_groups(_write(tmp_path / "runs.jsonl", lines), monkeypatch)
    assert [group.pattern_id for group in slow] == ["0", "1", "2", "3", "4"]
    # (Its first piece decoded by `json` tells ids of two types; the rest is pyarrow's.)
    assert len(decoded) == 1


def test_a_mapped_id_key_and_lines_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [_line("a", key="pid"), "{not json", _line(1, key="pid"), _line("1", key="pid")]
    lines += ['{"pid": 4, "pattern_id": 9, "timestamp": "2026-02-20T10:00:00Z"}']
    lines += ['{"pid": 2, "timestamp": "2026-02-20T10:00:0']  # (cut short)
    path = _write(tmp_path / "runs.jsonl", lines)
    spec = TableSpec(columns={"pattern_id": "pid"})
    slow = _same_groups(path, monkeypatch, spec, skip_unreadable=True)
    assert [group.pattern_id for group in slow] == ["1", "4", "a"]


def test_an_id_that_names_no_pattern_is_still_the_standard_readers_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "runs.jsonl", [_line("a"), _line(1), _line({"x": 1})])
    assert main(["dashboard", str(path), *WINDOW, "--format", "json"]) != 0
    assert "line 3: pattern_id must be a string or a number, got an object" in (
        capsys.readouterr().err
    )


def test_the_dashboard_names_one_pattern_of_an_integer_and_its_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path / "runs.jsonl", [_line("checkout"), _line(1), _line("1"), _line(1)])
    assert main(["dashboard", str(path), *WINDOW, "--format", "json"]) == 0
    patterns = json.loads(capsys.readouterr().out)["patterns"]
    assert {p["pattern_id"]: p["total_executions"] for p in patterns} == {"1": 3, "checkout": 1}
    assert main(["analyze", str(path), "--pattern", "1", *WINDOW, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["usage_metrics"]["total_executions"] == 3


@pytest.mark.parametrize(
    ("data", "quoted"),
    [
        (b'{"pattern_id": 12, "x": 1}', b'{"pattern_id": "12", "x": 1}'),
        (b'{"x": 1,"pattern_id":-3}', b'{"x": 1,"pattern_id":"-3"}'),
        (b'{"x": 1, \t"pattern_id" :\t0 }', b'{"x": 1, \t"pattern_id" :\t"0" }'),
        # Not an integer JSON writes, or not surely the key: as they are.
        (b'{"pattern_id": -0}', None),
        (b'{"pattern_id": 012}', None),
        (b'{"pattern_id": 1.5}', None),
        (b'{"pattern_id": 1e3}', None),
        (b'{"pattern_id": 12 3}', None),
        (b'{"x": "\\"pattern_id": 5}', None),
        (b'{"x": "a"pattern_id": 5}', None),
        (b'{"x":\n"pattern_id": 5}', None),
    ],
)
def test_only_integer_ids_are_quoted(data: bytes, quoted: bytes | None) -> None:
    quote = integer_ids_quoted("pattern_id")
    assert quote is not None
    assert quote(data) == (data if quoted is None else quoted)


def test_a_key_that_may_follow_a_string_is_not_quoted() -> None:
    assert integer_ids_quoted(",x") is None
    assert integer_ids_quoted('a"b') is None
    assert integer_ids_quoted("pattern id") is not None


_ID = st.one_of(
    st.integers(-3, 12),
    st.sampled_from(["1", "x", " 2 ", str(UUID(int=3)), str(UUID(int=3)).upper(), 2**64]),
    st.sampled_from([1.0, 2.5, True, False, None]),
)
_TIME = st.one_of(st.integers(-1, 3), st.floats(-1, 5), st.just("fast"), st.none())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(_ID, _TIME), min_size=1, max_size=40),
    spacing=st.sampled_from([(", ", ": "), (",", ":")]),
)
def test_files_of_mixed_ids_give_the_standard_readers_groups(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[tuple[Any, Any]],
    spacing: tuple[str, str],
) -> None:
    lines = [
        json.dumps(
            {"pattern_id": pid, "timestamp": STAMP, "execution_time_ms": ms}, separators=spacing
        )
        for pid, ms in rows
    ]
    path = _write(tmp_path / "runs.jsonl", lines)
    if not any(pid is not None and str(pid).strip() for pid, _ in rows):
        return  # (no pattern: both refuse the file alike, tested elsewhere)
    # (A file of text ids, or of integer ones an int64 holds, is read as before.)
    ids = [pid for pid, _ in rows if pid is not None]
    as_before = all(type(pid) is str for pid in ids) or all(
        type(pid) is int and -(2**63) <= pid < 2**63 for pid in ids
    )
    _same_groups(path, monkeypatch, as_text=not as_before)
