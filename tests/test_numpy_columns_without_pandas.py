"""A dict of numpy arrays of numbers, flags, times and durations is reduced without
importing pandas (`numpy_buffers`): pyarrow's conversion of each array imported it to ask
whether the array was a pandas Series (0.3 s and tens of MB for a numpy user; under a
memory cap the import failed inside pyarrow, a `SystemError` "error return without
exception set" in place of a `MemoryError`). Each case runs in a fresh interpreter, which
has not imported pandas before the reduction. Nor do text arrays (`U`, objects of str,
masked ones: `text_buffers`), masked arrays of numbers, lists of str and lists of numbers
of one type beside arrays (`list_buffers`). (Lists and object arrays of other values,
datetimes among them, are still converted by pyarrow's inference, which imports pandas:
not asked here.)"""

from __future__ import annotations

import json

import pytest
from child import run_python

pytest.importorskip("pandas")  # (without it, nothing to import: the test could not fail)

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
    "lists beside arrays": (
        'columns["agent"] = rng.choice(["a", "b"], n).tolist()\n'
        'columns["quality_score"] = rng.random(n).tolist()\n'
        'columns["timeout"] = tuple((rng.random(n) < 0.1).tolist())'
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_dict_of_numpy_columns_does_not_import_pandas(case: str) -> None:
    done = run_python(CHILD.replace("CASE", CASES[case]))
    assert done.returncode == 0, done.stderr[-2000:]
    before, after = json.loads(done.stdout.strip().splitlines()[-1])
    assert not before  # (else the test could not fail)
    assert not after
