"""Compressed record files and standard input (`sources.spool`): the same records give
the same report as the plain file, on both readers; errors name the file (or "standard
input"), never the temporary copy; the copy is deleted once its records are dropped."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

import pytest
from source_cases import COMPRESS, GROWING, NOW_ARG, assert_same_reports, demo_files
from usage_analytics.cli import main
from usage_analytics.sources import (
    FileSource,
    MissingDependencyError,
    SourceError,
    SourceUnavailableError,
    save_records,
)
from usage_analytics.sources import spool as spool_module
from usage_analytics.sources.spool import stdin

KINDS = ["csv", "jsonl", "parquet"]
#: A window for `fetch_all`, which a file source does not use.
WHOLE = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


pytestmark = pytest.mark.usefixtures("own_temporary_directory")


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo rows as a file of each kind."""
    return demo_files(tmp_path_factory.mktemp("plain"), KINDS)


def compressed(path: Path, suffix: str, directory: Path) -> Path:
    target = directory / (path.name + suffix)
    target.write_bytes(COMPRESS[suffix](path.read_bytes()))
    return target


def run_with_input(data: bytes, *argv: str) -> subprocess.CompletedProcess[bytes]:
    """The command in a child process reading `data` from its standard input."""
    return subprocess.run(
        [sys.executable, "-m", "usage_analytics", *argv],
        input=data,
        capture_output=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("suffix", sorted(COMPRESS))
@pytest.mark.parametrize("kind", KINDS)
def test_a_compressed_file_gives_the_plain_files_report(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    plain: dict[str, Path],
    kind: str,
    suffix: str,
) -> None:
    path = compressed(plain[kind], suffix, tmp_path)
    assert_same_reports(capsys, str(path), str(plain[kind]))


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_the_standard_reader_reads_the_copy_too(
    tmp_path: Path, plain: dict[str, Path], kind: str
) -> None:
    path = compressed(plain[kind], ".gz", tmp_path)

    async def records(source: FileSource) -> object:
        async with source:
            (fetched,) = [f for f in await source.fetch_all(*WHOLE) if f.pattern_id == GROWING]
            return fetched.data, fetched.locate(3)

    assert asyncio.run(records(FileSource(path, arrow=False))) == asyncio.run(
        records(FileSource(plain[kind], arrow=False))
    )


@pytest.mark.parametrize("arrow", [True, False])
def test_errors_name_the_file_given_not_its_copy(tmp_path: Path, arrow: bool) -> None:
    lines = [
        '{"pattern_id": "p", "timestamp": "2026-03-01T10:00:00Z", "success": true}',
        '{"pattern_id": "p", "timestamp": ',
    ]
    path = tmp_path / "runs.jsonl.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode() + b"\n"))
    source = FileSource(path, arrow=arrow)
    with pytest.raises(SourceError) as raised:
        source.read()
    assert str(raised.value) == (f"{path}, line 2: not valid JSON: Expecting value (column 34)")


def test_a_bad_records_line_is_named_from_the_copy_after_the_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # pyarrow's reader names lines only when asked, by reading the copy again: the copy
    # must outlive the read.
    rows = [
        {"pattern_id": "p", "timestamp": "2026-03-01T10:00:00Z", "execution_time_ms": 5.0},
        {"pattern_id": "p", "timestamp": "2026-03-01T11:00:00Z", "execution_time_ms": -5.0},
    ]
    plain = tmp_path / "runs.jsonl"
    save_records(plain, rows)
    path = compressed(plain, ".xz", tmp_path)
    assert main(["dashboard", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"usage-analytics: error: {path}, line 2: field 'execution_time_ms' = -5.0: must be "
        ">= 0; --on-invalid skip leaves invalid records out\n"
    )


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("runs.jsonl.gz", b'{"pattern_id": "p"}\n', "gzip data (Not a gzipped file (b'{\"'))"),
        ("runs.csv.bz2", b"pattern_id\np\n", "bz2 data (Invalid data stream)"),
        ("runs.csv.xz", b"pattern_id\np\n", "xz data (Input format not supported by decoder)"),
        (
            "runs.jsonl.gz",
            gzip.compress(b'{"pattern_id": "p"}\n' * 100)[:-12],
            "gzip data (it ends before its end-of-stream marker: cut short?)",
        ),
    ],
)
def test_data_not_of_its_compression_is_an_error_naming_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    assert main(["dashboard", str(path)]) == 1
    assert capsys.readouterr().err == f"usage-analytics: error: {path}: not readable {reason}\n"


def test_a_compressed_file_of_no_record_kind_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.txt.gz"
    with pytest.raises(SourceError, match=r"runs\.txt\.gz: unsupported file type \('\.txt\.gz'\)"):
        FileSource(path)


def test_zstd_without_pyarrow_names_the_extra(tmp_path: Path, plain: dict[str, Path]) -> None:
    path = compressed(plain["csv"], ".zst", tmp_path)
    with (
        mock.patch.object(spool_module, "load_pyarrow", return_value=None),
        mock.patch.dict(sys.modules, {"compression": None}),
        pytest.raises(MissingDependencyError, match=r"runs\.csv\.zst: reading zstd-compressed "),
    ):
        FileSource(path, arrow=False).read()


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz", ".zst"])
@pytest.mark.parametrize("kind", KINDS)
def test_standard_input_is_told_by_its_first_bytes(
    plain: dict[str, Path], kind: str, suffix: str
) -> None:
    data = plain[kind].read_bytes()
    copy, told = stdin(io.BytesIO(COMPRESS[suffix](data) if suffix else data))
    try:
        assert (told, copy.path.read_bytes()) == (kind, data)
    finally:
        copy.close()


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xef\xbb\xbf\r\n  {", "jsonl"),
        (b"\n\n{", "jsonl"),
        (b"timestamp,pattern_id\n", "csv"),
        (b"", "csv"),
        (b"PAR1", "parquet"),
    ],
)
def test_the_kind_of_standard_input(head: bytes, kind: str) -> None:
    copy, told = stdin(io.BytesIO(head))
    copy.close()
    assert told == kind


def test_a_database_on_standard_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="standard input holds a SQLite database: pass its path"):
        stdin(io.BytesIO(b"SQLite format 3\x00" + bytes(100)))


def test_the_command_reads_standard_input(tmp_path: Path, plain: dict[str, Path]) -> None:
    argv = ["dashboard", "-", "--end", NOW_ARG, "--format", "json"]
    done = run_with_input(gzip.compress(plain["jsonl"].read_bytes()), *argv)
    assert done.returncode == 0, done.stderr
    expected = run_with_input(b"", "dashboard", str(plain["jsonl"]), *argv[2:])
    assert json.loads(done.stdout) == json.loads(expected.stdout)  # (a dashboard's: no timings)
    heading = run_with_input(plain["csv"].read_bytes(), "dashboard", "-", "--end", NOW_ARG)
    assert heading.stdout.decode().startswith("6 patterns in standard input, ")
    empty = run_with_input(b"", "dashboard", "-")
    assert (empty.returncode, empty.stderr) == (
        1,
        b"usage-analytics: error: standard input holds no records\n",
    )
    bad = run_with_input(b'{"pattern_id": "p", "timestamp": 1}\nnull\n', "dashboard", "-")
    assert bad.stderr == (
        b"usage-analytics: error: standard input, line 2: expected a JSON object, got null\n"
    )


class _Terminal(io.TextIOWrapper):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stdin_object", "message"),
    [
        (None, "standard input: there is none to read records from"),
        ("terminal", "standard input is a terminal: send the records to it"),
    ],
)
def test_standard_input_that_holds_no_records_is_refused(
    monkeypatch: pytest.MonkeyPatch, stdin_object: str | None, message: str
) -> None:
    # (From a terminal the command waited, without a word, for records typed in.)
    terminal = _Terminal(io.BytesIO(b'{"pattern_id": "p"}\n'))
    monkeypatch.setattr(sys, "stdin", terminal if stdin_object else None)
    with pytest.raises(SourceUnavailableError, match=f"^{re.escape(message)}"):
        FileSource("-")


def test_a_copy_the_disk_refuses_is_an_error_naming_the_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, plain: dict[str, Path]
) -> None:
    # The copy written to /dev/full: "No space left on device", as from a full TMPDIR.
    def full(prefix: str, suffix: str) -> tuple[int, str]:
        link = Path(tempfile.gettempdir()) / f"{prefix}full{suffix}"
        link.symlink_to("/dev/full")
        return os.open(link, os.O_WRONLY), str(link)

    monkeypatch.setattr(tempfile, "mkstemp", full)
    path = compressed(plain["jsonl"], ".gz", tmp_path)
    with pytest.raises(SourceUnavailableError) as raised:
        FileSource(path).read()
    assert str(raised.value) == (
        f"{path}: cannot copy it into a temporary file in {tempfile.gettempdir()}: "
        "No space left on device"
    )
