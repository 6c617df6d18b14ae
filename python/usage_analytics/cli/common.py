"""What the subcommands share: the exit codes and `CliError`, the argument types and
options, the analysis window, the contracts and their concurrent reduction."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import NoReturn

from pydantic import ValidationError

from usage_analytics import _core
from usage_analytics.cli.dates import day_end_note, end_arg, start_arg
from usage_analytics.cli.integer_timestamps import command_reason
from usage_analytics.cli.sample_reasons import worded_for_the_command
from usage_analytics.contracts import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    TimeWindowType,
    micros,
)
from usage_analytics.errors import InternalError, InvalidRecordError, UsageAnalyticsError
from usage_analytics.input_notes import integer_times, integer_unit
from usage_analytics.progress import Progress
from usage_analytics.reducer import NodeUsageAnalyticsReducer
from usage_analytics.sources import (
    ExecutionSource,
    Fetched,
    FileSource,
    SQLiteSource,
    TableSpec,
    Unreadable,
    open_source,
    refuse_a_table_of_a_file,
    source_kinds,
)

PROG = "usage-analytics"
EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
#: Ctrl-C: 128 + SIGINT, as shells report a command SIGINT ended.
EXIT_INTERRUPTED = 130
#: The library's own fault (an `InternalError`): sysexits.h's EX_SOFTWARE, "an internal
#: software error", so that a script can tell a bug to report from data it should fix.
EXIT_INTERNAL = 70
#: The default window: this long, up to the newest record.
DEFAULT_WINDOW = timedelta(days=30)
#: A newest record this far after the clock is noted (`_note_a_future_end`).
FUTURE_NOTE_AFTER = timedelta(days=1)


class CliError(Exception):
    """An error shown as one line; `exit_code` is EXIT_USAGE or EXIT_DATA."""

    def __init__(self, message: str, exit_code: int = EXIT_DATA) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def to_stderr(line: str) -> None:
    """`line` on stderr; nowhere when the process has none (started with `2>&-`), where
    `print` writes to stdout instead: into the report (`demo --save ... --format json
    2>&- > out.json` wrote the demo's note ahead of the JSON, and an error's line made
    the file look like a report)."""
    if sys.stderr is None:
        return
    # Its reader gone (`2>&1 >/dev/null | head -0`): the line is lost either way, and the
    # error out of `main`'s handler made a usage error's status 1.
    with contextlib.suppress(BrokenPipeError):
        print(line, file=sys.stderr)


class Parser(argparse.ArgumentParser):
    """argparse, but a bad command line raises `CliError` (one line, exit 2) instead of
    printing the usage block."""

    def error(self, message: str) -> NoReturn:
        raise CliError(f"{message} (see '{self.prog} --help')", EXIT_USAGE)


def _timezone_arg(text: str) -> str:
    try:
        return _core.check_timezone(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"unknown time zone {text!r} (use an IANA name such as Europe/Berlin, or UTC)"
        ) from None


def any_case(choices: Sequence[str]) -> Callable[[str], str]:
    """The reader of an option's value among `choices`, lowercase words (--window-type,
    --format, ...), in any case: `--window-type Weekly` (the enum's member is WEEKLY)
    and `--format JSON` were refused as invalid choices, where --tz's zone and a UUID
    pattern id are taken in any case. (Another pattern id is matched exactly: "P" and
    "p" may be two patterns.) A value that is none of them in any case is left as
    written, for argparse's error to quote it so."""

    def read(text: str) -> str:
        lowered = text.lower()
        return lowered if lowered in choices else text

    return read


def add_calendar_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tz",
        type=_timezone_arg,
        default="UTC",
        metavar="ZONE",
        help="IANA time zone of the days, hours and weekdays, and of the date options "
        "without an offset (a time its clocks skip is read as the skip's end, one they show "
        "twice as the earlier) (default: UTC)",
    )


#: The formats --output's suffix chooses where --format is not given (any other: table).
_FORMAT_OF_SUFFIX = {".html": "html", ".htm": "html", ".json": "json"}


_FORMATS = ["table", "json", "html"]


def add_output_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--format",
        type=any_case(_FORMATS),
        choices=_FORMATS,
        default=None,  # (`resolve_format`: the table, or as --output's suffix says)
        help=what,
    )
    parser.add_argument(
        "--output",
        type=_output_arg,
        metavar="PATH",
        help="write to PATH instead of standard output (-: standard output); without "
        "--format, a PATH ending in .html or .htm is written as html, .json as json, any "
        "other as a table",
    )


def resolve_format(args: argparse.Namespace) -> None:
    """Set `args.format` where --format was not given: as --output's suffix says (a
    page for .html or .htm, a document for .json, case aside), else the table.
    `--output report.html` wrote the terminal's table into the page a browser then
    showed as garbled text. A --format given is written whatever the suffix."""
    if getattr(args, "format", "") is not None:  # (given, or a command without it)
        return
    output: Path | None = args.output
    suffix = "" if output is None else output.suffix.lower()
    args.format = _FORMAT_OF_SUFFIX.get(suffix, "table")


def _output_arg(text: str) -> Path | None:
    """--output's path; "-" is standard output, as it is to most commands (it made a file
    named "-"; "./-" still names one). Else `file_path_arg`'s path."""
    if text == "-":
        return None
    if not text:
        raise argparse.ArgumentTypeError("an empty path (pass a file's path, or - for stdout)")
    return file_path_arg(text)


def file_path_arg(text: str) -> Path:
    """The path of a file an option writes (--output, the demo's --db and --save). A path
    that cannot be a file (empty, a directory, in a directory that is not there) is
    refused here, before the work: it was refused when the file was written, after
    minutes of a large source's reading, or after the demo had rewritten its database;
    an empty one was named "." (`Path("")`). (Other failures, such as permissions, still
    surface at the write.)"""
    if not text:
        raise argparse.ArgumentTypeError("an empty path (pass a file's path)")
    path = Path(text)
    try:
        if path.is_dir():
            raise argparse.ArgumentTypeError(f"{text}: is a directory (pass a file's path)")
        parent = path.parent
        if not parent.is_dir():
            reason = "is not a directory" if parent.exists() else "no such directory"
            raise argparse.ArgumentTypeError(f"{text}: {parent}: {reason}")
    except OSError as error:
        # `is_dir` and `exists` raise for what they cannot look at (a name longer than
        # the file system takes, a directory not searchable): argparse lets that out as
        # a traceback, where the write would have said it in one line.
        raise argparse.ArgumentTypeError(f"{text}: {error.strerror or error}") from None
    return path


def _source_arg(text: str) -> str:
    """SOURCE, refused when empty: `Path("")` is ".", and an unset shell variable
    (`analyze "$RUNS"`) was ".: is a directory, not a record file or database"."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            f"an empty source {text!r} (pass a record file, a SQLite file or a URL)"
        )
    return text


def add_source_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source",
        type=_source_arg,
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


_WINDOW_TYPES = [kind.value for kind in TimeWindowType]
#: The trend's bucket width each window type gives (DESIGN.md, the core's
#: `buckets::default_width`), for --window-type's help: the choice's only effect on the
#: numbers, which the help named without saying what it was.
BUCKET_WIDTHS = {
    "hourly": "5 min",
    "daily": "1 h",
    "weekly": "6 h",
    "monthly": "1 day",
    "quarterly": "1 day",
    "yearly": "7 days",
}
_ON_INVALID = ["raise", "skip"]


def add_window_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--start",
        type=start_arg,
        metavar="ISO",
        help="window start, on --tz's clocks (default UTC) unless it has an offset "
        "(2026-03-01T00:00+01:00); a date alone is that day's first instant, 00:00 (default: "
        "30 days before the end)",
    )
    parser.add_argument(
        "--end",
        type=end_arg,
        metavar="ISO",
        help="window end, inclusive, on --tz's clocks (default UTC) unless it has an offset; "
        "a date alone includes that day, ending the window at the next day's 00:00 "
        "(--start 2026-11-01 --end 2026-11-30: all of November) (default: the timestamp of "
        "the source's newest record, of any pattern, for analyze as for dashboard: a pattern "
        "that went quiet shows how long ago; with --on-invalid skip, of the newest valid one; "
        "without it, an invalid newest record of another pattern is analyze's error too)",
    )
    parser.add_argument(
        "--window-type",
        type=any_case(_WINDOW_TYPES),
        choices=_WINDOW_TYPES,
        metavar="TYPE",
        help="the window's kind, which sets the width of the trend's buckets: "
        + ", ".join(f"{kind} {width}" for kind, width in BUCKET_WIDTHS.items())
        + "; all_time and custom the smallest of those widths giving at most 120 buckets, "
        "else 7 days "
        "(default: monthly without --start, as the window is then 30 days; custom with it)",
    )
    parser.add_argument(
        "--on-invalid",
        type=any_case(_ON_INVALID),
        choices=_ON_INVALID,
        default="raise",
        help="raise: stop at the first invalid record (default); skip: leave invalid "
        "records out and count them in the data-quality section, and leave out (and "
        "count) a record file's lines that hold no record, such as a cut last line",
    )


def _validation_message(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _table_of(args: argparse.Namespace) -> TableSpec:
    """The --table and --column options as a `TableSpec`, a refusal naming the option
    given (each checked alone: a bad --column was "--table/--column: ..." without a
    --table in the command)."""
    for option, table, columns in (("--column", None, args.column), ("--table", args.table, ())):
        try:
            TableSpec.from_options(table, columns)
        except ValueError as error:
            raise CliError(f"{option}: {error}", EXIT_USAGE) from None
    return TableSpec.from_options(args.table, args.column)


def source_of(args: argparse.Namespace) -> ExecutionSource:
    table = _table_of(args)
    # (--on-invalid skip also leaves out a record file's lines that hold no record.)
    skip = getattr(args, "on_invalid", "raise") == "skip"
    source = open_source(args.source, table, skip_unreadable=skip, option="--table")
    # (--table pattern_executions, the default's name, is a table named all the same.)
    refuse_a_table_of_a_file(args.table, source, "--table")
    if isinstance(source, (FileSource, SQLiteSource)):
        refuse_output_over(args.output, source.path, "the source's file")
    return source


def unreadable_note(unreadable: Unreadable) -> str:
    """The lines of a record file left out as holding no record (`--on-invalid skip`), for
    a report's heading: "1 unreadable line left out (line 12: not valid JSON: ...)." or
    "3 unreadable lines left out (the first on line 12: ...)."; "" where there are none."""
    if not unreadable.count:
        return ""
    first = f"{unreadable.place}: {unreadable.reason}"
    if unreadable.count == 1:
        return f"1 unreadable line left out ({first})."
    return f"{unreadable.count:,} unreadable lines left out (the first on {first})."


def refuse_output_over(
    output: Path | None,
    path: Path,
    what: str,
    option: str = "--output",
    written: str = "the report",
) -> None:
    """--output (or the demo's --save, `option`) naming the file of `what` (the records,
    the demo's database): `written` went over it, once read, without a word
    (`--output runs.jsonl` for `--output runs.html`, and the records were gone)."""
    if output is not None and _same_file(output, path):
        raise CliError(
            f"{option} {output}: is {what}, which {written} would overwrite; pass another path",
            EXIT_USAGE,
        )


def _same_file(first: Path, second: Path) -> bool:
    """Whether two paths name one file: the same path, or links to one file."""
    try:
        return first.resolve() == second.resolve() or first.samefile(second)
    except OSError:  # (a path that is not there is no file of the other's)
        return False


def window_of(
    args: argparse.Namespace, newest: datetime | None
) -> tuple[datetime, datetime, TimeWindowType]:
    """The analysis window and its type from the options and, for defaults, the newest
    record's timestamp."""
    start: datetime | None = args.start
    end: datetime | None = args.end
    if end is None:
        if newest is None:
            raise CliError(_NO_VALID_TIMESTAMP.format(first=""))
        end = newest
    derived = start is None
    try:
        end = end.astimezone(UTC)
        start = end - DEFAULT_WINDOW if start is None else start.astimezone(UTC)
    except OverflowError:
        given = "--start/--end" if not derived or args.end is not None else "the newest record"
        raise CliError(
            f"the window from {given} reaches past the years 1-9999 that can be analysed",
            EXIT_USAGE if given == "--start/--end" else EXIT_DATA,
        ) from None
    if end <= start:
        newest_end = args.end is None
        hint = "; pass --end" if newest_end else ""
        # (As given, on --tz's clocks: Berlin's 00:00 is 23:00 UTC.)
        shown_end: datetime = end if newest_end else args.end
        shown_start: datetime = start if derived else args.start
        if not newest_end and shown_end.time() == time():
            # (The end shown is the day after the date typed, which may be the start's.)
            hint = f"; {day_end_note(getattr(args, 'tz', 'UTC'))}"
        raise CliError(
            f"the window end ({'the newest record, ' if newest_end else ''}"
            f"{shown_end.isoformat()}) must be after its start ({shown_start.isoformat()}){hint}",
            EXIT_USAGE,
        )
    if args.window_type is not None:
        kind = TimeWindowType(args.window_type)
    else:
        kind = TimeWindowType.MONTHLY if derived else TimeWindowType.CUSTOM
    return start, end, kind


_NO_VALID_TIMESTAMP = (
    "no record has a valid timestamp, so the window cannot end at the newest one: "
    "is the timestamp in another column (--column timestamp=COLUMN)? "
    "Otherwise pass --start and --end{first}"
)
_NO_TIMESTAMP_IN_A_WINDOW = (
    "no record has a timestamp within the years 1-9999 that a window can hold (the first "
    "record's is valid but lies past them), so the window cannot end at the newest one: "
    "pass --start and --end"
)


async def source_window(
    args: argparse.Namespace,
    source: ExecutionSource,
    progress: Progress,
    pattern: str | None = None,
) -> tuple[datetime, datetime, TimeWindowType]:
    """`window_of` an open source: without --end, the window ends at the source's newest
    record, of any pattern, for `analyze` of `pattern` as for `dashboard`: the data's
    "now", so that a pattern last used weeks before the others shows it (its own newest
    record ended `analyze`'s window, which called it active where the dashboard, over the
    same source, called it abandoned). `pattern` is only where the messages look for a
    record to name (its first). In skip mode that newest record may be invalid and the
    window then end elsewhere (`cli.valid_end`): the notes on its end wait for
    `note_the_end`. (The design is silent on the command's default window; this is the
    command's decision.)"""
    newest = None
    if args.end is None:
        async with progress.step(f"finding the newest record in {source.description}"):
            newest = await source.newest()
            if newest is None:
                first = await first_record_problem(source, pattern)
                if first is None:  # (valid, but past the years a window can hold)
                    raise CliError(_NO_TIMESTAMP_IN_A_WINDOW)
                raise CliError(_NO_VALID_TIMESTAMP.format(first=first))
        if not _notes_wait(args):
            await _note_the_newest(newest, source, pattern)
    return window_of(args, newest)


async def note_the_end(
    args: argparse.Namespace, source: ExecutionSource, end: datetime, pattern: str | None = None
) -> None:
    """The notes `source_window` left to be made on the window's end once it is settled:
    in skip mode without --end, where it is the newest valid record's time."""
    if _notes_wait(args):
        await _note_the_newest(end, source, pattern)


def _notes_wait(args: argparse.Namespace) -> bool:
    return args.end is None and args.on_invalid == "skip"


def _of(pattern: str | None) -> str:
    return f" of {pattern}" if pattern is not None else ""


async def _note_the_newest(newest: datetime, source: ExecutionSource, pattern: str | None) -> None:
    """The notes on the source's newest record, which ends the default window (`pattern`:
    whose first record tells the unit of integer timestamps)."""
    _note_a_future_end(newest)
    await _note_epoch_units(newest, source, pattern)


def no_valid_record(first: str | None, pattern: str | None) -> CliError:
    """The error of a default window in skip mode where no record (of `pattern`) is valid:
    there is no newest valid record to end it at. `first`: the first record's problem
    (`first_record_problem`)."""
    return CliError(
        f"no record{_of(pattern)} is valid, so the window cannot end at the newest valid "
        f"one: pass --start and --end, and they are counted as invalid in that window"
        f"{first or ''}"
    )


def _note_a_future_end(newest: datetime | None) -> None:
    """A note on stderr where the newest record, which ends the default window, lies more
    than a day after this machine's clock: one record stamped by a clock far ahead (or in
    another unit) would otherwise move the window off every other record, silently."""
    now = datetime.now(UTC)
    if newest is not None and newest - now > FUTURE_NOTE_AFTER:
        to_stderr(
            f"{PROG}: note: the newest record ({newest.astimezone(UTC).isoformat()}) is "
            f"{_days(newest - now)} after this machine's clock, and the window ends there; "
            "pass --end to choose another"
        )


async def _note_epoch_units(
    newest: datetime | None, source: ExecutionSource, pattern: str | None
) -> None:
    """A note on stderr where the newest record, which ends the default window, lies in
    1970 and the source's timestamps are integers (a Parquet int64 column): read as epoch
    microseconds, as the library reads integers, epoch seconds or milliseconds are
    instants of 1970 (`input_notes`), and the window would analyse them there, silently.
    (With --start and --end, records left outside the window so make the reducer warn,
    which `cli.main` turns into a note.) Only the first record's column is looked at, and
    only then."""
    if newest is None or newest.astimezone(UTC).year != 1970:
        return
    first = await source.first_record(pattern)
    times = None if first is None else integer_times(first.data)
    unit = None if times is None else integer_unit(times[0], micros(newest))
    if unit is None:
        return
    factor = "1_000_000" if unit == "seconds" else "1_000"
    to_stderr(
        f"{PROG}: note: the newest record ({newest.astimezone(UTC).isoformat()}) lies "
        "in 1970, and the window ends there: integer timestamps are read as epoch "
        f"microseconds, and these look like epoch {unit}: multiply them by {factor}, or "
        "store them as timestamps"
    )


def _days(span: timedelta) -> str:
    return f"{span.days:,} day{'s' if span.days != 1 else ''}"


async def first_record_problem(source: ExecutionSource, pattern: str | None) -> str | None:
    """Where the source's first record (of `pattern`) is and what is wrong with it (its
    timestamp, where no record has a valid one), as the core reports it (". The first
    record: runs.csv, line 2: field 'timestamp' = '11/30/2026': not an ISO-8601
    date-time ..."); "" where that cannot be said; None where the record is valid (its
    time past the years 1-9999, in no window)."""
    fetched = await source.first_record(pattern)  # (a source's own error, as it is)
    if fetched is None:
        return ""
    contract = ModelUsageAnalyticsInput(
        pattern_id=fetched.pattern_id,
        time_window_start=datetime(1970, 1, 1, tzinfo=UTC),
        time_window_end=datetime(1970, 1, 2, tzinfo=UTC),
        execution_data=fetched.data,
    )
    where = source.description
    place = where if pattern is not None else f"{where}, pattern {fetched.pattern_id}"
    try:
        await NodeUsageAnalyticsReducer().execute_reduction(contract)
    except InvalidRecordError as error:
        field = field_named(error.field, source_columns(source))
        return (
            f". The first record: {place}, {fetched.locate(error.index)}: "
            f"{field} = {error.value}: {command_reason(error.field, error.reason)}"
        )
    except InternalError:  # (a fault of ours, not the first record's problem)
        raise
    except UsageAnalyticsError as error:  # a column of a type no record field has
        return f". {place}: {error}"
    return None


def granularity_of(args: argparse.Namespace) -> AnalyticsGranularity:
    """--granularity, by default DETAILED, or COMPREHENSIVE for HTML (its executions
    chart needs the per-bucket series)."""
    if getattr(args, "granularity", None) is not None:
        return AnalyticsGranularity(args.granularity)
    if args.format == "html":
        return AnalyticsGranularity.COMPREHENSIVE
    return AnalyticsGranularity.DETAILED


def contract_of(
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


@dataclass(frozen=True)
class _Invalid:
    """A pattern's first invalid record: the pattern's place in the call, its records and
    the core's error."""

    order: int
    fetched: Fetched
    error: InvalidRecordError

    def first(self) -> tuple[int, int]:
        """Sorts the patterns' errors by the source's own order of their records where
        it has one (a file's), else by pattern."""
        position = self.fetched.position
        return (0 if position is None else position(self.error.index), self.order)


@dataclass(frozen=True)
class Nameless:
    """A source's records without a pattern id, which a dashboard in raise mode reports
    as invalid records (as `execute_batch_reduction` does) in their order among the
    others (`reduce_all`): how many, the first one's place in the source's order
    (`Unattributed.row`), and what to say of it ("runs.jsonl, line 3: field 'pattern_id'
    = <missing>: required field is missing")."""

    count: int
    row: int
    problem: str


def _invalid_message(
    place: Callable[[Fetched], str],
    invalid: Sequence[_Invalid],
    columns: Mapping[str, str],
    nameless: Nameless | None = None,
) -> str:
    """The first invalid record of several patterns' (`_Invalid.first`), where it is
    (`place` of its pattern's records, then the record), and how many more there are;
    the first record without a pattern id (`nameless`) instead where it comes before it
    in the source's order."""
    more = sum(one.error.more + 1 for one in invalid) + (nameless.count if nameless else 0) - 1
    also = f" (and {more:,} more invalid record{'s' if more != 1 else ''})" if more else ""
    first = min(invalid, key=_Invalid.first)
    if nameless is not None and _before(nameless, first):
        problem = nameless.problem
    else:
        error = first.error
        where = f"{place(first.fetched)}, {first.fetched.locate(error.index)}"
        reason = command_reason(error.field, error.reason)
        problem = f"{where}: {field_named(error.field, columns)} = {error.value}: {reason}"
    return f"{problem}{also}; --on-invalid skip leaves invalid records out"


def _before(nameless: Nameless, invalid: _Invalid) -> bool:
    """Whether the first record without a pattern id comes before the invalid record,
    where the source has an order of records (a file's); else it is named first."""
    position = invalid.fetched.position
    return position is None or nameless.row < position(invalid.error.index)


def field_named(field: str, columns: Mapping[str, str]) -> str:
    """ "field 'agent'", and the column that holds it where --column maps it ("field
    'execution_time_ms' (column 'Exec MS')"): the field alone named no column of the
    user's table."""
    column = columns.get(field, field)
    return f"field '{field}'" + (f" (column '{column}')" if column != field else "")


def source_columns(source: ExecutionSource) -> Mapping[str, str]:
    """The columns `source` reads its record fields from, by field, where mapped."""
    table = getattr(source, "table", None)  # (the library's sources have one)
    return table.columns if isinstance(table, TableSpec) else {}


async def reduce_all(
    contracts: Sequence[ModelUsageAnalyticsInput],
    fetched: Sequence[Fetched],
    where: str,
    progress: Progress,
    columns: Mapping[str, str] | None = None,
    *,
    name_patterns: bool | None = None,
    nameless: Nameless | None = None,
) -> list[ModelUsageAnalyticsOutput]:
    """Analyse every contract concurrently with one shared reducer, counting them off on
    the progress bar. Invalid records (raise mode) stop the call once every pattern is
    done, with one error naming the first of them, its pattern (where `name_patterns`,
    by default where there are several contracts) and place, its field (and the column
    of `columns` holding it), and how many there are in all, the source's records
    without a pattern id (`nameless`) among them: the first of those is named where it
    comes first. (Without another invalid record, `nameless` is the caller's to report.)
    The results' samples of skipped records give their reasons in the command's words
    (`cli.sample_reasons`)."""
    reducer = NodeUsageAnalyticsReducer()
    total, done = len(contracts), 0
    invalid: list[_Invalid] = []
    named = total > 1 if name_patterns is None else name_patterns

    def place(records: Fetched) -> str:
        return f"{where}, pattern {records.pattern_id}" if named else where

    async def one(
        order: int, contract: ModelUsageAnalyticsInput, records: Fetched
    ) -> ModelUsageAnalyticsOutput | None:
        nonlocal done
        try:
            result = await reducer.execute_reduction(contract)
        except InvalidRecordError as error:
            invalid.append(_Invalid(order, records, error))
            return None
        except InternalError:  # (the command's exit status says it is ours)
            raise
        except UsageAnalyticsError as error:  # columns of a type no record field has
            raise CliError(f"{place(records)}: {error}") from None
        done += 1
        progress.bar(f"analysing {total:,} pattern{'s' if total != 1 else ''}", done, total)
        return result

    try:
        results = await asyncio.gather(*map(one, range(total), contracts, fetched))
    finally:
        progress.clear()
    if invalid:
        raise CliError(_invalid_message(place, invalid, columns or {}, nameless))
    # (Skipped records' samples in the command's words, as its errors give them.)
    return [worded_for_the_command(result) for result in results if result is not None]
