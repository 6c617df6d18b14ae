"""The dashboard's shortcuts write what the general code writes: `printable_lines`
checking the whole text at once, `_duration_ms`'s seconds, the worst finding's severity,
message and JSON fields without the `HealthFinding`, and the numbers a row reads once
(`ShownNumbers`)."""

from __future__ import annotations

import math

from hypothesis import example, given
from hypothesis import strategies as st
from test_health_shared import results, thresholds
from usage_analytics import HealthThresholds, ModelUsageAnalyticsOutput
from usage_analytics.dashboard import ShownNumbers, dashboard_rows
from usage_analytics.health import JudgedHealth, finding_document, shown_finding
from usage_analytics.report import (
    _duration_in_units,
    _duration_ms,
    escaping_unencodable,
    printable,
    printable_lines,
    trend_label,
)

#: Characters `printable` treats apart: line breaks, controls, format characters, marks
#: (combining, after a letter or alone), wide ones, conjoining jamo, one NFC replaces,
#: the report's own drawing characters, a lone surrogate.
_ODD = "\n\r\t\x1b\x07\u202e\u200d\u0301\u0308e名😀\u1100\u1161\u212b→·…⚠✗ \\\ud800"
_TEXTS = st.text(st.sampled_from(_ODD) | st.characters(), max_size=40)


def _line_by_line(text: str) -> str:
    return "\n".join(printable(line) for line in text.split("\n"))


@given(_TEXTS, st.sampled_from([None, "ascii", "latin-1", "cp1252", "utf-8"]))
@example("e\n\u0301", None)  # (a mark alone on its line: in NFC there, not joined)
@example("a\n\u212b", None)  # (one NFC replaces, on a line of its own)
@example("ok\n\x1b[2J", None)
def test_printable_lines_checked_whole_is_printable_of_each_line(
    text: str, encoding: str | None
) -> None:
    if encoding is None:
        assert printable_lines(text) == _line_by_line(text)
        return
    with escaping_unencodable(encoding):
        assert printable_lines(text) == _line_by_line(text)


_AROUND_SECONDS = st.sampled_from([999.5, 999.4999999, 59_994.9, 59_995.0, 59_995.000001, 1e3])


@given(st.floats() | _AROUND_SECONDS | st.floats(900, 70_000))
@example(math.inf)
@example(-0.0)
@example(59_999.99)
def test_duration_ms_is_its_units_rule(ms: float) -> None:
    assert _duration_ms(ms) == _duration_in_units(ms)


@given(results(), st.none() | thresholds())
def test_the_worst_finding_without_its_model_is_the_models(
    output: ModelUsageAnalyticsOutput, chosen: HealthThresholds | None
) -> None:
    judged = JudgedHealth(output, chosen)
    for index in range(len(judged)):
        try:
            finding = judged[index]
        except (OverflowError, ValueError):  # (a message that cannot be written)
            continue
        fresh = JudgedHealth(output, chosen)  # (no model made in it yet)
        assert shown_finding(fresh, index) == (finding.severity, finding.message)
        expected = finding.model_dump(mode="json", context={"non_finite": "null"})
        document = finding_document(fresh, index)
        assert document == expected
        assert [type(value) for value in document.values()] == [
            type(value) for value in expected.values()
        ]
        assert [math.copysign(1, v) for v in document.values() if isinstance(v, float)] == [
            math.copysign(1, v) for v in expected.values() if isinstance(v, float)
        ]
        # (The model made only for a value past the largest double, whose JSON form it
        # writes.)
        assert (fresh._fired_at(index)._built is None) == math.isfinite(finding.value)
        # Of a plain list of findings, the same.
        assert shown_finding([finding], 0) == (finding.severity, finding.message)
        assert finding_document([finding], 0) == expected


@given(results())
def test_a_rows_numbers_are_its_results(output: ModelUsageAnalyticsOutput) -> None:
    (row,) = dashboard_rows([("p", output)])
    perf, trend = output.performance_metrics, output.trend_analysis
    again = ShownNumbers(output)
    assert [getattr(row.numbers, name) for name in ShownNumbers.__slots__] == [
        getattr(again, name) for name in ShownNumbers.__slots__
    ]
    assert row.numbers.runs == output.usage_metrics.total_executions
    assert row.numbers.invalid == output.data_quality.invalid_records
    assert row.numbers.success_rate == output.success_metrics.success_rate
    assert row.numbers.error_rate == output.success_metrics.error_rate
    timed = perf is not None and perf.sample_count > 0
    assert row.numbers.p95_ms == (perf.p95_execution_time_ms if timed and perf else None)
    assert row.numbers.trend == (None if trend is None else trend.trend_type)
    for unicode in (True, False):
        arrow = trend_label(trend, unicode=unicode)
        if trend is not None:
            assert arrow.endswith(f" {trend.trend_type.value}")
