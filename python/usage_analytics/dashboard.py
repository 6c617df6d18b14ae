"""The dashboard: one row per pattern, worst first.

    rows = dashboard_rows([("checkout", result), ...])
    print(render_dashboard(rows))

Each row shows a pattern's executions (and its records skipped as invalid, when some
pattern has any), success rate, p95 latency, trend and its worst health finding
(`result.health()`, see `usage_analytics.health`): the mark of its severity (✗ critical,
⚠ warning, · info; X, !, i in ASCII), its headline and the number of further findings,
"(+3)". A headline too long for its column loses the threshold it broke first ("✗ p99
latency 6.40 s"), then whole words from its end ("✗ p99 latency …"): never part of a
number or its unit (`usage_analytics.finding_fit`). Rows are ordered worst first: by
the severity of the worst finding (critical, warning, info, none), then by how many
findings have that severity, then by the number of findings, then by the error rate (an
unknown one, NaN, after the others), then by name.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from usage_analytics import text_width
from usage_analytics.contracts import ModelUsageAnalyticsOutput, UsageTrendType
from usage_analytics.finding_fit import fit_headline, headline_parts
from usage_analytics.health import (
    SEVERITIES,
    HealthFinding,
    HealthThresholds,
    JudgedHealth,
    finding_document,
    shown_finding,
)
from usage_analytics.report import (
    MIN_WIDTH,
    _duration_ms,
    _percent,
    greatest_first,
    printable,
    printable_lines,
    printable_names,
    terminal_width,
    trend_type_label,
)
from usage_analytics.short_ids import shortened_ids

__all__ = [
    "DashboardRow",
    "ShownNumbers",
    "dashboard_document",
    "dashboard_rows",
    "headline",
    "render_dashboard",
]

#: Severity marks (Unicode, ASCII).
_MARKS = {"critical": ("✗", "X"), "warning": ("⚠", "!"), "info": ("·", "i")}
_MIN_FINDING = 16
#: The finding column's width below which UUID ids are shortened (`short_ids`): with
#: their threshold and "(+N)", the worst findings' headlines take 28 to 40 columns
#: (the demo's, at most 35), and 36-column ids left them 16 to 25 at 90 to 100 columns.
_WHOLE_IDS_ROOM = 40


class ShownNumbers:
    """The numbers of a result that the dashboard shows (and ranks by); `p95_ms` None
    without timed runs, `trend` None without trend analysis. (A class of slots, not a
    named tuple: made for each of 100,000 rows, 1.9 µs against 3.3.)"""

    __slots__ = ("error_rate", "invalid", "p95_ms", "runs", "success_rate", "trend")

    def __init__(self, result: ModelUsageAnalyticsOutput) -> None:
        success, perf, trend = (
            result.success_metrics,
            result.performance_metrics,
            result.trend_analysis,
        )
        self.runs: int = result.usage_metrics.total_executions
        self.invalid: int = result.data_quality.invalid_records
        self.success_rate: float = success.success_rate
        self.error_rate: float = success.error_rate
        self.p95_ms: float | None = (
            None if perf is None or perf.sample_count == 0 else perf.p95_execution_time_ms
        )
        self.trend: UsageTrendType | None = None if trend is None else trend.trend_type


@dataclass(frozen=True)
class DashboardRow:
    """One pattern of the dashboard: its display name, result and health findings, and
    the result's numbers it shows (`numbers`), read when the row is made.

    (Read then, just after its findings were judged from the same models, and in the
    order the results were made. Read by each format in the rows' ranked order, each
    model a cache miss, the table's cells of 100,000 patterns took 0.9 s, 0.35 s so.)"""

    name: str
    result: ModelUsageAnalyticsOutput
    findings: Sequence[HealthFinding]
    numbers: ShownNumbers = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "numbers", ShownNumbers(self.result))

    @property
    def worst(self) -> HealthFinding | None:
        return self.findings[0] if self.findings else None

    def rank(self) -> tuple[int, int, int, tuple[bool, float], str]:
        findings = self.findings
        # (The severities of judged findings without making them: see `dashboard_rows`.)
        severities = (
            findings.severities()
            if isinstance(findings, JudgedHealth)
            else [finding.severity for finding in findings]
        )
        worst = severities[0] if severities else None
        severity = len(SEVERITIES) if worst is None else SEVERITIES.index(worst)
        same = severities.count(worst) if worst is not None else 0
        return (
            severity,
            -same,
            -len(severities),  # (one a finding: not `JudgedHealth.__len__`, a Python call)
            greatest_first(self.numbers.error_rate),
            self.name,
        )


def dashboard_rows(
    items: Sequence[tuple[str, ModelUsageAnalyticsOutput]],
    thresholds: HealthThresholds | None = None,
) -> list[DashboardRow]:
    """`(name, result)` pairs as dashboard rows, worst first (see the module). A row's
    `findings` are `result.health(thresholds)`, each made when first read
    (`JudgedHealth`): the dashboard reads the worst of each."""
    rows = [DashboardRow(name, result, JudgedHealth(result, thresholds)) for name, result in items]
    return sorted(rows, key=DashboardRow.rank)


def _cells(row: DashboardRow, unicode: bool, skipped: bool) -> list[str]:
    """The row's numbers; its invalid records too where some row has any (`skipped`)."""
    numbers = row.numbers
    runs, p95_ms = numbers.runs, numbers.p95_ms
    invalid = [f"{numbers.invalid:,}"] if skipped else []
    return [
        f"{runs:,}",
        *invalid,
        _percent(numbers.success_rate) if runs else "-",
        "-" if p95_ms is None else _duration_ms(p95_ms),
        trend_type_label(numbers.trend, unicode=unicode),
    ]


def headline(finding: HealthFinding) -> str:
    """A finding's message up to its details, compact: "Success rate 77.7% < 80.0%"."""
    return "".join(headline_parts(finding.message))


def _finding(row: DashboardRow, unicode: bool, width: int) -> str:
    """The mark of the worst finding's severity (✗ critical, ⚠ warning, · info), its
    headline (shortened to fit `width`, never inside a value: `finding_fit`), and how
    many more findings there are."""
    findings = row.findings
    if not findings:
        return "healthy"
    severity, message = shown_finding(findings, 0)
    mark = _MARKS[severity][0 if unicode else 1]
    more = len(findings) - 1
    suffix = f" (+{more})" if more else ""
    main, secondary = headline_parts(printable(message))
    lead, room = printable(f"{mark} "), width - len(suffix)
    return fit_headline(lead, main, secondary, room, "…" if unicode else "~") + suffix


def render_dashboard(
    rows: Sequence[DashboardRow], *, width: int | None = None, unicode: bool = True
) -> str:
    """The dashboard table, one line per row (in the given order), fit to `width` (at
    least `MIN_WIDTH`).
    Names (ids) up to 36 characters are shown whole, longer ones cut (apart, where
    their cuts would look alike: `text_width.cut_apart`), but UUIDs, where whole they
    would leave the finding less than `_WHOLE_IDS_ROOM` columns, are shown by the fewest
    characters no other name starts with (`short_ids`), a note under the table saying
    so; when the finding would get less than `_MIN_FINDING` characters it goes on its
    own indented line under the row.
    Where records were skipped as invalid (`on_invalid="skip"`), an INVALID column
    counts them: a pattern looks healthy on the records it kept."""
    width = max(MIN_WIDTH, width or terminal_width())
    skipped = any(row.numbers.invalid for row in rows)
    titles = ["RUNS", *(["INVALID"] if skipped else []), "SUCCESS", "P95", "TREND"]
    cells = [_cells(row, unicode, skipped) for row in rows]
    columns = list(zip(*cells, strict=True)) or [() for _ in titles]
    widths = [
        max([len(title), *map(len, column)]) for title, column in zip(titles, columns, strict=True)
    ]
    numbers = sum(size + 2 for size in widths)
    # (Once: a name may be 100k long.)
    printed = printable_names((row.name for row in rows), unicode=unicode)
    name_width = _name_width(printed, width - numbers)
    id_length = 36
    if width - name_width - numbers - 2 < _WHOLE_IDS_ROOM:
        printed, id_length = shortened_ids(printed)
        name_width = _name_width(printed, width - numbers)
    room = width - name_width - numbers - 2
    below = room < _MIN_FINDING

    # The numbers right-aligned and the trend (the last) left-aligned, each after two
    # spaces: one format for every row (`str.rjust` and `str.ljust` of each, as they pad).
    *numbers_widths, trend_width = widths
    values_format = "".join(f"  {{:>{size}}}" for size in numbers_widths) + f"  {{:<{trend_width}}}"

    def line(shown: str, values: list[str]) -> str:
        return text_width.ljust(shown, name_width) + values_format.format(*values)

    names = text_width.cut_apart(printed, name_width, "…" if unicode else "~")
    header = line("PATTERN", titles)
    if not below:
        title = next(
            t for t in ("WORST HEALTH FINDING", "WORST FINDING", "HEALTH") if len(t) <= room
        )
        header = f"{header}  {title}"
    lines = [header.rstrip(), ("─" if unicode else "-") * min(width, max(len(header), 40))]
    for row, name, values in zip(rows, names, cells, strict=True):
        if below:
            lines.append(line(name, values).rstrip())
            lines.append("    " + _finding(row, unicode, width - 4))
        else:
            lines.append(f"{line(name, values)}  {_finding(row, unicode, room)}".rstrip())
    if id_length < 36:
        note = (
            f"Pattern ids shortened to their first {id_length} characters, which no other "
            "pattern here starts with; the JSON and HTML reports give them whole."
        )
        lines += textwrap.wrap(note, width)
    return printable_lines("\n".join(lines))


def _name_width(printed: Sequence[str], most: int) -> int:
    """The name column's width: the widest name, at least the title's, at most 36
    columns (longer names are cut) and `most` (what the numbers leave), never below 8."""
    shown_widths = (text_width.width(name) for name in printed)
    name_width = min(36, max([len("PATTERN"), *shown_widths]))
    return max(8, min(name_width, most))


def dashboard_document(rows: Sequence[DashboardRow]) -> list[dict[str, Any]]:
    """The rows as JSON-ready dicts (full precision), in order; a number the table shows
    as "-" (a success rate without runs, a p95 without timed runs) is null.
    `invalid_records`: the pattern's records skipped as invalid (`on_invalid="skip"`)."""
    document = []
    for row in rows:
        numbers, findings = row.numbers, row.findings
        runs, trend = numbers.runs, numbers.trend
        document.append(
            {
                "name": row.name,
                "pattern_id": str(row.result.pattern_id),
                "total_executions": runs,
                "invalid_records": numbers.invalid,
                "success_rate": numbers.success_rate if runs else None,
                "p95_execution_time_ms": numbers.p95_ms,
                "trend_type": None if trend is None else trend.value,
                "worst_finding": finding_document(findings, 0) if findings else None,
                "findings": len(findings),
            }
        )
    return document
