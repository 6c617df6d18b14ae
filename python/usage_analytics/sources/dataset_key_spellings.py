"""The JSON Lines keys of a directory's files that look like a record field spelled
otherwise (`jsonl_key_spellings`), as one note for the directory (`spelled_keys_of_files`).

Each file finds its own keys as a file on its own does (a key held by lines without the
field); the directory tells of each key once: by how many lines of all its files hold it
so, the first of them named by its file ("2026-11-02.jsonl, line 3"), as a record of the
directory is named. The `--column` mapping is offered only where no file gives the field
under its own name (nor a partition directory, `field=value/`): mapped, those records'
would be left out, as in one file; and where every file of records holds the key, as a
mapped column must be in each file (else the mapping is refused). A key in a file whose
partition gives the field is not told of: its records have the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from usage_analytics.sources.jsonl_key_spellings import SpelledKey
from usage_analytics.sources.loaded import Loaded

__all__ = ["spelled_keys_of_files"]


def spelled_keys_of_files(
    names: Sequence[str], members: Sequence[Loaded], partitions: Sequence[Mapping[str, Any]]
) -> dict[str, SpelledKey]:
    """The keys of the files `names` (read as `members`, under directories giving the
    fields `partitions`) that look like a field spelled otherwise (see the module)."""
    found: dict[str, SpelledKey] = {}
    holders: dict[str, int] = {}  # (the files holding each key)
    for name, member, given in zip(names, members, partitions, strict=True):
        for key, one in member.spelled_keys.items():
            if one.field in given:
                continue
            seen = found.get(key)
            if seen is None:
                found[key] = SpelledKey(one.field, f"{name}, {one.first}", one.lines, True)
            else:
                found[key] = SpelledKey(seen.field, seen.first, seen.lines + one.lines, True)
            holders[key] = holders.get(key, 0) + 1
    if not found:
        return found
    given_fields = {one.field for one in found.values()} & {
        field
        for member, given in zip(members, partitions, strict=True)
        for field in {*given, *_fields_given(member)}
    }
    filled = sum(1 for member in members if member.count)
    return {
        key: SpelledKey(
            one.field,
            one.first,
            one.lines,
            one.field not in given_fields and holders[key] == filled,
        )
        for key, one in found.items()
    }


def _fields_given(member: Loaded) -> set[str]:
    """The fields some record of a file has a value for, under its own name (a key of
    another case is read as the field: the records hold it so)."""
    if member.arrow:
        table = member.data
        return {
            name for name in table.column_names if table.column(name).null_count < table.num_rows
        }
    return {key for record in member.data for key in record}
