"""The default window's end under `--on-invalid skip`: the newest *valid* record's time.

Without --end the window ends at the source's newest record's timestamp, for `analyze`
as for `dashboard` (`common.source_window`, from the source's `newest`, which reads
timestamps alone). A record whose timestamp is
fine but whose other fields are not (a negative execution time, a score of 7) was still
the newest record: skipped, it was left out of the window it had ended, which was then
stretched past every valid record (a file whose last line was invalid showed its
pattern as unused for a month, or its whole month as empty). The design is silent on the
command line's default window; this is the command's decision:

- skip mode: the window ends at the newest valid record of the source (of a record with
  a pattern id: the dashboard's patterns'), for `analyze` as for `dashboard`, so that
  the two agree on a pattern's window. Where no record is valid, there is no such end:
  an error that says so and names the first record's problem, as the reducer's error
  would. (A record file without a pattern_id field holds one pattern, whose newest
  valid record it is.)
- raise mode: unchanged. The window ends at the newest record's timestamp, so that record,
  if invalid, lies in the window and is the command's error (a database hands over the
  window's rows only: a window ended before it would have left it out unreported).
  `analyze`, which reduces its own pattern's records alone, checks that the record is
  one it accepts (`cli.invalid_end`).

The check costs nothing where the newest record is valid: the analysis of the window
says so (a pattern's `time_since_last_use` of 0.0, its latest execution at the window's
end). Only otherwise is the newest valid instant found (`newest_valid_in`) and the
window analysed again. The core knows that instant exactly (`reducer.newest_valid_us`,
`CoreResult.latest_us`: internal, no output field, as the output is the replaced
system's); the output has only the hours from it to the end, rounded. It is read, by
one pass of the core that makes no output, of the records of the patterns whose results
put their latest execution fewest hours before the end (rounding keeps the hours'
order, so the newest valid record's pattern is among them: almost always that one
pattern alone). Where the window holds no valid record (all lie before its start), the
records up to its end are analysed first, without the optional families, and read so.

`analyze` has only its pattern's analysis: where its pattern's newest valid record is not
at the end, the other patterns' records at the end's instant are read and probed
(`newest_valid_of_source`: a database sends those few rows; a file, read whole already,
is probed whole), and only where none of them is valid the window's records of every
pattern, as the dashboard's.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from usage_analytics.cli.batch import reduce_patterns
from usage_analytics.cli.common import (
    first_record_problem,
    no_valid_record,
    reduce_all,
    source_columns,
)
from usage_analytics.contracts import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    OnInvalid,
    TimeWindowType,
)
from usage_analytics.errors import internal_error
from usage_analytics.output import datetime_of
from usage_analytics.progress import Progress
from usage_analytics.reducer import newest_valid_us
from usage_analytics.sources import ExecutionSource, Fetched, FileSource

__all__ = [
    "FIRST_INSTANT",
    "TICK",
    "ends_past_the_valid",
    "newest_valid",
    "newest_valid_in",
    "newest_valid_of_source",
    "present_patterns",
    "probe_all",
    "probe_contract",
]

#: The first instant a window can start at.
FIRST_INSTANT = datetime(1, 1, 1, tzinfo=UTC)


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
    window: tuple[datetime, datetime, TimeWindowType],
    analysed: tuple[Sequence[Fetched], Sequence[ModelUsageAnalyticsOutput]],
    progress: Progress,
    pattern: str | None = None,
) -> datetime:
    """The newest valid record's time of an open source (of `pattern`, or of every
    pattern) up to `window`'s end, of which `analysed` holds the groups and their
    results; the error `no_valid_record` where none is valid. (The window it ends is to
    be fetched up to `window`'s end still, so that the invalid records after it, which a
    database hands over only when asked for their times, are counted as invalid.)"""
    start, end, _ = window
    of = f" of {pattern}" if pattern is not None else ""
    label = f"finding the newest valid record{of} in {source.description}"
    async with progress.step(label):
        newest = await newest_valid(args, *analysed, start, end)
    progress.clear()
    if newest is None and start > FIRST_INSTANT:
        # None in the window: of every record up to its end, analysed for no more.
        analysed = await _analysed_up_to(args, source, end, progress, label, pattern)
        async with progress.step(label):
            newest = await newest_valid(args, *analysed, FIRST_INSTANT, end)
        progress.clear()
    if newest is None:
        raise no_valid_record(await first_record_problem(source, pattern), pattern)
    return newest


async def newest_valid_of_source(
    args: argparse.Namespace,
    source: ExecutionSource,
    window: tuple[datetime, datetime, TimeWindowType],
    own: tuple[Fetched, ModelUsageAnalyticsOutput],
    progress: Progress,
    pattern: str,
) -> datetime:
    """The newest valid record's time of an open source up to `window`'s end (that of the
    source's newest record), of any pattern, where `pattern`'s own newest valid record,
    of `own` (its records and their analysis over `window`), is not at that end: the end
    `dashboard` finds of the same source (`newest_valid_in` of all its patterns). The
    records at the end's instant first, which hold a valid one but where the newest record
    was invalid; else the window's records of every pattern, then all up to its end. A
    record file without a pattern_id field has one pattern, `pattern`: its own newest
    valid record."""
    start, end, _ = window
    label = f"finding the newest valid record in {source.description}"
    at_the_end = await valid_at_the_instant(args, source, end, label, progress)
    if at_the_end is None:
        return await newest_valid_in(args, source, window, ([own[0]], [own[1]]), progress, pattern)
    if at_the_end[1] is not None:
        return at_the_end[1]
    del at_the_end
    async with progress.step(label):
        groups = await source.fetch_all(start, end)
    progress.clear()
    probed = await probe_all(args, source, groups, start, end, progress)
    return await newest_valid_in(args, source, window, (groups, probed), progress)


#: The least span of a window (its end after its start): the newest record's instant
#: alone, but for a valid record a microsecond before it.
TICK = timedelta(microseconds=1)


async def valid_at_the_instant(
    args: argparse.Namespace,
    source: ExecutionSource,
    end: datetime,
    label: str,
    progress: Progress,
) -> tuple[list[Fetched], datetime | None] | None:
    """The patterns with records at the instant `end` (`present_patterns` over [end -
    TICK, end]) and the newest valid record's time among them, probed as skip mode probes
    (None where none is valid); None from a record file without pattern ids."""
    instant = end - TICK, end
    async with progress.step(label):
        at_the_end = await present_patterns(source, *instant)
    progress.clear()
    if at_the_end is None:
        return None
    probed = await probe_all(args, source, at_the_end, *instant, progress)
    async with progress.step(label):
        newest = await newest_valid(args, at_the_end, probed, *instant)
    progress.clear()
    return at_the_end, newest


async def present_patterns(
    source: ExecutionSource, start: datetime, end: datetime
) -> list[Fetched] | None:
    """The patterns with records in [start, end], with those records:
    `source.fetch_present(start, end)` (a database reads those rows alone: `fetch_all`
    listed every pattern id, and made a group for each, most of them empty, for the few
    rows of one instant: 0.33-0.41 s of 1M SQLite rows over 10,000 patterns, against
    0.19-0.22 s, or 0.04-0.05 s with an index on the timestamp); None from a record file
    whose records carry no pattern ids (`fetch_present` would refuse it): its records are
    all the pattern's. (Asked of the file rather than read from the refusal, which may
    refuse for other reasons, reported as they are.)"""
    if isinstance(source, FileSource) and not await source.has_pattern_ids():
        return None
    return await source.fetch_present(start, end)


async def probe_all(
    args: argparse.Namespace,
    source: ExecutionSource,
    groups: list[Fetched],
    start: datetime,
    end: datetime,
    progress: Progress,
) -> list[ModelUsageAnalyticsOutput]:
    """The `probe_contract` results of `groups` over [start, end]."""

    def contract(group: Fetched) -> ModelUsageAnalyticsInput:
        return probe_contract(args, group, start, end)

    where, columns = source.description, source_columns(source)
    return await reduce_patterns(groups, contract, where, progress, columns)


async def _analysed_up_to(
    args: argparse.Namespace,
    source: ExecutionSource,
    end: datetime,
    progress: Progress,
    label: str,
    pattern: str | None,
) -> tuple[list[Fetched], list[ModelUsageAnalyticsOutput]]:
    """The source's groups (of `pattern`, or all) of the records up to `end`, and their
    `probe_contract` results."""
    where, columns = source.description, source_columns(source)
    async with progress.step(label):
        if pattern is None:
            groups = await source.fetch_all(FIRST_INSTANT, end)
        else:
            groups = [await source.fetch(pattern, FIRST_INSTANT, end)]
    progress.clear()

    def contract(group: Fetched) -> ModelUsageAnalyticsInput:
        return probe_contract(args, group, FIRST_INSTANT, end)

    if pattern is None:
        return groups, await reduce_patterns(groups, contract, where, progress, columns)
    contracts = [contract(group) for group in groups]
    return groups, await reduce_all(contracts, groups, where, progress, columns)


async def newest_valid(
    args: argparse.Namespace,
    groups: Sequence[Fetched],
    results: Sequence[ModelUsageAnalyticsOutput],
    start: datetime,
    end: datetime,
) -> datetime | None:
    """The newest valid record's time among `groups` in [start, end] (None: no record
    is valid there), `results` their analyses of that window: the core's exact instant
    (`newest_valid_us`) of the groups whose latest valid record lies fewest hours before
    the end. (Hours rounded from microseconds keep their order, so the newest record's
    group is among those; others tie with it only within a few microseconds, of a window
    longer than 71 years, or at the same instant.)"""
    hours = [result.usage_metrics.time_since_last_use for result in results]
    least = min((value for value in hours if value is not None), default=None)
    if least is None:
        return None
    nearest = [group for group, value in zip(groups, hours, strict=True) if value == least]
    instants = [await newest_valid_us(probe_contract(args, group, start, end)) for group in nearest]
    if None in instants:  # (its result had a latest execution: a bug)
        raise internal_error(f"the newest valid record before {end.isoformat()} was lost")
    return datetime_of(max(instant for instant in instants if instant is not None))


def probe_contract(
    args: argparse.Namespace,
    fetched: Fetched,
    start: datetime,
    end: datetime,
    on_invalid: OnInvalid = "skip",
) -> ModelUsageAnalyticsInput:
    """A reduction of `fetched` over [start, end] that gives its latest valid execution
    and little else: no trend buckets (a window of thousands of years would hold hundreds
    of thousands), times or breakdowns; with `on_invalid="raise"`, the error of its first
    invalid record (`invalid_end`)."""
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
        on_invalid=on_invalid,
    )
