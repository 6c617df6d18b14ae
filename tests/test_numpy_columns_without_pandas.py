"""A dict of numpy arrays of numbers, flags, times and durations is reduced without
importing pandas (`numpy_buffers`): pyarrow's conversion of each array imported it to ask
whether the array was a pandas Series (0.3 s and tens of MB for a numpy user; under a
memory cap the import failed inside pyarrow, a `SystemError` "error return without
exception set" in place of a `MemoryError`). Each case runs in a fresh interpreter, which
has not imported pandas before the reduction. Nor do text arrays (`U`, objects of str,
masked ones: `text_buffers`), masked arrays of numbers, lists of str and lists of numbers
of one type beside arrays (`list_buffers`). Object arrays and lists of plain numbers,
flags, text and Nones are built from buffers (`list_buffers`), numpy arrays of types
Arrow lacks (complex, long double, raw bytes) refused first (`numpy_columns`), and a
record field's lists and object arrays of other values (datetimes of any zone, dates,
datetime64, numpy scalars, Decimals, timedeltas; bytes and ints among text, their
records' errors) read by the core's parsers of a record's values (`field_objects`;
pyarrow's inference of them imported pandas), as are a range, an
array.array and a memoryview (their values)."""

from __future__ import annotations

import json

import pytest
from child import run_python

pytest.importorskip("pandas")  # (without it, nothing to import: the test could not fail)

REFUSED = """
import sys
import numpy as np
from datetime import UTC, datetime, timedelta
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer, UsageAnalyticsError
start = datetime(2024, 1, 1, tzinfo=UTC)
columns = {"timestamp": np.datetime64("2024-01-01", "us") + np.arange(4).astype("timedelta64[s]"),
           "execution_time_ms": np.ones(4, DTYPE)}
try:
    NodeUsageAnalyticsReducer().execute_reduction_sync(ModelUsageAnalyticsInput(
        pattern_id="p", execution_data=columns, time_window_start=start,
        time_window_end=start + timedelta(days=1), time_window_type="daily"))
except UsageAnalyticsError as error:
    print(str(error))
print("pandas" in sys.modules)
"""

CHILD = """
import json, sys
from datetime import UTC, datetime, timedelta
import numpy as np
from usage_analytics import (
    BatchUsageAccumulator, ModelUsageAnalyticsBatchInput, ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
)

n = 1_000
rng = np.random.default_rng(3)
start = datetime(2024, 1, 1, tzinfo=UTC)
window = dict(time_window_start=start, time_window_end=start + timedelta(days=30),
              time_window_type="monthly")
columns = {
    "timestamp": np.datetime64("2024-01-01", "us") + np.arange(n).astype("timedelta64[s]"),
    "success": rng.random(n) < 0.9,
    "execution_time_ms": np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 100),
}
CASE
before = "pandas" in sys.modules
reducer = NodeUsageAnalyticsReducer()
window["on_invalid"] = "skip"
if "pattern_id" in columns:
    accumulator = BatchUsageAccumulator(**window)
    accumulator.update(columns)
    total = sum(r.usage_metrics.total_executions for r in accumulator.finalize().results.values())
    batch = ModelUsageAnalyticsBatchInput(execution_data=columns, **window)
    results = reducer.execute_batch_reduction_sync(batch).results.values()
    assert total == sum(r.usage_metrics.total_executions for r in results) == n
else:
    one = ModelUsageAnalyticsInput(pattern_id="p", execution_data=columns, **window)
    assert reducer.execute_reduction_sync(one).usage_metrics.total_executions == n
print(json.dumps([before, "pandas" in sys.modules]))
"""

CASES = {
    "floats, bools and microseconds": "",
    "int ids (a batch and an accumulator)": 'columns["pattern_id"] = rng.integers(0, 5, n)',
    "float32 scores, uint8 flags, timeouts": (
        'columns["quality_score"] = rng.random(n).astype("float32")\n'
        'columns["quality_gates_passed"] = (rng.random(n) < 0.5).astype("uint8")\n'
        'columns["timeout"] = np.zeros(n, dtype=bool)'
    ),
    "durations and millisecond times": (
        'columns["execution_time_ms"] = rng.integers(0, 10**6, n).astype("timedelta64[us]")\n'
        'columns["timestamp"] = columns["timestamp"].astype("datetime64[ms]")'
    ),
    "day and minute times (converted first)": (
        'columns["timestamp"] = np.concatenate([columns["timestamp"][: n // 2].astype('
        '"datetime64[D]").astype("datetime64[m]"), columns["timestamp"][n // 2 :].astype('
        '"datetime64[m]")])'
    ),
    "strided arrays": "columns = {name: np.repeat(a, 2)[::2] for name, a in columns.items()}",
    "text arrays of few names and many paths": (
        'columns["agent"] = rng.choice(["a", "b", "c"], n)\n'
        'columns["file_path"] = np.array([f"/src/{i}.py" for i in range(n)])'
    ),
    "str objects, None among them": (
        'columns["project"] = rng.choice(["p", "q"], n).astype(object)\n'
        'columns["project"][::7] = None'
    ),
    "masked arrays of text, objects and numbers": (
        "hidden = rng.random(n) < 0.1\n"
        'columns["agent"] = np.ma.masked_array(rng.choice(["a", "b"], n), mask=hidden)\n'
        'columns["project"] = np.ma.masked_array(rng.choice(["p", "q"], n).astype(object), '
        "mask=hidden)\n"
        'columns["quality_score"] = np.ma.masked_array(rng.random(n), mask=hidden)'
    ),
    "text timestamps": 'columns["timestamp"] = columns["timestamp"].astype("U")',
    "object arrays of numbers, flags and Nones": (
        'columns["execution_time_ms"] = np.array([1, 2.5, None, float("nan")] * (n // 4), '
        "dtype=object)\n"
        'columns["quality_score"] = np.array([0.5] * n, dtype=object)\n'
        'columns["timeout"] = np.array([True, False] * (n // 2), dtype=object)\n'
        'columns["quality_gates_passed"] = np.array([None] * n, dtype=object)'
    ),
    "lists with Nones, of ints and floats, of Nones": (
        'columns["execution_time_ms"] = [1, 2.5, None, 4] * (n // 4)\n'
        'columns["success"] = [True, None] * (n // 2)\n'
        'columns["quality_score"] = [None] * n'
    ),
    "a list of text timestamps, None among them": (
        'columns["timestamp"] = [f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z" for i in '
        "range(n)]\n"
        'columns["timestamp"][3] = None\n'
        "n -= 1  # (its record without a timestamp: invalid, not counted)"
    ),
    "a list of aware datetimes of several zones": (
        "from zoneinfo import ZoneInfo\n"
        "zones = [UTC, ZoneInfo('America/New_York'), ZoneInfo('Asia/Tokyo'), None]\n"
        'columns["timestamp"] = [datetime(2024, 1, 2, 12, tzinfo=zones[i % 4]) + '
        "timedelta(seconds=i) for i in range(n)]"
    ),
    "an object array of naive datetimes and ISO text": (
        'columns["timestamp"] = np.array([datetime(2024, 1, 2) + timedelta(seconds=i) if i % 3 '
        'else f"2024-01-03T00:00:{i % 60:02d}Z" for i in range(n)], dtype=object)'
    ),
    "a list of dates": (
        "from datetime import date\n"
        'columns["timestamp"] = [date(2024, 1, 1) + timedelta(days=i % 28) for i in range(n)]'
    ),
    "a list of datetime64 scalars in minutes, NaT among them": (
        'columns["timestamp"] = [np.datetime64("2024-01-02T00:00") + np.timedelta64(i, "m") '
        "for i in range(n)]\n"
        'columns["timestamp"][5] = np.datetime64("NaT")\n'
        "n -= 1  # (its record without a timestamp: invalid, not counted)"
    ),
    "Decimals and timedeltas": (
        "from decimal import Decimal\n"
        'columns["execution_time_ms"] = [timedelta(milliseconds=i) if i % 2 else '
        'Decimal("1.25") for i in range(n)]\n'
        'columns["quality_score"] = [Decimal("0.5")] * n'
    ),
    "numpy scalars in lists, numpy int timestamps": (
        'columns["execution_time_ms"] = [np.float64(2.5), np.int64(3)] * (n // 2)\n'
        'columns["quality_score"] = [np.float32(0.5)] * n\n'
        'columns["success"] = [np.bool_(True), np.bool_(False)] * (n // 2)\n'
        'columns["timestamp"] = [np.int64(1_704_067_200_000_000 + i) for i in range(n)]'
    ),
    "a range, an array.array and a memoryview": (
        "import array\n"
        'columns["execution_time_ms"] = range(n)\n'
        'columns["quality_score"] = array.array("d", [0.5] * n)\n'
        'columns["timeout"] = memoryview(array.array("b", [0, 1] * (n // 2)))'
    ),
    "lists of bytes and of text with ints (their records' errors)": (
        'columns["agent"] = ["a", 1, b"x", "b"] * (n // 4)\n'
        'columns["timestamp"] = [datetime(2024, 1, 2) + timedelta(seconds=i) for i in range(n)]\n'
        "n //= 2"
    ),
    "lists beside arrays": (
        'columns["agent"] = rng.choice(["a", "b"], n).tolist()\n'
        'columns["quality_score"] = rng.random(n).tolist()\n'
        'columns["timeout"] = tuple((rng.random(n) < 0.1).tolist())'
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_dict_of_numpy_columns_does_not_import_pandas(case: str) -> None:
    # (A record without a timestamp is invalid: counted apart, skipped.)
    done = run_python(CHILD.replace("CASE", CASES[case]))
    assert done.returncode == 0, done.stderr[-2000:]
    before, after = json.loads(done.stdout.strip().splitlines()[-1])
    assert not before  # (else the test could not fail)
    assert not after


@pytest.mark.parametrize(
    ("dtype", "words"),
    [
        ("complex", "are complex numbers, which no record field holds"),
        ("np.longdouble", "are long doubles, wider than Arrow's float64"),  # (x86-64: 128 bits)
        ('"V8"', "are raw bytes or structured records"),
        ('[("a", "f8")]', "are raw bytes or structured records"),
    ],
)
def test_a_numpy_dtype_arrow_lacks_is_refused_without_importing_pandas(
    dtype: str, words: str
) -> None:
    done = run_python(REFUSED.replace("DTYPE", dtype))
    assert done.returncode == 0, done.stderr[-2000:]
    *refusal, imported = done.stdout.strip().splitlines()
    assert "cannot read column 'execution_time_ms': numpy " in refusal[0]
    assert words in refusal[0]
    assert refusal[0].endswith("')") or refusal[0].endswith('")')  # (its dtype named)
    assert imported == "False"
