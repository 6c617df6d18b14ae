"""The `usage-analytics` command.

    usage-analytics demo                                     # demo data -> SQLite, analysed
    usage-analytics analyze runs.parquet --pattern checkout  # one pattern of a source
    usage-analytics analyze usage.sqlite --pattern checkout --format html --output r.html
    usage-analytics dashboard postgresql://user@host/db      # every pattern, worst first

SOURCE is a record file (.parquet, .csv, .jsonl), a SQLite file (.sqlite, .db, or
sqlite:///PATH) or a postgresql:// URL (see `usage_analytics.sources`); `--table` and
`--column FIELD=COLUMN` name a database's table and columns. Without --start/--end the
window is the 30 days up to the newest record.

Layout: every subcommand is a `Command` in `COMMANDS` (its name, help, a function adding
its arguments, and a function running it); every output format is a renderer in
`RENDERERS` (analyze, demo) or `DASHBOARD_RENDERERS` that turns the analysed patterns
into text. Loads and reductions show a progress line on stderr when it is a terminal.

Errors never show a traceback: each is one line on stderr, `usage-analytics: error: ...`,
with exit status 2 for a wrong command line (bad option values, a missing file, an
unsupported file type or URL, an unreachable server, a missing pip extra) and 1 for data
that cannot be analysed (malformed files, missing tables, unknown patterns, invalid
records).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import sqlite3
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, TextIO

from pydantic import ValidationError

from usage_analytics import _core
from usage_analytics.contracts import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    TimeWindowType,
)
from usage_analytics.dashboard import dashboard_document, dashboard_rows, render_dashboard
from usage_analytics.demo import DEFAULT_SEED, DEMO_PATTERNS, DEMO_WINDOW, generate_demo_records
from usage_analytics.errors import InvalidRecordError, UsageAnalyticsError
from usage_analytics.html_report import render_html
from usage_analytics.progress import Progress
from usage_analytics.reducer import NodeUsageAnalyticsReducer
from usage_analytics.report import render_report, terminal_width
from usage_analytics.sources import (
    ExecutionSource,
    Fetched,
    MissingDependencyError,
    SourceUnavailableError,
    TableSpec,
    UnsupportedSourceError,
    open_source,
    save_records,
    source_kinds,
)
from usage_analytics.sources.sqlite import SQLiteSource, write_executions_sync
from usage_analytics.store import SQLiteAnalyticsStore

__all__ = ["COMMANDS", "DASHBOARD_RENDERERS", "RENDERERS", "CliError", "main"]

PROG = "usage-analytics"
EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
#: The default window: this long, up to the newest record.
DEFAULT_WINDOW = timedelta(days=30)
#: Where `demo` writes its data unless told otherwise.
DEMO_DATABASE = Path("usage-analytics-demo.sqlite")


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
    """One analysed pattern: its display name, the result, and how to point at one of
    its records by index ("line 12")."""

    name: str
    result: ModelUsageAnalyticsOutput
    locate: Callable[[int], str] | None = None


@dataclass(frozen=True)
class View:
    """What a renderer shows: the analyses in display order (worst first when there are
    several), the one shown in full (None: just the dashboard), and display settings."""

    analyses: Sequence[Analysis]
    focus: Analysis | None
    timezone: str
    width: int
    unicode: bool
    heading: str | None = None
    footer: str | None = None
    window: dict[str, str] = field(default_factory=dict)


def _dashboard_text(view: View) -> str:
    rows = dashboard_rows([(analysis.name, analysis.result) for analysis in view.analyses])
    return render_dashboard(rows, width=view.width, unicode=view.unicode)


def render_table(view: View) -> str:
    """The dashboard (when there are several patterns), then the full report of
    `view.focus` (if any)."""
    parts: list[str] = []
    if view.heading:
        parts += [textwrap.fill(view.heading, view.width, break_on_hyphens=False), ""]
    if len(view.analyses) > 1 or view.focus is None:
        parts += [_dashboard_text(view), ""]
    if view.focus is not None:
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
        parts += ["", textwrap.fill(view.footer, view.width, break_on_hyphens=False)]
    return "\n".join(parts).rstrip("\n")


def render_json(view: View) -> str:
    """`result.to_dict()` for one pattern; `{name: to_dict()}` for several."""
    if len(view.analyses) == 1:
        document: Any = view.analyses[0].result.to_dict()
    else:
        document = {analysis.name: analysis.result.to_dict() for analysis in view.analyses}
    return json.dumps(document, indent=2, ensure_ascii=False)


def render_html_view(view: View) -> str:
    """A self-contained HTML report of `view.focus` (the first pattern without one);
    with several patterns, a table of all of them (worst finding each) comes first."""
    focus = view.focus or view.analyses[0]
    overview = None
    if len(view.analyses) > 1:
        overview = [(analysis.name, analysis.result) for analysis in view.analyses]
    return render_html(focus.result, name=focus.name, locate=focus.locate, overview=overview)


def render_dashboard_json(view: View) -> str:
    """The window and one object per pattern (worst first): the dashboard's numbers at
    full precision and its worst health finding."""
    rows = dashboard_rows([(analysis.name, analysis.result) for analysis in view.analyses])
    document = {"window": view.window, "patterns": dashboard_document(rows)}
    return json.dumps(document, indent=2, ensure_ascii=False)


#: Output formats of `analyze` and `demo` by name (`--format`).
RENDERERS: dict[str, Callable[[View], str]] = {
    "table": render_table,
    "json": render_json,
    "html": render_html_view,
}
#: Output formats of `dashboard`.
DASHBOARD_RENDERERS: dict[str, Callable[[View], str]] = {
    "table": render_table,
    "json": render_dashboard_json,
    "html": render_html_view,
}


def _can_encode(stream: TextIO, sample: str = "═─█▁↗✧✗⚠·…") -> bool:
    try:
        sample.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _emit(
    args: argparse.Namespace,
    make_view: Callable[[int, bool], View],
    renderers: dict[str, Callable[[View], str]] = RENDERERS,
) -> None:
    """Render with `args.format` and write to `args.output` (fit to 100 columns, UTF-8)
    or stdout (fit to the terminal)."""
    renderer = renderers[args.format]
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


def _add_output_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--format",
        choices=["table", "json", "html"],
        default="table",
        help=what,
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help="write to PATH instead of standard output",
    )


def _add_source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source",
        metavar="SOURCE",
        help=f"where the execution records are: {source_kinds()}",
    )
    parser.add_argument(
        "--table",
        metavar="NAME",
        help="the executions table of a database, NAME or SCHEMA.NAME "
        "(default: pattern_executions)",
    )
    parser.add_argument(
        "--column",
        action="append",
        default=[],
        metavar="FIELD=COLUMN",
        help="the column (or file field) holding a record field, when not named as the "
        "field, e.g. --column timestamp=started_at (repeatable)",
    )


def _add_window_options(parser: argparse.ArgumentParser, newest: str) -> None:
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
        help=f"window end, inclusive (default: the timestamp of {newest})",
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
        "--on-invalid",
        choices=["raise", "skip"],
        default="raise",
        help="raise: stop at the first invalid record (default); skip: leave invalid "
        "records out and count them in the data-quality section",
    )


def _validation_message(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _source(args: argparse.Namespace) -> ExecutionSource:
    try:
        table = TableSpec.from_options(args.table, args.column)
    except ValueError as error:
        raise CliError(f"--table/--column: {error}", EXIT_USAGE) from None
    return open_source(args.source, table)


def _window(
    args: argparse.Namespace, newest: datetime | None
) -> tuple[datetime, datetime, TimeWindowType]:
    """The analysis window and its type from the options and, for defaults, the newest
    record's timestamp."""
    start: datetime | None = args.start
    end: datetime | None = args.end
    if end is None:
        if newest is None:
            raise CliError(
                "cannot default the window end: no record has a valid timestamp "
                "(pass --start and --end)"
            )
        end = newest
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
    if getattr(args, "granularity", None) is not None:
        return AnalyticsGranularity(args.granularity)
    if args.format == "html":
        return AnalyticsGranularity.COMPREHENSIVE
    return AnalyticsGranularity.DETAILED


def _contract(
    args: argparse.Namespace,
    fetched: Fetched,
    window: tuple[datetime, datetime, TimeWindowType],
    granularity: AnalyticsGranularity,
) -> ModelUsageAnalyticsInput:
    start, end, kind = window
    try:
        return ModelUsageAnalyticsInput(
            pattern_id=fetched.pattern_id,
            time_window_start=start,
            time_window_end=end,
            time_window_type=kind,
            granularity=granularity,
            execution_data=fetched.data,
            timezone=args.tz,
            on_invalid=args.on_invalid,
        )
    except ValidationError as error:
        raise CliError(_validation_message(error), EXIT_USAGE) from None


def _invalid_message(where: str, fetched: Fetched, error: InvalidRecordError) -> str:
    more = (
        f" (and {error.more:,} more invalid record{'s' if error.more != 1 else ''})"
        if error.more
        else ""
    )
    return (
        f"{where}, {fetched.locate(error.index)}: field '{error.field}' = {error.value}: "
        f"{error.reason}{more}; --on-invalid skip leaves invalid records out"
    )


async def _reduce_all(
    contracts: Sequence[ModelUsageAnalyticsInput],
    fetched: Sequence[Fetched],
    where: str,
    progress: Progress,
) -> list[ModelUsageAnalyticsOutput]:
    """Analyse every contract concurrently with one shared reducer, counting them off on
    the progress bar; an invalid record names its pattern and place."""
    reducer = NodeUsageAnalyticsReducer()
    total, done = len(contracts), 0

    async def one(
        contract: ModelUsageAnalyticsInput, records: Fetched
    ) -> ModelUsageAnalyticsOutput:
        nonlocal done
        try:
            result = await reducer.execute_reduction(contract)
        except InvalidRecordError as error:
            place = where if total == 1 else f"{where}, pattern {records.pattern_id}"
            raise CliError(_invalid_message(place, records, error)) from None
        done += 1
        progress.bar(f"analysing {total:,} pattern{'s' if total != 1 else ''}", done, total)
        return result

    try:
        return list(await asyncio.gather(*map(one, contracts, fetched)))
    finally:
        progress.clear()


# ---------------------------------------------------------------------------------------
# demo


def _configure_demo(parser: argparse.ArgumentParser) -> None:
    names = [pattern.name for pattern in DEMO_PATTERNS]
    parser.add_argument(
        "--db",
        type=Path,
        default=DEMO_DATABASE,
        metavar="PATH",
        help=f"the SQLite file the demo writes its records and results to (default: "
        f"{DEMO_DATABASE} in the current directory; rewritten on every run)",
    )
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
        help="also write the demo records (with pattern_id) to PATH (.jsonl, .ndjson, "
        ".csv or .parquet)",
    )
    _add_calendar_options(parser)
    _add_output_options(
        parser,
        "table: the dashboard and one full report (default); json: every pattern's full "
        "result; html: a self-contained page with charts (best written with --output)",
    )


_DEMO_TABLES = {"pattern_executions", "pattern_analytics"}


def _check_demo_database(path: Path) -> None:
    """Refuse to rewrite a SQLite file that holds anything but the demo's tables."""
    if not path.exists():
        return
    if path.is_dir():
        raise CliError(f"--db {path}: is a directory", EXIT_USAGE)
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            tables = {
                str(row[0])
                for row in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%'"
                )
            }
        finally:
            connection.close()
    except sqlite3.Error:
        tables = {"(not a SQLite database)"}
    other = sorted(tables - _DEMO_TABLES)
    if other:
        raise CliError(
            f"--db {path} holds other data ({', '.join(other)}); the demo rewrites its "
            "file, so pass a new path",
            EXIT_USAGE,
        )


def _run_demo(args: argparse.Namespace) -> int:
    now: datetime = args.now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    now = now.astimezone(UTC)
    seed: int = args.seed
    database: Path = args.db
    _check_demo_database(database)
    records = generate_demo_records(now, seed=seed)
    if args.save is not None:
        _save_demo(args.save, records)
    rows = [row for pattern_rows in records.values() for row in pattern_rows]
    write_executions_sync(database, rows, replace=True)
    analyses = asyncio.run(_demo_analyses(args, database, now))
    focus = next(a for a in analyses if a.name == args.pattern) if args.pattern else analyses[0]
    example = DEMO_PATTERNS[0]
    heading = (
        f"Demo data (seed {seed}): {len(analyses)} patterns, {len(rows):,} executions over "
        f"the 30 days up to {now:%Y-%m-%d %H:%M} UTC, written to {database} (table "
        "pattern_executions) and analysed from there. Most in need of attention first."
    )
    footer = (
        f"The results are stored in {database} too (table pattern_analytics). "
        f"Full report of another pattern: {PROG} demo --pattern NAME. "
        f"Try the commands on the file: {PROG} dashboard {database}; "
        f"{PROG} analyze {database} --pattern {example.pattern_id} (the {example.name})."
    )

    def view(width: int, unicode: bool) -> View:
        return View(analyses, focus, args.tz, width, unicode, heading, footer)

    _emit(args, view)
    return EXIT_OK


async def _demo_analyses(args: argparse.Namespace, database: Path, now: datetime) -> list[Analysis]:
    """Read the demo records back from SQLite, analyse every pattern, store the
    results, and name them: worst first."""
    progress = Progress()
    start = now - DEMO_WINDOW
    names = {str(pattern.pattern_id): pattern.name for pattern in DEMO_PATTERNS}
    loading = progress.step(f"loading the demo records from {database}")
    async with SQLiteSource(database) as source, loading:
        groups = await source.fetch_all(start, now)
    contracts = [
        ModelUsageAnalyticsInput(
            pattern_id=fetched.pattern_id,
            time_window_start=start,
            time_window_end=now,
            time_window_type=TimeWindowType.MONTHLY,
            granularity=AnalyticsGranularity.COMPREHENSIVE,
            execution_data=fetched.data,
            timezone=args.tz,
        )
        for fetched in groups
    ]
    results = await _reduce_all(contracts, groups, str(database), progress)
    async with SQLiteAnalyticsStore(database) as store:
        await store.save_many(results)
    by_name = {
        names.get(fetched.pattern_id, fetched.pattern_id): Analysis(
            names.get(fetched.pattern_id, fetched.pattern_id), result, fetched.locate
        )
        for fetched, result in zip(groups, results, strict=True)
    }
    rows = dashboard_rows([(name, analysis.result) for name, analysis in by_name.items()])
    return [by_name[row.name] for row in rows]


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
    _add_source_options(parser)
    parser.add_argument(
        "--pattern",
        required=True,
        metavar="ID",
        help="the pattern to analyse: records whose pattern_id is ID (when a file has no "
        "pattern_id field, every record belongs to ID)",
    )
    _add_window_options(parser, "the pattern's newest record")
    parser.add_argument(
        "--granularity",
        choices=[level.value for level in AnalyticsGranularity],
        help="summary: no breakdowns; detailed (the default, but comprehensive with "
        "--format html, for its charts); comprehensive: adds the per-bucket rates and a "
        "projection",
    )
    _add_calendar_options(parser)
    _add_output_options(
        parser,
        "table: a readable report (default); json: the full-precision result; "
        "html: a self-contained page with charts (best written with --output)",
    )


def _run_analyze(args: argparse.Namespace) -> int:
    pattern: str = args.pattern.strip()
    if not pattern:
        raise CliError("--pattern must not be empty", EXIT_USAGE)
    source = _source(args)
    analysis = asyncio.run(_analyze(args, source, pattern))

    def view(width: int, unicode: bool) -> View:
        return View([analysis], analysis, args.tz, width, unicode)

    _emit(args, view)
    return EXIT_OK


async def _analyze(args: argparse.Namespace, source: ExecutionSource, pattern: str) -> Analysis:
    progress = Progress()
    where = source.description
    async with source:
        newest = None
        if args.end is None:
            async with progress.step(f"finding the newest record of {pattern} in {where}"):
                newest = await source.newest(pattern)
        window = _window(args, newest)
        async with progress.step(f"loading the records of {pattern} from {where}"):
            fetched = await source.fetch(pattern, window[0], window[1])
    progress.clear()
    contract = _contract(args, fetched, window, _granularity(args))
    (result,) = await _reduce_all([contract], [fetched], where, progress)
    return Analysis(pattern, result, fetched.locate)


# ---------------------------------------------------------------------------------------
# dashboard


def _configure_dashboard(parser: argparse.ArgumentParser) -> None:
    _add_source_options(parser)
    _add_window_options(parser, "the source's newest record")
    _add_calendar_options(parser)
    _add_output_options(
        parser,
        "table: one line per pattern, worst first (default); json: the same numbers at "
        "full precision; html: a self-contained page with the table and the worst "
        "pattern's charts",
    )


def _run_dashboard(args: argparse.Namespace) -> int:
    source = _source(args)
    analyses, window = asyncio.run(_dashboard(args, source))
    start, end, kind = window
    heading = (
        f"{len(analyses)} pattern{'s' if len(analyses) != 1 else ''} in {source.description}, "
        f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC ({kind.value} window). "
        "Most in need of attention first."
    )
    document_window = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "type": kind.value,
        "timezone": args.tz,
    }

    def view(width: int, unicode: bool) -> View:
        return View(analyses, None, args.tz, width, unicode, heading, window=document_window)

    _emit(args, view, DASHBOARD_RENDERERS)
    return EXIT_OK


async def _dashboard(
    args: argparse.Namespace, source: ExecutionSource
) -> tuple[list[Analysis], tuple[datetime, datetime, TimeWindowType]]:
    progress = Progress()
    where = source.description
    async with source:
        newest = None
        if args.end is None:
            async with progress.step(f"finding the newest record in {where}"):
                newest = await source.newest()
        window = _window(args, newest)
        async with progress.step(f"loading the records from {where}"):
            groups = await source.fetch_all(window[0], window[1])
    progress.clear()
    if not groups:
        raise CliError(f"{where} holds no records with a pattern_id")
    granularity = _granularity(args)
    contracts = [_contract(args, fetched, window, granularity) for fetched in groups]
    results = await _reduce_all(contracts, groups, where, progress)
    analyses = {
        fetched.pattern_id: Analysis(fetched.pattern_id, result, fetched.locate)
        for fetched, result in zip(groups, results, strict=True)
    }
    rows = dashboard_rows([(name, analysis.result) for name, analysis in analyses.items()])
    return [analyses[row.name] for row in rows], window


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
        "write a month of realistic demo data to SQLite and analyse it",
        "Generate a month of demo executions of six patterns (growing, stable, declining, "
        "emerging, abandoned), write them to a local SQLite file, analyse them all from "
        "there (storing the results in the same file), and show the dashboard and the "
        "full report of one pattern.",
        _configure_demo,
        _run_demo,
    ),
    Command(
        "analyze",
        "analyse one pattern of a source (file, SQLite or PostgreSQL)",
        "Analyse the executions of one pattern read from SOURCE. Without --start/--end "
        "the window is the 30 days up to the newest record's timestamp (end = newest "
        "record, start = end - 30 days).",
        _configure_analyze,
        _run_analyze,
    ),
    Command(
        "dashboard",
        "every pattern of a source, one line each, worst first",
        "Analyse every pattern in SOURCE over one window and show one line per pattern "
        "(executions, success rate, p95 latency, trend, worst health finding), those most "
        "in need of attention first. Without --start/--end the window is the 30 days up "
        "to the newest record of the whole source.",
        _configure_dashboard,
        _run_dashboard,
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
    first = (message.strip().splitlines() or [""])[0]  # one line, whatever a driver said
    print(f"{PROG}: error: {first}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: `sys.argv[1:]`); returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        run: Callable[[argparse.Namespace], int] = args.run
        return run(args)
    except CliError as error:
        _fail(str(error))
        return error.exit_code
    except (SourceUnavailableError, UnsupportedSourceError, MissingDependencyError) as error:
        _fail(str(error))
        return EXIT_USAGE
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
