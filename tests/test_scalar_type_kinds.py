"""The record parsers tell numpy's and pandas' scalar types by module and name once per
type and remember the answer (`rust/type_kinds.rs`, 8 types a thread): a record's
numbers, flags and ids of more types than that, in turn, read as their values do (the
model: each value's Python float, or its record's refusal, with the reasons the
parsers gave value by value); and a Python class, whose names may change, is told by
its names at each value, never by a remembered answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from equivalence import batch_outcome
from hypothesis import given, settings
from hypothesis import strategies as st

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)

#: Execution times of many types (more than the types remembered), each with what its
#: record reads: its float, or the reason it is refused.
TIMES: list[tuple[Any, float | str]] = [
    (np.float64(2.5), 2.5),
    (np.float32(0.5), 0.5),
    (np.float16(1.5), 1.5),
    (np.int8(3), 3.0),
    (np.int16(4), 4.0),
    (np.int32(5), 5.0),
    (np.int64(6), 6.0),
    (np.uint8(7), 7.0),
    (np.uint16(8), 8.0),
    (np.uint32(9), 9.0),
    (np.uint64(10), 10.0),
    (Decimal("0.125"), 0.125),
    (7, 7.0),
    (np.timedelta64(1500, "us"), 1.5),
    (np.bool_(True), "must be a number, got bool"),
    (np.complex128(1), "must be a number, got complex128"),
    (np.int64(-1), "must be >= 0"),
]


def _records(times: list[Any]) -> list[dict[str, Any]]:
    return [
        {"pattern_id": "p", "timestamp": START + timedelta(hours=i), "execution_time_ms": t}
        for i, t in enumerate(times)
    ]


@settings(max_examples=60, deadline=None)
@given(picks=st.lists(st.integers(0, len(TIMES) - 1), min_size=1, max_size=40))
def test_scalars_of_many_types_read_as_their_values(picks: list[int]) -> None:
    given_times = [TIMES[i][0] for i in picks]
    read = [TIMES[i][1] for i in picks]
    # (A refused value stands as a plain float records refuse: the same records left.)
    model = [t if isinstance(t, float) else -1.0 for t in read]
    expected = _records(model)
    got = batch_outcome(_records(given_times), "skip", START, END)
    want = batch_outcome(expected, "skip", START, END)
    reasons = [r["reason"] for r in got[0]["data_quality"]["error_samples"]]
    assert reasons == [t for t in read if isinstance(t, str)][: len(reasons)]
    assert got[0]["data_quality"]["invalid_records"] == sum(isinstance(t, str) for t in read)
    # (The analytics of the records read: those of the model's floats; their samples,
    # which show the values as given, checked above.)
    assert _without_samples(got[1]) == _without_samples(want[1])


def _without_samples(results: dict[Any, Any]) -> dict[Any, Any]:
    return {key: {**result, "data_quality": None} for key, result in results.items()}


def test_a_python_class_is_told_by_its_names_at_each_value() -> None:
    # A float subclass named as numpy's bool is refused as one; renamed, it is a number.
    fake = type("bool_", (float,), {"__module__": "numpy"})
    refused = batch_outcome(_records([fake(1.0)]), "skip", START, END)
    assert refused[0]["data_quality"]["error_samples"][0]["reason"] == (
        "must be a number, got bool_"
    )
    fake.__name__ = "Milliseconds"
    read = batch_outcome(_records([fake(1.0)]), "skip", START, END)
    assert read[0]["data_quality"]["invalid_records"] == 0
    assert read == batch_outcome(_records([1.0]), "skip", START, END)
