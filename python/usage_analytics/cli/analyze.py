"""`usage-analytics analyze`: one pattern of a source."""

from __future__ import annotations

import argparse
from datetime import datetime

from usage_analytics.cli.absent_fields import absent_success_note
from usage_analytics.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    add_calendar_options,
    add_output_options,
    add_source_options,
    add_window_options,
    any_case,
    contract_of,
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
from usage_analytics.cli.id_column import note_an_id_column_spelled_otherwise
from usage_analytics.cli.index_hint import index_note
from usage_analytics.cli.invalid_end import check_the_newest_is_accepted
from usage_analytics.cli.key_spellings import note_spelled_keys
from usage_analytics.cli.output import Analysis, View, emit
from usage_analytics.cli.running import run_async
from usage_analytics.cli.valid_end import ends_past_the_valid, newest_valid_of_source
from usage_analytics.contracts import AnalyticsGranularity, TimeWindowType
from usage_analytics.progress import Progress
from usage_analytics.sources import ExecutionSource, Fetched, Unreadable

_GRANULARITIES = [level.value for level in AnalyticsGranularity]


def configure_analyze(parser: argparse.ArgumentParser) -> None:
    add_source_options(parser)
    parser.add_argument(
        "--pattern",
        required=True,
        metavar="ID",
        help="the pattern to analyse: records whose pattern_id is ID (when a file has no "
        "pattern_id field, every record belongs to ID)",
    )
    add_window_options(parser)
    parser.add_argument(
        "--granularity",
        type=any_case(_GRANULARITIES),
        choices=_GRANULARITIES,
        help="summary: no breakdowns; detailed (the default, but comprehensive for "
        "html output, for its charts); comprehensive: adds the per-bucket rates and a "
        "projection",
    )
    add_calendar_options(parser)
    add_output_options(
        parser,
        "table: a readable report (the default but for an --output PATH of .html or .json); "
        "json: the full-precision result; "
        "html: a self-contained page with charts (best written with --output)",
    )


def run_analyze(args: argparse.Namespace) -> int:
    pattern: str = args.pattern.strip()
    if not pattern:
        raise CliError("--pattern must not be empty", EXIT_USAGE)
    source = source_of(args)
    analysis, unreadable, notes = run_async(_analyze(args, source, pattern))
    # (A line that holds no record names no pattern: it may have been the pattern's.)
    heading = unreadable_note(unreadable) or None

    def view(width: int, unicode: bool) -> View:
        return View([analysis], analysis, args.tz, width, unicode, heading, unreadable=unreadable)

    emit(args, view)
    # (After the report: a missing `success` column, whose numbers it explains
    # (`absent_fields`), then a table without an index (`index_hint`).)
    for note in notes:
        to_stderr(note)
    return EXIT_OK


async def _analyze(
    args: argparse.Namespace, source: ExecutionSource, pattern: str
) -> tuple[Analysis, Unreadable, list[str]]:
    """The pattern's analysis, the source's unreadable lines, and the notes shown after
    the report: a missing `success` column (`cli.absent_fields`), a table without an
    index on the pattern id (`cli.index_hint`), made while the source is open."""
    progress = Progress()
    async with source:
        window = await source_window(args, source, progress, pattern)
        await note_spelled_keys(source)  # (JSON Lines keys: `cli.key_spellings`)
        await note_an_id_column_spelled_otherwise(source, pattern)  # (`cli.id_column`)
        analysis, unreadable, fetched = await _analysed(args, source, pattern, window, progress)
        if ends_past_the_valid(args, [analysis.result]):  # (see `cli.valid_end`)
            stretched_end = window[1]  # (the records up to it fetched still)
            own = fetched, analysis.result
            newest = await newest_valid_of_source(args, source, window, own, progress, pattern)
            del own  # (not held through the pass below)
            if newest != stretched_end:  # (another pattern's valid record ends it: kept)
                del fetched
                window = window_of(args, newest)
                analysis, unreadable, fetched = await _analysed(
                    args, source, pattern, window, progress, stretched_end
                )
        # (Raise mode: the newest record, which ended the window, may be another
        # pattern's invalid one, which the dashboard names: `cli.invalid_end`.)
        await check_the_newest_is_accepted(args, source, window[1], analysis.result, progress)
        await note_the_end(args, source, window[1], pattern)
        await note_an_empty_window(source, [analysis.result], window, args.tz, pattern)
        absent = await absent_success_note(source, [fetched], [analysis.result], window)
        indexless = await index_note(source)
    return analysis, unreadable, [note for note in (absent, indexless) if note is not None]


async def _analysed(
    args: argparse.Namespace,
    source: ExecutionSource,
    pattern: str,
    window: tuple[datetime, datetime, TimeWindowType],
    progress: Progress,
    fetched_until: datetime | None = None,
) -> tuple[Analysis, Unreadable, Fetched]:
    """The analysis of `window`, of the records up to `fetched_until` where given (see
    `cli.valid_end`), and the records."""
    where = source.description
    async with progress.step(f"loading the records of {pattern} from {where}"):
        fetched = await source.fetch(pattern, window[0], fetched_until or window[1])
        unreadable = await source.unreadable()
    progress.clear()
    contract = contract_of(args, fetched, window, granularity_of(args))
    (result,) = await reduce_all([contract], [fetched], where, progress, source_columns(source))
    return Analysis(pattern, result, fetched.locate), unreadable, fetched
