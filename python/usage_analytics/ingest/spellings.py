"""Columns (or keys) that look like a record field spelled otherwise, told of before a read
(`spelling_note`): the note of `ColumnNameWarning`.

Fields are read by their exact names (DESIGN.md: other keys are ignored), and a missing
field has a default: a frame whose column is `Success` reads no `success`, so every
record counted as a failure, a 0% success rate with no word. Names are still matched
exactly (another spelling is not read as the field: the design and the tests make exact
names the rule); a name is told of where it is, but for its spelling, a field that no
name gives exactly. "But for its spelling", a choice of this library's (the design is
silent): the same name once its surrounding whitespace, its `_`, `-` and spaces are
dropped and its ASCII letters folded to lower case, so that `Success`, `" success"`,
`SUCCESS`, `executionTimeMs`, `ExecutionTimeMs`, `execution-time-ms` and
`Execution Time Ms` all look like a field; letters beyond ASCII are compared exactly (as
`sources.column_case` compares names). No two fields look alike so (`timestamp`,
`success`, `executiontimems`, ... are distinct), and a name that is a field's exact name
is that field, never told of.

The names are those known before any record is read, so that the note costs nothing
measurable: a frame's or table's columns (pandas, polars, pyarrow tables, batches and
streams, DuckDB results, a dict of columns, another library's data with an Arrow schema
of its own, `__arrow_c_schema__`), and of a list (or tuple, or pandas Series) of records
the first record's keys only: the list is the hot path, its keys are per record, and the
records of one list mostly share theirs. A record further on with other keys is not
looked at, nor is another library's Arrow stream without a schema of its own (reading its
schema would take the stream), nor a pandas frame's index names. The check is made once
a call, whatever the rows (`benches/column_name_check.py`, at a load of 6-8 on 2 cores:
about 1-2 µs for a list of records, 4-13 µs for a polars frame, a pyarrow table, a DuckDB
result or a dict of columns, 13-40 µs for a pandas frame's columns; a call on 1M records
takes 50-700 ms).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from usage_analytics.errors import ColumnNameWarning
from usage_analytics.ingest.fields import _FIELD_COLUMNS, RECORD_COLUMNS
from usage_analytics.ingest.kinds import _missing_marker
from usage_analytics.ingest.libraries import _holds_objects, _library

__all__ = [
    "column_name_warning",
    "line_keys_note",
    "names_spelled_otherwise",
    "spelling_note",
    "spelling_note_of_names",
    "warn_of_spellings",
]

#: What a record without each field counts as (DESIGN.md's "when missing").
_WITHOUT = {
    "timestamp": "is invalid",
    "success": "counts as a failure",
    "execution_time_ms": "is not counted in performance",
    "quality_score": "is not counted in the average quality score",
    "quality_gates_passed": "counts as passing its quality gates",
    "timeout": "counts as no timeout",
    "context_type": "counts as context 'unknown'",
    "agent": "counts as agent 'unknown'",
    "project": "counts as project 'unknown'",
    "file_path": "is not counted in by_file_type",
    "pattern_id": "is invalid",
}

#: The characters a spelling may add to or drop from a field's name (besides the case of
#: its ASCII letters and its surrounding whitespace): snake, kebab and spaced words.
_SEPARATORS = str.maketrans("", "", "_- ")


def loosely(name: str) -> str:
    """`name` as compared with the fields: its surrounding whitespace and its separators
    dropped, its ASCII letters in lower case (`str.lower` folds more, "Ä" too; the UTF-8
    bytes' `lower` folds ASCII alone, in C: a name of any length costs about a µs)."""
    bare = name.strip().translate(_SEPARATORS)
    return bare.encode("utf-8", "surrogatepass").lower().decode("utf-8", "surrogatepass")


_FIELD_OF = {loosely(field): field for field in RECORD_COLUMNS}


def names_spelled_otherwise(names: Iterable[Any], wanted: frozenset[str]) -> dict[str, str]:
    """The names of `names` that look like a field of `wanted` that no name gives exactly,
    each with that field, in the order given: {"Success": "success"}. (Names that are not
    text, a pandas frame's 0 or its tuples, are none.)"""
    names = list(names)
    if wanted.issuperset(names):  # (fields alone, as most records: nothing to look at)
        return {}
    found: dict[str, str] = {}
    for name in dict.fromkeys(names):
        if name in wanted or not isinstance(name, str):
            continue
        field = _FIELD_OF.get(loosely(name))
        if field is not None and field in wanted:
            found[name] = field
    if not found:
        return found
    exact = wanted.intersection(names)
    return {name: field for name, field in found.items() if field not in exact}


def warn_of_spellings(data: Any, *, grouped: bool, stacklevel: int = 2) -> None:
    """The `ColumnNameWarning` of `data`'s names (`spelling_note`), where one is due,
    attributed to the frame `stacklevel` above the caller's (2: the caller's caller), in
    the caller's thread: before the read, which may run on a worker thread."""
    names, kind = _names(data)
    if not names:
        return
    warning = column_name_warning(names, RECORD_COLUMNS if grouped else _FIELD_COLUMNS, kind)
    if warning is not None:
        warnings.warn(warning, stacklevel=stacklevel + 1)


def column_name_warning(
    names: Iterable[Any], wanted: frozenset[str], kind: str = "column"
) -> ColumnNameWarning | None:
    """The warning of `names` (`spelling_note_of_names`), holding its renames too (for
    the command line's note, which maps a column instead); None where none is due."""
    names = list(names)
    note = spelling_note_of_names(names, wanted, kind)
    if note is None:
        return None
    return ColumnNameWarning(note, names_spelled_otherwise(names, wanted))


def spelling_note(data: Any, *, grouped: bool) -> str | None:
    """The note of `data`'s names (see the module) that look like a record field that
    none gives exactly (`grouped`: a batch, whose records have a `pattern_id` too); None
    where there is none, or no names are known before the read. Reads nothing of `data`
    but its names (and a list's first record), never an iterator."""
    wanted = RECORD_COLUMNS if grouped else _FIELD_COLUMNS
    names, kind = _names(data)
    if not names:
        return None
    return spelling_note_of_names(names, wanted, kind)


def spelling_note_of_names(
    names: Iterable[Any], wanted: frozenset[str], kind: str = "column"
) -> str | None:
    """The note of `names` (`kind`: what they are, "column" or "key of the first record"),
    for a reader of the fields `wanted`; None where none looks like a missing one."""
    found = names_spelled_otherwise(names, wanted)
    if not found:
        return None
    what = "columns" if kind == "column" else "keys"
    shown = [repr(name) for name in found]
    return _note((_the(kind), _the(kind, plural=True)), shown, found, what)


def line_keys_note(found: Mapping[str, tuple[str, str, int]]) -> str | None:
    """The note of a JSON Lines file's keys that look like a record field spelled
    otherwise, each held by lines without the field (a line's keys are its columns):
    `found` gives each key's field, its first such line ("line 3") and how many lines
    hold it so; None without any. Worded as `spelling_note_of_names`' note of columns."""
    if not found:
        return None
    held = [_held(key, field, first, count) for key, (field, first, count) in found.items()]
    renames = {key: field for key, (field, _, _) in found.items()}
    return _note(("key", "keys"), held, renames, "keys")


def _note(subject: tuple[str, str], shown: list[str], renames: dict[str, str], what: str) -> str:
    """The note of names that look like record fields spelled otherwise: `renames` maps
    each to its field, `shown` is each as the note names it, `subject` what one of them
    and several are ("column", "columns"), `what` the plural the advice renames."""
    fields = list(dict.fromkeys(renames.values()))  # (two names may look like one field)
    if len(renames) == 1:
        head = f"{subject[0]} {shown[0]} is not read as the record field {fields[0]!r}"
    else:
        looked_like = "fields they look like" if len(fields) > 1 else f"field {fields[0]!r}"
        head = f"{subject[1]} {_joined(shown)} are not read as the record {looked_like}"
    without = [
        f"{'a record' if i == 0 else 'one'} without {field!r} {_WITHOUT[field]}"
        for i, field in enumerate(fields)
    ]
    return (
        f"{head}, which {'is' if len(fields) == 1 else 'are'} read by exact name only: "
        f"{_joined(without)}. {_rename(len(renames), len(fields), what)}: {renames!r}"
    )


def _held(key: str, field: str, first: str, count: int) -> str:
    """ "'executionTimeMs' (in line 3, without 'execution_time_ms')", "... (in 5 lines
    without 'execution_time_ms', the first line 3)"."""
    if count == 1:
        return f"{key!r} (in {first}, without {field!r})"
    return f"{key!r} (in {count:,} lines without {field!r}, the first {first})"


def _rename(names: int, fields: int, what: str) -> str:
    if names == 1:
        return f"Rename the {what[:-1]}"
    if names == fields:
        return f"Rename the {what}"
    return f"Rename one {what[:-1]} for each field"  # (the others would repeat its name)


def _joined(parts: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def _the(kind: str, *, plural: bool = False) -> str:
    if kind == "column":
        return "columns" if plural else "column"
    return "the first record's keys" if plural else "the first record's key"


def _names(data: Any) -> tuple[list[Any] | None, str]:
    """`data`'s names known before a read, and what they are (see the module)."""
    if isinstance(data, (list, tuple)):  # (first: the hot path, and no ABC's check)
        first = data[0] if data else None
        if type(first) is dict or isinstance(first, Mapping):
            return list(first), "key of the first record"
        return None, "key of the first record"
    if isinstance(data, Mapping):
        return list(data), "column"
    library = _library(data)
    try:
        if library == "pandas":
            return _pandas_names(data)
        if library in ("polars", "duckdb"):
            return _polars_or_duckdb_names(data), "column"
        if library == "pyarrow" or hasattr(data, "__arrow_c_schema__"):
            return _arrow_names(data), "column"
    except Exception:
        # (Names a library cannot tell before the read, a closed result's say: the read
        # itself names what is wrong. The note never fails a call.)
        return None, "column"
    return None, "column"


def _pandas_names(data: Any) -> tuple[list[Any] | None, str]:
    if hasattr(data, "columns"):  # (a DataFrame)
        return data.columns.tolist(), "column"  # (`tolist`: a third of `list`'s time)
    arrow_type = getattr(data.dtype, "pyarrow_dtype", None)  # (a Series of structs)
    if arrow_type is not None:
        return _struct_names(arrow_type), "column"
    if _holds_objects(data):  # (a Series of records, read as their list: its first)
        first = next((value for value in data if not _missing_marker(value)), None)
        if isinstance(first, Mapping):
            return list(first), "key of the first record"
    return None, "column"


def _polars_or_duckdb_names(data: Any) -> list[Any] | None:
    """A polars frame's or a DuckDB result's columns (bound when the result was made: no
    query runs), or a polars Series of structs' fields."""
    columns = getattr(data, "columns", None)
    if isinstance(columns, list):
        return columns
    fields = getattr(getattr(data, "dtype", None), "fields", None)  # (a polars Struct)
    return [field.name for field in fields] if isinstance(fields, list) else None


def _arrow_names(data: Any) -> list[Any] | None:
    """The names of a pyarrow table, batch, stream or struct array, or of another
    library's data with a schema of its own (read through pyarrow, where installed)."""
    schema = getattr(data, "schema", None)
    names = getattr(schema, "names", None)
    if isinstance(names, list):
        return names
    struct = getattr(data, "type", None)
    if _library(data) == "pyarrow" and struct is not None:
        return _struct_names(struct)
    if not hasattr(data, "__arrow_c_schema__"):
        return None
    import pyarrow as pa

    return list(pa.schema(data).names)


def _struct_names(kind: Any) -> list[Any] | None:
    """The field names of an Arrow struct type, else None."""
    import pyarrow as pa

    if not pa.types.is_struct(kind):
        return None
    return [field.name for field in kind]
