"""The note of a window that holds no record to analyse.

An empty window is a valid answer (DESIGN.md: the empty analytics, not an error), so the
command still writes its report and exits 0; but the report alone (zeros, an EMERGING
trend, a blank hour chart) read as a pattern that is new and idle, where the window was
merely off its records: `analyze --start 2020-01-01 --end 2020-01-02` of a pattern that
ran in 2026 said nothing of it. The note says so on stderr, and where the newest record
is, so that a window can be chosen."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from usage_analytics.cli.common import PROG, to_stderr
from usage_analytics.contracts import ModelUsageAnalyticsOutput, TimeWindowType
from usage_analytics.report import plural, times_shown
from usage_analytics.sources import ExecutionSource


async def note_an_empty_window(
    source: ExecutionSource,
    results: Sequence[ModelUsageAnalyticsOutput],
    window: tuple[datetime, datetime, TimeWindowType],
    zone: str,
    pattern: str | None = None,
) -> None:
    """A note on stderr where no valid record (of `pattern`, or of any of the source's
    patterns, `results`) lies in `window`, naming the newest record's time on
    the window's clocks (one `source.newest` call, made only then).

    A decision of the command's (the design is silent): a window is empty when it holds no
    *valid* record, as the report counts them. Where invalid records were left out
    (--on-invalid skip), the note counts them instead of saying the window holds no
    record: they are counted invalid wherever their timestamps lie, so they may lie in
    it, and they are why it is empty if they do. The records outside it are counted where
    the source handed them over (a file's, which is read whole; a database sends only the
    window's). A pattern without any record is an error before this (`UnknownPatternError`).
    Where the library's note on integer timestamps that look like epoch seconds came
    first (all of them outside the window, in 1970), this one follows it all the same:
    that one says why, this one where the newest record is, as for any empty window."""
    if not results or any(result.data_quality.records_in_window for result in results):
        return
    invalid = sum(result.data_quality.invalid_records for result in results)
    outside = sum(result.data_quality.records_outside_window for result in results)
    of = f" of {pattern}" if pattern is not None else ""
    newest = await source.newest(pattern)
    # (All on the report's clocks, the newest record's time too: --tz's, as the window.)
    shown, clocks = times_shown([window[0], window[1], *([newest] if newest else [])], zone)
    span = f"the window {shown[0]} to {shown[1]} {clocks}"
    if invalid:
        also = f", and {outside:,} valid outside it" if outside else ""
        where = "its timestamp lies" if invalid == 1 else "their timestamps lie"
        what = (
            f"no valid record{of} lies in {span} ({plural(invalid, 'invalid record')} "
            f"left out, wherever {where}{also})"
        )
    elif outside:
        every = f"the {outside:,} records" if outside != 1 else "the one record"
        what = f"none of {every}{of} lies in {span}"
    else:
        what = f"no record{of} lies in {span}"
    where = "" if newest is None else f"; the newest record{of} is at {shown[2]} {clocks}"
    to_stderr(f"{PROG}: note: {what}{where}; pass --start and --end to choose another window")
