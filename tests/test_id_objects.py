"""A batch's pattern ids given as a list or a numpy array of Python objects that are
numpy integers (Python's ints among them) or UUIDs, beside numpy arrays, are read from a
numpy buffer (`ingest.id_objects`), not by pyarrow's conversion, which imported pandas:
the same outcome as the list of dicts of their rows (the model: the record reader), ids
of several kinds and ints past 64 bits each read in their records; and in a fresh
interpreter pandas is not imported. So are integer timestamps given as such a column
(`ingest.integer_times`), one past 64 bits refused naming its row and value."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from child import run_python
from equivalence import batch_outcome
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from usage_analytics.ingest import dict_columns

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)


class _Id(uuid.UUID):
    """A UUID subclass (read by its bytes, as `uuid.UUID`'s)."""


class _ShortId(uuid.UUID):
    """A UUID subclass whose bytes are not 16: its record's error."""

    @property
    def bytes(self) -> bytes:
        return b"short"


NUMPY_INTS: st.SearchStrategy[type[np.integer[Any]]] = st.sampled_from(
    [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
)


@st.composite
def ids(draw: st.DrawFn) -> Any:
    """An id of a kind a record takes, or refuses (past 64 bits, a bool, bytes, NaN)."""
    kind = draw(st.sampled_from(["numpy", "numpy", "int", "uuid", "uuid", "odd"]))
    if kind == "numpy":
        dtype = draw(NUMPY_INTS)
        info = np.iinfo(dtype)
        return dtype(draw(st.sampled_from([0, 1, 2, int(info.max), int(info.min)])))
    if kind == "int":
        return draw(st.sampled_from([1, 2, -(2**63), 2**63 - 1, 2**63, -(2**63) - 1, 2**70]))
    if kind == "uuid":
        made = draw(st.sampled_from([uuid.UUID, _Id]))
        return made(int=draw(st.integers(0, 2)))
    return draw(
        st.sampled_from(
            [None, None, "a", "1", True, np.bool_(False), b"c", math.nan, _ShortId(int=1)]
        )
    )


def _objects(values: list[Any]) -> Any:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _forms(pids: list[Any], objects: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ids beside numpy columns (a list, or an array of objects), and the list of
    dicts of the same records (in an array of objects NaN is missing: None there)."""
    n = len(pids)
    stamps = [START + timedelta(hours=i) for i in range(n)]
    columns = {
        "pattern_id": _objects(pids) if objects else list(pids),
        "timestamp": np.array([s.replace(tzinfo=None) for s in stamps], dtype="datetime64[us]"),
        "success": np.arange(n) % 2 == 0,
    }
    missing = objects  # (NaN is a record's value in a list, missing in an array)
    records = [
        {
            "pattern_id": None if missing and isinstance(pid, float) and math.isnan(pid) else pid,
            "timestamp": stamp,
            "success": i % 2 == 0,
        }
        for i, (stamp, pid) in enumerate(zip(stamps, pids, strict=True))
    ]
    return columns, records


@settings(max_examples=150, deadline=None)
@given(pids=st.lists(ids(), min_size=1, max_size=8), objects=st.booleans())
def test_numpy_int_and_uuid_ids_equal_the_list_of_their_rows(
    pids: list[Any], objects: bool
) -> None:
    # (An array of floats alone is a column of float ids, read as the ints they stand
    # for, as a pandas column of them: not the records'. test_object_arrays_beside_arrays.)
    assume(not (objects and all(isinstance(pid, float) for pid in pids if pid is not None)))
    columns, records = _forms(pids, objects)
    for mode in ("raise", "skip"):
        assert batch_outcome(columns, mode, START, END) == batch_outcome(records, mode, START, END)


def _no_rows(rows: Any) -> Any:
    raise AssertionError("read as its rows")


@pytest.mark.parametrize(
    "pids",
    [
        [np.uint8(1), np.int32(2), 3, None, np.uint64(2**63 - 1)],  # (pyarrow: "Cannot mix")
        [uuid.UUID(int=1), None, _Id(int=2)],
    ],
    ids=["numpy ints of several dtypes", "UUIDs and a subclass"],
)
@pytest.mark.parametrize("objects", [False, True], ids=["list", "objects"])
def test_numpy_int_and_uuid_ids_stay_a_table_column(
    pids: list[Any], objects: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    columns, records = _forms(pids, objects)
    expected = {mode: batch_outcome(records, mode, START, END) for mode in ("raise", "skip")}
    monkeypatch.setattr(dict_columns, "_rows", _no_rows)
    for mode in ("raise", "skip"):
        assert batch_outcome(columns, mode, START, END) == expected[mode]


@pytest.mark.parametrize("objects", [False, True], ids=["list", "objects"])
def test_an_id_past_64_bits_is_its_records_error_shown_as_given(objects: bool) -> None:
    # (pyarrow's uint64 column showed it as its number: 18446744073709551615.)
    columns, _ = _forms([np.uint64(2**64 - 1), np.uint64(1)], objects)
    outcome = batch_outcome(columns, "raise", START, END)
    assert outcome[2:] == (
        0,
        "pattern_id",
        "np.uint64(18446744073709551615)",
        "is too large an int",
        0,
    )


def _times(values: list[Any], objects: bool) -> Any:
    stamps = _objects(values) if objects else values
    return {"pattern_id": ["p"] * len(values), "timestamp": stamps, "success": [True] * len(values)}


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (2**63, "9223372036854775808"),
        (-(2**63) - 1, "-9223372036854775809"),
        (np.uint64(2**63), "np.uint64(9223372036854775808)"),
    ],
)
@pytest.mark.parametrize("objects", [False, True], ids=["list", "objects"])
def test_an_integer_timestamp_past_64_bits_refuses_the_column_naming_it(
    value: Any, shown: str, objects: bool
) -> None:
    micros = int(START.timestamp()) * 10**6
    outcome = batch_outcome(_times([micros, None, value], objects), "skip", START, END)
    assert outcome == (
        "refused",
        f"cannot read column 'timestamp': row 2 holds {shown}: integer timestamps are epoch "
        "microseconds in 64 bits, and it is past them",
    )


def test_integer_timestamps_of_python_and_numpy_ints_are_epoch_microseconds() -> None:
    micros = int(START.timestamp()) * 10**6
    stamps = [micros, np.int64(micros + 1), None, np.uint32(5)]
    records = [
        {"pattern_id": "p", "timestamp": START, "success": True},
        {"pattern_id": "p", "timestamp": START + timedelta(microseconds=1), "success": True},
        {"pattern_id": "p", "timestamp": None, "success": True},
        {"pattern_id": "p", "timestamp": datetime(1970, 1, 1, 0, 0, 0, 5, UTC), "success": True},
    ]
    for objects in (False, True):
        outcome = batch_outcome(_times(stamps, objects), "skip", START, END)
        assert outcome == batch_outcome(records, "skip", START, END)


CHILD = """
import json, sys, uuid
from datetime import UTC, datetime, timedelta
import numpy as np
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer

n = 1_000
start = datetime(2024, 1, 1, tzinfo=UTC)
columns = {
    "timestamp": np.datetime64("2024-01-01", "us") + np.arange(n).astype("timedelta64[s]"),
    "success": np.ones(n, dtype=bool),
}
CASE
before = "pandas" in sys.modules
try:
    output = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(
            execution_data=columns, time_window_start=start,
            time_window_end=start + timedelta(days=30), time_window_type="monthly",
            on_invalid="skip",
        )
    )
    outcome = sum(r.usage_metrics.total_executions for r in output.results.values())
except Exception as error:
    outcome = str(error)
print(json.dumps([before, "pandas" in sys.modules, outcome]))
"""

CASES = {
    "a list of numpy ints": 'columns["pattern_id"] = [np.int64(i % 5) for i in range(n)]',
    "an array of numpy ints, NaN among them": (
        'columns["pattern_id"] = np.array([np.uint16(i % 5) for i in range(n)] , dtype=object)\n'
        'columns["pattern_id"][3] = float("nan")'
    ),
    "a list of UUIDs, None among them": (
        'columns["pattern_id"] = [uuid.UUID(int=i % 5) for i in range(n)]\n'
        'columns["pattern_id"][7] = None'
    ),
    "an array of UUIDs": (
        'columns["pattern_id"] = np.array([uuid.UUID(int=i % 5) for i in range(n)], dtype=object)'
    ),
    "ids of ints and UUIDs (read as their records)": (
        'columns["pattern_id"] = [uuid.UUID(int=1) if i % 2 else np.int8(i % 5) for i in range(n)]'
    ),
    "a numpy id past 64 bits": (
        'columns["pattern_id"] = [np.uint64(2**64 - 1)] + [np.int64(1)] * (n - 1)'
    ),
    "integer timestamps past 64 bits (refused)": (
        'columns["pattern_id"] = ["p"] * n\n'
        'columns["timestamp"] = [1_704_067_200_000_000 + i for i in range(n - 1)] + [2**63]'
    ),
    "numpy integer timestamps past 64 bits (refused)": (
        'columns["pattern_id"] = ["p"] * n\n'
        'columns["timestamp"] = [np.int64(1_704_067_200_000_000)] * (n - 1) + [np.uint64(2**63)]'
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_id_and_integer_time_objects_do_not_import_pandas(case: str) -> None:
    pytest.importorskip("pandas")  # (without it, nothing to import: the test could not fail)
    done = run_python(CHILD.replace("CASE", CASES[case]))
    assert done.returncode == 0, done.stderr[-2000:]
    before, after, outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert not before  # (else the test could not fail)
    assert not after
    if "refused" in case:
        assert "row 999 holds" in outcome  # (named, not in pyarrow's words)
    else:
        assert isinstance(outcome, int)
