"""Serialized accumulator state: round trips, and hostile bytes never crash or load wrong.

Layout (brief): b"UAST" | format version u16 LE (8) | CRC-32 of the payload u32 LE |
payload. `from_bytes` must raise `UsageAnalyticsError` for anything malformed: wrong
magic or version, a wrong checksum, truncation, trailing bytes, and a payload whose
checksum is right but whose content is inconsistent. The hostile tests mutate real states
thousands of times (seeded, plus hypothesis): without recomputing the CRC every changed
state must be rejected; with the CRC recomputed (so the payload validation is what is
tested) a state either is rejected or loads into an accumulator that is consistent:
`finalize()` works and gives a self-consistent output (counts add up, floats finite,
percentiles ordered), `to_bytes()` round-trips, merging it with itself works or raises
`UsageAnalyticsError`. No other exception type, ever (a Rust panic would surface as
`pyo3_runtime.PanicException`, a BaseException, and is caught and reported as a failure).
"""

from __future__ import annotations

import math
import pickle
import random
import struct
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import saved_bytes
from equivalence import differences, differences_up_to_moments
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from random_records import BASE, START, records
from usage_analytics import (
    BatchUsageAccumulator,
    InternalError,
    ModelUsageAnalyticsOutput,
    UsageAccumulator,
    UsageAnalyticsError,
)

MAGIC = b"UAST"
VERSION = 8
#: The version a state whose samples name no location is written as: version 7's
#: payload, which releases before 8 read (`rust/wire.rs`, `Serialized::write_into`).
PLAIN_VERSION = 7
HEADER = 10  # magic (4) + version (2) + CRC (4)
VOLATILE = ("computation_time_ms", "computed_at", "correlation_id")

Accumulator = UsageAccumulator | BatchUsageAccumulator


# --------------------------------------------------------------------------- states


@dataclass
class State:
    name: str
    accumulator: Any

    @property
    def kind(self) -> type[Any]:
        return type(self.accumulator)

    @property
    def data(self) -> bytes:
        return bytes(self.accumulator.to_bytes())


def single(name: str, n: int, seed: int = 0, **options: Any) -> State:
    accumulator = UsageAccumulator(**{**BASE, **options})
    if n:
        accumulator.update(records(seed, n))
    return State(name, accumulator)


def batch(name: str, n: int, seed: int = 0, **options: Any) -> State:
    accumulator = BatchUsageAccumulator(**{**BASE, **options})
    if n:
        accumulator.update(records(seed, n, ["p", 7, uuid.UUID(int=seed + 1)]))
    return State(name, accumulator)


def skip_state() -> State:
    accumulator = UsageAccumulator(**BASE, on_invalid="skip", timezone="America/New_York")
    accumulator.update([*records(1, 20), {"timestamp": "nope"}, 5, {"timestamp": START}])
    accumulator.update([{"timestamp": START, "quality_score": 3.0}, None])
    return State("skip_mode_with_samples", accumulator)


def batch_skip_state() -> State:
    """Patterns with invalid records of their own (counted and described per pattern) and
    records of no pattern, over two updates."""
    accumulator = BatchUsageAccumulator(**BASE, on_invalid="skip", exact_budget=3)
    accumulator.update(
        [*records(2, 14, ["p", 7]), {"pattern_id": "p", "timestamp": "nope"}, {"timestamp": START}]
    )
    accumulator.update([{"pattern_id": 7, "timestamp": START, "quality_score": 3.0}, None])
    return State("batch_skip_mode_with_samples", accumulator)


def located_skip_state() -> State:
    """Samples of a labelled pandas frame's rows, which keep their labels (`location`,
    stored after the rest of the state), beside a list's, which have none."""
    accumulator = BatchUsageAccumulator(**BASE, on_invalid="skip")
    accumulator.update([{"pattern_id": "p", "timestamp": "nope"}])
    frame = pd.DataFrame(
        {
            "pattern_id": ["p", "q", "p"],
            "timestamp": [START, START, START],
            "execution_time_ms": [1.0, -1.0, 2.0],
            "quality_score": [0.5, 0.5, 3.0],
        },
        index=["a", "b", 7],
    )
    accumulator.update(frame)
    return State("batch_skip_mode_with_located_samples", accumulator)


def single_located_skip_state() -> State:
    """One pattern's state whose skipped rows keep their labels (`location`): the single
    accumulator's version-8 payload, beside the batch one's above."""
    accumulator = UsageAccumulator(**BASE, on_invalid="skip")
    frame = pd.DataFrame(
        {
            "timestamp": [START, START, START, START],
            "execution_time_ms": [1.0, -1.0, 2.0, 3.0],
            "quality_score": [0.5, 0.5, 3.0, 0.9],
        },
        index=pd.Index(["row-a", "row-b", "row-c", 9], dtype=object),
    )
    accumulator.update(frame)
    accumulator.update([{"timestamp": "nope"}])
    return State("skip_mode_with_located_samples", accumulator)


def equal_values_state(kind: type[Any]) -> State:
    """A sketch of three times 0.1 ms: the mean (0.30000000000000004 / 3) rounds above
    the maximum; the state is legitimate and must load."""
    accumulator = kind(**BASE, exact_budget=0)
    accumulator.update(
        [{"timestamp": START, "execution_time_ms": 0.1, "pattern_id": "p"} for _ in range(3)]
    )
    return State("equal_values", accumulator)


def tiny_values_state(kind: type[Any]) -> State:
    """A sketch of times near 1e-160, whose squared deviations are subnormal (rounded to
    absolute steps): a state the library wrote and did not load back."""
    accumulator = kind(**BASE, exact_budget=1)
    accumulator.update(
        [
            {"timestamp": START, "execution_time_ms": time, "pattern_id": "p"}
            for time in (1.0992324306600776e-161, 7.879140748911739e-161)
        ]
    )
    return State("tiny_values", accumulator)


def extreme_times_state(kind: type[Any]) -> State:
    """A sketch of times 1e-300 to 1e300 ms: a span of 69,000 bins at 1%, five occupied,
    which the state stores as those five (`BinsWire::Occupied`)."""
    accumulator = kind(**BASE, exact_budget=0)
    accumulator.update(
        [
            {"timestamp": START, "execution_time_ms": time, "pattern_id": "p"}
            for time in (1e-300, 1e-300, 3.5, 1e10, 1e300, 0.0)
        ]
    )
    return State("extreme_times", accumulator)


def hostile_states() -> list[State]:
    """Small states, so thousands of mutations (and the finalize of each that loads)
    run in seconds."""
    return [
        single("empty", 0),
        single("small_exact", 12, seed=1),
        single("sketch", 60, seed=2, exact_budget=0, relative_accuracy=0.05),
        single("exact_and_comprehensive", 25, seed=3, granularity="comprehensive"),
        single("families_off", 15, seed=4, include_trends=False, include_performance=False),
        skip_state(),
        batch_skip_state(),
        located_skip_state(),
        single_located_skip_state(),
        batch("batch_mixed", 40, seed=5, exact_budget=4),
        close_ids_batch(),
        extreme_times_state(UsageAccumulator),
    ]


def close_ids_batch() -> State:
    """Pattern ids one bit apart ("pa" / "pc"), so a bit flip can make them collide."""
    accumulator = BatchUsageAccumulator(**BASE, exact_budget=2)
    accumulator.update(records(3, 12, ["pa", "pc", "pb"]))
    return State("batch_close_ids", accumulator)


# --------------------------------------------------------------------------- checks


def finalize(accumulator: Any) -> Any:
    if isinstance(accumulator, BatchUsageAccumulator):
        return accumulator.finalize()
    return accumulator.finalize("state")


def outputs(result: Any) -> list[ModelUsageAnalyticsOutput]:
    if isinstance(result, ModelUsageAnalyticsOutput):
        return [result]
    return list(result.results.values())


def comparable(result: Any) -> Any:
    if isinstance(result, ModelUsageAnalyticsOutput):
        dumped = result.model_dump()
        for key in VOLATILE:
            del dumped[key]
        return dumped
    return {
        "results": {key: comparable(value) for key, value in result.results.items()},
        "keys": list(result.results),
        "data_quality": result.data_quality.model_dump(),
    }


#: Execution times this large overflow the squares of the std (and sums) to inf in a plain
#: reduction too: a state holding them is legitimate, its moments may be inf.
HUGE_MS = 1e150
MOMENTS = ("avg_execution_time_ms", "std_dev_ms", "total_execution_time_ms")


def _finite_floats(value: Any, path: str, huge: bool) -> list[str]:
    """NaN never; inf only in the moments of huge execution times; no negative ints."""
    if isinstance(value, float):
        if math.isfinite(value) or (huge and math.isinf(value) and path.endswith(MOMENTS)):
            return []
        return [f"{path} = {value!r}"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _finite_floats(v, f"{path}.{k}", huge)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _finite_floats(v, f"{path}[{i}]", huge)]
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [f"{path} = {value!r} < 0"]
    return []


def inconsistencies(output: ModelUsageAnalyticsOutput) -> list[str]:
    """What any output of a consistent state satisfies."""
    perf = output.performance_metrics
    huge = perf is not None and perf.max_execution_time_ms >= HUGE_MS
    problems = _finite_floats(output.model_dump(), "output", huge)
    n = output.usage_metrics.total_executions
    success, quality = output.success_metrics, output.data_quality
    if success.success_count + success.failure_count != n:
        problems.append(f"success {success.success_count} + failure != total {n}")
    if max(success.timeout_count, success.quality_gate_failures) > n:
        problems.append("timeouts / gate failures above the total")
    if not (0.0 <= success.success_rate <= 1.0 and 0.0 <= success.avg_quality_score <= 1.0):
        problems.append(f"rate or quality outside [0, 1]: {success!r}")
    if quality.records_in_window != n:
        problems.append(f"records_in_window {quality.records_in_window} != total {n}")
    received = quality.records_in_window + quality.records_outside_window
    if quality.records_received != received + quality.invalid_records:
        problems.append(f"records_received does not add up: {quality!r}")
    if output.total_data_points != quality.records_received:
        problems.append("total_data_points != records_received")
    if len(quality.error_samples) > min(5, quality.invalid_records):
        problems.append(f"{len(quality.error_samples)} samples for {quality.invalid_records}")
    usage = output.usage_metrics
    if usage.peak_daily_usage > n or usage.unique_users > n or usage.unique_contexts > n:
        problems.append(f"usage counts above the total: {usage!r}")
    if (usage.time_since_last_use is None) != (n == 0):
        problems.append(f"time_since_last_use {usage.time_since_last_use!r} with {n} records")
    if perf is not None:
        if perf.sample_count > n:
            problems.append(f"sample_count {perf.sample_count} > total {n}")
        if perf.sample_count:
            low = perf.min_execution_time_ms * (1 - perf.percentile_relative_error)
            high = perf.max_execution_time_ms * (1 + perf.percentile_relative_error)
            chain = [
                perf.p50_execution_time_ms,
                perf.p95_execution_time_ms,
                perf.p99_execution_time_ms,
            ]
            if not (low - 1e-12 <= chain[0] <= chain[1] <= chain[2] <= high + 1e-12):
                problems.append(f"percentiles out of order or range: {perf!r}")
            if not (perf.min_execution_time_ms <= perf.max_execution_time_ms):
                problems.append(f"min > max: {perf!r}")
            if not (perf.percentile_method in ("exact", "sketch") and perf.std_dev_ms >= 0):
                problems.append(f"method / std: {perf!r}")
    distribution = output.context_distribution
    if distribution is not None:
        if len(distribution.by_agent) != usage.unique_users:
            problems.append(f"{len(distribution.by_agent)} agents, unique_users {usage!r}")
        if len(distribution.by_context_type) != usage.unique_contexts:
            problems.append(f"{len(distribution.by_context_type)} contexts: {usage!r}")
        for name in ("by_context_type", "by_agent", "by_project", "by_time_of_day"):
            counts = getattr(distribution, name)
            if sum(counts.values()) != n or any(c <= 0 for c in counts.values()):
                problems.append(f"{name} {counts!r} does not add up to {n}")
        if sum(distribution.by_file_type.values()) > n:
            problems.append("by_file_type above the total")
    trend = output.trend_analysis
    if trend is not None:
        if trend.bucket_count < 1:
            problems.append(f"bucket_count {trend.bucket_count}")
        if trend.time_series is not None:
            if len(trend.time_series) != trend.bucket_count:
                problems.append("time_series length != bucket_count")
            if sum(bucket.executions for bucket in trend.time_series) != n:
                problems.append("trend buckets do not add up to the total")
        if not (0.0 <= trend.retention_rate <= 1.0 and 0.0 <= trend.churn_rate <= 1.0):
            problems.append(f"retention / churn outside [0, 1]: {trend!r}")
    return problems


def batch_inconsistencies(result: Any) -> list[str]:
    """The patterns' records are some of the whole input's, their invalid ones some of its
    invalid ones (records of no pattern are invalid), and every sample is of a record."""
    whole = result.data_quality
    parts = [output.data_quality for output in result.results.values()]
    problems = []
    received = sum(part.records_received for part in parts)
    invalid = sum(part.invalid_records for part in parts)
    outside = sum(part.records_outside_window for part in parts)
    of_no_pattern = whole.records_received - received
    if of_no_pattern != whole.invalid_records - invalid or invalid > whole.invalid_records:
        problems.append(f"patterns' counts do not add up to the whole: {whole!r}")
    if outside != whole.records_outside_window:
        problems.append("patterns' outside counts do not add up to the whole")
    for part in parts:
        if any(sample.index >= part.records_received for sample in part.error_samples):
            problems.append(f"a sample past the pattern's records: {part!r}")
    return problems


def _describe(error: BaseException) -> str:
    return f"{type(error).__module__}.{type(error).__name__}: {error}"


def _internal(error: UsageAnalyticsError) -> list[str]:
    """A panic the bindings caught and mapped is still a bug of the core: an
    `InternalError` (its type, by which callers tell it), or words of one in an error of
    another type (a fault a caller would take for a refusal of its bytes)."""
    if isinstance(error, InternalError):
        return [f"a caught panic: {error}"]
    if "internal error" in str(error):
        return [f"an internal error raised as {_describe(error)}"]
    return []


@pytest.mark.parametrize(
    ("error", "flagged"),
    [
        (InternalError("a panic's words of no 'internal' kind"), True),
        (UsageAnalyticsError("internal error in usage-analytics (please report): x"), True),
        (UsageAnalyticsError("not a state: bad magic"), False),
    ],
    ids=["by type", "by words", "a refusal"],
)
def test_a_caught_panic_is_told_by_its_type_or_its_words(
    error: UsageAnalyticsError, flagged: bool
) -> None:
    assert bool(_internal(error)) is flagged


def check_loaded(kind: type[Any], loaded: Any) -> list[str]:
    """A state that loaded must behave: finalize, be consistent, round-trip, merge."""
    if type(loaded) is not kind:
        return [f"from_bytes returned a {type(loaded).__name__}"]
    try:
        result = finalize(loaded)
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise
        return [f"finalize of a loaded state raised {_describe(error)}"]
    problems = [p for output in outputs(result) for p in inconsistencies(output)]
    if kind is BatchUsageAccumulator:
        problems += batch_inconsistencies(result)
    try:
        again = kind.from_bytes(loaded.to_bytes())
        if comparable(finalize(again)) != comparable(result):
            problems.append("to_bytes / from_bytes of a loaded state changed its finalize")
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise
        problems.append(f"round trip of a loaded state raised {_describe(error)}")
    try:
        doubled = finalize(loaded.merge(loaded))
        problems += [
            f"merged with itself: {p}" for o in outputs(doubled) for p in inconsistencies(o)
        ]
    except UsageAnalyticsError as error:
        problems += _internal(error)  # e.g. a counter that would overflow: a clean error
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise
        problems.append(f"merge / finalize of a loaded state raised {_describe(error)}")
    return problems


def outcome(kind: type[Any], data: bytes, *, must_reject: bool) -> tuple[str, list[str]]:
    """("rejected" | "loaded" | "crashed", problems) for `kind.from_bytes(data)`."""
    return loaded_outcome(
        kind.from_bytes, lambda loaded: check_loaded(kind, loaded), data, must_reject=must_reject
    )


def loaded_outcome(
    load: Callable[[bytes], Any],
    check: Callable[[Any], list[str]],
    data: bytes,
    *,
    must_reject: bool,
    what: str = "state",
) -> tuple[str, list[str]]:
    """("rejected" | "loaded" | "crashed", problems) for `load(data)` (a `from_bytes` of
    a state or monitor, `what`): a refusal is no problem unless it is a caught panic;
    bytes that must be refused and load are one; what loads is judged by `check`."""
    try:
        loaded = load(data)
    except UsageAnalyticsError as error:
        return "rejected", _internal(error)
    except BaseException as error:
        if isinstance(error, KeyboardInterrupt):
            raise
        return "crashed", [f"from_bytes raised {_describe(error)}"]
    if must_reject:
        return "loaded", [f"a changed {what} without a recomputed checksum loaded"]
    return "loaded", check(loaded)


#: `saved_bytes.with_crc` under this kind's magic and version 7 (a payload of no located
#: sample, as most are: a version 8 payload always holds its samples' locations) unless
#: others are given.
with_crc = partial(saved_bytes.with_crc, magic=MAGIC, version=PLAIN_VERSION)


def version_of(data: bytes) -> int:
    """The format version framed bytes are stamped with."""
    (version,) = struct.unpack("<H", data[4:6])
    return int(version)


# --------------------------------------------------------------------------- round trips


ROUND_TRIP_CASES: list[tuple[str, Callable[[], State]]] = [
    ("single_empty", lambda: single("e", 0)),
    ("single_exact", lambda: single("x", 300, seed=1)),
    ("single_sketch", lambda: single("s", 3000, seed=2, exact_budget=100)),
    ("single_sketch_budget_0", lambda: single("s0", 50, seed=3, exact_budget=0)),
    ("single_comprehensive", lambda: single("c", 500, seed=4, granularity="comprehensive")),
    ("single_summary", lambda: single("m", 200, seed=5, granularity="summary")),
    (
        "single_families_off",
        lambda: single(
            "f",
            200,
            seed=6,
            include_trends=False,
            include_performance=False,
            include_distribution=False,
        ),
    ),
    (
        "single_predictions_zone",
        lambda: single("p", 200, 7, include_predictions=True, timezone="Asia/Kolkata"),
    ),
    ("single_bucket_width", lambda: single("b", 200, seed=8, bucket_width=timedelta(minutes=7))),
    ("single_skip_mode", skip_state),
    ("batch_skip_mode_located", located_skip_state),
    ("single_sketch_of_equal_values", lambda: equal_values_state(UsageAccumulator)),
    ("batch_sketch_of_equal_values", lambda: equal_values_state(BatchUsageAccumulator)),
    ("single_sketch_of_tiny_values", lambda: tiny_values_state(UsageAccumulator)),
    ("batch_sketch_of_tiny_values", lambda: tiny_values_state(BatchUsageAccumulator)),
    ("single_sketch_of_extreme_times", lambda: extreme_times_state(UsageAccumulator)),
    ("batch_sketch_of_extreme_times", lambda: extreme_times_state(BatchUsageAccumulator)),
    ("batch_empty", lambda: batch("be", 0)),
    ("batch_exact", lambda: batch("bx", 300, seed=9)),
    ("batch_sketch", lambda: batch("bs", 3000, seed=10, exact_budget=50, relative_accuracy=0.02)),
    ("batch_families_off", lambda: batch("bf", 300, seed=11, include_performance=False)),
]


@pytest.mark.parametrize(
    "make", [m for _, m in ROUND_TRIP_CASES], ids=[n for n, _ in ROUND_TRIP_CASES]
)
def test_round_trip_equals_the_original(make: Callable[[], State]) -> None:
    state = make()
    data = state.data
    restored = state.kind.from_bytes(data)
    assert type(restored) is state.kind
    assert comparable(finalize(restored)) == comparable(finalize(state.accumulator))
    # The restored state keeps accumulating like the original.
    more = records(99, 50, ["p", 7] if state.kind is BatchUsageAccumulator else None)
    restored.update(more)
    state.accumulator.update(more)
    assert comparable(finalize(restored)) == comparable(finalize(state.accumulator))
    assert problems_of(restored) == []


def problems_of(accumulator: Any) -> list[str]:
    return [p for output in outputs(finalize(accumulator)) for p in inconsistencies(output)]


@pytest.mark.parametrize("kind", ["single", "batch"])
def test_header_is_magic_version_and_crc_of_the_payload(kind: str) -> None:
    state = single("h", 100, seed=12) if kind == "single" else batch("h", 100, seed=12)
    data = state.data
    assert data[:4] == MAGIC
    assert struct.unpack("<H", data[4:6]) == (PLAIN_VERSION,)
    assert struct.unpack("<I", data[6:10]) == (zlib.crc32(data[HEADER:]),)
    assert len(data) > HEADER


@pytest.mark.parametrize("kind", [UsageAccumulator, BatchUsageAccumulator])
def test_a_sketch_of_extreme_times_stores_its_occupied_bins(kind: type[Any]) -> None:
    # Its bins were stored dense from 1e-300 to 1e300 ms: 69 KB a pattern at 1% (and
    # 6.9 MB at 1e-4), for five bins.
    state = extreme_times_state(kind)
    assert len(state.data) < 2_000
    merged = kind.merge_bytes([state.data, state.data])
    (result,) = outputs(finalize(merged))
    metrics = result.performance_metrics
    assert metrics is not None
    assert metrics.percentile_method == "sketch"
    assert metrics.sample_count == 12
    assert metrics.max_execution_time_ms == 1e300
    assert 1e300 * 0.99 <= metrics.p99_execution_time_ms <= 1e300


def test_state_of_typical_latencies_is_at_most_16_kb() -> None:
    """The issue's target: at 1% accuracy a pattern's state is typically <= 16 KB."""
    rng = np.random.default_rng(1)
    n = 200_000
    stamps = pa.array(
        np.int64(START.timestamp() * 1e6) + rng.integers(0, 7 * 86_400 * 10**6, n),
        pa.timestamp("us", tz="UTC"),
    )
    table = pa.table(
        {
            "timestamp": stamps,
            "execution_time_ms": rng.lognormal(4, 1.5, n),
            "success": rng.random(n) < 0.9,
            "quality_score": rng.random(n),
            "agent": rng.choice([f"agent-{i}" for i in range(20)], n),
            "context_type": rng.choice(["debugging", "refactoring", "review"], n),
            "project": rng.choice([f"project-{i}" for i in range(10)], n),
            "file_path": rng.choice(["a.py", "b.rs", "c.ts", "Makefile"], n),
        }
    )
    accumulator = UsageAccumulator(**BASE)
    accumulator.update(table)
    size = len(accumulator.to_bytes())
    assert size <= 16 * 1024, size
    assert len(pickle.dumps(accumulator)) <= 16 * 1024 + 512


# --------------------------------------------------------------------------- named hostile cases


@pytest.fixture(scope="module")
def small() -> State:
    return single("small_exact", 6, seed=13)


def test_truncation_at_every_length_is_rejected(small: State) -> None:
    data = small.data
    for length in range(len(data)):
        with pytest.raises(UsageAnalyticsError):
            UsageAccumulator.from_bytes(data[:length])


def test_truncated_payload_with_a_recomputed_crc_is_rejected_or_consistent(small: State) -> None:
    payload = small.data[HEADER:]
    problems = []
    results = set()
    for length in range(len(payload)):
        result, found = outcome(UsageAccumulator, with_crc(payload[:length]), must_reject=False)
        results.add(result)
        problems += [f"payload[:{length}]: {p}" for p in found]
    assert not problems, "\n".join(problems[:20])
    assert "rejected" in results


@pytest.mark.parametrize("garbage", [b"\x00", b"\x01", b"UAST", b"\xff" * 64])
def test_trailing_bytes_are_rejected(small: State, garbage: bytes) -> None:
    with pytest.raises(UsageAnalyticsError):
        UsageAccumulator.from_bytes(small.data + garbage)
    # Even with the checksum recomputed over payload + garbage.
    with pytest.raises(UsageAnalyticsError):
        UsageAccumulator.from_bytes(with_crc(small.data[HEADER:] + garbage))


@pytest.mark.parametrize("magic", [b"UASX", b"uast", b"\x00\x00\x00\x00", b"TSAU", b"UAS"])
def test_wrong_magic_is_rejected(small: State, magic: bytes) -> None:
    with pytest.raises(UsageAnalyticsError):
        UsageAccumulator.from_bytes(with_crc(small.data[HEADER:], magic=magic))


@pytest.mark.parametrize("version", [0, 1, 2, 3, 4, 5, 6, 9, 256, 65535])
def test_other_format_versions_are_rejected(small: State, version: int) -> None:
    """Versions 1 (a float quality sum, before the exact sums), 2 (batch states without
    per-pattern ingest counts), 3 (every trend bucket of any window stored), 4 (times
    and instants as sequences, names in every tally), 5 (a summary's mean without its
    low part) and 6 included: no release wrote them, so no reader is kept. (Version 7,
    which releases wrote, is read: `test_accumulator_sample_locations`.)"""
    with pytest.raises(UsageAnalyticsError, match="format version"):
        UsageAccumulator.from_bytes(with_crc(small.data[HEADER:], version=version))


@pytest.mark.parametrize("kind", ["single", "batch"])
@pytest.mark.parametrize("load", ["from_bytes", "merge_bytes"])
def test_a_version_7_payload_stamped_8_is_refused(kind: str, load: str) -> None:
    """A state none of whose samples has a location is written as version 7 (its payload
    what releases before 8 wrote); version 8 always stores the locations after the rest.
    The checksum covers the payload, not the version: such a payload stamped 8 loaded, as
    a state of no location (one form of each state, as the rolling monitors')."""
    state = single("s", 30, seed=18) if kind == "single" else batch("b", 30, seed=18)
    data = state.data
    assert version_of(data) == PLAIN_VERSION
    stamped = with_crc(data[HEADER:], version=VERSION)
    assert stamped[6:] == data[6:]  # (only the version differs)
    with pytest.raises(UsageAnalyticsError, match=r"its error samples' locations are missing$"):
        getattr(state.kind, load)(stamped if load == "from_bytes" else [data, stamped])


def test_recomputed_header_of_the_same_payload_loads(small: State) -> None:
    """The checksum is zlib.crc32 of the payload, as the brief says."""
    restored = UsageAccumulator.from_bytes(with_crc(small.data[HEADER:]))
    assert comparable(finalize(restored)) == comparable(finalize(small.accumulator))


@pytest.mark.parametrize("crc_change", [1, 0x80000000, 0xFFFFFFFF])
def test_wrong_checksum_is_rejected(small: State, crc_change: int) -> None:
    data = bytearray(small.data)
    (crc,) = struct.unpack("<I", data[6:10])
    data[6:10] = struct.pack("<I", crc ^ crc_change)
    with pytest.raises(UsageAnalyticsError):
        UsageAccumulator.from_bytes(bytes(data))


@pytest.mark.parametrize("data", [b"", b"U", MAGIC, MAGIC + b"\x01\x00", with_crc(b"")])
def test_header_only_and_empty_inputs_are_rejected(data: bytes) -> None:
    for kind in (UsageAccumulator, BatchUsageAccumulator):
        with pytest.raises(UsageAnalyticsError):
            kind.from_bytes(data)


@pytest.mark.parametrize("value", ["UAST", 5, None, 1.5, ["U"]])
def test_from_bytes_of_a_wrong_type_is_a_type_error(value: Any) -> None:
    for kind in (UsageAccumulator, BatchUsageAccumulator):
        with pytest.raises(
            TypeError, match=rf"^from_bytes needs bytes, got {type(value).__name__}$"
        ):
            kind.from_bytes(value)


@pytest.mark.parametrize("wrap", [bytearray, memoryview])
def test_from_bytes_takes_other_bytes_like_objects(small: State, wrap: type[Any]) -> None:
    restored = UsageAccumulator.from_bytes(wrap(small.data))
    assert comparable(finalize(restored)) == comparable(finalize(small.accumulator))


def test_batch_bytes_given_to_the_single_accumulator_are_rejected() -> None:
    with pytest.raises(UsageAnalyticsError):
        UsageAccumulator.from_bytes(batch("b", 30, seed=14).data)
    with pytest.raises(UsageAnalyticsError):
        UsageAccumulator.from_bytes(batch("b", 0).data)


def test_single_bytes_given_to_the_batch_accumulator_are_rejected() -> None:
    with pytest.raises(UsageAnalyticsError):
        BatchUsageAccumulator.from_bytes(single("s", 30, seed=15).data)
    with pytest.raises(UsageAnalyticsError):
        BatchUsageAccumulator.from_bytes(single("s", 0).data)


@pytest.mark.parametrize(
    ("stored", "changed"),
    [
        ('"exact_budget":1024', '"exact_budget":1023'),
        ('"relative_accuracy":0.01', '"relative_accuracy":0.02'),
        ('"min_t_statistic":2.0', '"min_t_statistic":3.0'),
        ('"granularity":"detailed"', '"granularity":"summary" '),
        ('"timezone":"UTC"', '"timezone":"GMT"'),
    ],
)
@pytest.mark.parametrize("load", ["from_bytes", "merge_bytes"])
def test_settings_that_do_not_describe_their_state_are_rejected(
    stored: str, changed: str, load: str
) -> None:
    # Settings that read back but differ from the core's own copy: the state is not the
    # one they describe (same length, so that the payload's length prefix still holds).
    data = single("s", 30, seed=17).data
    payload = data[HEADER:]
    assert payload.count(stored.encode()) == 1
    forged = with_crc(payload.replace(stored.encode(), changed.encode()))
    with pytest.raises(UsageAnalyticsError, match="its settings do not match the stored ones"):
        getattr(UsageAccumulator, load)(forged if load == "from_bytes" else [forged])


@pytest.mark.parametrize("load", ["from_bytes", "merge_bytes"])
def test_settings_that_do_not_read_back_are_named_as_such(load: str) -> None:
    payload = single("s", 30, seed=17).data[HEADER:]
    forged = with_crc(payload.replace(b'"granularity":"detailed"', b'"granularity":"detailex"'))
    with pytest.raises(UsageAnalyticsError) as raised:
        getattr(UsageAccumulator, load)(forged if load == "from_bytes" else [forged])
    assert str(raised.value).startswith(
        "not a valid usage-analytics state: its settings do not read back: "
        "1 validation error for StreamingSettings\ngranularity\n"
    )


def test_unpickling_corrupt_state_raises_the_library_error() -> None:
    pickled = bytearray(pickle.dumps(single("s", 30, seed=16).accumulator))
    index = pickled.find(MAGIC)
    assert index >= 0
    pickled[index + HEADER + 3] ^= 0x10
    with pytest.raises(UsageAnalyticsError):
        pickle.loads(bytes(pickled))


# --------------------------------------------------------------------------- mutation engine

SPECIAL_BYTES = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF]
SPECIAL_F64 = [
    math.nan,
    math.inf,
    -math.inf,
    -1.0,
    -0.0,
    0.0,
    5e-324,
    1.7976931348623157e308,
    1e300,
    -1e-300,
]
HUGE_VARINT = b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"


def _garbage(rng: random.Random, low: int, high: int) -> bytes:
    return bytes(rng.randrange(256) for _ in range(rng.randint(low, high)))


def mutate_payload(rng: random.Random, payload: bytes) -> tuple[str, bytes]:
    """One structure-blind change of the payload (the CRC is recomputed by the caller)."""
    data = bytearray(payload)
    size = len(data)
    kind = rng.choice(
        [
            "flip_bit",
            "flip_bit",
            "set_byte",
            "special_byte",
            "special_f64",
            "huge_varint",
            "truncate",
            "append",
            "insert",
            "delete",
            "duplicate",
            "zero_run",
            "increment",
            "several",
        ]
    )
    if size == 0 and kind not in ("append", "insert"):
        kind = "append"
    position = rng.randrange(size) if size else 0
    if kind == "flip_bit":
        data[position] ^= 1 << rng.randrange(8)
    elif kind == "set_byte":
        data[position] = rng.randrange(256)
    elif kind == "special_byte":
        data[position] = rng.choice(SPECIAL_BYTES)
    elif kind == "special_f64":
        data[position : position + 8] = struct.pack("<d", rng.choice(SPECIAL_F64))
    elif kind == "huge_varint":
        data[position : position + rng.randint(1, 10)] = HUGE_VARINT[: rng.randint(1, 10)]
    elif kind == "truncate":
        del data[rng.randrange(size) :]
    elif kind == "append":
        data += _garbage(rng, 1, 16)
    elif kind == "insert":
        data[position:position] = _garbage(rng, 1, 8)
    elif kind == "delete":
        del data[position : position + rng.randint(1, 8)]
    elif kind == "duplicate":
        end = min(size, position + rng.randint(1, 16))
        data[end:end] = data[position:end]
    elif kind == "zero_run":
        data[position : position + rng.randint(1, 16)] = bytes(rng.randint(1, 16))
    elif kind == "increment":
        data[position] = (data[position] + rng.choice([1, -1])) % 256
    else:
        for _ in range(rng.randint(2, 6)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
    return kind, bytes(data)


def mutate_whole(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    """One change of the serialized bytes, checksum left as it is."""
    mutable = bytearray(data)
    kind = rng.choice(
        [
            "flip_bit",
            "flip_bit",
            "set_byte",
            "truncate",
            "append",
            "insert",
            "delete",
            "random_bytes",
            "magic",
            "version",
            "crc",
            "header_only",
        ]
    )
    position = rng.randrange(len(mutable))
    if kind == "flip_bit":
        mutable[position] ^= 1 << rng.randrange(8)
    elif kind == "set_byte":
        mutable[position] = (mutable[position] + rng.randint(1, 255)) % 256
    elif kind == "truncate":
        del mutable[rng.randrange(len(mutable)) :]
    elif kind == "append":
        mutable += _garbage(rng, 1, 32)
    elif kind == "insert":
        mutable[position:position] = _garbage(rng, 1, 8)
    elif kind == "delete":
        del mutable[position : position + rng.randint(1, 8)]
    elif kind == "random_bytes":
        mutable = bytearray(_garbage(rng, 0, 2 * len(data)))
        if rng.random() < 0.5:
            mutable[:4] = MAGIC
    elif kind == "magic":
        mutable[rng.randrange(4)] ^= rng.randint(1, 255)
    elif kind == "version":
        mutable[4:6] = struct.pack("<H", rng.choice([0, 2, 3, 255, 256, 65535]))
    elif kind == "crc":
        mutable[6 + rng.randrange(4)] ^= rng.randint(1, 255)
    else:
        mutable = mutable[: rng.randint(0, HEADER)]
    return kind, bytes(mutable)


def run_mutations(states: list[State], count: int, seed: int) -> dict[str, int]:
    """`mutation_tallies_by_version` of `states`, each version's states their share of
    `count`, summed."""
    kinds = {state.name: state.kind for state in states}
    originals = [(state.name, state.data) for state in states]
    counts = {
        version: count * sum(version_of(data) == version for _, data in originals) // len(originals)
        for version in (PLAIN_VERSION, VERSION)
    }
    tallies = mutation_tallies_by_version(
        originals,
        counts,
        seed,
        with_crc,
        lambda name, data, must_reject: outcome(kinds[name], data, must_reject=must_reject),
    )
    tally: dict[str, int] = {}
    for share in tallies.values():
        for key, n in share.items():
            tally[key] = tally.get(key, 0) + n
    return tally


def mutation_tallies_by_version(
    originals: Sequence[tuple[str, bytes]],
    counts: Mapping[int, int],
    seed: int,
    framed: Callable[..., bytes],
    outcome_of: Callable[[str, bytes, bool], tuple[str, list[str]]],
) -> dict[int, dict[str, int]]:
    """`mutation_tally` of the `originals` of each version of `counts` (its number of
    mutations), each payload reframed under its own version (`framed(payload,
    version=...)`: a newer version's payload always holds its samples' locations, an
    older one's never), so that mutations reach its content; the tally of each version."""
    return {
        version: mutation_tally(
            [(name, data) for name, data in originals if version_of(data) == version],
            count,
            seed,
            partial(framed, version=version),
            outcome_of,
        )
        for version, count in counts.items()
    }


def mutation_tally(
    originals: Sequence[tuple[str, bytes]],
    count: int,
    seed: int,
    reframed: Callable[[bytes], bytes],
    outcome_of: Callable[[str, bytes, bool], tuple[str, list[str]]],
) -> dict[str, int]:
    """`count` mutations of the framed `originals` (name, bytes), each of its payload
    with the frame made again (`reframed`: the checksum recomputed) or of the bytes
    whole, judged by `outcome_of(name, data, must_reject)`; asserts none has a problem
    and returns how many of each kind ("crc:rejected", "raw:loaded"...) there were."""
    rng = random.Random(seed)
    tally: dict[str, int] = {}
    problems: list[str] = []
    for i in range(count):
        name, original = rng.choice(originals)
        recompute = rng.random() < 0.6
        if recompute:
            kind, payload = mutate_payload(rng, original[HEADER:])
            data = reframed(payload)
        else:
            kind, data = mutate_whole(rng, original)
        result, found = outcome_of(name, data, not recompute and data != original)
        key = f"{'crc' if recompute else 'raw'}:{result}"
        tally[key] = tally.get(key, 0) + 1
        problems += [f"#{i} {name} {kind} recompute={recompute}: {p}" for p in found]
        if len(problems) >= 20:
            break
    assert not problems, "\n".join(problems) + f"\n(reproduce: seed={seed})"
    return tally


def merge_problems(kind: type[Any], original: bytes, data: bytes) -> tuple[bool, list[str]]:
    """`merge_bytes` of a mutated state fails exactly when loading it does, or merging it
    loaded does, and otherwise gives what loading and merging gives (the moments of
    sketched times to rounding). Returns whether the pair merged, and the problems."""

    def attempt(merge: Callable[[], Any]) -> tuple[Any, BaseException | None]:
        try:
            return comparable(finalize(merge())), None
        except BaseException as error:
            if isinstance(error, KeyboardInterrupt):
                raise
            return None, error

    alone, alone_error = attempt(lambda: kind.merge_bytes([data]))
    loaded, loaded_error = attempt(lambda: kind.from_bytes(data))
    pair, pair_error = attempt(lambda: kind.merge_bytes([original, data]))
    one_by_one, one_by_one_error = attempt(
        lambda: kind.merge_many([kind.from_bytes(original), kind.from_bytes(data)])
    )
    problems = []
    for error in (alone_error, loaded_error, pair_error, one_by_one_error):
        if isinstance(error, UsageAnalyticsError):
            problems += _internal(error)
        elif error is not None:
            problems.append(f"raised {_describe(error)}")
    if (alone_error is None) != (loaded_error is None):
        problems.append(f"merge_bytes of it alone: {alone_error}, from_bytes: {loaded_error}")
    elif alone_error is None:
        problems += differences(alone, loaded, "alone")
    if (pair_error is None) != (one_by_one_error is None):
        problems.append(f"merge_bytes: {pair_error}, merged one by one: {one_by_one_error}")
    elif pair_error is None:
        problems += differences_up_to_moments(pair, one_by_one, "pair")
    return pair_error is None, problems


def test_mutated_states_merge_as_they_load() -> None:
    rng = random.Random(20261203)
    states = hostile_states()
    problems: list[str] = []
    merged = 0
    for i in range(4000):
        state = rng.choice(states)
        original = state.data
        if rng.random() < 0.7:
            kind, data = mutate_payload(rng, original[HEADER:])
            data = with_crc(data, version=version_of(original))
        else:
            kind, data = mutate_whole(rng, original)
        pair_merged, found = merge_problems(state.kind, original, data)
        merged += pair_merged
        problems += [f"#{i} {state.name} {kind}: {p}" for p in found]
        if len(problems) >= 20:
            break
    assert not problems, "\n".join(problems)
    # Both outcomes were exercised.
    assert 100 < merged < 3900, merged


def test_thousands_of_mutations_never_crash_or_load_wrong() -> None:
    tally = run_mutations(hostile_states(), 5000, seed=20260105)
    # Mutations without a recomputed checksum are always caught (a load is reported as a
    # problem above); with it, the payload validation is exercised.
    assert tally.get("crc:rejected", 0) > 0, tally
    assert tally.get("raw:rejected", 0) > 0, tally


@pytest.mark.parametrize("which", ["single", "batch"])
def test_every_single_byte_change_of_a_small_payload_with_recomputed_crc(
    small: State, which: str
) -> None:
    """Exhaustive on one small state: each payload byte set to a few values each (among
    them a one-bit change, which turns names "a" / "c" and ids "pa" / "pc" into each
    other)."""
    state = small if which == "single" else close_ids_batch()
    payload = state.data[HEADER:]
    problems = []
    for position in range(len(payload)):
        for value in {
            0x00,
            0x01,
            0x7F,
            0x80,
            0xFF,
            payload[position] ^ 0x01,
            payload[position] ^ 0x02,
        }:
            mutated = bytearray(payload)
            mutated[position] = value
            _, found = outcome(state.kind, with_crc(bytes(mutated)), must_reject=False)
            problems += [f"payload[{position}] = {value:#04x}: {p}" for p in found]
    assert not problems, "\n".join(problems[:20])


# --------------------------------------------------------------------------- hypothesis

_STATES: dict[str, State] = {}


def _state(name: str) -> State:
    if not _STATES:
        _STATES.update({state.name: state for state in hostile_states()})
    return _STATES[name]


STATE_NAMES = [
    "empty",
    "small_exact",
    "sketch",
    "exact_and_comprehensive",
    "families_off",
    "skip_mode_with_samples",
    "skip_mode_with_located_samples",
    "batch_skip_mode_with_located_samples",
    "batch_mixed",
    "batch_close_ids",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(STATE_NAMES),
    edits=st.lists(
        st.tuples(st.integers(0, 10_000), st.binary(min_size=0, max_size=9), st.integers(0, 9)),
        min_size=1,
        max_size=4,
    ),
    recompute=st.booleans(),
)
def test_hypothesis_mutations_are_rejected_or_consistent(
    name: str, edits: list[tuple[int, bytes, int]], recompute: bool
) -> None:
    """Each edit replaces `removed` bytes at a position with `inserted` bytes."""
    state = _state(name)
    original = state.data
    target = bytearray(original[HEADER:] if recompute else original)
    for position, inserted, removed in edits:
        at = position % (len(target) + 1)
        target[at : at + removed] = inserted
    data = with_crc(bytes(target), version=version_of(original)) if recompute else bytes(target)
    _, problems = outcome(state.kind, data, must_reject=not recompute and data != original)
    assert not problems, "\n".join(problems)


@settings(max_examples=200, deadline=None)
@given(
    data=st.binary(max_size=300),
    valid_header=st.booleans(),
    version=st.sampled_from([PLAIN_VERSION, VERSION]),
)
def test_random_bytes_are_rejected_or_consistent(
    data: bytes, valid_header: bool, version: int
) -> None:
    for kind in (UsageAccumulator, BatchUsageAccumulator):
        candidate = with_crc(data, version=version) if valid_header else data
        _, problems = outcome(kind, candidate, must_reject=not valid_header)
        assert not problems, "\n".join(problems)
