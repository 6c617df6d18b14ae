"""What was analysed (`Analysis`), what a renderer shows (`View`), the renderers of each
output format, and `emit`, which writes the rendered text where `--output` says."""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from usage_analytics import _core, text_width
from usage_analytics.cli.common import EXIT_USAGE, CliError
from usage_analytics.contracts import ModelUsageAnalyticsOutput
from usage_analytics.dashboard import (
    DashboardRow,
    dashboard_document,
    dashboard_rows,
    render_dashboard,
)
from usage_analytics.html_report import OverviewItem, render_judged_html
from usage_analytics.report import (
    escaping_unencodable,
    printable,
    printable_lines,
    render_report,
    terminal_width,
)
from usage_analytics.sources import Unreadable


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
    #: Records left out for having no pattern id (the dashboard, with --on-invalid skip).
    unattributed: int = 0
    #: The dashboard rows of `analyses`, where the command has ranked them already (their
    #: health findings cost 11-12 µs a pattern: `benches/dashboard_health.py`).
    rows: Sequence[DashboardRow] = ()
    #: A record file's lines left out as holding no record (with --on-invalid skip).
    unreadable: Unreadable = field(default_factory=lambda: Unreadable(0))


def _rows(view: View) -> Sequence[DashboardRow]:
    if view.rows:
        return view.rows
    return dashboard_rows([(analysis.name, analysis.result) for analysis in view.analyses])


def _dashboard_text(view: View) -> str:
    return render_dashboard(_rows(view), width=view.width, unicode=view.unicode)


def render_table(view: View) -> str:
    """The dashboard (when there are several patterns), then the full report of
    `view.focus` (if any)."""
    parts: list[str] = []
    if view.heading:
        parts += [*_wrapped(view.heading, view.width), ""]
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
        parts += ["", *_wrapped(view.footer, view.width)]
    return printable_lines("\n".join(parts).rstrip("\n"))


def _wrapped(text: str, width: int) -> list[str]:
    """The heading's or footer's lines, its escapes made before it is wrapped (they name
    sources: a path may hold any character) and its columns counted as the terminal
    shows them (wide characters take two)."""
    return text_width.wrap(printable(text), width)


def _json(document: Any, view: View) -> str:
    """`document` as JSON text (`json_text`); for a terminal that cannot encode every
    character (`view.unicode` False), in ASCII, the others as JSON's own escapes
    ("\\u00e9"): the terminal wrote "?" for them, and the names were lost from the
    document."""
    return json_text(document, ensure_ascii=not view.unicode)


def json_text(document: Any, *, indent: int = 2, ensure_ascii: bool = True) -> str:
    """`json.dumps(json_safe(document), indent=indent, ensure_ascii=ensure_ascii)`, byte
    for byte (non-finite numbers as null), made 3.6-5x faster (`benches/report_json.py`):
    encoded compact by `json`'s C encoder (which `indent` turns off), then laid out and
    its non-finite numbers nulled by the core (`_core.indent_json`, which takes indents of
    0 to 1,024 spaces). (As bytes
    both ways, with `surrogatepass`: a lone surrogate is valid in a Python string, and
    `json` keeps it without `ensure_ascii`.) Where that expression raised, this may not:
    a NaN in a tuple or as a dict key is `null` or `"NaN"` here."""
    compact = json.dumps(document, separators=(",", ":"), ensure_ascii=ensure_ascii)
    laid_out = _core.indent_json(compact.encode("utf-8", "surrogatepass"), indent)
    return laid_out.decode("utf-8", "surrogatepass")


def render_json(view: View) -> str:
    """`result.to_dict()` for one pattern; `{name: to_dict()}` for several (each error
    sample with its `location`: see `_located`)."""
    if len(view.analyses) == 1:
        document: Any = _located(view.analyses[0])
        if view.unreadable.count:  # (`analyze` with --on-invalid skip; else as it was)
            document["unreadable_lines"] = unreadable_document(view.unreadable)
    else:
        document = {analysis.name: _located(analysis) for analysis in view.analyses}
    return _json(document, view)


def _located(analysis: Analysis) -> dict[str, Any]:
    """`result.to_dict()`, each invalid-record sample also saying where its record is in
    the source (`"location": "line 3"`, as the table and HTML reports say): a sample's
    `index` counts among the pattern's records, which in a file of many patterns is not
    the file's record number."""
    document = analysis.result.to_dict()
    if analysis.locate is not None:
        for sample in document["data_quality"]["error_samples"]:
            sample["location"] = analysis.locate(sample["index"])
    return document


def render_html_view(view: View) -> str:
    """A self-contained HTML report of `view.focus` (the first pattern without one);
    with several patterns, or records left out for having no pattern id, a table of all
    of them (worst finding each, and that note) comes first. The view's heading and
    footer are on the page as on the terminal (the dashboard's names its source: the
    page did not say what it was of)."""
    focus = view.focus or view.analyses[0]
    overview = None
    if len(view.analyses) > 1 or view.unattributed:
        overview = _judged(view)
    return render_judged_html(
        focus.result,
        name=focus.name,
        locate=focus.locate,
        overview=overview,
        unattributed=view.unattributed,
        heading=view.heading,
        footer=view.footer,
    )


def _judged(view: View) -> list[OverviewItem]:
    """The view's patterns with the health findings and shown numbers of its rows, where
    it has them (the same results: the rows are the analyses' own, ranked), else None
    (judged and read when shown)."""
    if not view.rows:
        return [(analysis.name, analysis.result, None, None) for analysis in view.analyses]
    items: list[OverviewItem] = []
    for analysis, row in zip(view.analyses, view.rows, strict=True):
        own = row.result is analysis.result
        items.append(
            (
                analysis.name,
                analysis.result,
                row.findings if own else None,
                row.numbers if own else None,
            )
        )
    return items


def render_dashboard_json(view: View) -> str:
    """The window, the records left out (without a pattern id; skipped as invalid, each
    pattern's also under it) and one object per pattern (worst first): the dashboard's
    numbers at full precision and its worst health finding."""
    patterns = dashboard_document(_rows(view))
    document = {
        "window": view.window,
        "records_without_pattern_id": view.unattributed,
        "unreadable_lines": unreadable_document(view.unreadable),
        "invalid_records": sum(pattern["invalid_records"] for pattern in patterns),
        "patterns": patterns,
    }
    return _json(document, view)


def unreadable_document(unreadable: Unreadable) -> dict[str, Any]:
    """A record file's lines left out as holding no record, for a JSON report: how many,
    and the first one's line and reason (`{"line": 12, "reason": "not valid JSON: ..."}`,
    null without one), and its file where the source is a directory of files."""
    first: dict[str, Any] | None = None
    if unreadable.count:
        first = {"line": unreadable.line, "reason": unreadable.reason}
        if unreadable.file is not None:
            first["file"] = unreadable.file
    return {"count": unreadable.count, "first": first}


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


def is_terminal(stream: TextIO) -> bool:
    """Whether `stream` is a terminal (False for files, pipes and streams that cannot say)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _write_utf8(text: str) -> None:
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (a test's, an IDE's): it takes str
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def _in_ascii(page: str) -> str:
    """An HTML page in ASCII, its other characters as character references ("&#233;"),
    which a browser reads back: on a terminal that cannot encode them, the names were
    written as Python escapes and the page's own "·" and "→" as "?". (Such characters
    are only in text and attribute values, where references are read: the style sheet
    is ASCII.)"""
    return page.encode("ascii", "xmlcharrefreplace").decode("ascii")


def _to_stdout(
    form: str, renderer: Callable[[View], str], make_view: Callable[[int, bool], View]
) -> None:
    """Write the report to stdout; a stdout that is closed or fails (a full disk) is the
    one-line error `--output` gives, not a traceback. (A closed pipe, `| head`, is
    `main`'s quiet stop.)"""
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        raise CliError("cannot write the report: standard output is closed", EXIT_USAGE)
    try:
        if form != "table" and not is_terminal(sys.stdout):
            # A document going to a file or pipe: UTF-8 (as JSON is, and as the HTML
            # page's charset says) whatever the locale's encoding, or `> report.html`
            # under a cp1252 or ASCII locale would hold replaced characters. (A terminal
            # shows text in its own encoding, below.)
            _write_utf8(renderer(make_view(terminal_width(), True)) + "\n")
            return
        unicode = _can_encode(sys.stdout)
        if unicode:
            text = renderer(make_view(terminal_width(), True))
        elif form == "html":
            text = _in_ascii(renderer(make_view(terminal_width(), True)))
        else:
            with escaping_unencodable(getattr(sys.stdout, "encoding", None) or "ascii"):
                text = renderer(make_view(terminal_width(), False))
            if isinstance(sys.stdout, io.TextIOWrapper):
                sys.stdout.reconfigure(errors="replace")  # (a safety net: all is escaped)
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as error:
        discard_stdout()
        reason = error.strerror or error
        raise CliError(f"cannot write to standard output: {reason}", EXIT_USAGE) from None


def discard_stdout() -> None:
    """Point stdout at the null device, so that Python's flush at exit does not fail on
    what is still buffered (and print its own error)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass  # (a test's stream without a file descriptor: nothing flushes it at exit)


def emit(
    args: argparse.Namespace,
    make_view: Callable[[int, bool], View],
    renderers: dict[str, Callable[[View], str]] = RENDERERS,
) -> None:
    """Render with `args.format` and write to `args.output` (fit to 100 columns, UTF-8)
    or stdout (fit to the terminal)."""
    renderer = renderers[args.format]
    output: Path | None = args.output
    if output is None:
        _to_stdout(args.format, renderer, make_view)
        return
    text = renderer(make_view(100, True))
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except BrokenPipeError:
        # A pipe's reader gone (`--output /dev/stdout | head`, a named pipe): the quiet
        # success the help promises, as on stdout. (Not `main`'s handler, which points
        # stdout, written to by no one here, at the null device.)
        return
    except OSError as error:
        raise CliError(f"cannot write {output}: {error.strerror or error}", EXIT_USAGE) from None
