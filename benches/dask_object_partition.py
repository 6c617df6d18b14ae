"""One Dask partition's state (`usage_analytics.dask._partition_state`, the task each
partition runs on a worker) of a 1M-row pandas frame, typed, and with its
`execution_time_ms` a column of Python objects (every third an int, all good; the frame
of `benches/object_frames.py`, as `dataframe.convert-string` off leaves it): the least
and median of 5 calls after a warm-up each, wall time and the process's CPU time (less
moved by other processes on a loaded machine; the task is single-threaded but for the
core's own threads). Run in one process, no cluster: the task alone, as a worker runs it.

    PYTHONPATH=<tree>/python .venv/bin/python benches/dask_object_partition.py
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import usage_analytics
from object_frames import START, frames, print_times
from usage_analytics import dask as ua_dask


def main() -> None:
    print(usage_analytics.__file__)
    settings = {"time_window_start": START, "time_window_end": START + timedelta(days=7)}
    for name, frame in frames():
        print_times(name, partial(ua_dask._partition_state, frame, settings, "pattern_id"))


if __name__ == "__main__":
    main()
