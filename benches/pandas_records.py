"""A pandas frame's records (`df.to_dict("records")`, whose times are pandas Timestamps)
against the frame itself and the same records with plain `datetime`s, reduced one after
another in one process (the reducer's synchronous call, one pattern):

    .venv/bin/python benches/pandas_records.py [RECORDS] [ROUNDS]

Timestamps in UTC, naive (UTC by DESIGN.md) and in a zone with summer time, since the
core reads a Timestamp's instant whatever its zone. Two builds are compared by running
the script under each one's `PYTHONPATH` (BENCHMARKS.md).
"""

from __future__ import annotations

import statistics
import sys
from functools import partial
from typing import Any

import pandas as pd
from dict_of_lists import END, START, columns, reduced_to
from timing import interleaved, walls


def frame(n: int, zone: str | None) -> pd.DataFrame:
    """`dict_of_lists.columns`' records as a frame, its times in `zone` (None: naive).
    Every record has a score: a missing one is NaN in the frame's records, which records
    refuse (DESIGN.md), where the frame's NaN is pandas' null."""
    data = pd.DataFrame(columns(n, None)).fillna({"quality_score": 0.5})
    times = pd.to_datetime(data["timestamp"]).dt.tz_localize("UTC")
    data["timestamp"] = times.dt.tz_convert(zone) if zone else times.dt.tz_localize(None)
    return data


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    for zone in ("UTC", None, "Europe/Berlin"):
        data = frame(n, zone)
        records = data.to_dict("records")
        plain = [{**r, "timestamp": r["timestamp"].to_pydatetime()} for r in records]
        forms: dict[str, Any] = {"records": records, "plain datetimes": plain, "frame": data}
        calls = {form: partial(reduced_to, n, value) for form, value in forms.items()}
        times = {form: walls(taken) for form, taken in interleaved(calls, rounds).items()}
        print(f"{n:,} records, Timestamps in {zone or 'naive'}: median (min) of {rounds}")
        for form, spent in times.items():
            print(f"  {form:16} {statistics.median(spent) * 1e3:8.1f} ms ({min(spent) * 1e3:.1f})")
    assert START < END


if __name__ == "__main__":
    main()
