"""A JSON Lines key that looks like a record field spelled otherwise (`executionTimeMs`)
is told of by the command, as a CSV column is (`sources.jsonl_key_spellings`,
`cli.key_spellings`): pyarrow's reader dropped every key but the fields', so the note
never came, and the standard reader's records got the library's note of a pattern's
first record alone. A key is told of where a line holds it without the field (a line's
keys are its columns), with the lines that do; the `--column` mapping only where no
line gives the field under its own name."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cli_runs import run
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics.ingest.spellings import loosely
from usage_analytics.sources import FileSource
from usage_analytics.sources.base import FIELDS, PATTERN_ID, TableSpec
from usage_analytics.sources.column_case import ascii_folded
from usage_analytics.sources.jsonl_key_spellings import SpelledKey, _spelled_otherwise

NOTE = "usage-analytics: note: "
TIMES = ("executionTimeMs", "execution_time_ms")


@pytest.fixture(autouse=True)
def _in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)


def line(pattern: str, hour: int, **keys: Any) -> dict[str, Any]:
    return {"pattern_id": pattern, "timestamp": f"2026-11-20T{hour:02d}:00:00Z", **keys}


def write(path: Path, lines: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(one) + "\n" for one in lines), encoding="utf-8")
    return path.name


def notes(err: str) -> list[str]:
    return [text for text in err.splitlines() if " is not read as " in text or " are not " in text]


COMMANDS = [["analyze", "--pattern", "a"], ["dashboard"]]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_key_no_line_gives_exactly_is_told_of_with_its_mapping(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    lines = [line(p, hour, success=True, executionTimeMs=5.0) for hour, p in enumerate("aab")]
    source = write(tmp_path / "runs.jsonl", lines)
    code, _, err = run(capsys, command[0], source, *command[1:])
    assert code == 0
    assert notes(err) == [
        f"{NOTE}key 'executionTimeMs' (in 3 lines without 'execution_time_ms', the first "
        "line 1) is not read as the record field 'execution_time_ms', which is read by exact "
        "name only: a record without 'execution_time_ms' is not counted in performance. "
        "Rename the key: {'executionTimeMs': 'execution_time_ms'}, or map it: "
        "--column execution_time_ms=executionTimeMs"
    ]
    # Mapped, it is the field's key: nothing to tell.
    code, _, err = run(
        capsys, *command[:1], source, *command[1:], "--column", "execution_time_ms=executionTimeMs"
    )
    assert (code, notes(err)) == (0, [])


@pytest.mark.parametrize("reader", ["pyarrow", "standard"])
def test_a_key_beside_lines_of_the_exact_one_is_told_of_without_a_mapping(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, reader: str
) -> None:
    # (Mapped, the lines of the exact key would lose theirs. A key of another case only,
    # "Success", sends the file to the standard reader, which reads it as the field.)
    flag = "success" if reader == "pyarrow" else "Success"
    lines = [
        line("a", 1, success=True, execution_time_ms=5.0),
        line("a", 2, **{flag: True, "executionTimeMs": 6.0}),
        line("b", 3, success=True, execution_time_ms=5.0, executionTimeMs=7.0),
        line("b", 4, success=True, executionTimeMs=8.0),
    ]
    source = write(tmp_path / "runs.jsonl", lines)
    for command in COMMANDS:
        code, _, err = run(capsys, command[0], source, *command[1:])
        assert code == 0
        # (Line 3 holds both: its field is read, and it is not counted. The library's
        # note of the first record's keys, which the standard reader's records got, is
        # not given beside it.)
        assert notes(err) == [
            f"{NOTE}key 'executionTimeMs' (in 2 lines without 'execution_time_ms', the "
            "first line 2) is not read as the record field 'execution_time_ms', which is "
            "read by exact name only: a record without 'execution_time_ms' is not counted "
            "in performance. Rename the key: {'executionTimeMs': 'execution_time_ms'}"
        ]


def test_keys_of_several_fields_are_told_of_in_one_note(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = [line("a", 1, **{" success": True, "Quality-Score": 0.5}), line("a", 2, success=True)]
    source = write(tmp_path / "runs.jsonl", lines)
    code, _, err = run(capsys, "analyze", source, "--pattern", "a")
    assert code == 0
    assert notes(err) == [
        f"{NOTE}keys ' success' (in line 1, without 'success') and 'Quality-Score' (in line "
        "1, without 'quality_score') are not read as the record fields they look like, which "
        "are read by exact name only: a record without 'success' counts as a failure and one "
        "without 'quality_score' is not counted in the average quality score. Rename the "
        "keys: {' success': 'success', 'Quality-Score': 'quality_score'}, or map it: "
        "--column quality_score=Quality-Score"
    ]


@pytest.mark.parametrize(
    "keys",
    [
        {"success": True, "execution_time_ms": 5.0},  # the fields' own keys
        {"Success": True, "Execution_Time_MS": 5.0},  # of another case: read as the fields
        {"success": True, "execution_time_ms": 5.0, "executionTimeMs": 5.0},  # beside it
        {"success": True, "runtime_ms": 5.0, "execution": 1},  # no field's
    ],
)
def test_keys_read_as_the_fields_or_unlike_them_are_not_told_of(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, keys: dict[str, Any]
) -> None:
    source = write(tmp_path / "runs.jsonl", [line("a", 1, **keys), line("a", 2)])
    code, _, err = run(capsys, "analyze", source, "--pattern", "a")
    assert (code, notes(err)) == (0, [])


def test_a_compressed_file_is_told_of_as_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = json.dumps(line("a", 1, success=True, executionTimeMs=5.0)) + "\n"
    (tmp_path / "runs.jsonl.gz").write_bytes(gzip.compress(text.encode()))
    code, _, err = run(capsys, "analyze", "runs.jsonl.gz", "--pattern", "a")
    assert code == 0
    assert notes(err)[0].startswith(f"{NOTE}key 'executionTimeMs' (in line 1, without ")


# --------------------------------------------------------- against a model of the rule

#: Keys of a line: the field's own, another case of it, spellings otherwise, others.
_KEYS = st.sampled_from(
    [
        "execution_time_ms",
        "EXECUTION_TIME_MS",
        "executionTimeMs",
        "execution-time-ms",
        " execution_time_ms ",
        "quality_score",
        "qualityScore",
        "Success",
        "succ ess",
        "runtime",
    ]
)
_LINES = st.lists(st.lists(_KEYS, max_size=3, unique=True), min_size=1, max_size=8)


def _model(lines: list[list[str]], mapped: frozenset[str]) -> dict[str, SpelledKey]:
    """The rule read plainly: a key, by `loosely`, a field (unmapped) other than in case
    alone, in a line holding neither the field nor a key of it in another case."""
    fields = {loosely(field): field for field in (PATTERN_ID, *FIELDS) if field not in mapped}

    def gives(keys: list[str], field: str) -> bool:
        return any(ascii_folded(key) == field for key in keys)

    found: dict[str, SpelledKey] = {}
    for number, keys in enumerate(lines, start=1):
        for key in keys:
            field = fields.get(loosely(key))
            if field is None or ascii_folded(key) == field or gives(keys, field):
                continue
            alone = not any(gives(others, field) for others in lines)
            seen = found.get(key)
            count = 1 if seen is None else seen.lines + 1
            first = f"line {number}" if seen is None else seen.first
            found[key] = SpelledKey(field, first, count, alone)
    return found


@settings(max_examples=60, deadline=None)
@given(lines=_LINES, arrow=st.booleans(), mapped=st.booleans())
def test_the_keys_told_of_are_the_models(
    tmp_path_factory: pytest.TempPathFactory, lines: list[list[str]], arrow: bool, mapped: bool
) -> None:
    path = tmp_path_factory.mktemp("keys") / "runs.jsonl"
    records = [{"timestamp": "2026-11-20T10:00:00Z", **dict.fromkeys(keys, 1)} for keys in lines]
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    # (--column quality_score=qualityScore: the field is that key's, never told of. A
    # mapped key must be in the file.)
    mapped = mapped and any("qualityScore" in keys for keys in lines)
    table = TableSpec(columns={"quality_score": "qualityScore"} if mapped else {})

    async def told() -> dict[str, SpelledKey]:
        async with FileSource(path, table, arrow=arrow) as source:
            found = await source.keys_spelled_otherwise()
        assert found is not None  # (JSON Lines: None is other kinds')
        return dict(found)

    expected = _model(lines, frozenset({"quality_score"} if mapped else ()))
    assert asyncio.run(told()) == expected


@settings(max_examples=300, deadline=None)
@given(
    field=st.sampled_from([PATTERN_ID, *FIELDS]),
    flips=st.lists(st.booleans(), min_size=20, max_size=20),
    separators=st.lists(st.sampled_from(["", "", "_", "-", " ", "__", "-_"]), min_size=20),
    pads=st.tuples(*[st.sampled_from(["", "", " ", "_", "-", " \t"])] * 2),
)
def test_the_search_finds_a_key_exactly_where_it_spells_a_field_otherwise(
    field: str, flips: list[bool], separators: list[str], pads: tuple[str, str]
) -> None:
    letters = field.replace("_", "")
    spelled = "".join(
        (separators[index] if index else "") + (char.upper() if flip else char)
        for index, (char, flip) in enumerate(zip(letters, flips, strict=False))
    )
    key = f"{pads[0]}{spelled}{pads[1]}"
    assert loosely(key) == loosely(field)
    otherwise = ascii_folded(key) != field
    search = re.compile(_spelled_otherwise([field]))
    assert (search.search(f'{{"{key}" : 1}}') is not None) == otherwise
    # (The search is of every missing field at once.)
    assert (re.search(_spelled_otherwise(FIELDS), f'"{key}":') is not None) == (
        otherwise and field != PATTERN_ID
    )
