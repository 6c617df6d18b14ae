"""Records whose values run Python code while they are read: the reader must never touch
freed memory, whatever that code does to the records (the fast path borrows references;
these inputs must drive it onto the owned path)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, tzinfo

import pytest
from child import run_python
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer, UsageAccumulator

END = datetime(2026, 5, 1, tzinfo=UTC)
START = END - timedelta(days=7)


def _reduce(records: list[object]) -> object:
    contract = ModelUsageAnalyticsInput(
        pattern_id="hostile",
        time_window_start=START,
        time_window_end=END,
        execution_data=records,
        on_invalid="skip",
    )
    return NodeUsageAnalyticsReducer().execute_reduction_sync(contract)


def _good(i: int) -> dict[str, object]:
    return {
        "timestamp": END - timedelta(hours=i + 1),
        "success": True,
        "execution_time_ms": float(i),
        "agent": f"agent-{i % 3}",
    }


def test_float_that_empties_its_record_and_the_list() -> None:
    records: list[object] = []

    class Vandal:
        def __init__(self, record: dict[str, object]) -> None:
            self.record = record

        def __float__(self) -> float:
            self.record.clear()
            records.clear()
            return 5.0

    first = _good(0)
    first["execution_time_ms"] = Vandal(first)
    records.extend([first, *(_good(i) for i in range(1, 50))])
    result = _reduce(records)
    # The list was emptied while record 0 was read: only it was seen.
    assert result.data_quality.records_received == 1  # type: ignore[attr-defined]
    assert result.performance_metrics.max_execution_time_ms == 5.0  # type: ignore[attr-defined]


def test_colliding_key_whose_eq_rewrites_the_record() -> None:
    class Collider:
        def __hash__(self) -> int:
            return hash("agent")

        def __eq__(self, other: object) -> bool:
            # Replaces (and so frees) values the reader may already have looked up.
            record["execution_time_ms"] = 7.0
            record["timestamp"] = END - timedelta(minutes=1)
            return False

    record = _good(0)
    record[Collider()] = "x"  # type: ignore[index]
    result = _reduce([record, _good(1)])
    assert result.usage_metrics.total_executions == 2  # type: ignore[attr-defined]
    assert result.data_quality.invalid_records == 0  # type: ignore[attr-defined]


def test_python_tzinfo_that_mutates_the_record() -> None:
    class Meddling(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta:
            record.clear()
            return timedelta(hours=2)

        def dst(self, dt: datetime | None) -> timedelta:
            return timedelta(0)

        def tzname(self, dt: datetime | None) -> str | None:
            return None

    record = _good(0)
    record["timestamp"] = datetime(2026, 4, 30, 12, tzinfo=Meddling())
    result = _reduce([record])
    assert result.usage_metrics.total_executions == 1  # type: ignore[attr-defined]
    assert result.usage_metrics.time_since_last_use == 14.0  # type: ignore[attr-defined]


def test_datetime_subclass_with_an_offset_beyond_a_day() -> None:
    # Python checks a tzinfo's offsets (strictly within a day), not a datetime subclass
    # that overrides utcoffset(): a huge one wrapped the instant into the window.
    class Odd(datetime):
        def utcoffset(self) -> timedelta:
            return timedelta(days=213_503_982)  # about 2**64 microseconds

    record = _good(0)
    record["timestamp"] = Odd(2026, 4, 30, 12, tzinfo=UTC)
    result = _reduce([record, _good(1)])
    assert result.usage_metrics.total_executions == 1  # type: ignore[attr-defined]
    quality = result.data_quality  # type: ignore[attr-defined]
    assert quality.invalid_records == 1
    assert quality.error_samples[0].reason == "utcoffset() must be strictly within a day"


def test_datetime_subclass_offset_is_not_taken_for_its_timezone() -> None:
    # The offset of a fixed `datetime.timezone` is remembered for the exact datetimes that
    # follow; a subclass's own utcoffset() was remembered as the timezone's.
    class Shifted(datetime):
        def utcoffset(self) -> timedelta:
            return timedelta(hours=-23)

    record = {**_good(0), "timestamp": Shifted(2026, 4, 20, 12, tzinfo=UTC)}
    records: list[object] = [record, *(_good(i) for i in range(1, 6))]
    quality = _reduce(records).data_quality  # type: ignore[attr-defined]
    assert (quality.records_in_window, quality.records_outside_window) == (5, 1)


def test_utcoffset_of_the_least_i64_microseconds_is_invalid() -> None:
    # abs() of it overflows: the "within a day" check must not use it.
    class Delta:
        days, seconds, microseconds = 0, 0, -(2**63)

    class Odd(datetime):
        def utcoffset(self) -> Delta:  # type: ignore[override]
            return Delta()

    record = {**_good(0), "timestamp": Odd(2026, 4, 30, 12, tzinfo=UTC)}
    result = _reduce([record, _good(1)])
    quality = result.data_quality  # type: ignore[attr-defined]
    assert (quality.invalid_records, quality.records_in_window) == (1, 1)


def test_interrupt_raised_by_a_mapping_check_reaches_the_caller() -> None:
    # Whether a record that is not a dict is a Mapping is asked of the ABC, which reads
    # the record's __class__ (here a property raising, as a Ctrl-C landing there would).
    class Record:
        @property  # type: ignore[misc]
        def __class__(self) -> type:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _reduce([_good(0), Record()])


class _Interrupting:
    """Raises `error` from the conversions the reader may ask of a number."""

    def __init__(self, error: type[BaseException]) -> None:
        self.error = error

    def __float__(self) -> float:
        raise self.error

    def __index__(self) -> int:
        raise self.error


@pytest.mark.parametrize("error", [KeyboardInterrupt, SystemExit])
@pytest.mark.parametrize("field", ["execution_time_ms", "quality_score"])
def test_interrupt_raised_while_a_value_is_read_reaches_the_caller(
    error: type[BaseException], field: str
) -> None:
    # A failed conversion makes its record invalid; an interrupt (not an Exception) must
    # not be read as one, or Ctrl-C during a long reduction would be lost.
    records: list[object] = [_good(i) for i in range(5)]
    records[3] = {**_good(3), field: _Interrupting(error)}
    with pytest.raises(error):
        _reduce(records)
    # An accumulator's update that is interrupted adds nothing, even in skip mode.
    accumulator = UsageAccumulator(START, END, on_invalid="skip")
    accumulator.update([_good(9)])
    with pytest.raises(error):
        accumulator.update(records)
    assert accumulator.finalize("p").usage_metrics.total_executions == 1


def test_interrupt_raised_by_a_timezone_or_a_key_reaches_the_caller() -> None:
    class Zone(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta:
            raise KeyboardInterrupt

        def dst(self, dt: datetime | None) -> timedelta:
            return timedelta(0)

        def tzname(self, dt: datetime | None) -> str | None:
            return None

    class Key(str):
        __slots__ = ()

        def __eq__(self, other: object) -> bool:
            raise KeyboardInterrupt

        def __hash__(self) -> int:
            return hash("success")

    zoned = {**_good(0), "timestamp": datetime(2026, 4, 30, 12, tzinfo=Zone())}
    keyed = _good(0)
    del keyed["success"]
    keyed[Key("success")] = True  # found by the reader's lookup of "success", then compared
    for record in (zoned, keyed):
        with pytest.raises(KeyboardInterrupt):
            _reduce([_good(1), record])


def test_exceptions_raised_while_a_value_is_read_stay_invalid_records() -> None:
    records: list[object] = [_good(0), {**_good(1), "execution_time_ms": _Interrupting(ValueError)}]
    result = _reduce(records)
    assert result.data_quality.invalid_records == 1  # type: ignore[attr-defined]


def test_list_changed_by_another_thread_during_a_long_read() -> None:
    records: list[object] = [_good(i % 100) for i in range(200_000)]
    stop = threading.Event()

    def churn() -> None:
        while not stop.is_set():
            records.append(_good(1))
            del records[-1]
            records[len(records) // 2] = {"timestamp": "garbage"}

    worker = threading.Thread(target=churn)
    worker.start()
    try:
        result = _reduce(records)
    finally:
        stop.set()
        worker.join()
    quality = result.data_quality  # type: ignore[attr-defined]
    assert quality.records_received >= 200_000
    assert quality.records_received == (
        quality.records_in_window + quality.records_outside_window + quality.invalid_records
    )


# Run in a child: a regression is a crash, which the child's exit code tells.
_FINALIZER_FREES_THE_RECORD = """
import gc
from datetime import UTC, datetime
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer
records, ghosts = [], []
class Bomb:
    def __init__(self):
        self.me = self  # cyclic garbage, freed only by a collection
    def __del__(self):
        records.clear()  # frees the record being read (the list held it alone)
        ghosts.extend({"pattern_id": f"GHOST-{i}"} for i in range(200))  # reuse its memory
class Arm:
    def __float__(self):
        Bomb()
        gc.set_threshold(1)  # the next tracked allocation collects
        return 1.0
ts = "2026-01-02T00:00:00Z"
records.append({"timestamp": ts, "execution_time_ms": Arm(), "pattern_id": "a"})
# A plain record whose file path raises UnicodeEncodeError: an allocation, a collection.
records.append({"timestamp": ts, "file_path": "x/\\ud800.py", "pattern_id": "real"})
records.extend({"timestamp": ts, "pattern_id": "a"} for _ in range(3))
out = NodeUsageAnalyticsReducer().execute_batch_reduction_sync(ModelUsageAnalyticsBatchInput(
    time_window_start=datetime(2026, 1, 1, tzinfo=UTC),
    time_window_end=datetime(2026, 1, 8, tzinfo=UTC),
    execution_data=records,
    on_invalid="skip",
))
print(sorted((k, r.usage_metrics.total_executions) for k, r in out.results.items()))
"""


def test_a_finalizer_that_frees_the_record_being_read() -> None:
    # A plain value can still raise; allocating the exception ran a collection, whose
    # finalizer freed the record the fast path held borrowed: the process crashed, or the
    # record was counted under a pattern of a dict made in its memory ("GHOST-...").
    done = run_python(_FINALIZER_FREES_THE_RECORD)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[('a', 4), ('real', 1)]"
