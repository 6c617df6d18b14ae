"""A record's numpy `datetime64` timestamp and `timedelta64` execution time read both
ways: from the scalar's C struct (this process: its probe agreed, and a record of such
values is read on the fast path, its values borrowed, not looked up again) and through
numpy's calls (a child whose probe was made to disagree: every value read as before the
struct was, its record on the owned path). The same instants, milliseconds and missing
values either way, and the same errors: record, field, value and reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

import numpy as np
from child import run_python
from equivalence import batch_outcome
from usage_analytics import _core

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UNITS = ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as"]
COUNTS = [1, 25, 2**31 - 1]
#: Ticks: the epoch, either side of it, a day of 2026 in most units, 64 bits' edges, NaT.
TICKS = [0, -1, 1, 20_000, 1_780_000_000, 2**62, -(2**62), INT64_MAX, INT64_MIN + 1, INT64_MIN]
START = datetime(1900, 1, 1, tzinfo=UTC)
END = datetime(2300, 1, 1, tzinfo=UTC)


def values() -> list[Any]:
    """Every unit, multiplier and edge, as datetime64 and timedelta64 (generic too)."""
    made: list[Any] = []
    for unit in UNITS:
        for count in COUNTS:
            of_unit: Any = (unit, count)  # (numpy's stubs name each unit's ticks' type)
            for ticks in TICKS:
                made.append(np.datetime64(ticks, of_unit))
                made.append(np.timedelta64(ticks, of_unit))
    made += [np.timedelta64(7), np.timedelta64("NaT"), np.datetime64("NaT")]
    return made


def field_reading(field: str, value: Any) -> str:
    """`value` read as a record's `field` (`_core.field_column`): its column's buffers
    and missing count, or the error's text."""
    try:
        buffers, _, missing = _core.field_column(field, [value])
    except ValueError as error:
        return f"ValueError: {error}"
    return repr(([bytes(buffer) for buffer in buffers if buffer is not None], missing))


def records_of(value: Any) -> list[dict[str, Any]]:
    """Records holding `value` as their timestamp, then as their execution time, between
    records of plain values (a bad or missing one is then the second record's)."""
    stamp = datetime(2026, 3, 1, tzinfo=UTC)
    plain = {"pattern_id": "p", "timestamp": stamp, "success": True, "execution_time_ms": 5.0}
    return [
        plain,
        plain | {"timestamp": value},
        plain | {"execution_time_ms": value},
        plain | {"quality_score": 0.5},
    ]


def outcomes() -> list[str]:
    """Each value read as either time field alone, and its records' batch outcomes (raise:
    the first bad record's error; skip: every bad record counted and sampled)."""
    found = []
    for value in values():
        found.append(field_reading("timestamp", value))
        found.append(field_reading("execution_time_ms", value))
        for mode in ("raise", "skip"):
            found.append(repr(batch_outcome(records_of(value), mode, START, END)))
    return found


#: The child: numpy's `datetime_data` answers the probe's "2147483647as" with another
#: multiplier, so the probe disagrees and every value is read through numpy's calls
#: (counted: asserted), as before the struct was read.
THROUGH_NUMPY = """
import json
import numpy as np
from usage_analytics import _core
import test_numpy_time_paths as paths

real = np.datetime_data
def disagreeing(dtype):
    unit, count = real(dtype)
    return (unit, count + 1) if count == 2**31 - 1 else (unit, count)
np.datetime_data = disagreeing
_core.field_column("timestamp", [np.datetime64(1, "us")])  # (the probe runs, disagrees)
calls = []
def counted(dtype):
    calls.append(dtype)
    return real(dtype)
np.datetime_data = counted
found = paths.outcomes()
assert len(calls) > len(paths.values()), len(calls)
print(json.dumps(found))
"""


def test_struct_and_numpy_calls_read_every_value_and_record_alike() -> None:
    _core.field_column("timestamp", [np.datetime64(1, "us")])  # (the probe runs, agrees)

    def refused(*_args: Any) -> Any:
        raise RuntimeError("asked numpy")

    with patch.object(np, "datetime_data", refused):
        by_struct = outcomes()
    child = run_python(THROUGH_NUMPY, cwd=Path(__file__).parent)
    assert child.returncode == 0, child.stderr
    by_calls = json.loads(child.stdout)
    assert len(by_calls) == len(by_struct)
    for struct_read, calls_read in zip(by_struct, by_calls, strict=True):
        assert struct_read == calls_read


def test_a_dict_of_columns_of_numpy_times_reads_as_its_records() -> None:
    # (A dict of lists is read row by row, its plain rows borrowed from the lists, as a
    # list of dicts' plain records are: numpy times among them, in their own fields.)
    fields = ("pattern_id", "timestamp", "success", "execution_time_ms", "quality_score")
    for value in values()[::7]:
        records = records_of(value)
        columns = {field: [record.get(field) for record in records] for field in fields}
        for mode in ("raise", "skip"):
            assert batch_outcome(columns, mode, START, END) == batch_outcome(
                records, mode, START, END
            ), (value, mode)
