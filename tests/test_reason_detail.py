"""The parts of the core's reason for a record's timestamp of no timestamp type, as the
core reads them back (`errors.reason_detail`, `InvalidRecordError.reason_detail`): the
value's type name, whether it is an int, and for an int the unit its size suggests and
its instant there. The command line words the reason from them (`cli.integer_timestamps`)
where it matched the library's words with a regex, which a change of wording in the core
would silently have stopped matching."""

from __future__ import annotations

import enum
import pickle
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from source_cases import NOW, START, analyse
from usage_analytics import InvalidRecordError, UsageAccumulator
from usage_analytics.errors import NoTimestampType, reason_detail


class Color(enum.IntEnum):
    RED = 1_771_581_600


def refused(value: object) -> InvalidRecordError:
    with pytest.raises(InvalidRecordError) as raised:
        analyse([{"timestamp": value}], "p", START, NOW)
    return raised.value


def expected_instant(n: int) -> tuple[str, str] | None:
    """The unit an int's size suggests and its instant there, as the core shows it: none
    for a negative int or one past 64 bits, nor where Python has no such datetime."""
    if not 0 <= n < 2**63:
        return None
    power, unit = next(
        (p, u)
        for bound, p, u in (
            (10**11, 0, "seconds"),
            (10**14, 3, "milliseconds"),
            (10**17, 6, "microseconds"),
            (2**63, 9, "nanoseconds"),
        )
        if n < bound
    )
    try:
        # (As a float, as the core divides it: past 2**53 a microsecond may round.)
        return unit, datetime.fromtimestamp(float(n) / 10**power, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_an_integers_parts_are_its_unit_and_instant(stamp: int) -> None:
    error = refused(stamp)
    shown = expected_instant(stamp)
    unit, instant = (None, None) if shown is None else shown
    assert error.reason_detail == NoTimestampType("int", True, unit, instant)
    assert reason_detail("timestamp", error.reason) == error.reason_detail


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        (1.5, NoTimestampType("float", False, None, None)),
        (True, NoTimestampType("bool", False, None, None)),
        ([1], NoTimestampType("list", False, None, None)),
        ({"a": 1}, NoTimestampType("dict", False, None, None)),
        # (An int of its own type: an int all the same, its instant shown.)
        (Color.RED, NoTimestampType("Color", True, "seconds", "2026-02-20T10:00:00+00:00")),
    ],
)
def test_a_value_of_another_type_has_its_type_name(value: object, parts: NoTimestampType) -> None:
    assert refused(value).reason_detail == parts


@pytest.mark.parametrize("value", ["11/30/2026", "1771581600", None])
def test_other_reasons_have_no_parts(value: object) -> None:
    assert refused(value).reason_detail is None


def test_a_reason_of_another_field_has_no_parts() -> None:
    reason = refused(1_771_581_600).reason
    assert reason_detail("timestamp", reason) is not None
    assert reason_detail("agent", reason) is None
    assert InvalidRecordError(0, "agent", "1", reason).reason_detail is None


def test_a_pickled_error_keeps_its_parts() -> None:
    # (A Dask worker's error crosses to the client pickled: by its reason.)
    error = refused(1_771_581_600)
    again = pickle.loads(pickle.dumps(error))
    assert again.reason_detail == error.reason_detail is not None


def test_skipped_records_samples_have_the_same_parts_stored_or_not() -> None:
    # A sample carries the reason alone: its parts are read from it, after a state's
    # round trip through bytes too.
    records: list[dict[str, Any]] = [{"timestamp": 1_771_581_600}, {"timestamp": 2.5}]
    accumulator = UsageAccumulator(START, NOW, on_invalid="skip")
    accumulator.update(records)
    stored = UsageAccumulator.from_bytes(accumulator.to_bytes())
    for state in (accumulator, stored):
        samples = state.finalize("p").data_quality.error_samples
        assert [reason_detail(s.field, s.reason) for s in samples] == [
            NoTimestampType("int", True, "seconds", "2026-02-20T10:00:00+00:00"),
            NoTimestampType("float", False, None, None),
        ]
