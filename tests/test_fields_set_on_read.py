"""The output models' `__pydantic_fields_set__`, made on first read (`rust/fields_set.rs`):
a core-made model holds none until asked, and then behaves as the set it held before
(its own, of all the fields, the same object on every read, changes kept), so outputs
equal, dump, pickle and copy as the plain pydantic models validated from their data."""

from __future__ import annotations

import copy
import gc
import pickle
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pydantic
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from usage_analytics import (
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsBatchOutput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
)
from usage_analytics._core import FieldsSetSlot
from usage_analytics.contracts import PerformanceMetrics, SuccessMetrics

REDUCER = NodeUsageAnalyticsReducer()
NOW = datetime(2026, 3, 1, tzinfo=UTC)
WINDOW = {"time_window_start": NOW - timedelta(days=30), "time_window_end": NOW}
#: pydantic's own slot, read without the descriptor that fills it.
SLOT = pydantic.BaseModel.__dict__["__pydantic_fields_set__"]


def _records(rng: random.Random, ids: list[Any], n: int) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = [
        {
            "pattern_id": rng.choice(ids),
            "timestamp": NOW - timedelta(seconds=rng.randrange(40 * 86_400)),
            "success": rng.random() < 0.9,
            "execution_time_ms": rng.random() * 300 if rng.random() < 0.8 else None,
            "quality_score": rng.random(),
            "agent": rng.choice(["a", "b", "c"]),
            "file_path": rng.choice(["x.py", "Makefile", None]),
        }
        for _ in range(n)
    ]
    for record in rng.sample(records, min(n, rng.randrange(3))):
        record["timestamp"] = "not a time"  # (error samples, with on_invalid="skip")
    return records


def _batch(seed: int, n: int, granularity: str = "detailed") -> ModelUsageAnalyticsBatchOutput:
    rng = random.Random(seed)
    ids: list[Any] = ["text", 7, uuid.UUID(int=seed), f"p{seed % 5}"]
    return REDUCER.execute_batch_reduction_sync(
        ModelUsageAnalyticsBatchInput(
            execution_data=_records(rng, ids, n),
            granularity=granularity,
            include_predictions=rng.random() < 0.5,
            include_performance=rng.random() < 0.8,
            on_invalid="skip",
            **WINDOW,
        )
    )


def _models(model: pydantic.BaseModel) -> list[pydantic.BaseModel]:
    """`model` and every model it holds, nested ones and those in lists included."""
    found = [model]
    for value in model.__dict__.values():
        if isinstance(value, dict):
            values = list(value.values())
        else:
            values = value if isinstance(value, list) else [value]
        found += [m for v in values if isinstance(v, pydantic.BaseModel) for m in _models(v)]
    return found


def _holds_a_fields_set(model: pydantic.BaseModel) -> bool:
    try:
        SLOT.__get__(model, type(model))
    except AttributeError:
        return False
    return True


def test_core_models_hold_no_fields_set_until_it_is_read() -> None:
    # The memory this saves: a set of 6 to 17 names is 472 to 1,240 bytes, and an output
    # held seven of them (BENCHMARKS.md, "Output models' memory").
    out = _batch(1, 300, "comprehensive")
    models = [m for result in out.results.values() for m in _models(result)]
    assert len(models) > 30
    assert not any(_holds_a_fields_set(m) for m in models)
    first = models[0]
    fields_set = first.model_fields_set
    assert _holds_a_fields_set(first)
    assert fields_set == set(type(first).model_fields)
    assert type(fields_set) is set
    assert not gc.is_tracked(fields_set)  # (names only: as the factory's sets were)
    assert first.model_fields_set is fields_set  # (pydantic hands out the model's own set)
    assert not any(_holds_a_fields_set(m) for m in models[1:])


def test_a_change_to_one_models_set_stays_with_it() -> None:
    out = _batch(2, 200)
    first, second, *_ = out.results.values()
    first.success_metrics.model_fields_set.discard("success_count")
    first.model_fields_set.discard("timezone")
    assert "success_count" not in first.success_metrics.model_dump(exclude_unset=True)
    assert "timezone" not in first.model_dump(exclude_unset=True)
    for other in (second, _batch(2, 200).results["text"]):
        assert other.success_metrics.model_fields_set == set(SuccessMetrics.model_fields)
        assert other.model_fields_set == set(ModelUsageAnalyticsOutput.model_fields)
        assert "success_count" in other.success_metrics.model_dump(exclude_unset=True)


def test_pickling_neither_makes_nor_copies_sets_never_read() -> None:
    # Pickled through pydantic's state, every model made its set, and every copy held one.
    out = _batch(3, 300, "comprehensive")
    first, second, *_ = out.results.values()
    first.success_metrics.model_fields_set.discard("success_count")
    blob = pickle.dumps(out)
    models = [m for result in out.results.values() for m in _models(result)]
    assert [m for m in models if _holds_a_fields_set(m)] == [first.success_metrics]
    restored = pickle.loads(blob)
    assert restored == out
    back_first, back_second, *_ = restored.results.values()
    restored_models = [m for result in restored.results.values() for m in _models(result)]
    assert [m for m in restored_models if _holds_a_fields_set(m)] == [back_first.success_metrics]
    # A set never made reads as all the fields, one set per model, on either side.
    assert back_second.model_fields_set == set(ModelUsageAnalyticsOutput.model_fields)
    assert back_second.model_fields_set is back_second.model_fields_set
    changed = back_first.success_metrics
    assert changed.model_fields_set == set(SuccessMetrics.model_fields) - {"success_count"}
    assert "success_count" not in changed.model_dump(exclude_unset=True)
    unchanged = back_second.success_metrics
    assert unchanged.model_dump(exclude_unset=True) == second.success_metrics.model_dump()
    assert pickle.loads(pickle.dumps(back_second)) == second


def test_models_pydantic_makes_keep_the_fields_they_were_given() -> None:
    # The descriptor stores what pydantic sets: a validated model's set lacks its defaults.
    fields: dict[str, Any] = dict.fromkeys(PerformanceMetrics.model_fields, 1.0)
    fields["sample_count"] = 3
    del fields["percentile_method"], fields["percentile_relative_error"]
    validated = PerformanceMetrics.model_validate(fields)
    assert validated.model_fields_set == set(fields)
    given = {"sample_count"}
    constructed = PerformanceMetrics.model_construct(_fields_set=given, **fields)
    assert constructed.model_fields_set is given
    restored = pickle.loads(pickle.dumps(validated))
    assert restored.model_fields_set == set(fields)


def _check_like_plain(result: ModelUsageAnalyticsOutput) -> None:
    plain = ModelUsageAnalyticsOutput.model_validate(result.model_dump())
    assert result == plain
    assert result.model_dump() == plain.model_dump()
    assert result.model_dump_json() == plain.model_dump_json()
    assert result.to_json() == plain.to_json()
    assert result.model_dump(exclude_unset=True) == result.model_dump()
    for model in _models(result):
        assert model.model_fields_set == set(type(model).model_fields), type(model).__name__
        with pytest.raises(pydantic.ValidationError, match="frozen"):
            model.__setattr__(next(iter(type(model).model_fields)), None)
    restored = pickle.loads(pickle.dumps(result))
    assert restored == result
    assert restored.model_dump_json() == result.model_dump_json()
    assert restored.success_metrics.model_fields_set == set(SuccessMetrics.model_fields)
    update = {"computation_time_ms": 1.5, "timezone": "Europe/Berlin"}
    copied = result.model_copy(update=update)
    assert copied == plain.model_copy(update=update)
    assert copied.model_fields_set == set(ModelUsageAnalyticsOutput.model_fields)
    assert copied.model_fields_set is not result.model_fields_set
    assert copy.deepcopy(result) == plain


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(0, 400),
    granularity=st.sampled_from(["summary", "detailed", "comprehensive"]),
)
def test_outputs_equal_the_plain_models_of_their_data(seed: int, n: int, granularity: str) -> None:
    out = _batch(seed, n, granularity)
    plain = ModelUsageAnalyticsBatchOutput.model_validate(out.model_dump())
    assert out == plain
    assert out.model_dump_json() == plain.model_dump_json()
    assert out.to_arrow().equals(plain.to_arrow())
    assert pickle.loads(pickle.dumps(out)) == out
    results = list(out.results.values())
    for result in results:
        _check_like_plain(result)
    # Changing one output's sets changes no other output's (a set shared by a class's
    # models would fail here).
    if len(results) > 1:
        for model in _models(results[0]):
            model.model_fields_set.clear()
        for model in _models(results[1]):
            assert model.model_fields_set == set(type(model).model_fields)


@pytest.mark.parametrize("wrapped", [1, property(lambda model: set())])
def test_the_slot_wraps_only_a_member_descriptor(wrapped: Any) -> None:
    with pytest.raises(TypeError, match=r"member descriptor, got a (int|property)"):
        FieldsSetSlot(wrapped)


def test_the_slot_refuses_an_object_that_is_not_a_model() -> None:
    descriptor: Any = SuccessMetrics.__pydantic_fields_set__  # (read from the class)
    assert isinstance(descriptor, FieldsSetSlot)
    with pytest.raises(TypeError, match="doesn't apply to a 'object' object"):
        descriptor.__get__(object())


def test_the_slot_reads_the_fields_of_pydantic_before_2_10() -> None:
    # pydantic 2.8 and 2.9 (the pin allows them) keep a class's fields in its dict
    # `model_fields`, and have no `__pydantic_fields__`: every set made on read raised
    # AttributeError, so core-made outputs could not be pickled, copied or dumped with
    # exclude_unset. This stands in for their BaseModel: a slot and a dict `model_fields`.
    class OldBaseModel:
        __slots__ = ("__pydantic_fields_set__",)
        model_fields: ClassVar[dict[str, Any]] = {}

    class OldModel(OldBaseModel):
        __pydantic_fields_set__ = FieldsSetSlot(OldBaseModel.__dict__["__pydantic_fields_set__"])
        model_fields: ClassVar[dict[str, Any]] = {"a": None, "b": None}

    model = OldModel()
    assert model.__pydantic_fields_set__ == {"a", "b"}
    assert model.__pydantic_fields_set__ is model.__pydantic_fields_set__


@pytest.mark.parametrize(
    "copier",
    [copy.copy, copy.deepcopy, lambda m: m.model_copy(), lambda m: m.model_copy(deep=True)],
    ids=["copy", "deepcopy", "model_copy", "model_copy_deep"],
)
def test_copying_neither_makes_nor_copies_sets_never_read(copier: Any) -> None:
    # pydantic's __copy__ and __deepcopy__ read the set: a copy of an output made its
    # seven sets (4.8 KB), and gave the copy its own of each.
    out = _batch(5, 300, "comprehensive")
    first, second, *_ = out.results.values()
    first.success_metrics.model_fields_set.discard("success_count")
    copied = copier(out)
    # (Looked at before any read of a set, which makes it.)
    models = [m for result in out.results.values() for m in _models(result)]
    assert [m for m in models if _holds_a_fields_set(m)] == [first.success_metrics]
    copies = [m for result in copied.results.values() for m in _models(result)]
    # (A shallow copy shares the original's nested models, their sets as they were.)
    assert [m for m in copies if _holds_a_fields_set(m)] == [
        copied.results[next(iter(out.results))].success_metrics
    ]
    # A copy's unmade set is its own: a change to it is not the original's.
    twin = copier(second)
    twin.model_fields_set.discard("timezone")
    assert not _holds_a_fields_set(second)
    assert "timezone" not in twin.model_dump(exclude_unset=True)
    assert copied == out
    assert [m.model_fields_set for m in copies] == [m.model_fields_set for m in models]
    assert copied.model_dump(exclude_unset=True) == out.model_dump(exclude_unset=True)
    assert second.model_fields_set == set(ModelUsageAnalyticsOutput.model_fields)


@pytest.mark.parametrize("deep", [False, True])
def test_model_copy_with_update_is_pydantics(deep: bool) -> None:
    result = next(iter(_batch(6, 200).results.values()))
    plain = ModelUsageAnalyticsOutput.model_validate(result.model_dump())
    update = {"computation_time_ms": 1.5, "timezone": "Europe/Berlin"}
    copied = result.model_copy(update=update, deep=deep)
    assert not _holds_a_fields_set(result)
    assert not _holds_a_fields_set(result.success_metrics)
    expected = plain.model_copy(update=update, deep=deep)
    assert copied == expected
    assert copied.model_fields_set == expected.model_fields_set
    assert copied.model_dump(exclude_unset=True) == expected.model_dump(exclude_unset=True)
    # A model given some fields: its copy holds those and the updated names, as pydantic's.
    given = {"success_count", "failure_count"}
    some = SuccessMetrics.model_construct(given, **result.success_metrics.model_dump())
    assert some.model_copy(update={"error_rate": 0.5}, deep=deep).model_fields_set == {
        "success_count",
        "failure_count",
        "error_rate",
    }


@pytest.mark.parametrize(
    ("copier", "deep"),
    [
        (copy.copy, False),
        (copy.deepcopy, True),
        (lambda m: m.model_copy(), False),
        (lambda m: m.model_copy(deep=True), True),
    ],
    ids=["copy", "deepcopy", "model_copy", "model_copy_deep"],
)
def test_a_copy_shares_the_models_values_as_pydantics_copy_does(copier: Any, deep: bool) -> None:
    # A shallow copy holds the model's own values (nested models, lists, dicts), a deep
    # one copies of them, for a model whose set was never made as for one pydantic made
    # (helper-289's mutation pass: each done the other's way failed no test, and so did
    # a `model_copy(deep=True)`, which calls `__deepcopy__` without a memo, made shallow).
    out = _batch(7, 200, "comprehensive")
    plain = ModelUsageAnalyticsBatchOutput.model_validate(out.model_dump())
    for model in (out, plain):
        copied = copier(model)
        assert (copied.results is model.results) is not deep
        result = next(iter(model.results.values()))
        twin = copier(result)
        assert (twin.data_quality is result.data_quality) is not deep
        samples = result.data_quality.error_samples
        assert (copier(result.data_quality).error_samples is samples) is not deep
        assert twin == result
    assert not _holds_a_fields_set(out)


def test_an_unpickled_output_holds_no_extra_fields_as_pydantics_does() -> None:
    # (helper-289's mutation pass: the state's extras under another name read back as
    # `{}`, which compares equal, but `model_extra` is None on a model forbidding extras.)
    out = _batch(8, 100)
    result = next(iter(out.results.values()))
    plain = ModelUsageAnalyticsOutput.model_validate(result.model_dump())
    for model in (out, result, result.data_quality, plain):
        assert pickle.loads(pickle.dumps(model)).model_extra is None
    assert not _holds_a_fields_set(result)
