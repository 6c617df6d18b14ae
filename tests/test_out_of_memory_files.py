"""The command over record files under an address-space limit: out of memory is one line
and exit 1, never an abort, a traceback or a hang.

Each case runs `usage-analytics dashboard FILE --format json` in a child under an
address-space limit (`limited_command`).
Before (helper-224's sweep, reproduced here on 20,000 records): at 16-48 MB every kind
of file aborted the child (SIGABRT, `std::bad_alloc` from `arrow::compute::Initialize`,
`import pyarrow.compute` on the worker thread that reads, whose malloc arena did not fit:
`address_space`); at 64 MB a CSV file ended it with glibc's "cannot allocate memory for
thread-local data: ABORT" (exit 127); at 4 MB, and at 64-96 MB for Parquet, the command
ended in a traceback of `RuntimeError: can't start new thread` (the worker thread, or
asyncio's thread waiting for it, which replaced the read's error). A Parquet read could
also wait for ever for a pyarrow thread that never started (`sources.short_room`): the
child's timeout (`run_python`) fails such a case. Linux only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from limited_command import check_limited_runs

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

KINDS = ["csv", "jsonl", "parquet"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    n = 20_000
    rng = np.random.default_rng(1)
    offsets = np.sort(rng.integers(0, 30 * 86_400 * 10**6, n)).astype("timedelta64[us]")
    stamps = np.datetime_as_string(np.datetime64("2024-01-01", "us") + offsets, unit="us")
    table = pa.table(
        {
            "pattern_id": [f"p{i}" for i in rng.integers(0, 200, n)],
            "timestamp": [f"{stamp}Z" for stamp in stamps],
            "success": rng.random(n) < 0.9,
            "execution_time_ms": rng.random(n) * 100,
            "agent": [f"agent-{i}" for i in rng.integers(0, 50, n)],
        }
    )
    folder = tmp_path_factory.mktemp("records")
    paths = {kind: folder / f"runs.{kind}" for kind in KINDS}
    pacsv.write_csv(table, paths["csv"])
    pq.write_table(table, paths["parquet"])
    paths["jsonl"].write_text("".join(json.dumps(row) + "\n" for row in table.to_pylist()))
    return paths


@pytest.mark.parametrize("kind", KINDS)
def test_short_memory_is_one_line_and_exit_1_or_the_unlimited_report(
    files: dict[str, Path], kind: str
) -> None:
    check_limited_runs(files[kind])
