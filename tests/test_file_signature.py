"""A CSV or JSON Lines file holding another format (Parquet, a compressed file, a SQLite
database, a ZIP archive, Arrow IPC) is refused naming it and the name that reads it
(`sources.file_signature`); a text file is never refused for its first word."""

from __future__ import annotations

import asyncio
import bz2
import gzip
import lzma
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from source_cases import NOW, START
from usage_analytics.sources import FileSource, SourceError
from usage_analytics.sources.file_signature import refuse_another_format

CSV_TEXT = b"pattern_id,timestamp\np,2026-03-01T10:00:00Z\n"


def parquet(path: Path) -> None:
    pq.write_table(pa.table({"pattern_id": ["p"], "timestamp": ["2026-03-01T10:00:00Z"]}), path)


def arrow_ipc(path: Path) -> None:
    feather.write_feather(pa.table({"pattern_id": ["p"]}), path)


def sqlite_db(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE pattern_executions (pattern_id TEXT)")
    connection.close()


def zip_archive(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")


def compressed(compress: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.write_bytes(compress(CSV_TEXT))

    return write


def utf16(path: Path) -> None:
    path.write_bytes(CSV_TEXT.decode().encode("utf-16"))  # (with its byte order mark)


def utf32(path: Path) -> None:
    path.write_bytes(CSV_TEXT.decode().encode("utf-32"))  # (its mark starts as UTF-16's)


def zstd(path: Path) -> None:
    # (A zstd frame's magic and header before data no text holds; no zstd module needed.)
    path.write_bytes(b"\x28\xb5\x2f\xfd\x24\x2c\x61\x01\x00\xff\xfe" + bytes(range(256)))


FORMATS = [
    (parquet, "a Parquet file", "name it {stem}.parquet"),
    (sqlite_db, "a SQLite database", "name it {stem}.db"),
    (
        zip_archive,
        "a ZIP archive",
        "a spreadsheet (.xlsx, .ods) is one: save it as CSV, comma-separated",
    ),
    (
        arrow_ipc,
        "an Arrow IPC (Feather) file",
        "write it as Parquet (pyarrow.parquet.write_table)",
    ),
    (utf32, "UTF-32 text", "save it as UTF-8"),
    (utf16, "UTF-16 text", "save it as UTF-8 (a spreadsheet's CSV UTF-8)"),
    (compressed(gzip.compress), "gzip-compressed data", "name it {name}.gz"),
    (compressed(bz2.compress), "bz2-compressed data", "name it {name}.bz2"),
    (compressed(lzma.compress), "xz-compressed data", "name it {name}.xz"),
    (zstd, "zstd-compressed data", "name it {name}.zst"),
]


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize(("write", "what", "advice"), FORMATS)
def test_a_text_file_holding_another_format_is_refused_naming_it(
    tmp_path: Path,
    kind: str,
    skip: bool,
    write: Callable[[Path], None],
    what: str,
    advice: str,
) -> None:
    # Read as text it was "line 4: not UTF-8 text", or, skipping, "holds no records".
    path = tmp_path / f"runs.{kind}"
    write(path)
    text = {"csv": "CSV text", "jsonl": "JSON Lines text"}[kind]
    shown = advice.format(stem="runs", name=path.name)
    with pytest.raises(SourceError) as raised:
        asyncio.run(FileSource(path, skip_unreadable=skip).fetch("p", START, NOW))
    assert str(raised.value) == f"{path}: holds {what} (by its first bytes), not {text}: {shown}"


def test_a_directory_names_its_file_holding_another_format(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(CSV_TEXT)
    parquet(tmp_path / "b.csv")
    with pytest.raises(SourceError, match=r"b\.csv: holds a Parquet file .*name it b\.parquet"):
        asyncio.run(FileSource(tmp_path).fetch("p", START, NOW))


def test_a_compressed_file_holding_text_is_read(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv.gz"
    path.write_bytes(gzip.compress(CSV_TEXT))
    assert len(asyncio.run(FileSource(path).fetch("p", START, NOW)).data) == 1


SIGNATURES = [b"PAR1", b"SQLite format 3", b"PK", b"ARROW1", b"FEA1", b"BZh91AY&SY", b"\x1f"]


@given(
    prefix=st.sampled_from(SIGNATURES),
    rest=st.text(st.characters(exclude_characters="\x00"), max_size=600),
)
def test_text_starting_as_a_signature_is_never_refused(
    tmp_path_factory: pytest.TempPathFactory, prefix: bytes, rest: str
) -> None:
    """A header "PAR1,..." or "BZh91AY&SY" is text: UTF-8 without a NUL is read as such."""
    path = tmp_path_factory.mktemp("text") / "runs.csv"
    path.write_bytes(prefix + rest.encode())
    refuse_another_format(path, "csv")


def test_a_signature_then_a_nul_is_refused(tmp_path: Path) -> None:
    # The rule's other side: the same first word, then a byte no text holds.
    path = tmp_path / "runs.csv"
    path.write_bytes(b"PAR1\x15\x00" + b"x" * 100 + b"PAR1")
    with pytest.raises(SourceError, match="holds a Parquet file"):
        refuse_another_format(path, "csv")


@pytest.mark.parametrize("first", [b"PAR1", b"ARROW1", b"FEA1", b"BZh9"])
def test_latin1_text_starting_as_a_signature_is_not_taken_for_that_format(
    tmp_path: Path, first: bytes
) -> None:
    # Not UTF-8 (its "é" is one byte), yet no Parquet or Arrow file (no magic at its end)
    # nor bzip2 data (no block magic after the level): its own error stands.
    path = tmp_path / "runs.csv"
    path.write_bytes(first + b",caf\xe9\n" + b"x,y\n" * 200)
    refuse_another_format(path, "csv")


def test_a_parquet_file_cut_short_is_not_named_parquet(tmp_path: Path) -> None:
    # (Its end's magic gone: what it holds is not known.)
    whole = tmp_path / "whole.parquet"
    parquet(whole)
    path = tmp_path / "runs.csv"
    path.write_bytes(whole.read_bytes()[:-4])
    refuse_another_format(path, "csv")
