"""`usage-analytics analyze`: one pattern of a source."""

from __future__ import annotations

import argparse

from usage_analytics.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    add_calendar_options,
    add_output_options,
    add_source_options,
    add_window_options,
    contract_of,
    granularity_of,
    reduce_all,
    source_columns,
    source_of,
    source_window,
    unreadable_note,
)
from usage_analytics.cli.output import Analysis, View, emit
from usage_analytics.cli.running import run_async
from usage_analytics.contracts import AnalyticsGranularity
from usage_analytics.progress import Progress
from usage_analytics.sources import ExecutionSource, Unreadable


def configure_analyze(parser: argparse.ArgumentParser) -> None:
    add_source_options(parser)
    parser.add_argument(
        "--pattern",
        required=True,
        metavar="ID",
        help="the pattern to analyse: records whose pattern_id is ID (when a file has no "
        "pattern_id field, every record belongs to ID)",
    )
    add_window_options(parser, "the pattern's newest record")
    parser.add_argument(
        "--granularity",
        choices=[level.value for level in AnalyticsGranularity],
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
    analysis, unreadable = run_async(_analyze(args, source, pattern))
    # (A line that holds no record names no pattern: it may have been the pattern's.)
    heading = unreadable_note(unreadable) or None

    def view(width: int, unicode: bool) -> View:
        return View([analysis], analysis, args.tz, width, unicode, heading, unreadable=unreadable)

    emit(args, view)
    return EXIT_OK


async def _analyze(
    args: argparse.Namespace, source: ExecutionSource, pattern: str
) -> tuple[Analysis, Unreadable]:
    progress = Progress()
    where = source.description
    async with source:
        window = await source_window(args, source, progress, pattern)
        async with progress.step(f"loading the records of {pattern} from {where}"):
            fetched = await source.fetch(pattern, window[0], window[1])
            unreadable = await source.unreadable()
    progress.clear()
    contract = contract_of(args, fetched, window, granularity_of(args))
    (result,) = await reduce_all([contract], [fetched], where, progress, source_columns(source))
    return Analysis(pattern, result, fetched.locate), unreadable
