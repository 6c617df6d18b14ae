"""A directory of JSON Lines files gets the note of keys that look like a record field
spelled otherwise (`executionTimeMs`), as one file does and as a directory of CSV files
gets the library's note of such columns (`sources.dataset_key_spellings`,
`cli.key_spellings`): it got none, each file's keys found and dropped. The keys told of
are those one file of all the lines would tell of, the first line named by its file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from cli_runs import run
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics.sources import FileSource
from usage_analytics.sources.base import TableSpec
from usage_analytics.sources.jsonl_key_spellings import SpelledKey

NOTE = "usage-analytics: note: "
COMMANDS = [["analyze", "--pattern", "a"], ["dashboard"]]


@pytest.fixture(autouse=True)
def _in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)


def line(pattern: str, hour: int, **keys: Any) -> dict[str, Any]:
    return {"pattern_id": pattern, "timestamp": f"2026-11-20T{hour:02d}:00:00Z", **keys}


def write(path: Path, lines: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(one) + "\n" for one in lines), encoding="utf-8")


def notes(err: str) -> list[str]:
    return [text for text in err.splitlines() if " is not read as " in text or " are not " in text]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("reader", ["pyarrow", "standard"])
def test_a_key_in_several_files_is_told_of_once_with_its_mapping(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str], reader: str
) -> None:
    # ("Success", another case of the field, sends the files to the standard reader.)
    flag = "success" if reader == "pyarrow" else "Success"
    write(tmp_path / "logs/1.jsonl", [line("a", 1, **{flag: True, "executionTimeMs": 2.0})])
    write(
        tmp_path / "logs/2.jsonl", [line("a", h, success=True, executionTimeMs=5.0) for h in (2, 3)]
    )
    write(tmp_path / "logs/more/3.jsonl", [line("b", 4, executionTimeMs=1.0)])
    code, _, err = run(capsys, command[0], "logs", *command[1:])
    assert code == 0
    assert notes(err) == [
        f"{NOTE}key 'executionTimeMs' (in 4 lines without 'execution_time_ms', the first "
        "1.jsonl, line 1) is not read as the record field 'execution_time_ms', which is read "
        "by exact name only: a record without 'execution_time_ms' is not counted in "
        "performance. Rename the key: {'executionTimeMs': 'execution_time_ms'}, or map it: "
        "--column execution_time_ms=executionTimeMs"
    ]
    mapped = ["--column", "execution_time_ms=executionTimeMs"]
    code, _, err = run(capsys, command[0], "logs", *command[1:], *mapped)
    assert (code, notes(err)) == (0, [])


def test_a_key_beside_another_file_of_the_exact_one_is_told_of_without_a_mapping(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # (Mapped, the other file's records would lose their execution times.)
    write(tmp_path / "logs/1.jsonl", [line("a", 1, success=True, execution_time_ms=4.0)])
    write(tmp_path / "logs/2.jsonl", [line("a", 2, success=True, executionTimeMs=5.0)])
    code, _, err = run(capsys, "analyze", "logs", "--pattern", "a")
    assert code == 0
    assert notes(err) == [
        f"{NOTE}key 'executionTimeMs' (in 2.jsonl, line 1, without 'execution_time_ms') is "
        "not read as the record field 'execution_time_ms', which is read by exact name only: "
        "a record without 'execution_time_ms' is not counted in performance. Rename the "
        "key: {'executionTimeMs': 'execution_time_ms'}"
    ]


def test_a_key_some_file_lacks_is_told_of_without_a_mapping(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # (A mapped key must be in each file: mapped, the directory would be refused.)
    write(tmp_path / "logs/1.jsonl", [line("a", 1, success=True)])
    write(tmp_path / "logs/2.jsonl", [line("a", 2, success=True, executionTimeMs=5.0)])
    code, _, err = run(capsys, "analyze", "logs", "--pattern", "a")
    assert code == 0
    assert len(notes(err)) == 1
    assert notes(err)[0].endswith("Rename the key: {'executionTimeMs': 'execution_time_ms'}")


def test_a_key_of_a_field_its_partition_directory_gives_is_not_told_of(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    write(tmp_path / "logs/success=true/1.jsonl", [line("a", 1, Success_=True)])
    write(tmp_path / "logs/success=false/2.jsonl", [line("a", 2, qualityScore=0.5)])
    code, _, err = run(capsys, "analyze", "logs", "--pattern", "a")
    assert code == 0
    assert [text.split(" (in ")[0] for text in notes(err)] == [f"{NOTE}key 'qualityScore'"]


def test_a_directory_of_csv_files_keeps_the_librarys_note_of_its_columns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "logs").mkdir()
    header = "pattern_id,timestamp,success,executionTimeMs\n"
    (tmp_path / "logs/1.csv").write_text(header + "a,2026-11-20T01:00:00Z,true,5\n")
    code, _, err = run(capsys, "analyze", "logs", "--pattern", "a")
    assert code == 0
    assert [text.split(" is not")[0] for text in notes(err)] == [f"{NOTE}column 'executionTimeMs'"]

    async def told() -> Any:
        async with FileSource(tmp_path / "logs", TableSpec()) as source:
            return await source.keys_spelled_otherwise()

    assert asyncio.run(told()) is None  # (its columns reach the library, which tells)


_KEYS_SHOWN = [
    "execution_time_ms",
    "EXECUTION_TIME_MS",
    "executionTimeMs",
    "quality_score",
    "qualityScore",
]
_KEYS = st.sampled_from(_KEYS_SHOWN)
_FILES = st.lists(
    st.lists(st.lists(_KEYS, max_size=2, unique=True), min_size=1, max_size=4),
    min_size=1,
    max_size=4,
)


@settings(max_examples=40, deadline=None)
@given(files=_FILES, arrow=st.booleans())
def test_a_directorys_keys_are_those_of_one_file_of_all_its_lines(
    tmp_path_factory: pytest.TempPathFactory, files: list[list[list[str]]], arrow: bool
) -> None:
    root = tmp_path_factory.mktemp("keys")
    names = [f"{number}.jsonl" for number in range(len(files))]
    records = [
        [{"timestamp": "2026-11-20T10:00:00Z", **dict.fromkeys(keys, 1)} for keys in lines]
        for lines in files
    ]
    for name, lines in zip(names, records, strict=True):
        write(root / "logs" / name, lines)
    write(root / "all.jsonl", [record for lines in records for record in lines])

    async def told(path: Path) -> dict[str, SpelledKey]:
        async with FileSource(path, TableSpec(), arrow=arrow) as source:
            found = await source.keys_spelled_otherwise()
        assert found is not None
        return dict(found)

    # (Line n of the one file is a line of one of the files: named by it there.)
    places = [
        f"{name}, line {n}"
        for name, lines in zip(names, files, strict=True)
        for n in range(1, len(lines) + 1)
    ]
    # (Mapped, a key must be in each file: only then is the mapping offered.)
    everywhere = {key for key in _KEYS_SHOWN if all(any(key in k for k in f) for f in files)}
    one = {
        key: SpelledKey(
            found.field,
            places[int(found.first.split()[1]) - 1],
            found.lines,
            found.alone and key in everywhere,
        )
        for key, found in asyncio.run(told(root / "all.jsonl")).items()
    }
    assert asyncio.run(told(root / "logs")) == one
