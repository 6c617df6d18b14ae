"""A CSV or JSON Lines file that holds another format by its first bytes: a Parquet
file, a compressed file, a SQLite database, a ZIP archive (a spreadsheet), UTF-16 or
UTF-32 text under a UTF-8 text file's name.

Read as text, such a file was "x.csv, line 4: not UTF-8 text" (or, skipping what cannot
be read, "holds no records (3 lines left out ...)"), which says neither what the file is
nor what to do. It is refused before it is read, naming what it holds and the name that
reads it. Only a format whose first bytes no text starts with is named: a signature
(Parquet's and Arrow's at both ends of the file, bzip2's with its block's magic)
followed, within the first 512 bytes, by a NUL or bytes that are not UTF-8 (a CSV header
may start "PAR1" or "BZh9"; no text holds a NUL), so a UTF-8 text file is never refused
for its first word. (Standard input and a decompressed file are not looked at: standard
input's kind is found by its bytes already, and a decompressed copy's name is not the
file's.)
"""

from __future__ import annotations

import codecs
import os
import re
from pathlib import Path

from usage_analytics.sources.base import SourceError
from usage_analytics.sources.spool import COMPRESSION_MAGIC, COMPRESSIONS

__all__ = ["refuse_another_format"]

#: How much of the file's start is looked at, and of its end (where Parquet and Arrow
#: files repeat their magic).
_HEAD = 512
_TAIL = 8

#: bzip2's magic: "BZh", the block size, then a block's magic or the end's (an empty file).
_BZIP2 = re.compile(rb"BZh[1-9](?:1AY&SY|\x17rE8P\x90)")

_TEXT_KIND = {"csv": "CSV text", "jsonl": "JSON Lines text"}


def refuse_another_format(path: Path, kind: str) -> None:
    """Raise `SourceError` where the file at `path`, to be read as `kind` ("csv" or
    "jsonl"), holds another format by its first bytes."""
    with path.open("rb") as stream:
        head = stream.read(_HEAD)
        tail = head[-_TAIL:]
        if len(head) == _HEAD:  # (a larger file perhaps: its own end)
            stream.seek(-_TAIL, os.SEEK_END)
            tail = stream.read()
    held = _format_of(head, tail, path)
    if held is None or _is_text(head):
        return
    what, advice = held
    raise SourceError(
        f"{path}: holds {what} (by its first bytes), not {_TEXT_KIND[kind]}: {advice}"
    )


def _is_text(head: bytes) -> bool:
    """Whether `head` (a file's start, perhaps cut inside a character) may be text."""
    if b"\x00" in head:
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def _format_of(head: bytes, tail: bytes, path: Path) -> tuple[str, str] | None:
    """What a file `path` starting with `head` and ending with `tail` holds, and how to
    read it; None for none known."""
    if head.startswith(b"PAR1") and tail.endswith(b"PAR1"):
        return "a Parquet file", f"name it {path.with_suffix('.parquet').name}"
    if head.startswith(b"SQLite format 3\x00"):
        return "a SQLite database", f"name it {path.with_suffix('.db').name}"
    if head.startswith(b"PK\x03\x04"):
        return (
            "a ZIP archive",
            "a spreadsheet (.xlsx, .ods) is one: save it as CSV, comma-separated",
        )
    if (head.startswith(b"ARROW1") and tail.endswith(b"ARROW1")) or (
        head.startswith(b"FEA1") and tail.endswith(b"FEA1")
    ):
        return "an Arrow IPC (Feather) file", "write it as Parquet (pyarrow.parquet.write_table)"
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):  # (before UTF-16's)
        return "UTF-32 text", "save it as UTF-8"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # (a byte order mark: a spreadsheet's
        # "Unicode text" export is UTF-16)
        return "UTF-16 text", "save it as UTF-8 (a spreadsheet's CSV UTF-8)"
    if _BZIP2.match(head):
        return "bz2-compressed data", f"name it {path.name}.bz2"
    for suffix, compression in COMPRESSIONS.items():
        if compression != "bz2" and head.startswith(COMPRESSION_MAGIC[compression]):
            return f"{compression}-compressed data", f"name it {path.name}{suffix}"
    return None
