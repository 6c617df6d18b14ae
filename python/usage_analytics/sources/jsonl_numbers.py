"""A JSON Lines file's bad integers, read by pyarrow, shown as the line has them.

pyarrow's JSON reader holds a number field in a column of doubles, so a bad execution
time written `-1` was shown in an error as `-1.0`, where the standard reader (`json`)
and a list of dicts show `-1`, as a CSV cell "-1" is shown (`arrow_text`). The column
cannot tell `-1` from `-1.0`: the bad numbers that are whole (found by one vectorized
pass; none in good data) are looked up in their lines, and those written as integers
are kept aside as their JSON text (`TextTable.odd`), missing in the column, for the core
to judge as the standard reader's value.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from usage_analytics.sources.odd_cells import bad_numbers, shown_apart
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
    `odd` (by key, `read_jsonl_arrow`'s) with the bad numbers its lines write as
    integers missing in the table and kept in `odd` as their JSON text. `record_lines`
    gives the line of each row (called only where a bad number is whole)."""
    pc = pa.compute
    whole: dict[str, Any] = {}
    for key, name in fields.items():
        if name not in ("execution_time_ms", "quality_score"):
            continue
        column = table.column(key)
        rows = bad_numbers(pa, name, column)
        if len(rows):
            values = column.take(rows)
            rows = rows.filter(pc.equal(pc.floor(values), values))  # (finite: bad_numbers)
        if len(rows):
            whole[key] = rows.to_pylist()
    if not whole:
        return table, odd
    lines = record_lines()
    wanted = {lines[row] for rows in whole.values() for row in rows}
    objects = jsonl_objects_at(path, wanted, skip_unreadable=skip_unreadable)
    import numpy as np

    for key, rows in whole.items():
        written = {row: objects[lines[row]].get(key) for row in rows}
        apart = [row for row, value in written.items() if shown_apart(fields[key], value)]
        if not apart:
            continue
        mask = np.zeros(table.num_rows, dtype=bool)
        mask[apart] = True
        aside = pa.array(mask)
        texts = pc.replace_with_mask(
            pa.nulls(table.num_rows, pa.string()),
            aside,
            pa.array([json.dumps(written[row]) for row in apart], pa.string()),
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
