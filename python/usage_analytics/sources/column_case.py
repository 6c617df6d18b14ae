"""Columns matched to record fields regardless of the case of their ASCII letters, as
SQLite compares identifiers and unquoted SQL names fold: one rule for every source.

A column named exactly as the field wins; otherwise the one column whose name differs
from it only in the case of ASCII letters ("Success" for `success`) is the field's.
Two or more such columns are an error naming them: passed over as missing, the field
was silently missing in every record (every run a failure). Letters beyond ASCII are
compared exactly ("Ä" and "ä" are two names, as SQLite's are).
"""

from __future__ import annotations

from collections.abc import Iterable

from usage_analytics.sources.base import FIELDS, PATTERN_ID, SourceError, TableSpec

__all__ = ["ascii_folded", "case_matched", "case_renames", "other_case"]


def ascii_folded(name: str) -> str:
    """`name` with its ASCII letters in lower case, as SQLite compares names (Python's
    `lower` folds more: "Ä" would match "ä")."""
    return "".join(char.lower() if char.isascii() else char for char in name)


def other_case(found: Iterable[str], wanted: str, field: str, where: str) -> str | None:
    """The one name of `found` that is `wanted` but for the case of its ASCII letters;
    None where there is none. More than one is a `SourceError` naming them (`where`:
    the table or file), which says how to map the field to one of them."""
    folded = ascii_folded(wanted)
    matches = [name for name in found if ascii_folded(name) == folded]
    if len(matches) > 1:
        listed = " and ".join(repr(name) for name in matches)
        raise SourceError(
            f"{where}: columns {listed} both match {wanted!r} (the record field "
            f"{field!r}) but for case; map the field to one of them (--column "
            f"{field}=COLUMN, or TableSpec's columns {{{field!r}: COLUMN}})"
        )
    return matches[0] if matches else None


def case_matched(spec: TableSpec, names: Iterable[str], where: str) -> TableSpec:
    """`spec` with each record field that no column names exactly, and that the mapping
    leaves to its own name, mapped to the column of `names` (a file's header or schema)
    that names it but for case: as if the user had written --column field=Column. A
    field the mapping names is left as mapped (the user's mapping wins)."""
    present = list(dict.fromkeys(names))
    exact = set(present)
    added: dict[str, str] = {}
    for field in (PATTERN_ID, *FIELDS):
        if field in spec.columns or field in exact:
            continue
        column = other_case(present, field, field, where)
        if column is not None:
            added[field] = column
    if not added:
        return spec
    return TableSpec(spec.table, spec.schema, {**spec.columns, **added})


def case_renames(spec: TableSpec, names: Iterable[str], where: str) -> dict[str, str]:
    """The names of `names` that `case_matched` takes for a record field, each with its
    field: {"Success": "success"} (none that `spec` maps, or that a name gives exactly)."""
    matched = case_matched(spec, names, where)
    return {column: field for field, column in matched.columns.items() if field not in spec.columns}
