"""`usage-analytics dashboard`: every pattern of a source, worst first."""

from __future__ import annotations

import argparse
from datetime import datetime

from pydantic_core import to_jsonable_python

from usage_analytics.cli.absent_fields import absent_success_note
from usage_analytics.cli.batch import reduce_patterns
from usage_analytics.cli.common import (
    EXIT_OK,
    CliError,
    Nameless,
    add_calendar_options,
    add_output_options,
    add_source_options,
    add_window_options,
    contract_of,
    field_named,
    granularity_of,
    note_the_end,
    reduce_all,
    source_columns,
    source_of,
    source_window,
    to_stderr,
    unreadable_note,
    window_of,
)
from usage_analytics.cli.empty_window import note_an_empty_window
from usage_analytics.cli.id_column import refuse_an_id_column_spelled_otherwise
from usage_analytics.cli.index_hint import index_note
from usage_analytics.cli.key_spellings import note_spelled_keys
from usage_analytics.cli.output import DASHBOARD_RENDERERS, Analysis, View, emit
from usage_analytics.cli.running import run_async
from usage_analytics.cli.valid_end import ends_past_the_valid, newest_valid_in
from usage_analytics.collector import gc_paused, move_to_oldest_generation
from usage_analytics.contracts import (
    AnalyticsGranularity,
    ModelUsageAnalyticsOutput,
    TimeWindowType,
)
from usage_analytics.dashboard import DashboardRow, dashboard_rows
from usage_analytics.progress import Progress
from usage_analytics.report import plural, window_bounds
from usage_analytics.sources import ExecutionSource, Fetched, Unattributed, Unreadable


def configure_dashboard(parser: argparse.ArgumentParser) -> None:
    add_source_options(parser)
    add_window_options(parser)
    add_calendar_options(parser)
    add_output_options(
        parser,
        "table: one line per pattern, worst first (the default but for an --output PATH of "
        ".html or .json); json: the same numbers at "
        "full precision; html: a self-contained page with the table and the worst "
        "pattern's charts",
    )


def run_dashboard(args: argparse.Namespace) -> int:
    source = source_of(args)
    rows, analyses, window, unattributed, unreadable, notes = run_async(_dashboard(args, source))
    start, end, kind = window
    shown_start, shown_end, clocks = window_bounds(start, end, args.tz)
    heading = (
        f"{len(analyses)} pattern{'s' if len(analyses) != 1 else ''} in {source.description}, "
        f"{shown_start} to {shown_end} {clocks} ({kind.value} window). "
        "Most in need of attention first."
    )
    if unattributed:
        heading += f" {plural(unattributed, 'record')} without a pattern_id left out."
    if unreadable.count:
        heading += f" {unreadable_note(unreadable)}"
    invalid = sum(analysis.result.data_quality.invalid_records for analysis in analyses)
    if invalid:
        heading += f" {plural(invalid, 'invalid record')} left out, counted under INVALID."
    # The window's times as the results' JSON writes them ("...Z", pydantic's form), so
    # `analyze` and `dashboard` documents of one window carry the same text.
    document_window = {
        "start": to_jsonable_python(start),
        "end": to_jsonable_python(end),
        "type": kind.value,
        "timezone": args.tz,
    }

    def view(width: int, unicode: bool) -> View:
        return View(
            analyses,
            None,
            args.tz,
            width,
            unicode,
            heading,
            window=document_window,
            unattributed=unattributed,
            rows=rows,
            unreadable=unreadable,
        )

    with gc_paused():  # (see `_dashboard`)
        emit(args, view, DASHBOARD_RENDERERS)
    # (After the report: a missing `success` column, whose numbers it explains
    # (`absent_fields`), then a table without an index (`index_hint`).)
    for note in notes:
        to_stderr(note)
    return EXIT_OK


def _check_unattributed(
    args: argparse.Namespace, source: ExecutionSource, unattributed: Unattributed
) -> None:
    """Records without a pattern id are invalid records of the batch (as in
    `execute_batch_reduction`): an error unless `--on-invalid skip`."""
    if unattributed.count and args.on_invalid == "raise":
        more = unattributed.count - 1
        also = f" (and {plural(more, 'record')} more without one)" if more else ""
        raise CliError(
            f"{_missing_id(source, unattributed)}{also}; --on-invalid skip leaves records "
            "without a pattern_id out"
        )


def _missing_id(source: ExecutionSource, unattributed: Unattributed) -> str:
    field = field_named("pattern_id", source_columns(source))
    where = f"{source.description}, {unattributed.first}"
    return f"{where}: {field} = <missing>: required field is missing"


def _nameless_later(
    args: argparse.Namespace, source: ExecutionSource, unattributed: Unattributed
) -> Nameless | None:
    """In raise mode, records without a pattern id in a source with an order of records
    (a file's): they are reported with the patterns' invalid records (`reduce_all`), the
    first in the file's order named and all of them counted, as the library's batch
    does. Else None: without such records, or in a database, which has no order (its
    records without a pattern id are named, and counted, before the reduction)."""
    if args.on_invalid != "raise" or not unattributed.count or unattributed.row is None:
        return None
    return Nameless(unattributed.count, unattributed.row, _missing_id(source, unattributed))


async def _dashboard(
    args: argparse.Namespace, source: ExecutionSource
) -> tuple[
    list[DashboardRow],
    list[Analysis],
    tuple[datetime, datetime, TimeWindowType],
    int,
    Unreadable,
    list[str],
]:
    """The dashboard's rows and analyses (worst first), its window, the records without
    a pattern id, the unreadable lines, and the notes shown after the report: a missing
    `success` column (`cli.absent_fields`), a table without an index on the pattern id
    (`cli.index_hint`), made while the source is open."""
    progress = Progress()
    where = source.description
    async with source:
        window = await source_window(args, source, progress)
        await refuse_an_id_column_spelled_otherwise(source)  # (`cli.id_column`)
        await note_spelled_keys(source)  # (JSON Lines keys: `cli.key_spellings`)
        groups, results, unattributed, unreadable = await _reduced(args, source, window, progress)
        if ends_past_the_valid(args, results):  # (see `cli.valid_end`)
            stretched_end = window[1]  # (the records up to it fetched still)
            newest = await newest_valid_in(args, source, window, (groups, results), progress)
            del groups, results  # (not held through the pass below: 100 MB a million)
            window = window_of(args, newest)
            groups, results, unattributed, unreadable = await _reduced(
                args, source, window, progress, stretched_end
            )
        await note_the_end(args, source, window[1])
        await note_an_empty_window(source, results, window, args.tz)
        absent = await absent_success_note(source, groups, results, window)
        notes = [note for note in (absent, await index_note(source)) if note is not None]
    columns = source_columns(source)
    # The rows, their health findings and the document: hundreds of thousands of objects
    # for 100,000 patterns, none in a cycle, beside the results. With the collector on,
    # its full collections walked all of them and the results again (1.3 s of 2.0 s of
    # collecting, `benches/dashboard_patterns.py`'s layout).
    with gc_paused():
        analyses = {
            fetched.pattern_id: Analysis(fetched.pattern_id, result, fetched.locate)
            for fetched, result in zip(groups, results, strict=True)
        }
        rows = dashboard_rows([(name, analysis.result) for name, analysis in analyses.items()])
        move_to_oldest_generation()  # (before the pause ends: they are kept to the end)
    granularity = granularity_of(args)
    # (Only the HTML page shows a pattern in full: the table and the JSON document show
    # each pattern's headline numbers, the same at every granularity.)
    if args.format == "html" and granularity is not AnalyticsGranularity.SUMMARY:
        first = next(group for group in groups if group.pattern_id == rows[0].name)
        contract = contract_of(args, first, window, granularity)
        (result,) = await reduce_all([contract], [first], where, progress, columns)
        analyses[first.pattern_id] = Analysis(first.pattern_id, result, first.locate)
        rows[0] = DashboardRow(rows[0].name, result, rows[0].findings)
    analysed = [analyses[row.name] for row in rows]
    return rows, analysed, window, unattributed.count, unreadable, notes


async def _reduced(
    args: argparse.Namespace,
    source: ExecutionSource,
    window: tuple[datetime, datetime, TimeWindowType],
    progress: Progress,
    fetched_until: datetime | None = None,
) -> tuple[list[Fetched], list[ModelUsageAnalyticsOutput], Unattributed, Unreadable]:
    """The source's patterns over `window` and their results (at SUMMARY), of the
    records up to `fetched_until` where given (see `cli.valid_end`), its records without
    a pattern id and its unreadable lines."""
    where = source.description
    async with progress.step(f"loading the records from {where}"):
        groups = await source.fetch_all(window[0], fetched_until or window[1])
        unattributed = await source.unattributed()
        unreadable = await source.unreadable()
    progress.clear()
    # (Reported after the reduction where an invalid record may come before them.)
    nameless = _nameless_later(args, source, unattributed)
    if nameless is None:
        _check_unattributed(args, source, unattributed)
    if not groups:
        raise CliError(f"{where} holds no records with a pattern_id")
    # Every pattern at SUMMARY, which has all the numbers of the table and the health
    # findings: the breakdowns of DETAILED (by hour, weekday, context, agent, project,
    # file type) and the per-bucket series of COMPREHENSIVE are shown for the first
    # pattern only (--format html, reduced again below). For every pattern they took
    # gigabytes (the series of a thousand patterns over 36 years of weekly buckets: 1.3
    # GB, ten times the table's; the breakdowns of 100,000 patterns 330 MB of 2.3 GB).
    columns = source_columns(source)
    results = await reduce_patterns(
        groups,
        lambda fetched: contract_of(args, fetched, window, AnalyticsGranularity.SUMMARY),
        where,
        progress,
        columns,
        nameless,
    )
    _check_unattributed(args, source, unattributed)  # (none of the patterns' was invalid)
    return groups, results, unattributed, unreadable
