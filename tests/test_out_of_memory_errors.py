"""The system's "out of memory" told as an `OSError` is raised as `MemoryError`, the
`OSError` its cause (`out_of_memory`): under an address-space limit pyarrow's
`memory_map` of a JSON Lines file (searched for keys of another case) failed with
"Memory mapping file failed: Cannot allocate memory", an `OSError` without errno, which
the source reported as an unreadable file (`SourceUnavailableError`, "cannot read").
Other `OSError`s are what they were."""

from __future__ import annotations

import asyncio
import errno
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from child import run_python
from usage_analytics.out_of_memory import is_out_of_memory
from usage_analytics.sources import SourceUnavailableError, open_source

#: pyarrow's words for a failed mapping (`io.pxi`'s `memory_map`, errno unset).
MAPPING_FAILED = "Memory mapping file failed: Cannot allocate memory"


def _case_file(path: Path) -> Path:
    """A JSON Lines file with a key of another case ("Agent"): read by pyarrow, it is
    mapped in memory and searched for such keys (`jsonl_column_case`)."""
    lines = [
        {"pattern_id": "p", "timestamp": "2024-01-01T00:00:00Z", "success": True, "agent": "a"},
        {"pattern_id": "p", "timestamp": "2024-01-01T00:01:00Z", "success": False, "Agent": "b"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _fetch(path: Path) -> Any:
    async def fetch() -> Any:
        source = open_source(path, arrow=None)
        try:
            return (await source.fetch("p", datetime.min, datetime.max)).data
        finally:
            await source.close()

    return asyncio.run(fetch())


def _failing_map(words: str, code: int | None = None) -> Any:
    def memory_map(*args: Any, **kwargs: Any) -> Any:
        raise OSError(words) if code is None else OSError(code, words)

    return memory_map


def test_a_mapping_out_of_memory_is_a_memory_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pa, "memory_map", _failing_map(MAPPING_FAILED))
    with pytest.raises(MemoryError, match=r"out of memory reading .*Memory mapping") as raised:
        _fetch(_case_file(tmp_path / "runs.jsonl"))
    assert isinstance(raised.value.__cause__, OSError)
    assert str(raised.value.__cause__) == MAPPING_FAILED


def test_errno_enomem_is_a_memory_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pa, "memory_map", _failing_map("Cannot allocate memory", errno.ENOMEM))
    with pytest.raises(MemoryError) as raised:
        _fetch(_case_file(tmp_path / "runs.jsonl"))
    assert getattr(raised.value.__cause__, "errno", None) == errno.ENOMEM


def test_another_os_error_is_still_an_unreadable_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pa, "memory_map", _failing_map("Input/output error", errno.EIO))
    with pytest.raises(SourceUnavailableError, match="cannot read: Input/output error"):
        _fetch(_case_file(tmp_path / "runs.jsonl"))


@pytest.mark.parametrize(
    ("error", "out_of_memory"),
    [
        (OSError(errno.ENOMEM, "Cannot allocate memory"), True),
        (OSError(MAPPING_FAILED), True),
        (OSError(errno.EACCES, "Permission denied"), False),
        (OSError(errno.EIO, "Cannot allocate memory"), False),  # (its errno says what it is)
        (OSError("Memory mapping file failed: No such device"), False),
    ],
    ids=str,
)
def test_what_is_out_of_memory(error: OSError, out_of_memory: bool) -> None:
    assert is_out_of_memory(error) is out_of_memory


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")
def test_pyarrows_own_failed_mapping_is_taken_for_out_of_memory(tmp_path: Path) -> None:
    """pyarrow's real words (not the test's copy): a 256 MB file mapped by a child whose
    address space is capped 64 MB above what it uses."""
    big = tmp_path / "big.bin"
    with big.open("wb") as out:
        out.truncate(256 * 2**20)
    done = run_python(
        f"""
import os, resource
import pyarrow as pa
from usage_analytics.out_of_memory import is_out_of_memory
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
limit = used + 64 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
try:
    pa.memory_map({str(big)!r})
    print("mapped")
except OSError as error:
    print(is_out_of_memory(error), error)
"""
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("True "), done.stdout


def test_the_command_says_out_of_memory_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # (It ended in a traceback: the command caught no MemoryError.)
    from usage_analytics.cli import main
    from usage_analytics.cli.common import EXIT_DATA

    monkeypatch.setattr(pa, "memory_map", _failing_map(MAPPING_FAILED))
    path = _case_file(tmp_path / "runs.jsonl")
    assert main(["analyze", str(path), "--pattern", "p"]) == EXIT_DATA
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.strip().splitlines()
    assert line.startswith("usage-analytics: error: out of memory reading ")
    assert MAPPING_FAILED in line
    assert line.endswith("or give the process more memory")


def test_the_command_says_out_of_memory_of_a_bare_memory_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from usage_analytics import cli
    from usage_analytics.cli import main
    from usage_analytics.cli.common import EXIT_DATA

    def exhausted(args: Any) -> int:
        raise MemoryError

    monkeypatch.setattr(cli, "resolve_format", exhausted)
    assert main(["demo"]) == EXIT_DATA
    assert capsys.readouterr().err == (
        "usage-analytics: error: out of memory: an allocation failed: analyse a shorter "
        "window (--start, --end) or one pattern (analyze --pattern), or give the process "
        "more memory\n"
    )
