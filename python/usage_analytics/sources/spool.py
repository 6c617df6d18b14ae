"""Record files read through a temporary copy: compressed files and standard input.

    runs.jsonl.gz, runs.csv.bz2, runs.ndjson.xz, runs.parquet.zst   (by the last suffix)
    zcat runs-*.jsonl.gz | usage-analytics dashboard -              (its kind sniffed)

A source reads its file more than once (a CSV header, the records, then the lines that
name a bad record) and pyarrow's readers want a file they can seek, so a compressed file
is decompressed once, and standard input copied once, into a temporary file (in
`tempfile.gettempdir()`, which TMPDIR sets) that the readers read. The copy is deleted
when nothing holds it any more: the records read from it are dropped (`FileSource.close`)
or the process ends.

gzip, bz2 and xz come with Python; zstd needs pyarrow (the `arrow` extra), or Python
3.14's `compression.zstd`. Standard input may be compressed too (told by its first
bytes); its records are then told by their first bytes: Parquet's `PAR1`, JSON Lines
where the first character that is not blank (past a byte order mark) is `{`, else CSV.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import sys
import tempfile
import weakref
import zlib
from pathlib import Path
from typing import Any, BinaryIO

from usage_analytics.extras import load_pyarrow, missing_extra
from usage_analytics.out_of_memory import raise_if_out_of_memory
from usage_analytics.sources.base import SourceError, SourceUnavailableError

__all__ = [
    "COMPRESSIONS",
    "COMPRESSION_MAGIC",
    "STANDARD_INPUT",
    "Spool",
    "compression_of",
    "decompressed",
    "stdin",
]

#: Compressions by lower-case suffix.
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd"}

#: The SOURCE that names standard input.
STANDARD_INPUT = "-"

#: A compressed stream's first bytes, by compression.
COMPRESSION_MAGIC = {
    "gzip": b"\x1f\x8b",
    "bz2": b"BZh",
    "xz": b"\xfd7zXZ\x00",
    "zstd": b"\x28\xb5\x2f\xfd",
}

#: What a decompressor raises on data that is not its format, or is cut short (beside
#: an OSError without an errno: gzip's BadGzipFile, bz2's "Invalid data stream",
#: pyarrow's errors).
_CORRUPT = (EOFError, lzma.LZMAError, zlib.error, ValueError)

_COPY_BYTES = 1 << 20


class Spool:
    """A temporary file for a copy of a source's records, deleted at `close()`, when the
    last reference to it goes, or at exit. (It holds no open file: one left to the
    collector with the copy, as an error's frames leave it, warned that it was unclosed.)"""

    def __init__(self, suffix: str) -> None:
        handle, name = tempfile.mkstemp(prefix="usage-analytics-", suffix=suffix)
        os.close(handle)
        self.path = Path(name)
        self._delete = weakref.finalize(self, _remove, self.path)

    def close(self) -> None:
        self._delete()

    def renamed(self, error: SourceError, shown: str) -> SourceError:
        """`error` of a reader of the copy, naming the source as the user gave it: the
        readers name the file they read."""
        return type(error)(str(error).replace(str(self.path), shown))


def compression_of(path: Path) -> str | None:
    """The compression `path`'s last suffix names ("gzip" for runs.jsonl.gz), else None."""
    return COMPRESSIONS.get(path.suffix.lower())


def decompressed(path: Path, compression: str, suffix: str) -> Spool:
    """`path` decompressed into a temporary file ending in `suffix` (the record file's
    own, ".jsonl"); raises `SourceError` naming `path` where its data is not of that
    compression or is cut short."""
    spool = Spool(suffix)
    try:
        with path.open("rb") as raw, _decompressing(raw, compression, str(path)) as stream:
            _copy(stream, spool, str(path), compression)
    except OSError as error:
        spool.close()
        raise_if_out_of_memory(error, f"reading {path}")
        raise SourceUnavailableError(f"{path}: cannot read: {error.strerror or error}") from None
    except BaseException:
        spool.close()
        raise
    return spool


def stdin(stream: BinaryIO | None = None) -> tuple[Spool, str]:
    """Standard input (or `stream`) copied into a temporary file, decompressed where it
    is compressed, and the kind of records it holds ("jsonl", "csv", "parquet"; see the
    module)."""
    raw = stream if stream is not None else _standard_input()
    head = raw.read(6)
    compression = next(
        (name for name, magic in COMPRESSION_MAGIC.items() if head.startswith(magic)), None
    )
    spool = Spool("")
    try:
        whole = _Prefixed(head, raw)
        if compression is None:
            _copy(whole, spool, "standard input", None)
        else:
            with _decompressing(whole, compression, "standard input") as decompressing:
                _copy(decompressing, spool, "standard input", compression)
        with spool.path.open("rb") as copy:
            kind = _kind_of(copy.read(4096))
    except OSError as error:
        spool.close()
        raise_if_out_of_memory(error, "reading standard input")
        raise SourceUnavailableError(
            f"standard input: cannot read: {error.strerror or error}"
        ) from None
    except BaseException:
        spool.close()
        raise
    return spool, kind


def _standard_input() -> BinaryIO:
    """Standard input's bytes; refused where it is a terminal, as a command reading
    records from one would wait, without a word, for records typed in."""
    if sys.stdin is None or getattr(sys.stdin, "buffer", None) is None:
        raise SourceUnavailableError("standard input: there is none to read records from")
    if sys.stdin.isatty():
        raise SourceUnavailableError(
            "standard input is a terminal: send the records to it (zcat runs.jsonl.gz | "
            "usage-analytics dashboard -) or name their file"
        )
    return sys.stdin.buffer


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _decompressing(raw: Any, compression: str, shown: str) -> Any:
    """A binary stream of `raw` decompressed."""
    if compression == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if compression == "bz2":
        return bz2.BZ2File(raw, mode="rb")
    if compression == "xz":
        return lzma.LZMAFile(raw, mode="rb")
    return _zstd(raw, shown)


def _zstd(raw: Any, shown: str) -> Any:
    try:  # Python 3.14 and later
        from compression import zstd  # type: ignore[import-not-found]

        return zstd.ZstdFile(raw, mode="rb")
    except ImportError:
        pass
    pa = load_pyarrow()
    if pa is None:
        raise missing_extra(f"{shown}: reading zstd-compressed records", "arrow", "pyarrow")
    return pa.CompressedInputStream(pa.PythonFile(raw, mode="r"), "zstd")


def _copy(stream: Any, spool: Spool, shown: str, compression: str | None) -> None:
    """`stream` copied into `spool`; a stream that is not of its `compression` (or is
    cut short) is a `SourceError` naming `shown`, as is a copy the disk refuses (full, or
    TMPDIR not writable). An error reading `stream` is raised as it is."""
    with spool.path.open("wb") as copy:
        while True:
            try:
                chunk = stream.read(_COPY_BYTES)
            except (OSError, *_CORRUPT) as error:
                # (An OSError with an errno is one of I/O, raised as it is.)
                if (isinstance(error, OSError) and error.errno is not None) or not compression:
                    raise
                raise SourceError(
                    f"{shown}: not readable {compression} data ({_reason(error)})"
                ) from None
            if not chunk:
                return
            try:
                copy.write(chunk)
            except OSError as error:
                raise SourceUnavailableError(
                    f"{shown}: cannot copy it into a temporary file in {spool.path.parent}: "
                    f"{error.strerror or error}"
                ) from None


def _reason(error: BaseException) -> str:
    if isinstance(error, EOFError):
        return "it ends before its end-of-stream marker: cut short?"
    return str(error) or type(error).__name__


def _kind_of(head: bytes) -> str:
    """The kind of records a file starting with `head` holds (see the module)."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"SQLite format 3\x00"):
        raise SourceError(
            "standard input holds a SQLite database: pass its path instead (a database "
            "is read where it is, not copied)"
        )
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return "jsonl" if text.startswith(b"{") else "csv"


class _Prefixed(io.RawIOBase):
    """A binary stream's bytes, after `head` that was read from it already."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        super().__init__()
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self.head:
            taken, self.head = self.head[: len(view)], self.head[len(view) :]
        else:
            taken = self.rest.read(len(view))
        view[: len(taken)] = taken
        return len(taken)
