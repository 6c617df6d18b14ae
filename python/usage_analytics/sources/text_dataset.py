"""A directory of CSV or JSON Lines files read as one source: daily logs, CSV exports.

    logs/2026-11-01.jsonl.gz
    logs/2026-11-02.jsonl.gz                       usage-analytics dashboard logs/

Its files of one kind (`dataset`: at any depth, in the order of their paths, names
starting with "." or "_" left out; .csv, or .jsonl and .ndjson, each also compressed as
a single file is, `spool`) are read one at a time, each as a file on its own is
(`FileSource`, its compressed copy deleted once read), and their records concatenated
in that order: the same records split over several files give the same report as one
file holding them all. A `key=value` directory gives its files' records the column
`key`, as text, a key naming a record field but for case being the field (`dataset`; a
file whose records hold a value for that field too, whatever its case, is refused).

CSV files of different headers are read with all their columns: a column a file lacks
is missing in its records, as a JSON Lines line without a key is. An empty file holds
no records; a CSV file whose first line names no record field (pattern_id, timestamp,
...) is refused as a file without a header, whose first record would be taken for one.
A column the mapping names (`TableSpec.columns`) must be in each file, as for a file on
its own, or be given by its `key=value` directories (`--column pattern_id=pid` over
`pid=checkout/` directories, as in a Parquet dataset).

With pyarrow, each file is read by the Arrow readers, and the tables concatenated. Where
the files' tables disagree on a column's type (a flag absent from one file and written as
integers in another, or as integers in one and booleans in another; JSON pattern ids
written as integers in one file and text in another, read as text: one pattern "7" of 7
and "7", as the standard reader's records group), each column is read as one type, the
values it cannot hold kept aside (`text_dataset_types`), giving the standard reader's
records. Where one file needs the standard reader (`files`: a line pyarrow cannot read),
or no such type gives its records, every file is read again by the standard reader,
which gives the same records: a table would hold the others' values otherwise than one
file of them all does.

A record is named by its file and line: "2026-11-02.jsonl.gz, line 12", as are lines
left out as holding no record (`UnreadableInFiles`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from usage_analytics.sources.base import PATTERN_ID, TableSpec, Unreadable
from usage_analytics.sources.dataset import (
    aligned,
    case_matched_partition,
    partition_types,
    refuse_partition_clash,
    row_labels,
)
from usage_analytics.sources.dataset_key_spellings import spelled_keys_of_files
from usage_analytics.sources.loaded import LeftOutLines, Loaded
from usage_analytics.sources.odd_cells import OddTexts
from usage_analytics.sources.records import renamer
from usage_analytics.sources.text_dataset_types import dataset_types

__all__ = ["UnreadableInFiles", "read_text_dataset"]

#: A file of the directory read on its own, pyarrow's readers allowed or not: its errors
#: name it by its path in the directory, its records by line ("line 12").
ReadFile = Callable[[Path, bool], Loaded]

#: The value a partition directory gives a key (text, or a flag field's flag), by field.
Partition = dict[str, Any]


def read_text_dataset(
    pa: Any | None, directory: Path, files: list[Path], read_file: ReadFile, spec: TableSpec
) -> Loaded:
    """The records of the CSV or JSON Lines `files` under `directory` (`dataset`), as one
    file's (see the module); `pa` None reads them without pyarrow. `spec` maps the
    columns: a partition's key is a column, matched to the record fields regardless of
    case among its path's keys (`dataset.case_matched_partition`)."""
    names = [str(file.relative_to(directory)) for file in files]
    rename = renamer(spec.columns)
    partitions, written = [], []
    for name in names:
        values, keys = case_matched_partition(Path(name), spec, f"{directory}, {name}")
        partitions.append(_renamed(values, rename))
        written.append(keys)
    if pa is not None:
        members = _read_all(files, read_file, arrow=True)
        if members is not None:
            loaded = _arrow_dataset(pa, directory, names, partitions, written, members)
            if loaded is not None:
                return loaded
    members = _read_all(files, read_file, arrow=False)
    assert members is not None
    return _records_dataset(directory, names, partitions, written, members)


def _read_all(files: list[Path], read_file: ReadFile, *, arrow: bool) -> list[Loaded] | None:
    """Each file read in turn; None where, pyarrow's readers allowed, a file of records
    was read by the standard reader (all are then read by it: see the module)."""
    members = []
    for file in files:
        loaded = read_file(file, arrow)
        if arrow and not loaded.arrow and loaded.count:
            return None
        members.append(loaded)
    return members


def _renamed(values: Partition, rename: Callable[[str], list[str]]) -> Partition:
    """A partition's values by the record fields their keys feed."""
    return {field: value for key, value in values.items() for field in rename(key)}


def _arrow_dataset(
    pa: Any,
    directory: Path,
    names: list[str],
    partitions: list[Partition],
    written: list[dict[str, str]],
    members: list[Loaded],
) -> Loaded | None:
    """The files' tables as one (a file of no records may have none), each column of the
    type `dataset_types` gives it; None where there is none. (`written`: each file's
    partition keys taken for a field but for case, as written, by field.)"""
    tables = []
    for index, (member, values, name) in enumerate(zip(members, partitions, names, strict=True)):
        if member.arrow:
            if values:
                columns = _valued_columns(member.data)
                refuse_partition_clash(directory, name, values, columns, written[index])
            tables.append((index, member.data, values))
    keys = partition_types(pa, partitions)
    if not tables:
        return None
    types = dataset_types(pa, [table for _, table, _ in tables], keys)
    if types is None:
        return None
    odd = [(member.odd, member.count) for member in members]
    aligned_tables = []
    for position, (index, table, values) in enumerate(tables):
        table, odd_here = types.moved_aside(pa, position, table, members[index].odd)
        odd[index] = (odd_here, members[index].count)
        aligned_tables.append(aligned(pa, table, values, types.schema))
    table = pa.concat_tables(aligned_tables)
    odd_texts = OddTexts.concatenated(pa, odd)
    return _combined(table, True, names, members, partitions, keys, odd_texts)


def _valued_columns(table: Any) -> list[str]:
    """The columns of `table` holding a value (pyarrow's JSON reader has a column for
    every record field, a line holding the key or not)."""
    return [name for name in table.column_names if table.column(name).null_count < table.num_rows]


def _records_dataset(
    directory: Path,
    names: list[str],
    partitions: list[Partition],
    written: list[dict[str, str]],
    members: list[Loaded],
) -> Loaded:
    """The files' records as one list, each given its partition's values."""
    records: list[dict[str, Any]] = []
    for member, values, name, spelled in zip(members, partitions, names, written, strict=True):
        if values:
            held = {
                key
                for record in member.data
                for key, value in record.items()
                if value is not None and value != ""
            }
            refuse_partition_clash(directory, name, values, held, spelled)
            for record in member.data:
                record.update(values)
        records.extend(member.data)
    keys = dict.fromkeys(key for values in partitions for key in values)
    return _combined(records, False, names, members, partitions, keys, None)


def _combined(
    data: Any,
    arrow: bool,
    names: list[str],
    members: list[Loaded],
    partitions: list[Partition],
    keys: Collection[str],
    odd: OddTexts | None,
) -> Loaded:
    """The dataset's records `data`, its rows named by file and line; JSON Lines files'
    keys spelling a field otherwise told of as one file's (`dataset_key_spellings`)."""
    places = [member.locate_row for member in members]
    locate = row_labels(names, [member.count for member in members], _place(places))
    left_out = [
        (name, member.unreadable)
        for name, member in zip(names, members, strict=True)
        if member.unreadable is not None
    ]
    unreadable = UnreadableInFiles(left_out) if left_out else None
    fields = _fields(members, keys)
    return Loaded(
        data,
        locate,
        arrow,
        _id_column(members, keys),
        odd,
        unreadable,
        fields,
        spelled_keys_of_files(names, members, partitions),
        json_lines=all(member.json_lines for member in members),
    )


def _fields(members: Sequence[Loaded], keys: Collection[str]) -> frozenset[str] | None:
    """The record fields the files have a column for (`Loaded.fields`): those of any
    file's header, and the partitions' keys; None for JSON Lines (their lines tell)."""
    told = [member.fields for member in members]
    if any(fields is None for fields in told):
        return None
    return frozenset(keys).union(*(fields for fields in told if fields is not None))


def _place(places: list[Callable[[int], str]]) -> Callable[[int, int], str]:
    def place(file: int, row: int) -> str:
        return places[file](row)

    return place


def _id_column(members: Sequence[Loaded], keys: Collection[str]) -> bool | None:
    """Whether the records carry pattern ids (`Loaded.id_column`): a partition gives
    them; else a CSV header naming the column does (JSON Lines leave it to their lines)."""
    if PATTERN_ID in keys:
        return True
    told = [member.id_column for member in members if member.id_column is not None]
    return any(told) if told else None


class UnreadableInFiles:
    """The lines the files of a directory left out as holding no record: how many in
    all, the first named by its file."""

    def __init__(self, files: list[tuple[str, LeftOutLines]]) -> None:
        self._files = files

    def __len__(self) -> int:
        return sum(len(lines) for _, lines in self._files)

    def summary(self) -> Unreadable:
        for name, lines in self._files:
            first = lines.summary()
            if first.count:
                return Unreadable(len(self), first.line, first.reason, name)
        return Unreadable(0)
