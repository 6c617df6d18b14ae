"""The `usage-analytics` command.

    usage-analytics demo                                     # demo data -> SQLite, analysed
    usage-analytics analyze runs.parquet --pattern checkout  # one pattern of a source
    usage-analytics analyze usage.sqlite --pattern checkout --format html --output r.html
    usage-analytics dashboard postgresql://user@host/db      # every pattern, worst first

SOURCE is a record file (.parquet, .csv, .jsonl; also compressed: .gz, .bz2, .xz, .zst),
a directory of Parquet, CSV or JSON Lines files (of one kind), - for standard input, a
SQLite file (.sqlite, .db, or sqlite:///PATH) or a postgresql:// URL (see
`usage_analytics.sources`); `--table` and `--column FIELD=COLUMN` name a database's table
and columns. Without --start/--end the window is the 30 days up to the source's newest
record, of any pattern, for `analyze` as for `dashboard` (`common.source_window`; with
--on-invalid skip, the newest valid one: `cli.valid_end`); --start, --end and the
demo's --now are read on --tz's clocks unless they have an offset, and a date alone as
--end (or --now) includes that day (`cli.dates`).

Layout: every subcommand is a `Command` in `COMMANDS` (its name, help, a function adding
its arguments, and a function running it), in a module of its own (`demo`, `analyze`,
`dashboard`); what they share is in `common`. Every output format is a renderer in
`output.RENDERERS` (analyze, demo) or `output.DASHBOARD_RENDERERS` that turns the
analysed patterns into text. Loads and reductions show a progress line on stderr when it
is a terminal. A window that holds no valid record is noted on stderr before the
report, with the newest record's time (`empty_window`); a source without a `success`
column, whose every execution is then a failure, after it (`absent_fields`).

Errors never show a traceback: each is one line on stderr, `usage-analytics: error: ...`,
with exit status 2 for a wrong command line (bad option values, a missing file, an
unsupported file type or URL, an unreachable server, a missing pip extra), 1 for data
that cannot be analysed (malformed files, missing tables, unknown patterns, invalid
records, more than the process's memory holds), 70 for a fault of the library's own (an
`InternalError`: "internal error in usage-analytics (please report): ...") and 130 when
interrupted (Ctrl-C). A reader of the output that stops reading (`| head`) ends the
command quietly, with status 0.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NoReturn, TextIO

from usage_analytics import _core
from usage_analytics.cli.analyze import configure_analyze, run_analyze
from usage_analytics.cli.common import (
    EXIT_DATA,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    CliError,
    Parser,
    resolve_format,
    to_stderr,
)
from usage_analytics.cli.dashboard import configure_dashboard, run_dashboard
from usage_analytics.cli.dates import resolve_time_options
from usage_analytics.cli.demo import configure_demo, run_demo
from usage_analytics.cli.output import (
    DASHBOARD_RENDERERS,
    RENDERERS,
    discard_stdout,
    is_terminal,
)
from usage_analytics.cli.process_end import end_process
from usage_analytics.errors import (
    ColumnNameWarning,
    InternalError,
    TimestampUnitWarning,
    UsageAnalyticsError,
)
from usage_analytics.report import printable
from usage_analytics.sources import (
    MissingDependencyError,
    SourceUnavailableError,
    UnsupportedSourceError,
)

__all__ = ["COMMANDS", "DASHBOARD_RENDERERS", "RENDERERS", "CliError", "entry", "main"]


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
        configure_demo,
        run_demo,
    ),
    Command(
        "analyze",
        "analyse one pattern of a source (file, SQLite or PostgreSQL)",
        "Analyse the executions of one pattern read from SOURCE. Without --start/--end "
        "the window is the 30 days up to the newest record's timestamp of the whole "
        "source, of any pattern, as dashboard's (end = the source's newest record, start = "
        "end - 30 days; with --on-invalid skip, the newest valid record), so that a "
        "pattern that went quiet shows how long ago it was last used.",
        configure_analyze,
        run_analyze,
    ),
    Command(
        "dashboard",
        "every pattern of a source, one line each, worst first",
        "Analyse every pattern in SOURCE over one window and show one line per pattern "
        "(executions, success rate, p95 latency, trend, worst health finding), those most "
        "in need of attention first. Without --start/--end the window is the 30 days up "
        "to the newest record of the whole source (with --on-invalid skip, the newest "
        "valid one).",
        configure_dashboard,
        run_dashboard,
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Usage analytics of patterns (features, endpoints, jobs, agent actions): "
        "how often they run, how well, how fast, where, and where they are heading.",
        # Every status the command ends with (`common.EXIT_*`, and 130): a script tells
        # data to fix (1) from a setup to fix (2) and a bug to report (70) by it.
        epilog=(
            "Exit status: 0 success (also when the output's reader stops reading, as "
            "`| head` does), 1 data that cannot be analysed, 2 a wrong command line or "
            "setup (a missing file, an unreachable server, a missing pip extra), 70 a "
            "fault of usage-analytics' own (please report it), 130 interrupted (Ctrl-C)."
        ),
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
    # Messages quote the data: a pattern id holding ESC must not clear the screen, and a
    # line break in a file name or a listed pattern id must not end the message there.
    # Escaped whole, it stays one line (drivers' several-line messages are cut to their
    # first line by the sources).
    line = printable(message.strip())
    # On a terminal a progress line (see `progress`) may still be drawn where the work
    # failed: erase it, or the message would be appended to it.
    erase = "\r\x1b[K" if is_terminal(sys.stderr) else ""
    to_stderr(f"{erase}{PROG}: error: {line}")


def _utf8_arguments(argv: Sequence[str]) -> list[str]:
    """`argv`, refused (exit 2) if an argument is not UTF-8 text: Python hands bytes it
    cannot decode over as lone surrogates, which no pattern id, table name or URL holds,
    and which Arrow, SQLite and the terminal refuse to encode (a traceback, before)."""
    for argument in argv:
        try:
            argument.encode("utf-8")
        except UnicodeEncodeError:
            raw = os.fsencode(argument)
            raise CliError(
                f"argument {raw!r} is not UTF-8 text; rename the file, or pass UTF-8",
                EXIT_USAGE,
            ) from None
    return list(argv)


@contextlib.contextmanager
def _warnings_as_notes() -> Iterator[None]:
    """The library's warnings about the data (`TimestampUnitWarning`: integer timestamps
    that look like epoch seconds; `ColumnNameWarning`: a column that looks like a field
    spelled otherwise, `executionTimeMs`, which a source of columns hands on unread) as
    the command's notes on stderr, one line each, each note once (not Python's warning
    with its source line, once per place in the code). A column's note says how to map
    it here too (`--column`; a column of another case only is mapped already:
    `sources.column_case`).

    Once: the command reduces a source more than once (the pass finding the window's
    end, then the report's; without pyarrow a CSV file's records reach the library as
    each pattern's list of dicts), and each reduction warned of the same columns, so a
    CSV file's `executionTimeMs` was noted 2 to 7 times, the same line, burying the
    report's other notes. Notes of other words (another column, another pattern's
    timestamps) are each shown."""
    with warnings.catch_warnings():
        warnings.simplefilter("always", TimestampUnitWarning)
        warnings.simplefilter("always", ColumnNameWarning)
        shown = warnings.showwarning
        noted: set[str] = set()

        def note(text: str) -> None:
            if text not in noted:
                noted.add(text)
                to_stderr(text)

        def show(
            message: Warning | str,
            category: type[Warning],
            filename: str,
            lineno: int,
            file: TextIO | None = None,
            line: str | None = None,
        ) -> None:
            if issubclass(category, TimestampUnitWarning):
                note(f"{PROG}: note: {message}")
            elif isinstance(message, ColumnNameWarning):
                # (Its renames are those a mapping reads whole: a JSON Lines key beside
                # lines of the exact one has none, `cli.key_spellings`.)
                renames = message.renames
                mapped = " ".join(
                    f"--column {shlex.quote(f'{field}={column}')}"
                    for column, field in renames.items()
                )
                them = "it" if len(renames) == 1 else "them"
                note(f"{PROG}: note: {message}" + (f", or map {them}: {mapped}" if renames else ""))
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield


def _parse(argv: list[str]) -> argparse.Namespace:
    """The parsed command line. Arguments no option takes are refused pointing to the
    command's help, which lists its options: argparse's top-level parser refused them
    pointing to its own (`dashboard runs.csv --pattern x`: "see 'usage-analytics
    --help'", whose text names the commands only)."""
    args, unrecognized = build_parser().parse_known_args(argv)
    if unrecognized:
        raise CliError(
            f"unrecognized arguments: {' '.join(unrecognized)} "
            f"(see '{PROG} {args.command} --help')",
            EXIT_USAGE,
        )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: `sys.argv[1:]`); returns the exit status."""
    try:
        args = _parse(_utf8_arguments(sys.argv[1:] if argv is None else argv))
        resolve_format(args)
        resolve_time_options(args)  # (after --tz, which may follow them)
        run: Callable[[argparse.Namespace], int] = args.run
        with _warnings_as_notes():
            return run(args)
    except CliError as error:
        _fail(str(error))
        return error.exit_code
    except (SourceUnavailableError, UnsupportedSourceError, MissingDependencyError) as error:
        _fail(str(error))
        return EXIT_USAGE
    except InternalError as error:  # (a UsageAnalyticsError: caught before it)
        _fail(str(error))
        return EXIT_INTERNAL
    except UsageAnalyticsError as error:
        _fail(str(error))
        return EXIT_DATA
    except MemoryError as error:
        # The memory the process may use (an address-space or container limit) ran out
        # reading or reducing: the command's words, not a traceback, with what to do.
        words = str(error) or "an allocation failed"
        if not words.startswith("out of memory"):  # (the sources' own say it)
            words = f"out of memory: {words}"
        _fail(
            f"{words}: analyse a shorter window (--start, --end) or one pattern (analyze "
            "--pattern), or give the process more memory"
        )
        return EXIT_DATA
    except OverflowError as error:
        # Python's datetimes stop at years 1 and 9999: a record, an option or a window
        # derived from them that reaches past one (the window options are checked by
        # name in `window_of`). Any other overflow is a bug, shown as one.
        if "date value out of range" not in str(error):
            raise
        _fail("a date is outside the years 1-9999 that can be analysed")
        return EXIT_DATA
    except SystemExit as exit_:  # --help and --version
        return exit_.code if isinstance(exit_.code, int) else EXIT_OK
    except KeyboardInterrupt:
        _fail("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python's exit-time
        # flush from failing on the closed pipe too. A success, as ripgrep makes
        # it: the reader chose to read no more, and `set -o pipefail` scripts of
        # `... | head` failed on the 1 this was (which says the data cannot be analysed).
        discard_stdout()
        return EXIT_OK


def entry() -> NoReturn:
    """The `usage-analytics` command: `main`, then the process's end (`end_process`: at
    once, without the teardown of the libraries it imported, and after Ctrl-C without
    waiting for a scan still running on a worker thread)."""
    end_process(main())


if __name__ == "__main__":
    entry()
