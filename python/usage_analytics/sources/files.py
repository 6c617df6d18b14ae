"""Record files as a source: Parquet, CSV and JSON Lines, a file or a directory of them.

    async with FileSource("runs.parquet") as source:
        fetched = await source.fetch("checkout", start, end)   # a pyarrow Table

With pyarrow installed every file is read into a pyarrow Table by pyarrow's readers (CSV
and JSON Lines cells read as text or typed by record field, exactly as
`usage_analytics.sources.records` types them). A CSV cell that is no value of its field
(a flag "maybe", a number "fast"), or a JSON value of another type (a string where a
number belongs), is missing in the table and kept aside: the records of a pattern holding
one are handed over as a dict of lists with that value in place (`odd_cells`), which the
core judges as the standard reader's records. A text file pyarrow cannot read as a table
at all (a CSV row of fewer cells than the header, a line that is no JSON object) is read
by the standard-library readers of `records` instead. The numbers are the same either
way. (CSV rows of blank cells, CSV numbers of `number_text`'s grammar that Arrow's parser
does not read, such as " 12.5", and JSON Lines flags and pattern ids written as integers stay on the
Arrow path.) Without pyarrow, CSV and JSON Lines use those readers; Parquet needs
pyarrow (the `arrow` extra).

A compressed file (runs.jsonl.gz) and standard input (`-`) are read from a temporary
copy (`spool`). A file is read once, on first use, and kept until `close()`. `fetch`
returns all records of the pattern, whatever the window: the reducer leaves out (and
counts) those outside it.
"""

from __future__ import annotations

import csv
import shlex
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from usage_analytics.collector import made_paused
from usage_analytics.extras import (
    MissingDependencyError,
    load_pyarrow,
    load_pyarrow_module,
    require_pyarrow,
)
from usage_analytics.out_of_memory import raise_if_out_of_memory
from usage_analytics.sources.arrow import (
    PatternTable,
    newest_micros,
    newest_of_records,
    pattern_mask,
    pattern_table,
    unattributed_rows,
)
from usage_analytics.sources.arrow_jsonl import read_jsonl_arrow
from usage_analytics.sources.arrow_text import (
    TextTable,
    first_not_utf8,
    not_utf8,
    read_csv_arrow,
)
from usage_analytics.sources.base import (
    FIELDS,
    PATTERN_ID,
    ExecutionSource,
    Fetched,
    SourceError,
    SourceUnavailableError,
    TableSpec,
    Unattributed,
    Unreadable,
    UnsupportedSourceError,
    checked_bounds,
    known_patterns,
    matches_pattern,
    no_pattern,
    pattern_key,
    pattern_uuid,
    refuse_special_file,
    unknown_pattern,
)
from usage_analytics.sources.column_case import case_matched
from usage_analytics.sources.credentials import named_source
from usage_analytics.sources.dataset import dataset_files, partition_values
from usage_analytics.sources.file_signature import refuse_another_format
from usage_analytics.sources.jsonl_column_case import case_matched_records, other_case_keys
from usage_analytics.sources.jsonl_key_spellings import (
    SpelledKey,
    spelled_keys_of_file,
    spelled_keys_of_records,
)
from usage_analytics.sources.loaded import Loaded
from usage_analytics.sources.odd_cells import OddTexts
from usage_analytics.sources.parquet_dataset import INT96_UNIT, read_dataset
from usage_analytics.sources.records import (
    LoadedRecords,
    UnreadableLines,
    csv_record_lines,
    jsonl_record_lines,
    read_records,
    renamer,
)
from usage_analytics.sources.short_room import (
    ARROW_THREAD_NOT_STARTED,
    arrow_threads_allowed,
    check_room_for_python_reading,
    read_parquet_threadless,
)
from usage_analytics.sources.spool import (
    COMPRESSIONS,
    STANDARD_INPUT,
    Spool,
    compression_of,
    decompressed,
    stdin,
)
from usage_analytics.sources.sqlite import SQLITE_SUFFIXES
from usage_analytics.sources.text_dataset import read_text_dataset
from usage_analytics.sources.timestamps import datetime_of
from usage_analytics.worker_threads import to_thread

__all__ = ["FILE_KINDS", "FileSource"]

#: File kinds by lower-case extension.
FILE_KINDS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}


#: The fields `fields_with_columns` tells of (a file's other columns are not read).
_RECORD_FIELDS = frozenset({PATTERN_ID, *FIELDS})


class FileSource(ExecutionSource):
    """Execution records in a Parquet, CSV or JSON Lines file (kind by extension, past a
    compression's: runs.jsonl.gz), a directory of files of one of these kinds (`dataset`:
    Parquet files by `parquet_dataset`, CSV or JSON Lines by `text_dataset`), or
    standard input (`path` "-"; kind by its first bytes). Standard input is copied when
    the source is made, as it can be read only once (and Ctrl-C then stops the copy); a
    file is decompressed when it is read.

    `table.columns` renames columns (`{"timestamp": "started_at"}`); the table name is
    not used. A field no column names exactly, and the mapping leaves to its own name, is
    read from the one column that names it but for ASCII case ("Success"), as databases'
    columns are (`column_case`; two such columns are an error naming both): by a CSV
    file's header, a Parquet file's schema, the keys of each JSON Lines line
    (`jsonl_column_case`); a directory's files each by its own (`parquet_dataset`), and
    its `key=value` directories' keys too (`dataset`).
    `arrow=False` reads text files without pyarrow even when it is installed.
    A file without a `pattern_id` column holds the records of whichever pattern is asked
    for (`fetch`), and cannot be split by pattern (`fetch_all`).

    A line of a CSV or JSON Lines file that holds no record (not valid JSON, a JSON line
    that is no object, a CSV row of more cells than the header names, ...) is an error
    naming it; with `skip_unreadable` it is left out, and `unreadable()` counts such
    lines and names the first (`--on-invalid skip`: a log still being written has a cut
    last line). The other records keep their lines' numbers.
    """

    def __init__(
        self,
        path: str | Path,
        table: TableSpec | None = None,
        *,
        arrow: bool | None = None,
        skip_unreadable: bool = False,
        given: str | None = None,
    ) -> None:
        self.path = Path(path)
        #: The SOURCE's text as given (`open_source`), named with its credentials hidden
        #: where no file is there (`credentials.named_source`).
        self._given = given
        self.table = table or TableSpec()
        #: Where the records come from, as messages name it.
        self.description = str(self.path)
        #: Standard input's records, copied when the source is made (see the class).
        self._stdin: Spool | None = None
        self.compression: str | None = None
        #: Whether `path` is a directory of record files (`dataset`).
        self.directory = False
        if str(path) == STANDARD_INPUT:
            self.description = "standard input"
            self._stdin, self.kind = stdin()
        elif self.path.is_dir():  # (its files' kind told when they are read)
            self.kind, self.directory = "directory", True
        else:
            self.compression = compression_of(self.path)
            stem = self.path.with_suffix("") if self.compression else self.path
            suffix = stem.suffix.lower()
            if suffix not in FILE_KINDS:
                raise UnsupportedSourceError(
                    f"{named_source(self.path, given)}: unsupported file type "
                    f"({_shown_suffix(self.path)}"
                    f"{_conversion_hint(self.path, suffix)}); use "
                    f"{', '.join(sorted(FILE_KINDS))} (also compressed: "
                    f"{', '.join(sorted(COMPRESSIONS))}), a SQLite file "
                    f"({', '.join(sorted(SQLITE_SUFFIXES))}), - for standard input or a "
                    "postgresql:// URL"
                )
            self.kind = FILE_KINDS[suffix]
        self._arrow = arrow
        self._skip = skip_unreadable
        self._loaded: Loaded | None = None
        # Taken by the worker thread that reads. (An asyncio.Lock was released when the
        # awaiting task was cancelled, a timeout, while its read went on: the next call
        # read the file again beside it. And it bound the source to one event loop.)
        self._loading = threading.Lock()
        # Counts `close()` calls, under `_keeping` (held for an instant, never while a
        # file is read): a read that a close overtook is not kept.
        self._closes = 0
        self._keeping = threading.Lock()

    # ----------------------------------------------------------------------- reading

    @property
    def _doing(self) -> str:
        """What a worker thread that could not start was for (its `MemoryError`)."""
        return f"reading {self.description}"

    async def _load(self) -> Loaded:
        loaded = self._loaded  # (read once: a close() from another thread may drop it)
        if loaded is not None:
            return loaded
        return await to_thread(self._doing, self._load_once)

    def _load_once(self) -> Loaded:
        """The file read once (blocking): other callers wait for the read under way, and a
        read whose caller was cancelled is still kept for the next."""
        with self._loading:
            loaded = self._loaded
            if loaded is None:
                closes = self._closes
                loaded = self.read()
                if loaded.arrow:
                    _release_freed_arrow_memory()
                with self._keeping:
                    if closes == self._closes:
                        self._loaded = loaded
            return loaded

    async def close(self) -> None:
        """Drop the records read: a closed source holds none of the file, and a later
        call reads it again. A read under way still answers its callers but is not kept.
        (Waiting for it, as a first version did, hung a command interrupted during its
        read: its clean-up closes the source.)"""
        with self._keeping:
            self._closes += 1
            self._loaded = None

    def read(self) -> Loaded:
        """Read the whole file (blocking): a pyarrow Table where possible, else dicts."""
        if self._stdin is not None:
            return self._read_copy(self._stdin)
        if not self.path.exists():
            raise SourceUnavailableError(f"{named_source(self.path, self._given)}: no such file")
        if self.path.is_dir() != self.directory:  # (replaced since the source was made)
            now = "no longer a directory" if self.directory else "a directory, not a record file"
            raise SourceUnavailableError(f"{self.path}: is {now}")
        # (Standard input is copied: `usage-analytics dashboard - < pipe` reads it.)
        refuse_special_file(self.path, ", or pass - and send them to standard input")
        if self.compression is None:
            return self._read_file(self.path, None)
        copy = decompressed(self.path, self.compression, f".{self.kind}")
        try:
            return self._read_copy(copy)
        except BaseException:
            copy.close()  # (now: the error's frames hold it, and its file, for a while)
            raise

    def _read_copy(self, copy: Spool) -> Loaded:
        """The records of `copy`, whose readers' errors name it: named as the source."""
        try:
            return self._read_file(copy.path, copy)
        except SourceError as error:
            raise copy.renamed(error, self.description) from None

    def _read_file(self, file: Path, copy: Spool | None) -> Loaded:
        try:
            return self._read_kind(file, copy)
        except OSError as error:  # no permission, or an I/O error while reading
            raise_if_out_of_memory(error, f"reading {self.description}")
            raise SourceUnavailableError(
                f"{self.description}: cannot read: {error.strerror or error}"
            ) from None
        except Exception as error:
            # (pyarrow's `ArrowException`, not `MemoryError`, for its pool's thread that
            # did not fit: `short_room`. Its type checked too: a refusal of the caller's
            # own, quoting those words as a directory's value, is no memory running short.
            # A directory's file's is a `MemoryError` already, naming the file.)
            if (
                _is_arrow_error(error)
                and ARROW_THREAD_NOT_STARTED in str(error)
                and not isinstance(error, MemoryError)
            ):
                raise MemoryError(
                    f"out of memory {self._doing}: pyarrow's worker thread could not start "
                    f"({error})"
                ) from error
            raise

    def _read_kind(self, file: Path, copy: Spool | None) -> Loaded:
        """The records of `file`: the source's own, or `copy`, its records copied
        (decompressed, or standard input's)."""
        if self.directory:
            return self._read_directory()
        if self.kind == "parquet":
            return self._read_parquet_table(file)
        if copy is None:  # (a copy is of standard input, whose kind its bytes gave, or
            refuse_another_format(file, self.kind)  # decompressed: its name is not its own)
        pa = None if self._arrow is False else load_pyarrow()
        header = _csv_header(file) if self.kind == "csv" else None
        id_column = None
        spec = self.table
        # (A CSV file's columns are its header's; JSON Lines name a key only where a line
        # has it: None. An empty CSV file has no header, and no columns.)
        fields = frozenset[str]() if self.kind == "csv" else None
        if header is not None:  # (its reader strips the names)
            names = [name.strip() for name in header]
            spec = case_matched(self.table, names, self.description)
            self._check_header(names, spec)
            self._check_mapped_columns(names)
            id_column = spec.column(PATTERN_ID) in names
            rename = renamer(spec.columns)
            fields = frozenset(field for name in names for field in rename(name))
        if pa is not None:
            text = self._read_text_arrow(pa, file, spec)  # renamed by the reader
            if (
                text is not None
                and self.kind != "csv"
                and other_case_keys(pa, file, text.table, spec)
            ):
                text = None  # keys named but for case: the standard reader sees the keys
            if text is not None:
                table = text.table
                if self.kind != "csv" and _mapped_without_values(table, self._mapped()):
                    # pyarrow's JSON reader, given the schema, has every column: only the
                    # lines tell whether a key of nulls alone is there.
                    records = self._read_records(file).records
                    _check_mapped_records(records, self._mapped(), self.description)
                odd = OddTexts.of_texts(pa, text.odd, text.parse)
                lines = self._lazy_lines(file, text.unreadable, copy)
                spelled = {} if self.kind == "csv" else spelled_keys_of_file(pa, file, table, spec)
                return Loaded(
                    table,
                    lines,
                    True,
                    id_column,
                    odd,
                    text.unreadable,
                    fields,
                    spelled,
                    json_lines=self.kind != "csv",
                )
        check_room_for_python_reading(file, self._doing)
        loaded = self._read_records(file, spec)
        spelled = {}
        if self.kind != "csv":
            _check_mapped_records(loaded.records, self._mapped(), self.description)
            spelled = spelled_keys_of_records(loaded.records, loaded.location_label, spec)
            loaded = case_matched_records(loaded, spec, self.description)
        return Loaded(
            loaded.records,
            loaded.location_label,
            False,
            id_column,
            unreadable=loaded.unreadable,
            fields=fields,
            spelled_keys=spelled,
            json_lines=self.kind != "csv",
        )

    def _read_directory(self) -> Loaded:
        """The records of the directory's files (`dataset`), of whichever kind they are."""
        kind, files = dataset_files(self.path, _kind_of_name)
        if kind == "parquet":
            return self._read_parquet_table(self.path, files)
        pa = None if self._arrow is False else load_pyarrow()
        return read_text_dataset(pa, self.path, files, self._read_member, self.table)

    def _read_member(self, file: Path, arrow: bool) -> Loaded:
        """A CSV or JSON Lines file of the directory read on its own (`_DirectoryFile`),
        by pyarrow's readers where `arrow` allows; its errors name it by its path in the
        directory."""
        member = _DirectoryFile(
            file,
            self.table,
            arrow=self._arrow if arrow else False,
            skip_unreadable=self._skip,
            given=frozenset(partition_values(file.relative_to(self.path))),
        )
        try:
            return member.read()
        except (SourceError, MissingDependencyError) as error:
            shown = f"{self.description}, {file.relative_to(self.path)}"
            raise type(error)(str(error).replace(str(file), shown)) from None

    def _check_header(self, names: Sequence[str], spec: TableSpec) -> None:
        """A CSV file's column names (stripped), checked before its records are read
        (`spec`: the mapping with the columns named but for case): a file on its own may
        name any (`_DirectoryFile` checks a directory's files')."""

    def _read_parquet_table(self, file: Path, files: list[Path] | None = None) -> Loaded:
        """The records of a Parquet file, or of a directory's Parquet `files`."""
        pa = require_pyarrow("reading Parquet files")
        table, locate, spec = self._read_parquet(pa, file, files)
        has_ids = spec.column(PATTERN_ID) in table.column_names
        renamed = _renamed(table, spec)
        return Loaded(renamed, locate, True, has_ids, fields=frozenset(renamed.column_names))

    def _read_records(self, file: Path, spec: TableSpec | None = None) -> LoadedRecords:
        """The file read by the standard-library reader, its columns mapped by `spec`
        (default: the source's mapping)."""
        # (By kind: the copy of standard input has no suffix.)
        columns = (spec or self.table).columns
        return read_records(file, columns, skip_unreadable=self._skip, kind=f".{self.kind}")

    def _read_parquet(
        self, pa: Any, file: Path, files: list[Path] | None
    ) -> tuple[Any, Callable[[int], str], TableSpec]:
        """The table of a Parquet file, or of a directory's `files`, its rows' labels, and
        the mapping of its columns (the source's, with the columns that name a field but
        for case: `column_case`; a directory's files each matched by its own schema
        first)."""
        pq = load_pyarrow_module("pyarrow.parquet")

        try:
            if files is not None:
                table, locate = read_dataset(pa, file, files, self.table)
            else:
                table = _read_parquet_file(pq, file)
                locate = _row_label
        except OSError as error:
            raise_if_out_of_memory(error, f"reading {self.description}")
            raise SourceUnavailableError(f"{self.description}: cannot open: {error}") from None
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise SourceError(
                f"{self.description}: not a readable Parquet "
                f"{'dataset' if self.directory else 'file'} ({first})"
            ) from None
        self._check_mapped_columns(table.column_names)
        spec = case_matched(self.table, table.column_names, self.description)
        for index, field in enumerate(table.schema):
            if hasattr(pa.types, "is_string_view") and pa.types.is_string_view(field.type):
                # pyarrow's kernels (take, unique) lack string views: large strings, copied.
                table = table.set_column(
                    index, field.name, table.column(index).cast(pa.large_string())
                )
            elif field.name == spec.column(PATTERN_ID) and pa.types.is_nested(field.type):
                raise SourceError(
                    f"{self.description}: column '{field.name}' holds {field.type} values; "
                    "pattern ids are strings or integers"
                )
        read = {spec.column(name) for name in (PATTERN_ID, *FIELDS)}
        bad = not_utf8(pa, table.select([name for name in table.column_names if name in read]))
        if bad is not None:
            row, value = first_not_utf8(pa, table.column(bad))
            raise SourceError(
                f"{self.description}, {locate(row)}: column {bad!r} = {value}: is not UTF-8 text"
            )
        return table, locate, spec

    def _mapped(self) -> TableSpec:
        """The mapping whose columns the file must hold (`_DirectoryFile`: not those its
        directory gives it)."""
        return self.table

    def _check_mapped_columns(self, names: Sequence[str]) -> None:
        """A column the mapping names must be in the file (empty or not): files with a
        header or a schema say so; JSON Lines name a key only where a line has it."""
        present = set(names)
        for name, column in self._mapped().columns.items():
            if column != name and column not in present:
                raise SourceError(
                    f"{self.description}: no column {column!r} (mapped to the record field "
                    f"{name!r}; {_columns_listed(names)})"
                )

    def _read_text_arrow(self, pa: Any, file: Path, spec: TableSpec) -> TextTable | None:
        reader = read_csv_arrow if self.kind == "csv" else read_jsonl_arrow
        try:
            return reader(pa, file, spec, self._skip)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return None  # the standard-library reader decides (and names the line)
        except (UnicodeDecodeError, csv.Error):
            return None

    def _lazy_lines(
        self, file: Path, unreadable: UnreadableLines | None, copy: Spool | None
    ) -> Callable[[int], str]:
        """Line labels of a text file read by pyarrow: only needed to report a bad
        record, so the file is read again, by the line-counting reader, on first use
        (only split into rows or lines, not typed or parsed as records: a million CSV
        rows 1.2 s against 3.8 s and 570 MB, a million JSON lines 0.4 s against 3.3 s and
        790 MB, BENCHMARKS.md), the `unreadable` lines left out (no record of the table
        is theirs). `copy`, where `file` is one, is kept for as long as lines may be
        named: deleted, it could not be read again."""
        cache: list[Sequence[int]] = []

        def locate(index: int) -> str:
            if not cache:
                lines = self._record_lines(file if copy is None else copy.path)
                cache.append(lines if unreadable is None else unreadable.others(lines))
            return f"line {cache[0][index]}"

        return locate

    def _record_lines(self, file: Path) -> Sequence[int]:
        try:
            if self.kind == "csv":
                return csv_record_lines(file)
            return jsonl_record_lines(file, skip_unreadable=self._skip)
        except (csv.Error, UnicodeDecodeError):
            # (The file changed since it was read: the reader names what is wrong.)
            return self._read_records(file).locations

    # ------------------------------------------------------------------- the interface

    def _has_ids(self, loaded: Loaded) -> bool:
        """Whether the records carry pattern ids: a file whose header or schema has the
        column does, even if every id is blank (such records belong to no pattern); JSON
        Lines, naming a key only where a line has it, take a line with an id."""
        if loaded.id_column is not None:
            return loaded.id_column
        if loaded.arrow:
            table = loaded.data
            return bool(
                PATTERN_ID in table.column_names
                and table.column(PATTERN_ID).null_count < table.num_rows
            )
        return any(record.get(PATTERN_ID) is not None for record in loaded.data)

    def _known(self, loaded: Loaded) -> list[str]:
        if loaded.arrow:
            values = loaded.data.column(PATTERN_ID).unique().to_pylist()
        else:
            # By type too: in a set, True, 1 and 1.0 are one value, and the patterns "true"
            # and "1" one of them (the others left out of the error's list).
            ids = (record.get(PATTERN_ID) for record in loaded.data)
            values = [value for _, value in {(type(value), value) for value in ids}]
        return known_patterns(values)

    def _select(self, loaded: Loaded, wanted: str) -> tuple[Any, Sequence[int], Any]:
        """The pattern's records, their row indices in the file, and those as an Arrow
        array where the file is a table of some of them (else None)."""
        if loaded.count == 0:
            raise unknown_pattern(
                wanted, f"{self.description} (it holds no records{_left_out(loaded, ', ')})", []
            )
        if not self._has_ids(loaded):
            return loaded.data, range(loaded.count), None
        indices = None
        if loaded.arrow:
            pa = require_pyarrow("reading record files")
            mask = pattern_mask(pa, loaded.data.column(PATTERN_ID), wanted)
            indices = pa.compute.indices_nonzero(mask)
            data = loaded.data.take(indices)
            rows: Sequence[int] = _ArrowRows(indices, 0, len(indices))
        else:
            uuid = pattern_uuid(wanted)
            rows = [
                index
                for index, record in enumerate(loaded.data)
                if matches_pattern(record.get(PATTERN_ID), wanted.strip(), uuid)
            ]
            data = [loaded.data[index] for index in rows]
        if not rows:
            raise unknown_pattern(wanted, self.description, self._known(loaded))
        return data, rows, indices

    # Each query runs on a worker thread, as the read does: over a file of millions of
    # rows, a scan (the newest timestamps parsed from text, a group by pattern, a
    # selection of dicts) held the event loop for seconds, and Ctrl-C with it.

    async def newest(self, pattern_id: str | None = None) -> datetime | None:
        return await to_thread(self._doing, self._newest, await self._load(), pattern_id)

    def _newest(self, loaded: Loaded, pattern_id: str | None) -> datetime | None:
        if pattern_id is None:
            if loaded.count == 0:
                raise SourceError(f"{self.description} holds no records{_left_out(loaded)}")
            data = loaded.data
        else:
            data, _, _ = self._select(loaded, pattern_id)
        if loaded.arrow:
            pa = require_pyarrow("reading record files")
            if "timestamp" not in data.column_names:
                return None
            stamp = newest_micros(pa, data.column("timestamp"))
        else:
            stamp = newest_of_records(data)
        return None if stamp is None else datetime_of(stamp)

    async def fetch(self, pattern_id: str, start: datetime, end: datetime) -> Fetched:
        checked_bounds(start, end)  # (unused here, but given as every source's are)
        return await to_thread(self._doing, self._fetch, await self._load(), pattern_id)

    def _fetch(self, loaded: Loaded, pattern_id: str) -> Fetched:
        data, rows, indices = self._select(loaded, pattern_id)
        return Fetched(
            pattern_id=pattern_id,
            data=_with_odd_cells(loaded, data, indices) if loaded.arrow else data,
            count=len(rows),
            locate=lambda index: loaded.locate_row(rows[index]),
            position=rows.__getitem__,
        )

    async def fetch_all(self, start: datetime, end: datetime) -> list[Fetched]:
        checked_bounds(start, end)
        loaded = await self._load()
        return await to_thread(self._doing, made_paused, self._fetch_all, loaded)

    def _fetch_all(self, loaded: Loaded) -> list[Fetched]:
        if loaded.count == 0:
            raise SourceError(f"{self.description} holds no records{_left_out(loaded)}")
        if not self._has_ids(loaded):
            raise SourceError(
                f"{self.description} has no pattern_id column, so its records cannot be told "
                "apart by pattern (analyze them with --pattern NAME)"
            )
        if loaded.arrow:
            pa = require_pyarrow("reading record files")
            by_pattern = pattern_table(pa, loaded.data)
            odd = _groups_holding_odd_cells(pa, loaded, by_pattern)
            together = _together(pa, by_pattern, odd)
            _release_freed_arrow_memory()
            # Each group's rows as a slice made when read (see `Fetched.deferred`).
            rows, indices = by_pattern.rows, by_pattern.indices
            return [
                _fetched(
                    key,
                    partial(rows.slice, start, count)
                    if group not in odd
                    else partial(_odd_group, loaded, rows, indices, start, count),
                    _ArrowRows(indices, start, count),
                    loaded.locate_row,
                    together if group not in odd else None,
                    deferred=True,
                )
                for group, (key, start, count) in enumerate(by_pattern.spans())
            ]
        groups: dict[str, list[int]] = {}
        for index, record in enumerate(loaded.data):
            value = record.get(PATTERN_ID)
            if not no_pattern(value):
                groups.setdefault(pattern_key(value), []).append(index)
        return [
            _fetched(key, [loaded.data[i] for i in groups[key]], groups[key], loaded.locate_row)
            for key in sorted(groups)
        ]

    async def first_record(self, pattern_id: str | None = None) -> Fetched | None:
        # (The file is in memory: its patterns' records, then the first of them by line.)
        if pattern_id is not None:
            groups = [await self.fetch(pattern_id, datetime.min, datetime.max)]
        else:
            groups = await self.fetch_all(datetime.min, datetime.max)
        filled = [group for group in groups if group.count and group.position is not None]
        if not filled:
            return None
        first = min(filled, key=lambda group: _position(group, 0))
        return Fetched(first.pattern_id, _first_of(first.data), 1, first.locate, first.position)

    async def unattributed(self) -> Unattributed:
        return await to_thread(self._doing, self._unattributed, await self._load())

    async def unreadable(self) -> Unreadable:
        loaded = await self._load()
        return Unreadable(0) if loaded.unreadable is None else loaded.unreadable.summary()

    async def has_pattern_ids(self) -> bool:
        """Whether the file's records carry pattern ids (`_has_ids`): `fetch_all` refuses
        a file that has none, whose records all belong to the one pattern analysed."""
        return self._has_ids(await self._load())

    async def keys_spelled_otherwise(self) -> Mapping[str, SpelledKey] | None:
        """A JSON Lines file's keys that look like a record field spelled otherwise, held
        by lines without the field (`jsonl_key_spellings`), by key, or a directory's of
        JSON Lines files' (`dataset_key_spellings`); None for other kinds (whose columns
        reach the library, which tells of them)."""
        loaded = await self._load()
        return loaded.spelled_keys if loaded.json_lines else None

    async def column_names(self) -> frozenset[str] | None:
        """The names of the file's columns (a CSV header's, a Parquet schema's; a
        directory's files' and `key=value` keys), under the mapping (`Loaded.fields`);
        None for JSON Lines, whose keys `keys_spelled_otherwise` tells of. For the
        command's note of a pattern id column spelled otherwise (`cli.id_column`)."""
        return (await self._load()).fields

    async def fields_with_columns(self) -> frozenset[str] | None:
        # (The file is read once and kept: its header's or schema's names, `Loaded.fields`.)
        fields = (await self._load()).fields
        return None if fields is None else fields & _RECORD_FIELDS

    def _unattributed(self, loaded: Loaded) -> Unattributed:
        if not self._has_ids(loaded):
            return Unattributed(0)
        if loaded.arrow:
            pa = require_pyarrow("reading record files")
            rows = unattributed_rows(pa, loaded.data.column(PATTERN_ID))
            first = rows[0].as_py() if len(rows) else None
            count = len(rows)
        else:
            nameless = (
                index
                for index, record in enumerate(loaded.data)
                if no_pattern(record.get(PATTERN_ID))
            )
            first = next(nameless, None)
            count = 0 if first is None else 1 + sum(1 for _ in nameless)
        if first is None:
            return Unattributed(count)
        return Unattributed(count, loaded.locate_row(first), first)


def _left_out(loaded: Loaded, before: str = " (") -> str:
    """For a file of no records, the lines left out as holding none, where there are
    some: skipping them, a file of another format was said only to hold no records."""
    left_out = Unreadable(0) if loaded.unreadable is None else loaded.unreadable.summary()
    if not left_out.count:
        return ""
    lines = f"{left_out.count:,} line{'s' if left_out.count != 1 else ''}"
    text = f"{lines} left out as holding none, the first, {left_out.place}: {left_out.reason}"
    return f"{before}{text}" if before == ", " else f"{before}{text})"


def _release_freed_arrow_memory() -> None:
    """Hand the blocks pyarrow's pool freed back to the OS: the pool keeps them for later
    Arrow allocations, but the reduction allocates from the core's allocator, which
    cannot use them (a reader's buffers: 46 MB less at the peak of the dashboard of a
    million-record CSV)."""
    pa = load_pyarrow()
    if pa is not None:
        pa.default_memory_pool().release_unused()


def _with_odd_cells(loaded: Loaded, table: Any, indices: Any | None) -> Any:
    """`table`, the rows `indices` of the file's (None: all), as it is, or as a dict of
    lists holding the text of its cells that are no value of their field, where it has
    such cells (see `OddTexts`)."""
    if loaded.odd is None:
        return table
    pa = require_pyarrow("reading record files")
    if not loaded.odd.held_by(pa, indices):
        return table
    return loaded.odd.records(table, indices)


def _odd_group(loaded: Loaded, rows: Any, indices: Any, start: int, count: int) -> Any:
    """The group of `count` rows from `start` (of `PatternTable`'s `rows` and `indices`),
    which holds odd cells, as a dict of lists (`OddTexts.records`). (Its slices made when
    read, as the other groups' are: made at once, 100,000 groups' slices held 300 MB.)"""
    assert loaded.odd is not None
    return loaded.odd.records(rows.slice(start, count), indices.slice(start, count))


def _groups_holding_odd_cells(pa: Any, loaded: Loaded, by_pattern: PatternTable) -> set[int]:
    """The numbers (in `by_pattern.keys`) of the patterns with cells that are no value of
    their field."""
    if loaded.odd is None:
        return set()
    return loaded.odd.groups_holding(pa, by_pattern.indices, by_pattern.codes)


def _together(pa: Any, by_pattern: PatternTable, left_out: set[int]) -> Any:
    """The rows of every pattern but those `left_out` (numbers in `by_pattern.keys`), their
    pattern id column naming each row's (`PatternTable.together`): the batch reduction's
    table. (A group of odd cells is a dict of lists, reduced on its own.)"""
    together = by_pattern.together(pa)
    if not left_out:
        return together
    count = together.num_rows
    held = pa.compute.is_in(
        by_pattern.codes.slice(0, count), value_set=pa.array(sorted(left_out), pa.int32())
    )
    return together.filter(pa.compute.invert(held))


def _first_of(data: Any) -> Any:
    """The first record of a group's `data`: a pyarrow Table, a list of dicts or a dict
    of lists."""
    if hasattr(data, "slice"):
        return data.slice(0, 1)
    if isinstance(data, dict):
        return {name: values[:1] for name, values in data.items()}
    return data[:1]


def _position(fetched: Fetched, index: int) -> int:
    return 0 if fetched.position is None else fetched.position(index)


def _fetched(
    key: str,
    data: Any,
    rows: Sequence[int],
    locate_row: Callable[[int], str],
    together: Any = None,
    *,
    deferred: bool = False,
) -> Fetched:
    """The group of `rows`; `data` its records, or the function that makes them where
    `deferred`."""
    make = Fetched.deferred if deferred else Fetched
    return make(
        key, data, len(rows), lambda index: locate_row(rows[index]), rows.__getitem__, together
    )


class _ArrowRows(Sequence[int]):
    """Row numbers held in an Arrow array (`count` of them from `start`), read one at a
    time (for an error's record): a list of a million Python ints held 36 MB for as long
    as the groups, and a slice of the array per group about a kilobyte."""

    __slots__ = ("_count", "_indices", "_start")

    def __init__(self, indices: Any, start: int, count: int) -> None:
        self._indices, self._start, self._count = indices, start, count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: int) -> int:  # type: ignore[override]
        if not 0 <= index < self._count:  # (an Arrow array reads negative indices too)
            raise IndexError(f"row {index} of {self._count}")
        return int(self._indices[self._start + index].as_py())


def _kind_of_name(name: str) -> str | None:
    """The kind of record file a file's name tells (`dataset.dataset_files`): "parquet",
    "csv" or "jsonl" (past a compression's suffix), "compressed Parquet", which a
    dataset does not read, "SQLite", else None (a README)."""
    path = Path(name)
    if path.suffix.lower() in SQLITE_SUFFIXES:
        return "SQLite"
    compressed = compression_of(path) is not None
    kind = FILE_KINDS.get((path.with_suffix("") if compressed else path).suffix.lower())
    return "compressed Parquet" if kind == "parquet" and compressed else kind


def _read_parquet_file(pq: Any, file: Path) -> Any:
    """A Parquet file's table; under an address-space limit, without pyarrow's threads,
    which it may fail to start and then wait for for ever (`short_room`)."""
    if arrow_threads_allowed():
        return pq.read_table(file, coerce_int96_timestamp_unit=INT96_UNIT)
    return read_parquet_threadless(pq, file, coerce_int96_timestamp_unit=INT96_UNIT)


def _is_arrow_error(error: Exception) -> bool:
    """Whether `error` is one of pyarrow's own (`ArrowException` and its subclasses)."""
    pa = sys.modules.get("pyarrow")  # (not imported: the error is not pyarrow's)
    return pa is not None and isinstance(error, pa.lib.ArrowException)


def _row_label(index: int) -> str:
    return f"row {index + 1}"


# ------------------------------------------------------------------------ column mapping


def _renamed(table: Any, spec: TableSpec) -> Any:
    """`table` with mapped columns renamed to their record fields (originals dropped)."""
    if not spec.columns:
        return table
    rename = renamer(spec.columns)
    columns = [
        (index, name) for index, column in enumerate(table.column_names) for name in rename(column)
    ]
    return type(table).from_arrays(
        [table.column(index) for index, _ in columns], names=[name for _, name in columns]
    )


def _csv_header(path: Path) -> list[str] | None:
    """The column names of a CSV file's header; None for an empty or unreadable file
    (the readers report those)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            return next(csv.reader(stream), None)
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _mapped_without_values(table: Any, spec: TableSpec) -> bool:
    """Whether a field `spec` maps to another column has no value in `table`."""
    return table.num_rows > 0 and any(
        column != name and table.column(name).null_count == table.num_rows
        for name, column in spec.columns.items()
    )


def _check_mapped_records(records: list[dict[str, Any]], spec: TableSpec, path: str) -> None:
    """JSON Lines name a key only where a line has it: a mapped column is there if a
    line has its key, even if only as null (a CSV column of empty cells is there too)."""
    for name, column in spec.columns.items():
        if column != name and records and not any(name in record for record in records):
            raise SourceError(f"{path}: no column {column!r} (mapped to the record field {name!r})")


#: The columns a "no column" message lists at most.
_COLUMNS_LISTED = 30


def _columns_listed(names: Sequence[str]) -> str:
    """The columns of a file with a header or a schema (CSV, Parquet), for the message
    that a column the mapping names is not among them, as a database's message lists its
    table's: "columns: started, ok" (it named the missing column alone, so a misspelt
    --column said nothing of the names to pass). (JSON Lines name no columns: their
    records, as read, hold the mapped fields' keys, not the lines'; their message is as
    it was.)"""
    if not names:
        return "it has no columns"
    listed = ", ".join(names[:_COLUMNS_LISTED])
    more = len(names) - _COLUMNS_LISTED
    return f"columns: {listed}" + (f" and {more} more" if more > 0 else "")


def _conversion_hint(path: Path, suffix: str) -> str:
    """How to get a record file the sources read from one of a kind an analyst often
    holds instead, for the unsupported-type message ("; a spreadsheet: save it as CSV"),
    else "". `suffix`: the lower-case type under any compression's."""
    # (The commands name the file as given, not by its name alone, which names no file
    # outside its directory; the shell's quoted, as a name with a space needs.)
    if suffix == ".json":
        jsonl = path.with_name(f"{path.stem}.jsonl")
        array = (
            ""
            if compression_of(path)
            else f"; a JSON array of records: jq -c '.[]' {shlex.quote(str(path))} > "
            f"{shlex.quote(str(jsonl))}"
        )
        return f": JSON Lines named .json: rename it .jsonl{array}"
    if suffix in {".feather", ".arrow", ".ipc", ".arrows"}:
        parquet = path.with_name(f"{path.stem}.parquet")
        return (
            ": Arrow IPC (Feather): write it as Parquet, with pyarrow: "
            f"pyarrow.parquet.write_table(pyarrow.feather.read_table({str(path)!r}), "
            f"{str(parquet)!r})"
        )
    if suffix in {".xlsx", ".xls", ".xlsm", ".ods", ".numbers"}:
        return ": a spreadsheet: save it as CSV, comma-separated"
    if suffix in {".tsv", ".tab"}:
        return ": tab-separated text: only commas separate CSV columns here"
    return ""


def _shown_suffix(path: Path) -> str:
    """A file's type as an unsupported-type message names it: "'.txt'", "'.txt.gz'"."""
    suffix = "".join(path.suffixes[-2:]) if compression_of(path) else path.suffix
    return f"'{suffix}'" if suffix else "no extension"


class _DirectoryFile(FileSource):
    """A CSV or JSON Lines file of a directory (`text_dataset`), read as a file on its
    own but for two things. A CSV file whose first line names no record field is
    refused: its first record would be taken for a header (and a file of one record
    left out unseen). And the lines of a compressed file's records are counted, where an
    error names one, from the file decompressed again, not from its copy kept for as
    long as the records: a directory of a hundred such files kept a hundred copies.
    A column the mapping names may be one its directory gives (`given`, its partition
    keys), as in a Parquet dataset, rather than the file."""

    def __init__(
        self,
        path: Path,
        table: TableSpec,
        *,
        arrow: bool | None,
        skip_unreadable: bool,
        given: frozenset[str],
    ) -> None:
        super().__init__(path, table, arrow=arrow, skip_unreadable=skip_unreadable)
        #: The columns the file's directories give its records (`key=value`).
        self.given = given

    def _mapped(self) -> TableSpec:
        columns = self.table.columns.items()
        kept = {name: column for name, column in columns if column not in self.given}
        return TableSpec(self.table.table, self.table.schema, kept)

    def _check_header(self, names: Sequence[str], spec: TableSpec) -> None:
        rename = renamer(spec.columns)
        fields = {PATTERN_ID, *FIELDS}
        if names and not any(field in fields for name in names for field in rename(name)):
            shown = ", ".join(repr(name) for name in names[:3])
            raise SourceError(
                f"{self.description}: its first line ({shown}{', ...' if len(names) > 3 else ''}) "
                "names no record field (pattern_id, timestamp, ...): a CSV file without a "
                "header (each CSV file of a directory starts with its header), or columns "
                "to map to the fields (--column FIELD=COLUMN)?"
            )

    def _lazy_lines(
        self, file: Path, unreadable: UnreadableLines | None, copy: Spool | None
    ) -> Callable[[int], str]:
        return super()._lazy_lines(self.path, unreadable, None)

    def _record_lines(self, file: Path) -> Sequence[int]:
        if self.compression is None:
            return super()._record_lines(file)
        copy = decompressed(self.path, self.compression, f".{self.kind}")
        try:
            return super()._record_lines(copy.path)
        finally:
            copy.close()
