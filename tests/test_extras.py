"""A feature whose pip extra is missing says so: `MissingDependencyError` (a
`UsageAnalyticsError`) naming the feature and the `pip install` line, whichever layer
needs the package. Each case runs in a fresh interpreter with the package made
unimportable."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, sys
for name in {blocked!r}:
    sys.modules[name] = None  # as if not installed
from datetime import datetime, timedelta, timezone
from usage_analytics import (ModelUsageAnalyticsBatchInput, ModelUsageAnalyticsInput,
                             NodeUsageAnalyticsReducer, UsageAnalyticsError)
from usage_analytics.extras import MissingDependencyError
end = datetime(2026, 3, 1, tzinfo=timezone.utc)
window = dict(time_window_start=end - timedelta(days=7), time_window_end=end,
              time_window_type="weekly")
reducer = NodeUsageAnalyticsReducer()
out = {{}}
def attempt(label, action):
    try:
        action()
        out[label] = "no error"
    except MissingDependencyError as error:
        out[label] = [str(error), isinstance(error, UsageAnalyticsError)]
{body}
print(json.dumps(out))
"""


def _run(blocked: list[str], body: str) -> dict[str, object]:
    script = SCRIPT.format(blocked=blocked, body=body)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_arrays_and_to_arrow_without_pyarrow_name_the_arrow_extra() -> None:
    out = _run(
        ["pyarrow"],
        """
import numpy as np
stamps = np.array([(end - timedelta(hours=1)).replace(tzinfo=None)], "datetime64[us]")
columns = {"timestamp": stamps, "success": [True]}
attempt("columns", lambda: reducer.execute_reduction_sync(
    ModelUsageAnalyticsInput(pattern_id="p", execution_data=columns, **window)))
micros = int((end - timedelta(hours=1)).timestamp()) * 1_000_000
integer_times = {"timestamp": [micros], "success": [True]}  # (read as a table's: Arrow)
attempt("integer times", lambda: reducer.execute_reduction_sync(
    ModelUsageAnalyticsInput(pattern_id="p", execution_data=integer_times, **window)))
lists = {"timestamp": [end - timedelta(hours=1)], "success": [True]}
out["lists"] = reducer.execute_reduction_sync(ModelUsageAnalyticsInput(
    pattern_id="p", execution_data=lists, **window)).usage_metrics.total_executions
records = [{"timestamp": end - timedelta(hours=1), "pattern_id": "p"}]
batch = reducer.execute_batch_reduction_sync(
    ModelUsageAnalyticsBatchInput(execution_data=records, **window))
attempt("to_arrow", batch.to_arrow)
""",
    )
    extra = "needs pyarrow: pip install 'usage-analytics[arrow]'"
    assert out["columns"] == [
        "a dict of columns other than lists (numpy arrays, pandas Series, ranges) or of "
        f"integer timestamps {extra}; or pass lists of datetimes or ISO-8601 text, a list of "
        "record dicts, or a polars or DuckDB table, which need none",
        True,
    ]
    assert out["integer times"] == out["columns"]
    assert out["to_arrow"] == [f"to_arrow() {extra}", True]
    assert out["lists"] == 1  # (a dict of lists is read as its records: no pyarrow)


def test_dask_without_dask_names_the_dask_extra() -> None:
    out = _run(
        ["dask", "dask.dataframe"],
        """
from usage_analytics.dask import require_dask
attempt("dask", require_dask)
""",
    )
    assert out["dask"] == [
        "usage_analytics.dask needs dask: pip install 'usage-analytics[dask]'",
        True,
    ]


def test_frames_without_pyarrow_name_the_arrow_extra_or_need_none() -> None:
    # pandas exports through pyarrow: its own ImportError named no extra. polars exports
    # by itself, and its all-null column (type Null, which the core's Arrow reader
    # refuses) was cast to text by pyarrow only: without it, an opaque Arrow error.
    out = _run(
        ["pyarrow"],
        """
import pandas as pd, polars as pl
times = [end - timedelta(hours=h) for h in (1, 2, 3)]
attempt("pandas", lambda: reducer.execute_reduction_sync(ModelUsageAnalyticsInput(
    pattern_id="p", execution_data=pd.DataFrame({"timestamp": times}), **window)))
frame = pl.DataFrame({"timestamp": times, "success": [True, False, True], "agent": [None] * 3})
assert frame.schema["agent"] == pl.Null
result = reducer.execute_reduction_sync(
    ModelUsageAnalyticsInput(pattern_id="p", execution_data=frame, **window))
out["polars"] = [result.usage_metrics.total_executions, result.success_metrics.success_count,
                 result.context_distribution.by_agent]
""",
    )
    assert out["pandas"] == [
        "a pandas DataFrame needs pyarrow: pip install 'usage-analytics[arrow]'",
        True,
    ]
    assert out["polars"] == [3, 2, {"unknown": 3}]


def test_postgresql_without_its_extra_names_the_postgres_extra() -> None:
    # The source needs pyarrow and the driver, which the `postgres` extra installs
    # together: naming `arrow` for the first sent users on to a second error.
    out = _run(
        ["pyarrow", "adbc_driver_postgresql", "adbc_driver_postgresql.dbapi"],
        """
import asyncio
from usage_analytics.sources import open_source
source = open_source("postgresql://localhost/nowhere")
attempt("fetch", lambda: asyncio.run(source.fetch("p", window["time_window_start"], end)))
attempt("fetch_all", lambda: asyncio.run(source.fetch_all(window["time_window_start"], end)))
attempt("first_record", lambda: asyncio.run(source.first_record()))
""",
    )
    extra = "pip install 'usage-analytics[postgres]'"
    for call in ("fetch", "fetch_all", "first_record"):
        outcome = out[call]
        assert isinstance(outcome, list), (call, outcome)
        message, is_library_error = outcome
        assert message.startswith("PostgreSQL needs "), (call, message)
        assert message.endswith(extra), (call, message)
        assert is_library_error


def test_postgresql_without_pyarrow_names_the_postgres_extra_on_every_call() -> None:
    # With the driver but not pyarrow, a connection failed in ADBC's DB-API, "cannot use
    # postgresql://...: This API requires PyArrow to be installed" (exit 2, naming no
    # extra), for the calls that connect before asking for pyarrow: `newest`, the first
    # of the command line's, and `unattributed`.
    out = _run(
        ["pyarrow"],
        """
import asyncio
from usage_analytics.sources import open_source
source = open_source("postgresql://localhost:9/nowhere")
attempt("newest", lambda: asyncio.run(source.newest()))
attempt("unattributed", lambda: asyncio.run(source.unattributed()))
""",
    )
    expected = ["PostgreSQL needs pyarrow: pip install 'usage-analytics[postgres]'", True]
    assert out == {"newest": expected, "unattributed": expected}
