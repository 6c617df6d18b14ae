"""A JSON Lines file's bad numbers, read by pyarrow, shown as the line has them.

pyarrow's JSON reader holds a number field in a column of doubles, so a bad execution
time written `-1` was shown in an error as `-1.0`, where the standard reader (`json`)
and a list of dicts show `-1`, as a CSV cell "-1" is shown (`arrow_text`); and one
written `1e400` as inf (`jsonl_written`). The column cannot tell `-1` from `-1.0`, nor
`1e400` from `2e400`: the bad numbers (found by one vectorized pass; none in good data)
are looked up in their lines, and kept aside as the line writes them (`TextTable.odd`),
missing in the column, for the core to judge as the standard reader's value: an integer
as its JSON text, another number as its text, read as a `WrittenNumber`
(`odd_cells.json_text_value`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from usage_analytics.sources.jsonl_written import FloatText, written_values
from usage_analytics.sources.odd_cells import shown_apart
from usage_analytics.sources.records import jsonl_objects_at

__all__ = ["bad_integers_aside"]


def bad_integers_aside(
    pa: Any,
    path: Path,
    table: Any,
    odd: dict[str, Any],
    fields: Mapping[str, str],
    record_lines: Callable[[], Sequence[int]],
    skip_unreadable: bool,
) -> tuple[Any, dict[str, Any]]:
    """`table` (its columns named by the file's keys; `fields`, key -> record field) and
    `odd` (by key, `read_jsonl_arrow`'s) with its bad numbers missing in the table and
    kept in `odd` as their lines write them (see the module). `record_lines` gives the
    line of each row (called only where a number is bad)."""
    pc = pa.compute
    bad: dict[str, Any] = {}
    for key, name in fields.items():
        if name not in ("execution_time_ms", "quality_score"):
            continue
        rows = _bad_doubles(pa, name, table.column(key))
        if len(rows):
            bad[key] = rows.to_pylist()
    if not bad:
        return table, odd
    lines = record_lines()
    wanted = {lines[row] for rows in bad.values() for row in rows}
    objects = jsonl_objects_at(path, wanted, skip_unreadable=skip_unreadable, decode=written_values)
    import numpy as np

    for key, rows in bad.items():
        written = {row: objects[lines[row]].get(key) for row in rows}
        apart = [
            row
            for row, value in written.items()
            if type(value) is FloatText or shown_apart(fields[key], value)
        ]
        if not apart:
            continue
        mask = np.zeros(table.num_rows, dtype=bool)
        mask[apart] = True
        aside = pa.array(mask)
        texts = pc.replace_with_mask(
            pa.nulls(table.num_rows, pa.string()),
            aside,
            pa.array([_json_text(written[row]) for row in apart], pa.string()),
        )
        place = table.schema.get_field_index(key)
        missing = pa.scalar(None, table.schema.field(place).type)
        table = table.set_column(
            place, table.schema.field(place), pc.if_else(aside, missing, table.column(place))
        )
        held = odd.get(key)
        if isinstance(held, pa.ChunkedArray):
            held = held.combine_chunks()
        odd = {**odd, key: texts if held is None else pc.coalesce(held, texts)}
    return table, odd


def _bad_doubles(pa: Any, name: str, numbers: Any) -> Any:
    """The rows (Arrow indices) of number field `name`'s column of doubles `numbers` whose
    value is bad: not finite, negative (-0.0 is not), a score above 1. One vectorized
    pass (`less` and `is_finite`, and `greater` for a score: each about a millisecond a
    million rows)."""
    pc = pa.compute
    # (Scalars made here: pyarrow makes a Python float one itself, and says a failure to
    # as "unexpected argument type <class 'float'>", a TypeError, where it is the
    # MemoryError of a process out of room.)
    zero, one = pa.scalar(0.0), pa.scalar(1.0)
    bad = pc.or_(pc.less(numbers, zero), pc.invert(pc.is_finite(numbers)))
    if name == "quality_score":
        bad = pc.or_(bad, pc.greater(numbers, one))
    return pc.indices_nonzero(pc.fill_null(bad, False))


def _json_text(value: Any) -> str:
    """A number as the line writes it (`written_values`): an integer as its JSON text, a
    `FloatText` as it is."""
    return str(value) if type(value) is FloatText else json.dumps(value)
