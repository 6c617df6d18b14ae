"""BatchRollingUsageAnalytics: a rolling monitor of many patterns.

The reference is a Python loop over one-pattern monitors: a `RollingUsageAnalytics` per
pattern fed that pattern's records, forgotten after the add that leaves it no bucket in
the kept range (the two windows of buckets ending with the newest bucket of any record).
Any sequence of adds and snapshots (and round trips through bytes and pickle between them)
gives, pattern by pattern, that reference's snapshots with records in the window, and the
metrics of `execute_batch_reduction` over the window's records; a snapshot whose window
reaches below the kept range raises. Also: ids as the batch API reads them, skip and raise
modes, max_future, atomic adds, settings.
"""

from __future__ import annotations

import pickle
import threading
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from equivalence import VOLATILE
from hypothesis import event, given, settings
from hypothesis import strategies as st
from test_rolling import assert_snapshot_equals
from usage_analytics import (
    InvalidRecordError,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    RollingUsageAnalytics,
    UsageAnalyticsError,
)
from usage_analytics.batch_rolling import BatchRollingUsageAnalytics

REDUCER = NodeUsageAnalyticsReducer()
US = timedelta(microseconds=1)
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
#: Pattern ids of every kind the batch API takes (a text spelling an int names that int).
IDS: list[Any] = ["api/users", "api/orders", 7, UUID(int=5), "x"]


def micros(at: datetime) -> int:
    return (at - datetime(1970, 1, 1, tzinfo=UTC)) // US


def output_id(pattern_id: Any) -> UUID | str:
    """A pattern's id in an output (an int's is its text)."""
    return pattern_id if isinstance(pattern_id, UUID) else str(pattern_id)


def without_volatile(output: ModelUsageAnalyticsOutput) -> dict[str, Any]:
    dumped = output.model_dump()
    for key in VOLATILE:  # (a one-pattern monitor's correlation id is its own)
        dumped.pop(key, None)
    return dumped


def one_pattern(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "pattern_id"}


class Reference:
    """One-pattern monitors, one per pattern, forgotten as the batch forgets them."""

    def __init__(self, window: timedelta, bucket: timedelta, **options: Any) -> None:
        self.window, self.bucket, self.options = window, bucket, options
        # (Keyed as a batch output's results are: by the id as given.)
        self.monitors: dict[Any, tuple[RollingUsageAnalytics, int]] = {}
        self.newest: int | None = None  # the newest bucket's key of any record
        self.added: list[dict[str, Any]] = []

    def key(self, record: dict[str, Any]) -> int:
        return micros(record["timestamp"]) // (self.bucket // US)

    def oldest_kept(self) -> int | None:
        buckets = self.window // self.bucket
        return None if self.newest is None else self.newest - 2 * buckets + 1

    def add(self, records: list[dict[str, Any]]) -> None:
        self.added += records
        for record in records:
            self.newest = max(self.key(record), self.newest or self.key(record))
        by_pattern: dict[Any, list[dict[str, Any]]] = {}
        for record in records:
            by_pattern.setdefault(record["pattern_id"], []).append(record)
        for pattern, mine in by_pattern.items():
            monitor, newest = self.monitors.get(pattern, (None, None))
            if monitor is None:
                monitor = RollingUsageAnalytics(
                    self.window, self.bucket, pattern_id=output_id(pattern), **self.options
                )
            monitor.add([one_pattern(r) for r in mine])
            last = max(self.key(r) for r in mine)
            self.monitors[pattern] = (monitor, last if newest is None else max(newest, last))
        oldest = self.oldest_kept()
        assert oldest is not None or not self.monitors
        self.monitors = {p: (m, n) for p, (m, n) in self.monitors.items() if n >= (oldest or n)}

    def snapshots(self, now: datetime) -> dict[Any, ModelUsageAnalyticsOutput]:
        shown = {p: m.snapshot(now) for p, (m, _) in self.monitors.items()}
        return {p: s for p, s in shown.items() if s.usage_metrics.total_executions}

    def batch_reduction(self, start: datetime, end: datetime) -> ModelUsageAnalyticsBatchOutput:
        inside = [r for r in self.added if start <= r["timestamp"] < end]
        return REDUCER.execute_batch_reduction_sync(
            ModelUsageAnalyticsBatchInput(
                time_window_start=start,
                time_window_end=end,
                time_window_type="custom",
                bucket_width=self.bucket,
                execution_data=inside,
                **{k: v for k, v in self.options.items() if k not in BUDGETS},
            )
        )


BUDGETS = ("exact_budget", "relative_accuracy")


@st.composite
def records_of(draw: st.DrawFn, start_us: int, span_us: int, size: int) -> list[dict[str, Any]]:
    def one(i: int) -> dict[str, Any]:
        at = start_us + draw(st.integers(0, span_us - 1))
        return {
            "pattern_id": draw(st.sampled_from(IDS)),
            "timestamp": datetime(1970, 1, 1, tzinfo=UTC) + at * US,
            "success": draw(st.booleans()),
            "execution_time_ms": draw(st.sampled_from([0.0, 1.5, 40.0, 250.0, 1e4])),
            "agent": draw(st.sampled_from(["a", "b", "c"])),
            "context_type": draw(st.sampled_from(["api", "cli"])),
        }

    return [one(i) for i in range(size)]


@st.composite
def cases(draw: st.DrawFn) -> dict[str, Any]:
    """Settings, and steps: an add of a batch of records, then maybe a snapshot at a `now`
    near the newest record (up to two windows behind it: below the kept range, at times)
    and maybe a round trip of the monitor through bytes or pickle."""
    bucket = draw(st.sampled_from([MINUTE, 5 * MINUTE, 7 * MINUTE, HOUR]))
    window = draw(st.integers(1, 6)) * bucket
    start_us = micros(T0) + draw(st.integers(0, 10**9))
    span_us = draw(st.integers(1, 4)) * (window // US)
    steps = []
    latest = start_us
    for _ in range(draw(st.integers(1, 5))):
        batch = draw(records_of(start_us, span_us, draw(st.integers(0, 25))))
        latest = max([latest, *(micros(r["timestamp"]) for r in batch)])
        w = window // US
        lag = draw(st.one_of(st.integers(-2 * w, -w - 1), st.integers(-w, w)))
        now = datetime(1970, 1, 1, tzinfo=UTC) + (latest + lag) * US
        snapshot = draw(st.booleans())
        trip = draw(st.sampled_from([None, None, "bytes", "pickle"]))
        steps.append((batch, now if snapshot else None, trip))
    options = {
        "include_trends": draw(st.booleans()),
        "include_performance": draw(st.sampled_from([True, True, False])),
        "include_distribution": draw(st.booleans()),
        "exact_budget": draw(st.sampled_from([1024, 3])),
        "timezone": draw(st.sampled_from(["UTC", "Europe/Berlin"])),
    }
    return {"window": window, "bucket": bucket, "steps": steps, "options": options}


def tripped(monitor: BatchRollingUsageAnalytics, trip: str | None) -> BatchRollingUsageAnalytics:
    if trip == "bytes":
        return BatchRollingUsageAnalytics.from_bytes(monitor.to_bytes())
    if trip == "pickle":
        restored: BatchRollingUsageAnalytics = pickle.loads(pickle.dumps(monitor))
        return restored
    return monitor


@settings(max_examples=80, deadline=None)
@given(cases())
def test_snapshots_equal_one_pattern_monitors_and_the_batch_reduction(case: dict[str, Any]) -> None:
    window, bucket, options = case["window"], case["bucket"], case["options"]
    monitor = BatchRollingUsageAnalytics(window, bucket, **options)
    reference = Reference(window, bucket, **options)
    for batch, now, trip in case["steps"]:
        monitor.add(batch)
        reference.add(batch)
        monitor = tripped(monitor, trip)
        assert monitor.pattern_count == len(reference.monitors)
        assert monitor.retained_buckets <= monitor.pattern_count * 2 * (window // bucket)
        seen = {r["pattern_id"] for r in reference.added}
        if len(seen) > len(reference.monitors):
            event("a pattern was forgotten")
        if now is None:
            continue
        end_us = (micros(now) // (bucket // US) + 1) * (bucket // US)
        first_key = end_us // (bucket // US) - window // bucket
        oldest = reference.oldest_kept()
        if oldest is not None and first_key < oldest:
            event("below the kept range")
            with pytest.raises(UsageAnalyticsError, match="before the oldest bucket kept"):
                monitor.snapshot(now)
            continue
        shown = monitor.snapshot(now)
        expected = reference.snapshots(now)
        event(f"rows={min(len(expected), 3)}")
        assert set(shown.results) == set(expected)
        for pattern, row in shown.results.items():
            assert without_volatile(row) == without_volatile(expected[pattern])
        start = datetime(1970, 1, 1, tzinfo=UTC) + (end_us * US - window)
        reduced = reference.batch_reduction(start, start + window)
        assert set(reduced.results) == set(shown.results)
        for pattern, row in shown.results.items():
            assert_snapshot_equals(
                row, reduced.results[pattern], exact_budget=options["exact_budget"]
            )
        received = len(reference.added)
        quality = shown.data_quality
        assert quality.records_received == received
        assert quality.records_in_window == sum(
            r.usage_metrics.total_executions for r in shown.results.values()
        )
        assert quality.records_outside_window == received - quality.records_in_window


# --------------------------------------------------------------------------- named cases


def record(pattern_id: Any, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "pattern_id": pattern_id,
        "timestamp": at,
        "success": True,
        "execution_time_ms": 100.0,
        **fields,
    }


def monitor(**settings: Any) -> BatchRollingUsageAnalytics:
    return BatchRollingUsageAnalytics(window=HOUR, bucket=5 * MINUTE, **settings)


def test_ids_of_every_kind_and_their_spellings_are_one_pattern_each() -> None:
    m = monitor()
    uuid = UUID(int=99)
    m.add([record(7, T0), record("7", T0), record(uuid, T0), record(str(uuid).upper(), T0)])
    shown = m.snapshot(T0)
    assert {k: v.usage_metrics.total_executions for k, v in shown.results.items()} == {
        7: 2,
        uuid: 2,
    }


def test_a_silent_pattern_has_no_row_then_is_forgotten() -> None:
    m = monitor()
    m.add([record("quiet", T0), record("busy", T0)])
    m.add([record("busy", T0 + 70 * MINUTE)])  # quiet's bucket left the window
    assert set(m.snapshot(T0 + 70 * MINUTE).results) == {"busy"}
    assert m.pattern_count == 2  # still in the kept range (two windows)
    m.add([record("busy", T0 + 125 * MINUTE)])
    assert m.pattern_count == 1
    m.add([record("quiet", T0 + 125 * MINUTE)])
    back = m.snapshot(T0 + 125 * MINUTE).results["quiet"]
    assert back.data_quality.records_received == 1  # counted anew


def test_raise_mode_adds_nothing_of_a_batch_with_an_invalid_record() -> None:
    m = monitor()
    with pytest.raises(InvalidRecordError) as raised:
        m.add([record("a", T0), record("b", T0, success="maybe")])
    assert raised.value.index == 1
    assert m.pattern_count == 0
    assert m.snapshot(T0).data_quality.records_received == 0


def test_skip_mode_counts_invalid_records_and_records_without_a_pattern() -> None:
    m = monitor(on_invalid="skip")
    m.add(
        [
            record("a", T0),
            record("a", T0, execution_time_ms=-1.0),
            record("", T0),
            {k: v for k, v in record("b", T0).items() if k != "pattern_id"},
        ]
    )
    shown = m.snapshot(T0)
    assert set(shown.results) == {"a"}
    row = shown.results["a"].data_quality
    assert (row.records_received, row.invalid_records, row.records_in_window) == (2, 1, 1)
    assert [s.index for s in row.error_samples] == [1]
    whole = shown.data_quality
    assert (whole.records_received, whole.invalid_records) == (4, 3)
    assert [s.index for s in whole.error_samples] == [1, 2, 3]


def test_max_future_leaves_out_records_ahead_of_the_clock() -> None:
    m = monitor(max_future=5 * MINUTE)
    m.add([record("a", T0), record("b", T0 + HOUR * 24 * 365)], now=T0)
    shown = m.snapshot(T0)
    assert set(shown.results) == {"a"}
    assert shown.data_quality.records_outside_window == 1
    assert m.pattern_count == 1


def test_arrow_and_polars_tables_are_read_as_records_are() -> None:
    pa = pytest.importorskip("pyarrow")
    rows = [record(IDS[i % 3], T0 + i * MINUTE, success=i % 3 == 0) for i in range(30)]
    rows = [{**r, "pattern_id": str(r["pattern_id"])} for r in rows]
    from_records, from_table = monitor(), monitor()
    from_records.add(rows)
    from_table.add(pa.Table.from_pylist(rows))
    a, b = from_records.snapshot(T0 + 29 * MINUTE), from_table.snapshot(T0 + 29 * MINUTE)
    assert {k: without_volatile(v) for k, v in a.results.items()} == {
        k: without_volatile(v) for k, v in b.results.items()
    }
    assert len(b.to_arrow()) == 3


def test_a_dict_of_columns_and_a_pandas_frame_are_read_with_their_pattern_ids() -> None:
    # A mutation survivor: a batch monitor reading columns as a one-pattern one does (not
    # grouped) left the `pattern_id` column out, so a dict of columns filed nothing (no
    # result, no error) and a frame was refused as having no such column.
    pd = pytest.importorskip("pandas")
    rows = [record(IDS[i % 3], T0 + i * MINUTE, success=i % 3 == 0) for i in range(30)]
    rows = [{**r, "pattern_id": str(r["pattern_id"])} for r in rows]
    columns = {name: [r[name] for r in rows] for name in rows[0]}
    expected = monitor()
    expected.add(rows)
    wanted = expected.snapshot(T0 + 29 * MINUTE)
    for data in (columns, pd.DataFrame(columns)):
        m = monitor()
        m.add(data)
        shown = m.snapshot(T0 + 29 * MINUTE)
        assert {k: without_volatile(v) for k, v in shown.results.items()} == {
            k: without_volatile(v) for k, v in wanted.results.items()
        }
        assert len(shown.results) == 3


def test_settings_are_checked_and_take_no_pattern_id() -> None:
    refusal = "^BatchRollingUsageAnalytics takes no pattern_id: each record names its own$"
    with pytest.raises(TypeError, match=refusal):
        BatchRollingUsageAnalytics(HOUR, 5 * MINUTE, pattern_id="x")
    with pytest.raises(ValueError, match="multiple"):
        BatchRollingUsageAnalytics(HOUR, 7 * MINUTE)
    assert monitor(timezone="Europe/Berlin").settings.timezone == "Europe/Berlin"


def test_a_snapshot_below_the_kept_range_raises_and_changes_nothing() -> None:
    m = monitor()
    m.add([record("a", T0), record("b", T0 + 3 * HOUR)])
    with pytest.raises(UsageAnalyticsError, match="oldest bucket kept"):
        m.snapshot(T0)
    assert set(m.snapshot(T0 + 3 * HOUR).results) == {"b"}


def test_adds_from_threads_are_serialized_and_all_counted() -> None:
    m = monitor()
    batches = [[record(f"p{i % 5}", T0 + j * MINUTE) for j in range(50)] for i in range(8)]
    threads = [threading.Thread(target=m.add, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    shown = m.snapshot(T0 + 50 * MINUTE)
    assert {k: v.usage_metrics.total_executions for k, v in shown.results.items()} == {
        f"p{i}": 100 if i < 3 else 50 for i in range(5)
    }


def test_a_failed_snapshot_names_the_newest_bucket_kept_as_the_one_pattern_monitor_does() -> None:
    # (The batch monitor's refusal had no hint of the far record that moved its kept range.)
    m = monitor()
    m.add([record("a", T0), record("b", datetime(2099, 1, 1, 0, 3, tzinfo=UTC))])
    with pytest.raises(UsageAnalyticsError) as raised:
        m.snapshot(T0)
    assert str(raised.value).endswith(
        " (the newest bucket kept starts at 2099-01-01T00:00:00+00:00; max_future= leaves"
        " out records timestamped too far after the clock)"
    )
    limited = monitor(max_future=HOUR)
    limited.add([record("a", T0 + 3 * HOUR)], now=T0 + 3 * HOUR)
    with pytest.raises(UsageAnalyticsError, match=r"starts at .*T15:00:00\+00:00\)$"):
        limited.snapshot(T0)
