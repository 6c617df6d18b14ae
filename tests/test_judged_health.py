"""The health findings made when read (`health.JudgedHealth`, the dashboard rows'): the
same findings as `evaluate_health`, in its order, and severities read without making
any; the dashboard making only the finding it shows of each pattern."""

from __future__ import annotations

from typing import Any
from unittest import mock

from hypothesis import given
from hypothesis import strategies as st
from test_health_shared import _result, judged, results, thresholds
from usage_analytics import HealthThresholds, ModelUsageAnalyticsOutput, evaluate_health
from usage_analytics.dashboard import (
    DashboardRow,
    dashboard_document,
    dashboard_rows,
    render_dashboard,
)
from usage_analytics.health import JudgedHealth, _Fired


def _json(findings: Any) -> list[str]:
    return [finding.model_dump_json() for finding in findings]


@given(results(), st.none() | thresholds())
def test_judged_health_is_evaluate_health(
    output: ModelUsageAnalyticsOutput, chosen: HealthThresholds | None
) -> None:
    lazy = JudgedHealth(output, chosen)
    # Severities first: read without making a finding (one that cannot be written too).
    expected = judged(evaluate_health, output, chosen)
    if isinstance(expected, str):  # (a message that cannot be written: raises when read)
        assert len(lazy) > 0
        return
    findings = evaluate_health(output, chosen)
    assert lazy.severities() == [finding.severity for finding in findings]
    assert len(lazy) == len(findings)
    assert _json(lazy) == expected  # (JSON: -0.0 and the floats' types told apart)
    assert [type(f.value) for f in lazy] == [float] * len(findings)
    assert _json(lazy[1:]) == expected[1:]
    assert lazy == findings
    assert findings == lazy
    assert list(reversed(lazy)) == findings[::-1]


@given(st.lists(results(), min_size=1, max_size=8), st.none() | thresholds())
def test_dashboard_rows_rank_as_rows_of_every_finding(
    outputs: list[ModelUsageAnalyticsOutput], chosen: HealthThresholds | None
) -> None:
    items = [(f"p{index}", output) for index, output in enumerate(outputs)]
    rows = dashboard_rows(items, chosen)
    eager = [DashboardRow(name, output, evaluate_health(output, chosen)) for name, output in items]
    assert [row.name for row in rows] == [row.name for row in sorted(eager, key=DashboardRow.rank)]
    assert [row.rank() for row in rows] == sorted(row.rank() for row in eager)


def test_the_dashboard_makes_only_the_findings_it_shows() -> None:
    from test_health_shared import _result

    # Every rule of the success and latency families fires: five findings.
    output = _result(
        runs=30,
        failures=20,
        success_rate=1 / 3,
        error_rate=2 / 3,
        gate_failures=3,
        quality=0.5,
        latencies=(100.0, 5_000.0, 9_000.0),
        timed=30,
        trend=None,
        hours=1.0,
    )
    (row,) = dashboard_rows([("p", output)])
    assert isinstance(row.findings, JudgedHealth)
    assert len(row.findings) >= 5
    assert row.findings._made is None  # (ranked by severities alone)
    render_dashboard([row], width=120)
    dashboard_document([row])
    # The worst rule alone read, its message written, once, and no finding made (the
    # table shows its severity and message, the document its fields).
    made: list[_Fired | None] | None = row.findings._made
    assert made is not None
    worst, *others = made
    assert others == [None] * (len(row.findings) - 1)
    assert worst is not None
    assert worst._text is not None
    assert worst._built is None


def _all_failed() -> ModelUsageAnalyticsOutput:
    """A result of 30 runs that all failed: two findings (low success, high errors)."""
    return _result(
        runs=30,
        failures=30,
        success_rate=0.0,
        error_rate=1.0,
        gate_failures=0,
        quality=0.0,
        latencies=None,
        timed=0,
        trend=None,
        hours=1.0,
    )


def test_a_finding_holds_floats_as_its_validation_gave_them() -> None:
    # (The findings are made without validation: an int the rules read, as from a model
    # built by `model_construct`, is still the float the model's validation made of it.)
    output = _all_failed()
    success = output.success_metrics.model_copy(update={"success_rate": 0, "error_rate": 1})
    output = output.model_copy(update={"success_metrics": success})
    findings = evaluate_health(output)
    assert [(f.code, f.value) for f in findings] == [
        ("low_success_rate", 0.0),
        ("high_error_rate", 1.0),
    ]
    assert [type(f.value) for f in findings] == [float, float]
    assert findings[0].model_dump_json().count('"value":0.0') == 1


def test_judged_health_is_unequal_to_what_is_no_sequence_of_findings() -> None:
    # As a list of findings is: unequal to a number, None or a text, not an error (a
    # text is a sequence, but never one of findings).
    output = _all_failed()
    judged = JudgedHealth(output)
    assert len(judged) == 2
    for other in (2, None, "ab", b"ab"):
        assert judged != other
        assert not judged == other  # noqa: SIM201  (__eq__ itself, not __ne__)
    # No findings (the two rate rules off): equal to an empty list, not to an empty text.
    healthy = JudgedHealth(output, HealthThresholds(min_success_rate=None, max_error_rate=None))
    assert len(healthy) == 0
    assert healthy == []
    assert healthy != ""


def test_judged_health_compared_with_what_is_no_sequence_is_false_as_a_lists_is() -> None:
    # `==` gives False, not some other falsy value, and leaves the answer to the other
    # side where it has one (as a list does: `mock.ANY` equals it). (helper-279's
    # mutation pass: `__eq__` answering None in place of NotImplemented passed.)
    judged = JudgedHealth(_all_failed())
    findings = list(judged)
    others: tuple[object, ...] = (2, None, 2.5)
    for other in others:
        assert (judged == other) is (findings == other) is False
        assert (judged != other) is (findings != other) is True
    assert judged == mock.ANY


def test_judged_health_is_written_as_the_list_of_its_findings() -> None:
    # (What a REPL or a failing assertion shows; no test called it: helper-279.)
    judged = JudgedHealth(_all_failed())
    assert repr(judged) == repr(evaluate_health(_all_failed()))
    assert repr(judged).startswith("[HealthFinding(")
