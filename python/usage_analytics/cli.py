"""The `usage-analytics` command.

    usage-analytics demo                                   # a month of demo data, analysed
    usage-analytics analyze runs.jsonl --pattern checkout  # one pattern of a record file
    usage-analytics analyze runs.jsonl --pattern checkout --format html --output report.html

Layout: every subcommand is a `Command` in `COMMANDS` (its name, help, a function adding
its arguments, and a function running it); every output format is a renderer in
`RENDERERS` that turns the analysed patterns into text. A new subcommand or format is one
more entry there, and record formats are added in `usage_analytics.sources`.

Errors never show a traceback: each is one line on stderr, `usage-analytics: error: ...`,
with exit status 2 for a wrong command line (bad option values, a missing file, an
unsupported file type) and 1 for data that cannot be analysed (malformed files, unknown
patterns, invalid records).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, TextIO
from uuid import UUID

from pydantic import ValidationError

from usage_analytics import _core
from usage_analytics.contracts import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    TimeWindowType,
)
from usage_analytics.demo import DEFAULT_SEED, DEMO_PATTERNS, DEMO_WINDOW, generate_demo_records
from usage_analytics.errors import InvalidRecordError, UsageAnalyticsError
from usage_analytics.html_report import render_html
from usage_analytics.reducer import NodeUsageAnalyticsReducer
from usage_analytics.report import by_attention, render_report, render_summary, terminal_width
from usage_analytics.sources import (
    READERS,
    LoadedRecords,
    SourceError,
    SourceUnavailableError,
    UnsupportedSourceError,
    read_records,
    save_records,
)

__all__ = ["COMMANDS", "RENDERERS", "CliError", "main"]

PROG = "usage-analytics"
EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
#: The default window of `analyze`: this long, up to the newest record.
DEFAULT_WINDOW = timedelta(days=30)


class CliError(Exception):
    """An error shown as one line; `exit_code` is EXIT_USAGE or EXIT_DATA."""

    def __init__(self, message: str, exit_code: int = EXIT_DATA) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line raises `CliError` (one line, exit 2) instead of
    printing the usage block."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see '{self.prog} --help')", EXIT_USAGE)


# ---------------------------------------------------------------------------------------
# Output: what was analysed, and the renderers


@dataclass(frozen=True)
class Analysis:
    """One analysed pattern: its display name, the result, and (for file input) how to
    point at a record by its index."""

    name: str
    result: ModelUsageAnalyticsOutput
    locate: Callable[[int], str] | None = None


@dataclass(frozen=True)
class View:
    """What a renderer shows: the analyses in display order, the one shown in full, and
    the display settings."""

    analyses: Sequence[Analysis]
    focus: Analysis
    timezone: str
    width: int
    unicode: bool
    heading: str | None = None
    footer: str | None = None


def render_table(view: View) -> str:
    """A summary line per pattern (when there are several), then the full report of
    `view.focus`."""
    parts: list[str] = []
    if view.heading:
        parts += [textwrap.fill(view.heading, view.width), ""]
    if len(view.analyses) > 1:
        items = [(analysis.name, analysis.result) for analysis in view.analyses]
        parts += [render_summary(items, width=view.width, unicode=view.unicode), ""]
    parts.append(
        render_report(
            view.focus.result,
            name=view.focus.name,
            timezone=view.timezone,
            width=view.width,
            unicode=view.unicode,
            locate=view.focus.locate,
        )
    )
    if view.footer:
        parts += ["", textwrap.fill(view.footer, view.width)]
    return "\n".join(parts)


def render_json(view: View) -> str:
    """`result.to_dict()` for one pattern; `{name: to_dict()}` for several."""
    if len(view.analyses) == 1:
        document: Any = view.analyses[0].result.to_dict()
    else:
        document = {analysis.name: analysis.result.to_dict() for analysis in view.analyses}
    return json.dumps(document, indent=2, ensure_ascii=False)


def render_html_view(view: View) -> str:
    """A self-contained HTML report of `view.focus`; with several patterns, a table of
    all of them (worst finding each) comes first."""
    overview = None
    if len(view.analyses) > 1:
        overview = [(analysis.name, analysis.result) for analysis in view.analyses]
    return render_html(
        view.focus.result, name=view.focus.name, locate=view.focus.locate, overview=overview
    )


#: Output formats by name (`--format`).
RENDERERS: dict[str, Callable[[View], str]] = {
    "table": render_table,
    "json": render_json,
    "html": render_html_view,
}


def _can_encode(stream: TextIO, sample: str = "═─█▁↗✧✗⚠·…") -> bool:
    try:
        sample.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _emit(args: argparse.Namespace, make_view: Callable[[int, bool], View]) -> None:
    """Render with `args.format` and write to `args.output` (fit to 100 columns, UTF-8)
    or stdout (fit to the terminal)."""
    renderer = RENDERERS[args.format]
    output: Path | None = args.output
    if output is None:
        unicode = _can_encode(sys.stdout)
        if not unicode and isinstance(sys.stdout, io.TextIOWrapper):
            sys.stdout.reconfigure(errors="replace")  # e.g. a non-ASCII pattern name
        text = renderer(make_view(terminal_width(), unicode))
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return
    text = renderer(make_view(100, True))
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise CliError(f"cannot write {output}: {error.strerror or error}", EXIT_USAGE) from None


# ---------------------------------------------------------------------------------------
# Argument types and shared options


def _parse_datetime(text: str) -> datetime:
    """ISO-8601 date or date-time, "Z" allowed; naive means UTC."""
    cleaned = text.strip()
    if cleaned.endswith("z"):
        cleaned = cleaned[:-1] + "Z"
    value = datetime.fromisoformat(cleaned)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _datetime_arg(text: str) -> datetime:
    try:
        return _parse_datetime(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO-8601 date or date-time: {text!r} (e.g. 2026-01-31 or 2026-01-31T12:00Z)"
        ) from None


def _timezone_arg(text: str) -> str:
    try:
        _core.check_timezone(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"unknown time zone {text!r} (use an IANA name such as Europe/Berlin, or UTC)"
        ) from None
    return text


def _add_calendar_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tz",
        type=_timezone_arg,
        default="UTC",
        metavar="ZONE",
        help="IANA time zone for days, hours and weekdays (default: UTC)",
    )


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=list(RENDERERS),
        default="table",
        help="table: a readable report (default); json: the full-precision result; "
        "html: a self-contained page with charts (best written with --output)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help="write to PATH instead of standard output",
    )


def _reduce_all(contracts: Sequence[ModelUsageAnalyticsInput]) -> list[ModelUsageAnalyticsOutput]:
    """Analyse every contract concurrently, with one shared reducer."""
    reducer = NodeUsageAnalyticsReducer()

    async def run() -> list[ModelUsageAnalyticsOutput]:
        return list(await asyncio.gather(*map(reducer.execute_reduction, contracts)))

    return asyncio.run(run())


def _validation_message(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


# ---------------------------------------------------------------------------------------
# demo


def _configure_demo(parser: argparse.ArgumentParser) -> None:
    names = [pattern.name for pattern in DEMO_PATTERNS]
    parser.add_argument(
        "--seed",
        type=int,
        default=DEFAULT_SEED,
        metavar="N",
        help=f"random seed of the demo data (default: {DEFAULT_SEED})",
    )
    parser.add_argument(
        "--now",
        type=_datetime_arg,
        metavar="ISO",
        help="end of the demo month (default: the current hour, UTC)",
    )
    parser.add_argument(
        "--pattern",
        choices=names,
        metavar="NAME",
        help="the pattern to report in full (default: the first of the table, the one "
        f"needing most attention); one of: {', '.join(names)}",
    )
    parser.add_argument(
        "--save",
        type=Path,
        metavar="PATH",
        help="also write the demo records (with pattern_id) to PATH (.jsonl, .ndjson or "
        ".csv), to try `usage-analytics analyze` on",
    )
    _add_calendar_options(parser)
    _add_output_options(parser)


def _run_demo(args: argparse.Namespace) -> int:
    now: datetime = args.now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    now = now.astimezone(UTC)
    seed: int = args.seed
    records = generate_demo_records(now, seed=seed)
    if args.save is not None:
        _save_demo(args.save, records)
    contracts = [
        ModelUsageAnalyticsInput(
            pattern_id=pattern.pattern_id,
            time_window_start=now - DEMO_WINDOW,
            time_window_end=now,
            time_window_type=TimeWindowType.MONTHLY,
            granularity=AnalyticsGranularity.COMPREHENSIVE,
            execution_data=records[pattern.name],
            timezone=args.tz,
        )
        for pattern in DEMO_PATTERNS
    ]
    results = _reduce_all(contracts)
    analyses = [
        Analysis(pattern.name, result)
        for pattern, result in zip(DEMO_PATTERNS, results, strict=True)
    ]
    ordered = by_attention([(analysis.name, analysis.result) for analysis in analyses])
    by_name = {analysis.name: analysis for analysis in analyses}
    analyses = [by_name[name] for name, _ in ordered]
    focus = by_name[args.pattern] if args.pattern else analyses[0]
    total = sum(len(rows) for rows in records.values())
    heading = (
        f"Demo data (seed {seed}): {len(analyses)} patterns, {total:,} executions "
        f"over the 30 days up to {now:%Y-%m-%d %H:%M} UTC. Most in need of attention first."
    )
    footer = f"Full report of another pattern: {PROG} demo --pattern NAME"

    def view(width: int, unicode: bool) -> View:
        return View(analyses, focus, args.tz, width, unicode, heading, footer)

    _emit(args, view)
    return EXIT_OK


def _save_demo(path: Path, records: dict[str, list[dict[str, Any]]]) -> None:
    rows = sorted(
        (row for rows in records.values() for row in rows), key=lambda row: row["timestamp"]
    )
    save_records(path, rows)
    example = DEMO_PATTERNS[0]
    print(
        f"{PROG}: wrote {len(rows):,} demo records to {path}; try: "
        f"{PROG} analyze {path} --pattern {example.pattern_id}  (the {example.name})",
        file=sys.stderr,
    )


# ---------------------------------------------------------------------------------------
# analyze


def _configure_analyze(parser: argparse.ArgumentParser) -> None:
    kinds = ", ".join(sorted(READERS))
    parser.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help=f"the execution records ({kinds}); a CSV file needs a header row",
    )
    parser.add_argument(
        "--pattern",
        required=True,
        metavar="ID",
        help="the pattern to analyse: records whose pattern_id is ID (when the file has no "
        "pattern_id field, every record belongs to ID)",
    )
    parser.add_argument(
        "--start",
        type=_datetime_arg,
        metavar="ISO",
        help="window start (default: 30 days before the end)",
    )
    parser.add_argument(
        "--end",
        type=_datetime_arg,
        metavar="ISO",
        help="window end, inclusive (default: the newest record's timestamp)",
    )
    parser.add_argument(
        "--window-type",
        choices=[kind.value for kind in TimeWindowType],
        metavar="TYPE",
        help="the window's kind, which sets the trend bucket width: "
        f"{', '.join(kind.value for kind in TimeWindowType)} "
        "(default: monthly without --start, as the window is then 30 days; custom with it)",
    )
    parser.add_argument(
        "--granularity",
        choices=[level.value for level in AnalyticsGranularity],
        help="summary: no breakdowns; detailed (the default, but comprehensive with "
        "--format html, for its charts); comprehensive: adds the per-bucket rates and a "
        "projection",
    )
    parser.add_argument(
        "--on-invalid",
        choices=["raise", "skip"],
        default="raise",
        help="raise: stop at the first invalid record (default); skip: leave invalid "
        "records out and count them in the data-quality section",
    )
    _add_calendar_options(parser)
    _add_output_options(parser)


def _same_pattern(value: Any, wanted: str, wanted_uuid: UUID | None) -> bool:
    text = str(value).strip()
    if text == wanted:
        return True
    if wanted_uuid is None:
        return False
    try:
        return UUID(text) == wanted_uuid
    except ValueError:
        return False


def _select_pattern(
    loaded: LoadedRecords, wanted: str, path: Path
) -> tuple[list[dict[str, Any]], list[int]]:
    """The records of pattern `wanted` and their indices in the file."""
    records = loaded.records
    if not records:
        raise CliError(f"{path} holds no records")
    if not any("pattern_id" in record for record in records):
        return records, list(range(len(records)))
    try:
        wanted_uuid: UUID | None = UUID(wanted)
    except ValueError:
        wanted_uuid = None
    indices = [
        index
        for index, record in enumerate(records)
        if record.get("pattern_id") is not None
        and _same_pattern(record["pattern_id"], wanted, wanted_uuid)
    ]
    if not indices:
        known = sorted({str(r["pattern_id"]) for r in records if r.get("pattern_id") is not None})
        listed = ", ".join(known[:5]) + (f" and {len(known) - 5} more" if len(known) > 5 else "")
        raise CliError(f"no records with pattern_id {wanted!r} in {path} (it has: {listed})")
    return [records[index] for index in indices], indices


#: The date-times the core reads (Python alone would also take "20260105", "2026-W02").
_ISO_DATETIME = re.compile(r"\s*\d{4}-\d{2}-\d{2}(?:[T ].*)?", re.DOTALL)


def _timestamp(value: Any) -> datetime | None:
    """A record's timestamp as the core reads it, for the default window; None when the
    core would not read it either (that record is invalid)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    if isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
        try:
            return _parse_datetime(value)
        except ValueError:
            return None
    return None


def _window(
    args: argparse.Namespace, records: Sequence[dict[str, Any]]
) -> tuple[datetime, datetime, TimeWindowType]:
    """The analysis window and its type from the options and, for defaults, the records."""
    start: datetime | None = args.start
    end: datetime | None = args.end
    if end is None:
        stamps = [stamp for record in records if (stamp := _timestamp(record.get("timestamp")))]
        if not stamps:
            raise CliError(
                "cannot default the window end: no record has a valid timestamp "
                "(pass --start and --end)"
            )
        end = max(stamps)
    end = end.astimezone(UTC)
    derived = start is None
    start = end - DEFAULT_WINDOW if start is None else start.astimezone(UTC)
    if end <= start:
        raise CliError(
            f"the window end ({end.isoformat()}) must be after its start ({start.isoformat()})",
            EXIT_USAGE,
        )
    if args.window_type is not None:
        kind = TimeWindowType(args.window_type)
    else:
        kind = TimeWindowType.MONTHLY if derived else TimeWindowType.CUSTOM
    return start, end, kind


def _granularity(args: argparse.Namespace) -> AnalyticsGranularity:
    """--granularity, by default DETAILED, or COMPREHENSIVE for HTML (its executions
    chart needs the per-bucket series)."""
    if args.granularity is not None:
        return AnalyticsGranularity(args.granularity)
    if args.format == "html":
        return AnalyticsGranularity.COMPREHENSIVE
    return AnalyticsGranularity.DETAILED


def _run_analyze(args: argparse.Namespace) -> int:
    path: Path = args.file
    pattern: str = args.pattern.strip()
    if not pattern:
        raise CliError("--pattern must not be empty", EXIT_USAGE)
    try:
        loaded = read_records(path)
    except (SourceUnavailableError, UnsupportedSourceError) as error:
        raise CliError(str(error), EXIT_USAGE) from None
    except SourceError as error:
        raise CliError(str(error)) from None
    records, indices = _select_pattern(loaded, pattern, path)
    start, end, kind = _window(args, records)
    try:
        contract = ModelUsageAnalyticsInput(
            pattern_id=pattern,
            time_window_start=start,
            time_window_end=end,
            time_window_type=kind,
            granularity=_granularity(args),
            execution_data=records,
            timezone=args.tz,
            on_invalid=args.on_invalid,
        )
    except ValidationError as error:
        raise CliError(_validation_message(error), EXIT_USAGE) from None

    def locate(index: int) -> str:
        return loaded.location_label(indices[index])

    try:
        (result,) = _reduce_all([contract])
    except InvalidRecordError as error:
        more = (
            f" (and {error.more:,} more invalid record{'s' if error.more != 1 else ''})"
            if error.more
            else ""
        )
        raise CliError(
            f"{path}, {locate(error.index)}: field '{error.field}' = {error.value}: "
            f"{error.reason}{more}; --on-invalid skip leaves invalid records out"
        ) from None
    analysis = Analysis(pattern, result, locate)

    def view(width: int, unicode: bool) -> View:
        return View([analysis], analysis, args.tz, width, unicode)

    _emit(args, view)
    return EXIT_OK


# ---------------------------------------------------------------------------------------
# The command line


@dataclass(frozen=True)
class Command:
    """A subcommand: `configure` adds its arguments, `run` does the work (exit status)."""

    name: str
    help: str
    description: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


COMMANDS: tuple[Command, ...] = (
    Command(
        "demo",
        "analyse a month of realistic demo data",
        "Generate a month of demo executions of six patterns (growing, stable, declining, "
        "emerging, abandoned), analyse them all, and show a summary of every pattern and "
        "the full report of one.",
        _configure_demo,
        _run_demo,
    ),
    Command(
        "analyze",
        "analyse one pattern of a record file (JSON Lines or CSV)",
        "Analyse the executions of one pattern read from a JSON Lines or CSV file. Without "
        "--start/--end the window is the 30 days up to the newest record's timestamp "
        "(end = newest record, start = end - 30 days).",
        _configure_analyze,
        _run_analyze,
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Usage analytics of patterns (features, endpoints, jobs, agent actions): "
        "how often they run, how well, how fast, where, and where they are heading.",
        epilog="Exit status: 0 success, 1 data that cannot be analysed, 2 a wrong command line.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_core.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        sub = subparsers.add_parser(
            command.name,
            help=command.help,
            description=command.description,
            epilog=parser.epilog,
        )
        command.configure(sub)
        sub.set_defaults(run=command.run)
    return parser


def _fail(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: `sys.argv[1:]`); returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    except CliError as error:
        _fail(str(error))
        return error.exit_code
    except UsageAnalyticsError as error:
        _fail(str(error))
        return EXIT_DATA
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else EXIT_OK
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python's exit-time
        # flush from failing on the closed pipe too.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_DATA


if __name__ == "__main__":
    sys.exit(main())
