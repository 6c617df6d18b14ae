"""The analytics with DuckDB, scanning the pyarrow Table in place (no copy in).

One connection per call (DuckDB's default threads: one per core; calendar fields come from
epoch microseconds, so the session time zone plays no part).
One query for the scalars (counts, means, `quantile_cont` at 0.5/0.95/0.99, min/max/
stddev_samp/sum), then one GROUP BY each for the counts per hour of the window, the agents
of each half of the window, and the counts per value of each string column. Chosen as the
faster of the variants tried at 10M records (2 cores, DuckDB 2.0): with one GROUP BY
GROUPING SETS scan for all the counts instead, the call took about 1.6x as long.
"""

from __future__ import annotations

from typing import Any

from peers.data import START_US, STRING_COLUMNS
from peers.finish import HOUR_US, WINDOW_HOURS, WINDOW_US, Aggregates

_SCALARS = """
SELECT
    count(*) AS count,
    count_if(success) AS successes,
    count_if(timeout) AS timeouts,
    count_if(NOT quality_gates_passed) AS gate_failures,
    avg(quality_score) AS quality_mean,
    count(execution_time_ms) AS time_count,
    avg(execution_time_ms) AS time_mean,
    quantile_cont(execution_time_ms, [0.5, 0.95, 0.99]) AS time_q,
    min(execution_time_ms) AS time_min,
    max(execution_time_ms) AS time_max,
    stddev_samp(execution_time_ms) AS time_std,
    sum(execution_time_ms) AS time_total,
    max(epoch_us(timestamp)) AS max_timestamp_us
FROM records
"""

_HOURLY = f"""
SELECT (epoch_us(timestamp) - {START_US}) // {HOUR_US} AS hour, count(*)
FROM records GROUP BY hour
"""

_HALVES = f"""
SELECT agent, 2 * (epoch_us(timestamp) - {START_US}) < {WINDOW_US} AS first
FROM records GROUP BY ALL
"""


def aggregates(table: Any) -> Aggregates:
    import duckdb
    import numpy as np

    with duckdb.connect() as con:
        con.register("records", table)
        names = [d[0] for d in con.execute(_SCALARS).description or []]
        row = dict(zip(names, con.fetchone() or (), strict=True))
        per_hour = np.zeros(WINDOW_HOURS, dtype=np.int64)
        for hour, n in con.execute(_HOURLY).fetchall():
            per_hour[hour] = n
        halves = con.execute(_HALVES).fetchall()
        categories = {
            name: dict(con.execute(f"SELECT {name}, count(*) FROM records GROUP BY 1").fetchall())
            for name in STRING_COLUMNS
        }
    p50, p95, p99 = row.pop("time_q")
    return Aggregates(
        **row,
        time_p50=p50,
        time_p95=p95,
        time_p99=p99,
        hourly=per_hour,
        categories=categories,
        agents_first_half={agent for agent, first in halves if first},
        agents_second_half={agent for agent, first in halves if not first},
    )
