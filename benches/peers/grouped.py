"""Many patterns: polars `group_by` and DuckDB `GROUP BY` computing, per pattern, the count,
success rate, p50/p95/p99 (linear interpolation), mean and sample std of the execution
times, from the pyarrow Table with a `pattern_id` column. Each returns a dict from pattern
id to those seven numbers (`HEADLINE` order); `ours_headline` does the same for our batch
output, to check that all three agree before they are timed.
"""

from __future__ import annotations

from typing import Any

HEADLINE = ("count", "success_rate", "p50", "p95", "p99", "mean", "std")
Headline = dict[str, tuple[float, ...]]

_GROUP_BY = """
SELECT
    pattern_id,
    count(*),
    avg(success::DOUBLE),
    quantile_cont(execution_time_ms, [0.5, 0.95, 0.99]),
    avg(execution_time_ms),
    stddev_samp(execution_time_ms)
FROM records
GROUP BY pattern_id
"""


def polars_group_by(table: Any) -> Any:
    import polars as pl

    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    x = pl.col("execution_time_ms")
    return frame.group_by("pattern_id").agg(
        count=pl.len(),
        success_rate=pl.col("success").mean(),
        p50=x.quantile(0.5, interpolation="linear"),
        p95=x.quantile(0.95, interpolation="linear"),
        p99=x.quantile(0.99, interpolation="linear"),
        mean=x.mean(),
        std=x.std(ddof=1),
    )


def polars_headline(result: Any) -> Headline:
    return {row[0]: tuple(row[1:]) for row in result.iter_rows()}


def duckdb_group_by(table: Any) -> list[tuple[Any, ...]]:
    import duckdb

    with duckdb.connect() as con:
        con.register("records", table)
        return con.execute(_GROUP_BY).fetchall()


def duckdb_headline(rows: list[tuple[Any, ...]]) -> Headline:
    return {
        pattern: (count, rate, *quantiles, mean, std)
        for pattern, count, rate, quantiles, mean, std in rows
    }


def ours_headline(batch: Any) -> Headline:
    headline: Headline = {}
    for pattern, output in batch.results.items():
        perf = output.performance_metrics
        headline[pattern] = (
            output.usage_metrics.total_executions,
            output.success_metrics.success_rate,
            perf.p50_execution_time_ms,
            perf.p95_execution_time_ms,
            perf.p99_execution_time_ms,
            perf.avg_execution_time_ms,
            perf.std_dev_ms,
        )
    return headline
