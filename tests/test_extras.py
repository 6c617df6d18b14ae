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


def test_columns_and_to_arrow_without_pyarrow_name_the_arrow_extra() -> None:
    out = _run(
        ["pyarrow"],
        """
columns = {"timestamp": [end - timedelta(hours=1)], "success": [True]}
attempt("columns", lambda: reducer.execute_reduction_sync(
    ModelUsageAnalyticsInput(pattern_id="p", execution_data=columns, **window)))
records = [{"timestamp": end - timedelta(hours=1), "pattern_id": "p"}]
batch = reducer.execute_batch_reduction_sync(
    ModelUsageAnalyticsBatchInput(execution_data=records, **window))
attempt("to_arrow", batch.to_arrow)
""",
    )
    extra = "needs pyarrow: pip install 'usage-analytics[arrow]'"
    assert out["columns"] == [
        f"a dict of columns (or pass a list of record dicts, or a pyarrow/polars/pandas "
        f"table) {extra}",
        True,
    ]
    assert out["to_arrow"] == [f"to_arrow() {extra}", True]


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
