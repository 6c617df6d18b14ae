"""`usage-analytics demo`: a month of demo data written to SQLite, analysed from there.

Its records' pattern ids are the patterns' names ("ci-failure-triage"), not the library's
demo UUIDs (`usage_analytics.demo`): the names are what its table shows, and so what a
user passes next, `analyze usage-analytics-demo.sqlite --pattern ci-failure-triage`, which
listed the UUIDs instead; `dashboard` on the file shows the same names too."""

from __future__ import annotations

import argparse
import shlex
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from usage_analytics.cli.common import (
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    CliError,
    add_calendar_options,
    add_output_options,
    file_path_arg,
    reduce_all,
    refuse_output_over,
    to_stderr,
)
from usage_analytics.cli.dates import END_OF_DATES, end_arg
from usage_analytics.cli.output import Analysis, View, emit
from usage_analytics.cli.running import run_async
from usage_analytics.contracts import AnalyticsGranularity, ModelUsageAnalyticsInput, TimeWindowType
from usage_analytics.dashboard import dashboard_rows
from usage_analytics.demo import DEFAULT_SEED, DEMO_PATTERNS, DEMO_WINDOW, generate_demo_records
from usage_analytics.progress import Progress
from usage_analytics.report import window_bounds
from usage_analytics.sources import SourceError, save_records
from usage_analytics.sources.base import special_file_kind
from usage_analytics.sources.sqlite import SQLiteSource, connect_read_only
from usage_analytics.sources.sqlite_table import write_executions_sync
from usage_analytics.store import SQLiteAnalyticsStore

#: Where `demo` writes its data unless told otherwise.
DEMO_DATABASE = Path("usage-analytics-demo.sqlite")


def configure_demo(parser: argparse.ArgumentParser) -> None:
    names = [pattern.name for pattern in DEMO_PATTERNS]
    parser.add_argument(
        "--db",
        type=file_path_arg,
        default=DEMO_DATABASE,
        metavar="PATH",
        help=f"the SQLite file the demo writes its records and results to (default: "
        f"{DEMO_DATABASE} in the current directory; its records are rewritten on every "
        "run, and each run adds its results to pattern_analytics; a file holding "
        "anything but the demo's data is refused, never changed)",
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
        type=end_arg,
        metavar="ISO",
        help="end of the demo month, on --tz's clocks (default UTC) unless it has an offset; "
        "a date alone includes that day, the month ending at the next day's 00:00 (default: "
        "the current hour)",
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
        type=file_path_arg,
        metavar="PATH",
        help="also write the demo records (with pattern_id) to PATH (.jsonl, .ndjson, "
        ".csv or .parquet)",
    )
    add_calendar_options(parser)
    add_output_options(
        parser,
        "table: the dashboard and one full report (the default but for an --output PATH of "
        ".html or .json); json: every pattern's full "
        "result; html: a self-contained page with charts (best written with --output)",
    )


_DEMO_TABLES = {"pattern_executions", "pattern_analytics"}
#: The ends of a demo month Python's dates can hold (years 1-9999): its records start 30
#: days before (and the generator starts at that day's midnight, up to a day before), and
#: it may end at the last instant of 9999-12-31, as `--now 9999-12-31` does (`END_OF_DATES`).
_EARLIEST_NOW = datetime(1, 2, 1, tzinfo=UTC)
_LATEST_NOW = END_OF_DATES


def _instant(moment: datetime) -> str:
    """A UTC instant as --now takes it, "0001-02-01T00:00Z" (`%Y` wrote the year 1 "1");
    the last instant of all as the date that means it, "9999-12-31" (`cli.dates`)."""
    if moment == END_OF_DATES:
        return moment.date().isoformat()
    return moment.isoformat(timespec="minutes").replace("+00:00", "Z")


def _check_demo_database(path: Path) -> None:
    """Refuse to rewrite a SQLite file that holds anything but the demo's tables and
    records: its tables have the names a real database of executions has too."""
    if not path.exists():
        return
    if path.is_dir():
        # (The default path: argparse checks only a --db given, with `file_path_arg`.)
        raise CliError(f"--db {path}: is a directory (pass a file's path)", EXIT_USAGE)
    kind = special_file_kind(path)
    if kind is not None:  # (a named pipe: no SQLite file, nor one to write; it hung)
        raise CliError(f"--db {path}: is {kind}, not a regular file: pass a new path", EXIT_USAGE)
    try:
        # (Its path quoted in the URI: unquoted, "runs#2.sqlite" opened a file "runs",
        # found nothing there, and the demo then rewrote the real one.)
        connection = connect_read_only(path)
        try:
            other = _other_data(connection)
        finally:
            connection.close()
    except sqlite3.OperationalError as error:
        if "database is locked" not in str(error):
            other = ["not a SQLite database"]
        else:  # (SQLite waited its 5 s for a writer; it was "not a SQLite database")
            raise CliError(
                f"--db {path}: the database is locked: another connection is writing to "
                "it (waited 5 s); try again when it is done, or pass a new path",
                EXIT_USAGE,
            ) from None
    except (sqlite3.Error, SourceError):
        other = ["not a SQLite database"]
    if other:
        raise CliError(
            f"--db {path} holds other data ({', '.join(other)}); the demo rewrites its "
            "file, so pass a new path",
            EXIT_USAGE,
        )


def _other_data(connection: sqlite3.Connection) -> list[str]:
    """What a SQLite file holds besides the demo's: other tables, views and triggers,
    records or results of patterns other than the demo's (say, a real
    `pattern_executions`), and the demo's tables without a record of its patterns: a
    file the demo wrote holds its records, and one that does not is someone else's (an
    empty `pattern_executions` of their own, whose schema the demo's indexes changed
    before its records were refused by the table's other columns)."""
    # (SQLite's own names start "sqlite_", in any case; LIKE's bare "_" is any character,
    # which passed over a user's table "sqliteruns": the demo then wrote into its file.)
    objects = connection.execute(
        "SELECT type, name FROM sqlite_master "
        "WHERE type IN ('table', 'view', 'trigger') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    ).fetchall()
    tables = {str(name) for kind, name in objects if kind == "table"}
    other = sorted(tables - _DEMO_TABLES)
    other += sorted(f"{kind} {name}" for kind, name in objects if kind != "table")
    # (The names it writes, and the UUIDs a demo before them wrote: that file is the
    # demo's to rewrite too.)
    demo_ids = [known for p in DEMO_PATTERNS for known in (p.name, str(p.pattern_id))]
    marks = ", ".join("?" for _ in demo_ids)
    demo_records = False
    for table in sorted(tables & _DEMO_TABLES):
        try:
            found = connection.execute(
                f'SELECT pattern_id FROM "{table}" '
                f"WHERE pattern_id IS NULL OR pattern_id NOT IN ({marks}) LIMIT 1",
                demo_ids,
            ).fetchone()
            demo_records = demo_records or bool(
                connection.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone()
            )
        except sqlite3.Error:  # no pattern_id column: not the demo's table
            found = ("?",)
        if found is not None:
            other.append(f"{table} with records of pattern {found[0]!r}")
    if tables and not other and not demo_records:
        other.append(f"{' and '.join(sorted(tables))} without the demo's records")
    return other


def run_demo(args: argparse.Namespace) -> int:
    given: datetime = args.now or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    try:
        now = given.astimezone(UTC)
    except OverflowError:  # (an offset past the year 1 or 9999: "0001-01-01T00:00+01:00")
        now = None  # (it was `main`'s "a date is outside ...": the data's exit status, 1)
    if now is None or not _EARLIEST_NOW <= now <= _LATEST_NOW:
        raise CliError(
            f"--now {given.isoformat()}: the demo month must lie within the years 1-9999 "
            # (The instants, not their dates: "to 9999-12-30" refused 9999-12-30T23:00Z.)
            f"(--now from {_instant(_EARLIEST_NOW)} to {_instant(_LATEST_NOW)})",
            EXIT_USAGE,
        )
    seed: int = args.seed
    database: Path = args.db
    _check_demo_database(database)
    refuse_output_over(args.output, database, "the demo's database (--db)")
    if args.save is not None:
        refuse_output_over(args.output, args.save, "the demo's records (--save)")
        # (The records were saved over the database, which then was "not a database":
        # exit 1 after the file was lost.)
        refuse_output_over(
            args.save, database, "the demo's database (--db)", "--save", "the records"
        )
    records = _named(generate_demo_records(now, seed=seed))
    if args.save is not None:
        _save_demo(args.save, records)
    rows = [row for pattern_rows in records.values() for row in pattern_rows]
    write_executions_sync(database, rows, replace=True)
    analyses = run_async(_demo_analyses(args, database, now))
    focus = next(a for a in analyses if a.name == args.pattern) if args.pattern else analyses[0]
    example = DEMO_PATTERNS[0]
    # (The month's end on --tz's clocks, named, as the report below shows its window.)
    _, shown_now, clocks = window_bounds(now - DEMO_WINDOW, now, args.tz)
    heading = (
        f"Demo data (seed {seed}): {len(analyses)} patterns, {len(rows):,} executions over "
        f"the 30 days up to {shown_now} {clocks}, written to {_where(database)} (table "
        "pattern_executions) and analysed from there. Most in need of attention first."
    )
    footer = (
        f"The results are stored in {database} too (table pattern_analytics). "
        f"Full report of another pattern: {_command('demo', *_same_data(args), '--pattern')} "
        f"NAME. Try the commands on the file: {_command('dashboard', database)}; "
        f"{_command('analyze', database, '--pattern', example.name)}."
    )

    def view(width: int, unicode: bool) -> View:
        return View(analyses, focus, args.tz, width, unicode, heading, footer)

    emit(args, view)
    return EXIT_OK


def _where(database: Path) -> str:
    """The demo's file, and its directory where the path does not say (the default's: a
    user ran the README's first command and found no file where they looked)."""
    if database.is_absolute():
        return str(database)
    return f"{database} in {database.absolute().parent}"


def _named(records: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The demo records with their pattern's name as their `pattern_id` (see the module)."""
    return {
        name: [{**record, "pattern_id": name} for record in pattern_records]
        for name, pattern_records in records.items()
    }


def _command(*arguments: object) -> str:
    """A command line of this program to suggest, each argument quoted as a POSIX shell
    needs it (a path with a space: `'my runs.sqlite'`)."""
    return shlex.join([PROG, *map(str, arguments)])


def _same_data(args: argparse.Namespace) -> list[str]:
    """The options of this run that chose its data and report (--db, --seed, --now,
    --tz), where not the defaults: `demo --pattern NAME` without them wrote and reported
    other data (the default file, seed and hour)."""
    options = {
        "--db": None if args.db == DEMO_DATABASE else str(args.db),
        "--seed": None if args.seed == DEFAULT_SEED else str(args.seed),
        "--now": None if args.now is None else args.now.isoformat(),
        "--tz": None if args.tz == "UTC" else args.tz,
    }
    given = [(option, value) for option, value in options.items() if value is not None]
    return [word for pair in given for word in pair]


async def _demo_analyses(args: argparse.Namespace, database: Path, now: datetime) -> list[Analysis]:
    """Read the demo records back from SQLite, analyse every pattern, store the
    results, and name them: worst first."""
    progress = Progress()
    start = now - DEMO_WINDOW
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
    results = await reduce_all(contracts, groups, str(database), progress)
    async with SQLiteAnalyticsStore(database) as store:
        await store.save_many(results)
    by_name = {
        fetched.pattern_id: Analysis(fetched.pattern_id, result, fetched.locate)
        for fetched, result in zip(groups, results, strict=True)
    }
    rows = dashboard_rows([(name, analysis.result) for name, analysis in by_name.items()])
    return [by_name[row.name] for row in rows]


def _save_demo(path: Path, records: dict[str, list[dict[str, Any]]]) -> None:
    rows = sorted(
        (row for rows in records.values() for row in rows), key=lambda row: row["timestamp"]
    )
    try:
        save_records(path, rows)
    except SourceError as error:  # a missing directory, no permission: the option's path
        raise CliError(f"--save {error}", EXIT_USAGE) from None
    example = DEMO_PATTERNS[0]
    to_stderr(
        f"{PROG}: wrote {len(rows):,} demo records to {path}; try: "
        f"{_command('analyze', path, '--pattern', example.name)}"
    )
