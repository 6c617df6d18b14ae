"""The command over directories of record files under an address-space limit: out of
memory is one line and exit 1, never an abort, a traceback or a hang, as for a single
file (`test_out_of_memory_files`, whose child and checks are `limited_command`'s).

Each kind (CSV, JSON Lines, Parquet) in two layouts: flat (four files side by side) and
hive (`success=true/` and `success=false/`, two files each, the flag given by the
directory), 20,000 records in all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from limited_command import check_limited_runs

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

KINDS = ["csv", "jsonl", "parquet"]
LAYOUTS = ["flat", "hive"]


def _write(table: Any, path: Path, kind: str) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "csv":
        pacsv.write_csv(table, path)
    elif kind == "parquet":
        pq.write_table(table, path)
    else:
        path.write_text("".join(json.dumps(row) + "\n" for row in table.to_pylist()))


@pytest.fixture(scope="module")
def directories(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = 20_000
    rng = np.random.default_rng(2)
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
    root = tmp_path_factory.mktemp("directories")
    found = {}
    for kind in KINDS:
        flat = root / f"flat-{kind}"
        for part in range(4):
            _write(table.slice(part * n // 4, n // 4), flat / f"day-{part}.{kind}", kind)
        hive = root / f"hive-{kind}"
        for flag in (True, False):
            rows = table.filter(pc.equal(table["success"], flag)).drop_columns(["success"])
            half = rows.num_rows // 2
            for part, piece in enumerate([rows.slice(0, half), rows.slice(half)]):
                path = hive / f"success={str(flag).lower()}" / f"part-{part}.{kind}"
                _write(piece, path, kind)
        found[kind, "flat"], found[kind, "hive"] = flat, hive
    return found


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_short_memory_over_a_directory_is_one_line_and_exit_1_or_the_unlimited_report(
    directories: dict[tuple[str, str], Path], kind: str, layout: str
) -> None:
    check_limited_runs(directories[kind, layout])
