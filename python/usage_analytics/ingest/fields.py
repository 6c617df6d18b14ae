"""The record columns the core reads, by kind of field, and the signatures of its readers
(every input form ends in one of them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from usage_analytics import _core
from usage_analytics.errors import UsageAnalyticsError

#: A core entry point taking one input form and returning its result dict.
CoreReader = Callable[[Any], dict[str, Any]]
#: A reader of Arrow data, told whether the data is held whole by the caller's object (a
#: table or frame, not a stream whose batches are released as they are read).
ArrowReader = Callable[[Any, bool], dict[str, Any]]


#: The columns the core reads (a batch's `pattern_id` among them); a frame's or a dict's
#: other columns are never converted.
RECORD_COLUMNS = frozenset(_core.RECORD_COLUMNS)
_FIELD_COLUMNS = RECORD_COLUMNS - {"pattern_id"}


#: The record fields whose ints and floats are both numbers (one f64 to the core).
_NUMBER_COLUMNS = frozenset({"execution_time_ms", "quality_score"})
#: The record fields of flags (bools, or the ints 0 and 1).
_FLAG_COLUMNS = frozenset({"success", "quality_gates_passed", "timeout"})


def refuse_a_batch_without_ids(names: Iterable[Any], wanted: frozenset[str]) -> None:
    """The core's refusal of a batch (`wanted` holds `pattern_id`) whose frame or dict of
    columns `names` has no `pattern_id` column, made before the input is cut to the
    record columns (where it has a `timestamp` column: other columns are then never
    converted), so that it lists every column, the one holding the ids among them: it
    listed "(columns: timestamp)" for a frame whose ids were in "service". (Keeping every
    column for the core instead would read a mixed-type extra column, which may send the
    frame to its records, each then invalid for want of an id: not the same refusal.)"""
    shown = [str(name) for name in names]
    if "pattern_id" in wanted and "timestamp" in shown and "pattern_id" not in shown:
        raise UsageAnalyticsError(
            "invalid input: the columnar input has no 'pattern_id' column "
            f"(columns: {', '.join(shown)})"
        )


def refuse_repeated_record_columns(names: Iterable[Any], wanted: frozenset[str]) -> None:
    """The core's refusal of a table with two columns of one record field's name (which of
    them holds the field is ambiguous), made for a pandas frame before it is exported:
    pyarrow's export refused it first, listing every column ("Duplicate column names
    found: ['timestamp', 'success', ..., 'agent']") without saying which name repeats,
    where a pyarrow table of the same columns names it."""
    present = [name for name in names if isinstance(name, str) and name in wanted]
    for name in dict.fromkeys(present):
        count = present.count(name)
        if count > 1:
            raise UsageAnalyticsError(
                f"invalid input: the columnar input has {count} columns named '{name}': keep one"
            )
