"""The default window's end under `--on-invalid skip`: the newest *valid* record's time.

Without --end the window ends at the newest record's timestamp (`common.source_window`,
from the source's `newest`, which reads timestamps alone). A record whose timestamp is
fine but whose other fields are not (a negative execution time, a score of 7) was still
the newest record: skipped, it was left out of the window it had ended, which was then
stretched past every valid record (a file whose last line was invalid showed its
pattern as unused for a month, or its whole month as empty). The design is silent on the
command line's default window; this is the command's decision:

- skip mode: the window ends at the newest valid record (of the pattern, or of the whole
  source for the dashboard). Where no record is valid, there is no such end: an error
  that says so and names the first record's problem, as the reducer's error would.
- raise mode: unchanged. The window ends at the newest record's timestamp, so that record,
  if invalid, lies in the window and is the command's error (a database hands over the
  window's rows only: a window ended before it would have left it out unreported).

The check costs nothing where the newest record is valid: the analysis of the window
says so (a pattern's `time_since_last_use` of 0.0, its latest execution at the window's
end). Only otherwise is the newest valid instant found (`newest_valid`), by one or two
reductions of the records up to that end without the optional families, from the hours
between it and the end that the core gives exactly rounded (`exact_ratio`), and the
window analysed again.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from usage_analytics.cli.batch import reduce_patterns
from usage_analytics.cli.common import (
    CliError,
    first_record_problem,
    no_valid_record,
    reduce_all,
    source_columns,
)
from usage_analytics.contracts import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    TimeWindowType,
)
from usage_analytics.progress import Progress
from usage_analytics.sources import ExecutionSource, Fetched

__all__ = [
    "FIRST_INSTANT",
    "Probe",
    "ends_past_the_valid",
    "newest_valid",
    "newest_valid_in",
    "probe_contract",
]

#: The first instant a window can start at.
FIRST_INSTANT = datetime(1, 1, 1, tzinfo=UTC)
_MICROS_PER_HOUR = 3_600_000_000

#: Reduces the records of [start, end] (`probe_contract`), one result per pattern.
Probe = Callable[[datetime, datetime], Awaitable[Sequence[ModelUsageAnalyticsOutput]]]


def ends_past_the_valid(
    args: argparse.Namespace, results: Sequence[ModelUsageAnalyticsOutput]
) -> bool:
    """Whether a default window (no --end) in skip mode ends where no valid record is:
    the newest record, which ended it, was invalid and left out."""
    if args.end is not None or args.on_invalid != "skip":
        return False
    return not any(result.usage_metrics.time_since_last_use == 0.0 for result in results)


async def newest_valid_in(
    args: argparse.Namespace,
    source: ExecutionSource,
    end: datetime,
    progress: Progress,
    pattern: str | None = None,
) -> datetime:
    """`newest_valid` of an open source's records (of `pattern`, or of every pattern)
    up to `end`; the error `no_valid_record` where none is valid. (The window it ends is
    to be fetched up to `end` still, so that the invalid records after it, which a
    database hands over only when asked for their times, are counted as invalid.)"""
    where, columns = source.description, source_columns(source)
    of = f" of {pattern}" if pattern is not None else ""

    async def probe(start: datetime, stop: datetime) -> Sequence[ModelUsageAnalyticsOutput]:
        async with progress.step(f"finding the newest valid record{of} in {where}"):
            if pattern is None:
                groups = await source.fetch_all(start, stop)
            else:
                groups = [await source.fetch(pattern, start, stop)]
        progress.clear()

        def contract(group: Fetched) -> ModelUsageAnalyticsInput:
            return probe_contract(args, group, start, stop)

        if pattern is None:
            return await reduce_patterns(groups, contract, where, progress, columns)
        contracts = [contract(group) for group in groups]
        return await reduce_all(contracts, groups, where, progress, columns)

    newest = await newest_valid(probe, end)
    if newest is None:
        raise no_valid_record(await first_record_problem(source, pattern), pattern)
    return newest


def probe_contract(
    args: argparse.Namespace, fetched: Fetched, start: datetime, end: datetime
) -> ModelUsageAnalyticsInput:
    """A reduction of `fetched` over [start, end] that gives its latest valid execution
    (`time_since_last_use`) and little else: no trend buckets (a window of thousands of
    years would hold hundreds of thousands), times or breakdowns."""
    return ModelUsageAnalyticsInput(
        pattern_id=fetched.pattern_id,
        time_window_start=start,
        time_window_end=end,
        time_window_type=TimeWindowType.CUSTOM,
        granularity=AnalyticsGranularity.SUMMARY,
        include_trends=False,
        include_performance=False,
        include_distribution=False,
        execution_data=fetched.data,
        timezone=args.tz,
        on_invalid="skip",
    )


async def newest_valid(probe: Probe, end: datetime) -> datetime | None:
    """The newest valid record's instant at or before `end` (None: no record is valid),
    from `probe`'s hours between it and a window's end: first that of [the first
    instant, `end`], then, where those hours are rounded from several microsecond counts
    (a span past 2^51 microseconds, 71 years), that of the few microseconds they leave."""
    hours = _least_hours(await probe(FIRST_INSTANT, end))
    if hours is None:
        return None
    least, most = _micros_of(hours)
    # (None of the counts reaches before the first instant, where the records start.)
    most = min(most, (end - FIRST_INSTANT) // timedelta(microseconds=1))
    top = end - timedelta(microseconds=least)
    if least >= most:
        return top
    hours = _least_hours(await probe(end - timedelta(microseconds=most), top))
    if hours is None:  # (the record found above lies in this window: a bug)
        raise CliError(f"the newest valid record before {end.isoformat()} was lost")
    return top - timedelta(microseconds=_micros_of(hours)[0])


def _least_hours(results: Sequence[ModelUsageAnalyticsOutput]) -> float | None:
    """The hours from the newest valid record of any pattern to the window's end."""
    hours = [result.usage_metrics.time_since_last_use for result in results]
    present = [value for value in hours if value is not None]
    return min(present) if present else None


def _micros_of(hours: float) -> tuple[int, int]:
    """The least and the most whole microseconds whose hours, rounded once to a double as
    the core rounds them (`exact_ratio`; Python's `int / int` rounds so too), are
    `hours`: one count below 2^51 microseconds, at most some 60,000 at 10,000 years."""
    guess = round(hours * _MICROS_PER_HOUR)
    # (The product of a double is off by a few microseconds past 2^51: the counts that
    # round to `hours` are one run of integers, found by stepping from near it.)
    while guess > 0 and guess / _MICROS_PER_HOUR > hours:
        guess -= 1
    while guess / _MICROS_PER_HOUR < hours:
        guess += 1
    least = most = guess
    while least > 0 and (least - 1) / _MICROS_PER_HOUR == hours:
        least -= 1
    while (most + 1) / _MICROS_PER_HOUR == hours:
        most += 1
    return least, most
