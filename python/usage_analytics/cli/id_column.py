"""A CSV or Parquet file (or a directory of them) whose pattern id column is spelled
otherwise: a header of `pattern id`, `Pattern-Id` or `patternId` but no `pattern_id`.

A record file without a `pattern_id` column is one pattern's records (`analyze
--pattern ID` takes them all as ID's; `dashboard` refuses it), which is right for a
file of one pattern, and wrong for one whose ids are in a column named otherwise:
`analyze --pattern checkout` reported every pattern's records as checkout's, without a
word, and `dashboard` told the user to analyse the file with `--pattern`, which did
that. The library tells of a column that looks like a field (`ColumnNameWarning`), but
a single pattern's reduction reads no pattern id, so it never told of this one (a JSON
Lines file's keys are told of already: `cli.key_spellings`). Now `analyze` notes it
(`note_an_id_column_spelled_otherwise`: the report is still the file's records as the
pattern's, as for a column of any field spelled otherwise), and `dashboard`, which
refused the file anyway, refuses it naming the column and its mapping
(`refuse_an_id_column_spelled_otherwise`).

"Looks like": as the library's rule has it (`ingest.spellings.names_spelled_otherwise`:
the name but for its ASCII case, surrounding whitespace and its `_`, `-` and spaces). A
column named so but for case (`Pattern_ID`) is read as the pattern id already
(`sources.column_case`), and not told of."""

from __future__ import annotations

import shlex
import warnings

from usage_analytics.cli.common import EXIT_DATA, CliError
from usage_analytics.errors import ColumnNameWarning
from usage_analytics.ingest.spellings import names_spelled_otherwise
from usage_analytics.sources import PATTERN_ID, ExecutionSource, FileSource

__all__ = ["note_an_id_column_spelled_otherwise", "refuse_an_id_column_spelled_otherwise"]


async def note_an_id_column_spelled_otherwise(source: ExecutionSource, pattern: str) -> None:
    """`analyze`'s `ColumnNameWarning` (a note, with the `--column` mapping: see
    `cli._warnings_as_notes`) of an open record file that has no pattern id column but
    columns that look like one, whose every record is taken as `pattern`'s."""
    found = await _spelled_otherwise(source)
    if not found:
        return
    note = (
        f"{_columns(found, source)} not read as the record field {PATTERN_ID!r}, which is "
        f"read by exact name only: without a {PATTERN_ID} column, every record of "
        f"{source.description} is taken as pattern {pattern!r}. "
        + (f"Rename the column: {found!r}" if len(found) == 1 else _choose)
    )
    # (One column: the note gives its mapping. Two would map one field twice.)
    warnings.warn(ColumnNameWarning(note, found if len(found) == 1 else {}), stacklevel=2)


async def refuse_an_id_column_spelled_otherwise(source: ExecutionSource) -> None:
    """`dashboard`'s refusal (a `CliError`) of an open record file that has no pattern
    id column but columns that look like one: its records cannot be told apart by
    pattern, and the way on is that column, not `--pattern`."""
    found = await _spelled_otherwise(source)
    if not found:
        return
    if len(found) == 1:
        ((name, field),) = found.items()
        shown = f"its column {name!r} looks like one"
        way = f"rename it {field!r}, or map it: --column {shlex.quote(f'{field}={name}')}"
    else:
        shown = f"its columns {_joined(found)} look like one"
        way = _choose[0].lower() + _choose[1:]
    raise CliError(
        f"{source.description} has no {PATTERN_ID} column, so its records cannot be told "
        f"apart by pattern; {shown}, but the field is read by exact name only: {way}",
        EXIT_DATA,
    )


_choose = f"Rename one of them to {PATTERN_ID!r}, or map it: --column {PATTERN_ID}=COLUMN"


async def _spelled_otherwise(source: ExecutionSource) -> dict[str, str]:
    """The columns of a record file without a pattern id column that look like one, each
    with the field ({"pattern id": "pattern_id"}, in name order); none for other
    sources (a database's missing column is refused naming its columns) and JSON Lines
    (`cli.key_spellings`)."""
    if not isinstance(source, FileSource) or await source.has_pattern_ids():
        return {}
    names = await source.column_names()
    if names is None:
        return {}
    return names_spelled_otherwise(sorted(names), frozenset({PATTERN_ID}))


def _columns(found: dict[str, str], source: ExecutionSource) -> str:
    """ "column 'pattern id' of runs.csv is", "columns 'a' and 'b' of runs.csv are"."""
    noun, verb = ("column", "is") if len(found) == 1 else ("columns", "are")
    return f"{noun} {_joined(found)} of {source.description} {verb}"


def _joined(found: dict[str, str]) -> str:
    return " and ".join(repr(name) for name in found)
