"""Parquet's legacy INT96 timestamps (what Spark writes by default, and Hive and Impala)
are read as the instants they hold: pyarrow reads them as nanoseconds unless told
otherwise, and an instant outside 1677-09-21 to 2262-04-11 then wrapped, silently, to
another year (1500-01-01 to 2084, 2300-06-01 to 1715), in the window or not."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from source_cases import api_document, comparable
from usage_analytics.cli import main

START = datetime(1400, 1, 1, tzinfo=UTC)
END = datetime(2400, 1, 1, tzinfo=UTC)
STAMPS = [
    datetime(1500, 1, 1, 12, 0, tzinfo=UTC),
    datetime(2300, 6, 1, 18, 30, 0, 250_000, tzinfo=UTC),
    datetime(2026, 3, 8, 7, 15, tzinfo=UTC),
]
ROWS = [
    {"pattern_id": "p", "timestamp": stamp, "success": i % 2 == 0, "agent": f"agent-{i}"}
    for i, stamp in enumerate(STAMPS)
]


@pytest.mark.parametrize("directory", [False, True], ids=["file", "directory"])
def test_int96_timestamps_past_the_nanoseconds_range_keep_their_instants(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, directory: bool
) -> None:
    table = pa.table(
        {
            "pattern_id": [row["pattern_id"] for row in ROWS],
            "timestamp": pa.array(STAMPS, pa.timestamp("us", tz="UTC")),
            "success": [row["success"] for row in ROWS],
            "agent": [row["agent"] for row in ROWS],
        }
    )
    path = tmp_path / "runs" / "part-0.parquet" if directory else tmp_path / "runs.parquet"
    path.parent.mkdir(exist_ok=True)
    pq.write_table(table, path, use_deprecated_int96_timestamps=True)
    assert pq.read_schema(path).field("timestamp").type == pa.timestamp("ns")  # (INT96)
    source = str(path.parent if directory else path)
    window = ["--start", START.isoformat(), "--end", END.isoformat(), "--tz", "Asia/Kathmandu"]
    code = main(["analyze", source, "--pattern", "p", *window, "--format", "json"])
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, "")
    assert comparable(json.loads(captured.out)) == api_document(
        ROWS, "p", START, END, time_window_type="custom", timezone="Asia/Kathmandu"
    )
