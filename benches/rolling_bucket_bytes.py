"""What a rolling monitor's bucket takes: resident memory and address space (what
`RLIMIT_AS` caps), per bucket, while an add makes its buckets and once it is done, and
while `from_bytes` loads them. The figures behind `rolling.rs`' `BYTES_PER_BUCKET`.

    .venv/bin/python benches/rolling_bucket_bytes.py [BUCKETS]

Each case runs in a fresh interpreter: a pyarrow table of BUCKETS records (default
100,000), one a second, added to a monitor of 1 s buckets whose kept range holds them all
(a bucket a record: what an add makes at most per record); `one` a
`RollingUsageAnalytics`, `batch` a `BatchRollingUsageAnalytics` whose records are of 40
patterns (its patterns' buckets made on the core's threads in parallel); `load` the
one-pattern monitor's bytes loaded by `from_bytes` in an interpreter of their own. Before
the step the core's threads are started, the table built and the resident high-water
mark reset where the kernel allows (`peers.memory`; else a peak below the one before is
flagged as such); after it, per bucket made: the peak address space over what
the process mapped before (VmPeak - VmSize), the peak resident (VmHWM - VmRSS), and what
stays mapped and resident with the monitor alive. B = bytes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

CHILD = """
import json, sys
from datetime import timedelta
from pathlib import Path
import numpy as np
import pyarrow as pa
sys.path.insert(0, BENCHES)
from peers.memory import _reset_high_water_mark, _status_kb
from usage_analytics import BatchRollingUsageAnalytics, RollingUsageAnalytics

case, buckets, path = CASE, BUCKETS, PATH
window, bucket = timedelta(seconds=100_000), timedelta(seconds=1)
kind = BatchRollingUsageAnalytics if case == "batch" else RollingUsageAnalytics
try:  # (the core's threads started: their stacks are not the step's)
    kind.from_bytes(b"UAST")
except Exception:
    pass
if case == "load":
    data = Path(path).read_bytes()
    step = lambda: kind.from_bytes(data)
else:
    rng = np.random.default_rng(3)
    columns = {
        "timestamp": np.datetime64("2024-01-01", "us")
        + (np.arange(buckets) * 10**6 + rng.integers(0, 10**6, buckets)).astype("timedelta64[us]"),
        "success": rng.random(buckets) < 0.9,
        "execution_time_ms": rng.random(buckets) * 100,
        "agent": rng.choice(["a", "b", "c"], buckets),
    }
    if case == "batch":
        columns["pattern_id"] = rng.integers(0, 40, buckets)
    table = pa.table(columns)
    monitor = kind(window, bucket)
    step = lambda: monitor.add(table) or monitor
_reset_high_water_mark()  # (where the kernel allows it; else the step must pass it)
before = {field: _status_kb(field) for field in ("VmPeak", "VmSize", "VmHWM", "VmRSS")}
kept = step()
after = {field: _status_kb(field) for field in ("VmPeak", "VmSize", "VmHWM", "VmRSS")}
made = kept.retained_buckets
if case == "one":
    Path(path).write_bytes(kept.to_bytes())
print(json.dumps({
    "buckets": made,
    "peak_mapped": (after["VmPeak"] - before["VmSize"]) * 1024 / made,
    "peak_above_earlier_peak": after["VmPeak"] > before["VmPeak"],
    "peak_resident": (after["VmHWM"] - before["VmRSS"]) * 1024 / made,
    "resident_above_earlier_peak": after["VmHWM"] > before["VmHWM"],
    "kept_mapped": (after["VmSize"] - before["VmSize"]) * 1024 / made,
    "kept_resident": (after["VmRSS"] - before["VmRSS"]) * 1024 / made,
}))
"""


def measure(case: str, buckets: int, path: str) -> dict[str, float]:
    source = (
        CHILD.replace("BENCHES", repr(str(Path(__file__).resolve().parent)))
        .replace("CASE", repr(case))
        .replace("BUCKETS", str(buckets))
        .replace("PATH", repr(path))
    )
    command = [sys.executable, "-c", source]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    buckets = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as directory:
        path = str(Path(directory) / "monitor")
        for case in ("one", "load", "batch"):
            f = measure(case, buckets, path)
            mapped = "" if f["peak_above_earlier_peak"] else " (an earlier peak's: at most)"
            resident = "" if f["resident_above_earlier_peak"] else " (an earlier peak's: at most)"
            print(
                f"{case}: {f['buckets']:,.0f} buckets; per bucket, peak {f['peak_mapped']:,.0f} B"
                f" mapped{mapped}, {f['peak_resident']:,.0f} B resident{resident}; kept"
                f" {f['kept_mapped']:,.0f} B mapped, {f['kept_resident']:,.0f} B resident"
            )


if __name__ == "__main__":
    main()
