"""The one type of each column over the tables of a directory's CSV or JSON Lines files
(`text_dataset`), where the files' tables disagree.

Each file's table is typed by record field as that file on its own is (`arrow_text`,
`arrow_jsonl`), so two files' tables disagree only where the JSON Lines reader picks a
type by the file's values: a pattern id or a flag is a column of integers where the
file's first value of it is a JSON integer (`arrow_jsonl._field_types`), else of text
or booleans. A column's type is decided by the files holding a value in it:

- a file whose column holds no value (a flag absent from its lines, ids all null) takes
  the others' type: it holds the same records (every value missing) in either, and
  reading it so costs nothing (until session 52 such a file sent the whole directory to
  the standard reader, a dict per record);
- a flag of integers in some files and booleans in others is a column of the type
  holding more of its values (as many: the first file's holding one), and the others'
  values of it are kept aside as their JSON text (`true`, `1`), missing in the table, as
  a value of another type within one file is (`TextTable.odd`): the core reads each as
  the standard reader's record holds it (True, 1), so the records are the same as that
  reader's;
- pattern ids of integers in some files and text in others are a column of text, each
  integer its decimal digits: the pattern `pattern_key` groups the standard reader's
  7 under, as it groups "7" (ids are never kept aside: they group the rows). Until
  session 55 such a directory was read by the standard reader, a dict per record (the
  same patterns; 1,000,000 lines took 15-25 s and 1.2 GB against 8-10 s and 0.42 GB,
  BENCHMARKS.md);
- anything else has no such type: None, and the directory is read by the standard
  reader.

(The design is silent on such directories; this is the reading that gives the standard
reader's records exactly, but for an integer id, which is its pattern's text here.)
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from usage_analytics.sources.base import FLAG_FIELDS, PATTERN_ID
from usage_analytics.sources.odd_cells import OddTexts, json_text_value

__all__ = ["DatasetTypes", "dataset_types"]


@dataclass(frozen=True)
class DatasetTypes:
    """The schema the files' tables are read as together, and by table the columns whose
    values its type does not hold (kept aside: `moved_aside`)."""

    schema: Any
    moved: list[frozenset[str]]

    def moved_aside(
        self, pa: Any, index: int, table: Any, odd: OddTexts | None
    ) -> tuple[Any, OddTexts | None]:
        """Table `index` (`table`, its values of another type `odd`) with the values of
        its moved columns missing and kept in `odd` as their JSON text, as the JSON Lines
        reader keeps a value of another type (its `parse` is `json.loads`: only that
        reader's tables hold integer flags, `arrow_jsonl`)."""
        moved = self.moved[index]
        if not moved:
            return table, odd
        texts = dict(odd.texts) if odd is not None else {}
        for name in moved:
            column = table.column(name).combine_chunks()
            # (Arrow writes booleans and integers as JSON does: true, false, 12.)
            text = column.cast(pa.string())
            if name in texts:  # (a value of neither type, kept aside by its file's read)
                text = pa.compute.if_else(pa.compute.is_valid(column), text, texts[name])
            texts[name] = text
            index_of = table.column_names.index(name)
            table = table.set_column(index_of, name, pa.nulls(table.num_rows, column.type))
        return table, OddTexts.of_texts(pa, texts, json_text_value)


def dataset_types(pa: Any, tables: Sequence[Any], keys: Mapping[str, Any]) -> DatasetTypes | None:
    """The types the `tables` of a directory's text files are read as together, the
    partition `keys` of their types (`dataset.partition_types`: text, or a flag's
    bool; see the module); None where the files' records cannot be one
    table of them."""
    # By column, in the order the tables name them: the number of values of each type.
    held: dict[str, dict[Any, int]] = {}
    empty: dict[str, Any] = {}  # a column's type in the first table holding no value of it
    for table in tables:
        for field, column in zip(table.schema, table.columns, strict=True):
            values = len(column) - column.null_count
            counts = held.setdefault(field.name, {})
            if values:
                counts[field.type] = counts.get(field.type, 0) + values
            else:
                empty.setdefault(field.name, field.type)
    for key, kind in keys.items():  # (a partition's values: text or flags, never aside)
        counts = held.setdefault(key, {})
        counts[kind] = counts.get(kind, 0) + 1
    fields, moved_types = [], {}
    for name, counts in held.items():
        if len(counts) > 1 and _ids_as_text(pa, name, counts):
            kind = pa.string()  # (`aligned` casts each file's integers to their digits)
        elif len(counts) > 1:
            if not _moved_aside_allowed(pa, name, counts, keys):
                return None
            kind = max(counts, key=counts.__getitem__)
            moved_types[name] = kind
        else:
            kind = next(iter(counts), empty.get(name))
        fields.append(pa.field(name, kind))
    moved = [
        frozenset(
            name
            for name, kind in moved_types.items()
            if name in table.column_names
            and table.schema.field(name).type != kind
            and table.column(name).null_count < table.num_rows
        )
        for table in tables
    ]
    return DatasetTypes(pa.schema(fields), moved)


def _moved_aside_allowed(
    pa: Any, name: str, counts: Mapping[Any, int], keys: Collection[str]
) -> bool:
    """Whether a column holding values of the types `counts` may be one column of one of
    them, the others' values kept aside: a flag of booleans and integers (not a
    partition's key, whose values are text)."""
    return name in FLAG_FIELDS and name not in keys and set(counts) == {pa.bool_(), pa.int64()}


def _ids_as_text(pa: Any, name: str, counts: Mapping[Any, int]) -> bool:
    """Whether a column holding values of the types `counts` is pattern ids of integers
    and text, read as text (see the module; a partition's values are text too)."""
    return name == PATTERN_ID and set(counts) == {pa.int64(), pa.string()}
