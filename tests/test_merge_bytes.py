"""`merge_bytes`: serialized states merged as they are read (a Dask merge node's merge).

The oracle is `merge_many` of the states loaded one by one (`from_bytes`): the same
outputs, every field exactly (percentiles too, sketched or exact), except the execution
times' mean, std and total of a pattern whose times pass the exact budget, which
`merge_bytes` summarizes before its first merge instead of when the budget is passed
(within 1e-9 relative: `equivalence.differences_up_to_moments`). And, as for every
merge, one reduction over all the records by the rules of `tests/equivalence.py`. Named
cases: the kinds and settings that must not merge, a corrupt state among good ones, the
budget's boundary, ids written in two forms, and the arguments. Mutated states:
`tests/test_state_bytes.py`.
"""

from __future__ import annotations

import random
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from equivalence import (
    assert_batch_equivalent,
    assert_equivalent,
    differences,
    differences_up_to_moments,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from random_records import BASE, END, START, records
from usage_analytics import (
    BatchUsageAccumulator,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    NodeUsageAnalyticsReducer,
    UsageAccumulator,
    UsageAnalyticsError,
)

REDUCER = NodeUsageAnalyticsReducer()
#: Settings of the accumulator only, not of the reducer's contracts.
ACCUMULATOR_ONLY = ("relative_accuracy", "exact_budget", "on_invalid")
VOLATILE = ("computation_time_ms", "computed_at", "correlation_id")
PATTERN_IDS: list[Any] = ["p0", "checkout", 7, 12345678901, uuid.UUID(int=3)]


def states(kind: type[Any], parts: list[list[Any]], **options: Any) -> list[bytes]:
    """One serialized state per part (an empty part: a state of no records)."""
    blobs = []
    for part in parts:
        accumulator = kind(**{**BASE, **options})
        if part:
            accumulator.update(part)
        blobs.append(accumulator.to_bytes())
    return blobs


def finalized(accumulator: Any) -> dict[str, Any]:
    """Every output of an accumulator, dumped, without the fields of the moment."""
    if isinstance(accumulator, UsageAccumulator):
        outputs = {"p": accumulator.finalize("p")}
        quality = None
    else:
        batch = accumulator.finalize()
        outputs = batch.results
        quality = batch.data_quality.model_dump()
    dumped = {}
    for key, output in outputs.items():
        dumped[repr(key)] = {k: v for k, v in output.model_dump().items() if k not in VOLATILE}
    return {"outputs": dumped, "keys": [repr(k) for k in outputs], "data_quality": quality}


def assert_merges_as_loaded(kind: type[Any], blobs: list[bytes]) -> Any:
    merged = kind.merge_bytes(blobs)
    expected = kind.merge_many(kind.from_bytes(blob) for blob in blobs)
    assert differences_up_to_moments(finalized(merged), finalized(expected)) == []
    return merged


def contract_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k not in ACCUMULATOR_ONLY}


# --------------------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 300),
    seed=st.integers(0, 2**32 - 1),
    ids=st.lists(st.sampled_from(PATTERN_IDS), min_size=1, max_size=5, unique=True),
    budget=st.sampled_from([0, 1, 5, 40, 1024]),
    accuracy=st.sampled_from([0.01, 0.05]),
    data=st.data(),
)
def test_batch_states_merge_as_loaded_ones_and_as_one_call(
    n: int,
    seed: int,
    ids: list[Any],
    budget: int,
    accuracy: float,
    data: st.DataObject,
) -> None:
    rows = records(seed, n, ids)
    k = data.draw(st.integers(1, 9), label="states")
    labels = data.draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n), label="labels")
    parts = [[r for r, label in zip(rows, labels, strict=True) if label == i] for i in range(k)]
    options = {"exact_budget": budget, "relative_accuracy": accuracy}
    blobs = states(BatchUsageAccumulator, parts, **options)
    merged = assert_merges_as_loaded(BatchUsageAccumulator, blobs)
    one_call = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=rows, **BASE)
    )
    assert_batch_equivalent(
        merged.finalize(), one_call, exact_budget=budget, relative_accuracy=accuracy
    )


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(0, 200),
    seed=st.integers(0, 2**32 - 1),
    budget=st.sampled_from([0, 3, 100, 1024]),
    k=st.integers(1, 6),
)
def test_single_pattern_states_merge_as_loaded_ones_and_as_one_call(
    n: int, seed: int, budget: int, k: int
) -> None:
    rows = records(seed, n)
    parts = [rows[i::k] for i in range(k)]
    blobs = states(UsageAccumulator, parts, exact_budget=budget)
    merged = assert_merges_as_loaded(UsageAccumulator, blobs)
    one_call = REDUCER.execute_reduction_sync(
        ModelUsageAnalyticsInput(pattern_id="p", execution_data=rows, **BASE)
    )
    assert_equivalent(merged.finalize("p"), one_call, exact_budget=budget)


# --------------------------------------------------------------------------- named cases


@pytest.mark.parametrize(
    ("sizes", "method"),
    [
        ((300, 300, 300), "exact"),  # 900 times in all, within the budget of 1024
        ((400, 400, 224), "exact"),  # exactly the budget
        ((400, 400, 225), "sketch"),  # one past it, though every state is within it
    ],
)
def test_the_budget_applies_to_the_times_of_all_states(sizes: tuple[int, ...], method: str) -> None:
    rng = random.Random(1)
    parts = [
        [
            {"timestamp": START + timedelta(hours=1), "execution_time_ms": rng.uniform(1, 1e4)}
            for _ in range(size)
        ]
        for size in sizes
    ]
    merged = assert_merges_as_loaded(UsageAccumulator, states(UsageAccumulator, parts))
    assert merged.finalize("p").performance_metrics.percentile_method == method


def test_patterns_new_in_later_states_come_after_the_first_states_ones() -> None:
    parts = [records(1, 30, ["a", "b"]), records(2, 30, ["c", "a"]), records(3, 30, ["d"])]
    merged = assert_merges_as_loaded(BatchUsageAccumulator, states(BatchUsageAccumulator, parts))
    first_met = dict.fromkeys(record["pattern_id"] for part in parts for record in part)
    assert list(merged.finalize().results) == list(first_met)
    assert list(first_met)[2:] == ["c", "d"]


def test_an_id_in_two_forms_in_two_states_is_one_pattern() -> None:
    """7 and "7" (and a UUID and its text) are one pattern, keyed by the first form met,
    as in one call."""
    key = uuid.UUID(int=9)
    parts = [records(1, 20, [7, key]), records(2, 20, ["7", str(key)])]
    merged = assert_merges_as_loaded(BatchUsageAccumulator, states(BatchUsageAccumulator, parts))
    one_call = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=parts[0] + parts[1], **BASE)
    )
    assert set(one_call.results) == {7, key}
    assert_batch_equivalent(merged.finalize(), one_call)


def test_one_state_loads_as_from_bytes_does() -> None:
    (blob,) = states(BatchUsageAccumulator, [records(4, 50, PATTERN_IDS)], exact_budget=3)
    merged = BatchUsageAccumulator.merge_bytes([blob])
    assert differences(finalized(merged), finalized(BatchUsageAccumulator.from_bytes(blob))) == []
    assert merged.to_bytes() == blob


def test_the_merged_accumulator_updates_merges_and_round_trips() -> None:
    rows = records(5, 90, ["a", 1])
    blobs = states(BatchUsageAccumulator, [rows[:30], rows[30:60]])
    merged = BatchUsageAccumulator.merge_bytes(blobs)
    merged.update(rows[60:])
    again = BatchUsageAccumulator.from_bytes(merged.to_bytes())
    one_call = REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(execution_data=rows, **BASE)
    )
    assert_batch_equivalent(again.finalize(), one_call)
    assert merged.settings == BatchUsageAccumulator.from_bytes(blobs[0]).settings


@pytest.mark.parametrize(
    "change",
    [
        {"exact_budget": 1023},
        {"relative_accuracy": 0.02},
        {"timezone": "Europe/Berlin"},
        {"time_window_end": END + timedelta(microseconds=1)},
        {"time_window_type": "daily"},
        # (A week's default buckets are a custom window's too: the core merges these, and
        # only the settings stored beside the states tell them apart.)
        {"time_window_type": "custom"},
        {"bucket_width": timedelta(hours=1)},
        {"include_trends": False},
        {"include_predictions": True},
        {"granularity": "comprehensive"},
        {"trend_thresholds": {"growing_velocity": 1.0}},
    ],
    ids=lambda change: next(iter(change)),
)
def test_states_of_different_settings_do_not_merge_naming_them_as_merge_does(
    change: dict[str, Any],
) -> None:
    """The core refuses these itself, by what it holds of the settings ("predictions
    family (off vs on)" of a granularity): the error names them and both values as
    `merge`'s does."""
    good = states(BatchUsageAccumulator, [records(6, 10, ["a"])])
    other = states(BatchUsageAccumulator, [records(7, 10, ["a"])], **change)
    mine, theirs = (BatchUsageAccumulator.from_bytes(blob) for blob in (good[0], other[0]))
    with pytest.raises(UsageAnalyticsError) as merged:
        mine.merge(theirs)
    message = str(merged.value)
    named = rf"{next(iter(change))} \(\S[^()]* vs [^()]*\S\)"  # (both values)
    assert re.fullmatch(rf"cannot merge accumulators with different settings: {named}", message)
    with pytest.raises(UsageAnalyticsError) as swapped:
        theirs.merge(mine)
    # (The first state's value first, as `merge` names its own first; then which two.)
    for blobs, words in (
        (good + other, f"{message} (states[0] vs states[1], of 2)"),
        (other + good, f"{swapped.value} (states[0] vs states[1], of 2)"),
        (good + good + other, f"{message} (states[0] vs states[2], of 3)"),
    ):
        with pytest.raises(UsageAnalyticsError) as raised:
            BatchUsageAccumulator.merge_bytes(blobs)
        assert str(raised.value) == words
        # (No traceback of the core's wording, where the core refused them.)
        assert raised.value.__context__ is None or raised.value.__suppress_context__
    # merge_many names them alike, by their places among the accumulators.
    with pytest.raises(UsageAnalyticsError) as many:
        BatchUsageAccumulator.merge_many([mine, mine, theirs])
    assert str(many.value) == f"{message} (accumulators[0] vs accumulators[2])"


def test_states_of_another_kind_do_not_merge() -> None:
    single = states(UsageAccumulator, [records(8, 10)])
    batch = states(BatchUsageAccumulator, [records(9, 10, ["a"])])
    # (The core refuses the pair; the error names the state of the other kind.)
    held = r"these bytes hold a {}; use {}\.from_bytes$"
    with pytest.raises(
        UsageAnalyticsError,
        match=r"^states\[1\] \(of 2\): " + held.format("UsageAccumulator", "UsageAccumulator"),
    ):
        BatchUsageAccumulator.merge_bytes(batch + single)
    with pytest.raises(
        UsageAnalyticsError,
        match=r"^states\[1\] \(of 2\): "
        + held.format("BatchUsageAccumulator", "BatchUsageAccumulator"),
    ):
        UsageAccumulator.merge_bytes(single + batch)
    with pytest.raises(UsageAnalyticsError, match=r"use BatchUsageAccumulator\.from_bytes"):
        UsageAccumulator.merge_bytes(batch + batch)
    mixed = [UsageAccumulator.from_bytes(single[0])] * 2 + [
        BatchUsageAccumulator.from_bytes(batch[0])
    ]
    with pytest.raises(
        TypeError, match=r"with BatchUsageAccumulator \(accumulators\[0\] vs accumulators\[2\]\)$"
    ):
        UsageAccumulator.merge_many(mixed)  # type: ignore[arg-type]


@pytest.mark.parametrize("position", [0, 1, 2])
def test_a_corrupt_state_among_good_ones_is_an_error(position: int) -> None:
    blobs = states(BatchUsageAccumulator, [records(i, 40, ["a", "b"]) for i in range(3)])
    cut = blobs[position][:-1]
    altered = bytearray(blobs[position])
    altered[-1] ^= 0x40
    for bad in (cut, bytes(altered)):
        broken = [*blobs[:position], bad, *blobs[position + 1 :]]
        # (Which of a job's states is broken: the one to look for.)
        named = rf"^states\[{position}\] \(of 3\): .*not a valid usage-analytics state"
        with pytest.raises(UsageAnalyticsError, match=named):
            BatchUsageAccumulator.merge_bytes(broken)


def test_arguments() -> None:
    with pytest.raises(ValueError, match=r"^merge_bytes needs at least one state$"):
        BatchUsageAccumulator.merge_bytes([])
    with pytest.raises(TypeError, match=r"^merge_bytes needs bytes, got str$"):
        BatchUsageAccumulator.merge_bytes(["state"])  # type: ignore[list-item]
    blob = states(BatchUsageAccumulator, [records(10, 10, ["a"])])[0]
    # Any bytes-like object, from any iterable (Dask hands a pandas Series).
    forms: list[bytes | bytearray | memoryview] = [bytearray(blob), memoryview(blob)]
    merged = BatchUsageAccumulator.merge_bytes(iter(forms))
    expected = BatchUsageAccumulator.merge_many([BatchUsageAccumulator.from_bytes(blob)] * 2)
    assert differences(finalized(merged), finalized(expected)) == []


@pytest.mark.parametrize("form", [bytes, bytearray, memoryview])
def test_one_state_not_in_a_list_is_refused_saying_what_to_pass(form: Any) -> None:
    # A state passed as itself was iterated as its ints: "needs bytes, got int", of a
    # call that was given bytes.
    blob = form(states(UsageAccumulator, [records(11, 10)])[0])
    with pytest.raises(TypeError) as refused:
        UsageAccumulator.merge_bytes(blob)
    assert str(refused.value) == (
        f"merge_bytes takes an iterable of states, got one state ({form.__name__}): "
        "from_bytes(state) loads it, merge_bytes([state]) merges it with others"
    )
