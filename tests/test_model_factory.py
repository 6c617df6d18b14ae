"""`_core.ModelFactory`: pydantic models from dicts of their fields, without validation."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pydantic
import pytest
from usage_analytics import output
from usage_analytics._core import ModelFactory, untracked
from usage_analytics.contracts import DataQuality, PerformanceMetrics, SuccessMetrics


def success_fields() -> dict[str, Any]:
    return {
        "success_count": 9,
        "failure_count": 1,
        "success_rate": 0.9,
        "error_rate": 0.1,
        "timeout_count": 0,
        "quality_gate_failures": 1,
        "avg_quality_score": 0.75,
    }


def test_exact_fields_make_the_validated_model() -> None:
    fields = success_fields()
    model = ModelFactory(SuccessMetrics)(fields)
    assert type(model) is SuccessMetrics
    assert model == SuccessMetrics.model_validate(success_fields())
    assert model.model_dump() == success_fields()
    assert model.model_fields_set == set(SuccessMetrics.model_fields)
    assert model.model_extra is None
    # The dict becomes the model's field dict: no copy.
    assert model.__dict__ is fields


def test_each_model_has_its_own_fields_set() -> None:
    # pydantic's model_fields_set hands out the model's own set: changing one model's must
    # leave the others (and later ones) alone.
    factory = ModelFactory(SuccessMetrics)
    first, second = factory(success_fields()), factory(success_fields())
    first.model_fields_set.discard("success_count")
    assert second.model_fields_set == set(SuccessMetrics.model_fields)
    assert factory(success_fields()).model_fields_set == set(SuccessMetrics.model_fields)
    assert "success_count" in second.model_dump(exclude_unset=True)
    copied = second.model_copy(update={"success_count": 8})
    assert copied.success_count == 8
    assert copied.model_fields_set == set(SuccessMetrics.model_fields)


def test_built_models_are_left_out_of_the_cycle_collector() -> None:
    # A frozen result model, its field dict and its set of field names hold no cycle: the
    # collector need not walk them (a batch makes tens of thousands). Models pydantic
    # builds itself stay tracked, and a fallback to model_construct is pydantic's model.
    model = ModelFactory(SuccessMetrics)(success_fields())
    assert not gc.is_tracked(model.model_fields_set)
    assert not gc.is_tracked(model)
    assert not gc.is_tracked(model.__dict__)
    # A field dict holding a container, which CPython would keep listed by itself.
    quality = ModelFactory(DataQuality)(
        {
            "records_received": 1,
            "records_in_window": 0,
            "records_outside_window": 0,
            "invalid_records": 1,
            "error_samples": [],
        }
    )
    assert not gc.is_tracked(quality)
    assert not gc.is_tracked(quality.__dict__)
    validated = SuccessMetrics.model_validate(success_fields())
    assert gc.is_tracked(validated)
    assert gc.is_tracked(validated.model_fields_set)
    constructed = ModelFactory(SuccessMetrics)({**success_fields(), "not_a_field": 1})
    assert gc.is_tracked(constructed)


def test_models_that_are_not_frozen_stay_tracked() -> None:
    # Their fields can be set to the model itself: a cycle the collector must see.
    class Marker:
        pass

    class Node(pydantic.BaseModel):
        next: object = None
        marker: object = None

    marker = Marker()
    node = ModelFactory(Node)({"next": None, "marker": marker})
    assert gc.is_tracked(node)
    node.next = node
    probe = weakref.ref(marker)
    del node, marker
    gc.collect()
    assert probe() is None, "the cycle through a model that is not frozen was not collected"


def test_the_librarys_output_models_are_frozen() -> None:
    # Their factories untrack what they build: that holds only for frozen models.
    factories = [f for f in vars(output).values() if isinstance(f, ModelFactory)]
    factories += output._MODELS.factories
    assert len(factories) >= 11
    for factory in factories:
        assert factory.model_class.model_config.get("frozen"), factory.model_class


def test_untracked_takes_lists_only() -> None:
    items: list[object] = [[]]
    assert untracked(items) is items
    assert not gc.is_tracked(items)
    with pytest.raises(TypeError):
        untracked(int)  # type: ignore[type-var]  # a static type has no collector header


def test_a_cycle_through_a_built_model_is_not_collected_but_nothing_breaks() -> None:
    # The documented cost of untracking: a cycle a caller makes through a built model
    # (here through a list among its fields) stays in memory; the objects stay usable.
    class Holder(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(frozen=True)
        items: list[object]

    class Marker:
        owner: object = None

    marker = Marker()
    holder = ModelFactory(Holder)({"items": [marker]})
    marker.owner = holder  # holder -> its fields -> items -> marker -> holder
    probe = weakref.ref(marker)
    del holder, marker
    gc.collect()
    leaked = probe()
    assert leaked is not None
    assert isinstance(leaked.owner, Holder)
    assert leaked.owner.items == [leaked]
    leaked.owner = None  # the caller breaking its own cycle frees it
    del leaked
    assert probe() is None


def test_built_models_stay_frozen() -> None:
    model = ModelFactory(SuccessMetrics)(success_fields())
    with pytest.raises(pydantic.ValidationError):
        model.success_count = 0  # type: ignore[misc]


def test_missing_field_falls_back_to_model_construct_with_its_default() -> None:
    fields: dict[str, Any] = dict.fromkeys(PerformanceMetrics.model_fields, 1.0)
    fields["sample_count"] = 3
    del fields["percentile_method"], fields["percentile_relative_error"]
    model = ModelFactory(PerformanceMetrics)(dict(fields))
    assert model.percentile_method == "exact"
    assert model.percentile_relative_error == 0.0
    assert model == PerformanceMetrics.model_construct(**fields)
    assert model.model_fields_set == set(fields)


def test_other_keys_fall_back_to_model_construct() -> None:
    fields = {**success_fields(), "not_a_field": 1}
    del fields["avg_quality_score"]
    model = ModelFactory(SuccessMetrics)(fields)
    assert model == SuccessMetrics.model_construct(**fields)
    assert "not_a_field" not in model.__dict__


def test_a_factory_that_has_seen_the_fields_still_tells_other_dicts() -> None:
    """Once a dict of exactly the fields was seen, dicts with the very same key objects in
    the same order are told by address: any other dict is still checked key by key."""
    factory = ModelFactory(SuccessMetrics)
    seen = success_fields()
    assert factory(dict(seen)) == SuccessMetrics.model_validate(seen)
    # The same keys in another order, and equal keys that are other objects: exact fields.
    reordered = dict(reversed(list(seen.items())))
    assert factory(reordered).__dict__ is reordered
    copied_keys = {"".join(list(key)): value for key, value in seen.items()}
    assert all(a is not b for a, b in zip(copied_keys, seen, strict=True))
    assert factory(copied_keys).__dict__ is copied_keys
    # The seen keys but one, in the seen order, one other key in its place: not the fields.
    swapped = {("not_a_field" if key == "timeout_count" else key): v for key, v in seen.items()}
    model = factory(swapped)
    assert model == SuccessMetrics.model_construct(**swapped)
    assert "not_a_field" not in model.__dict__
    assert model.__dict__ is not swapped
    # Fewer keys in the seen order, then the seen ones again.
    shorter = dict(list(seen.items())[:-1])
    assert factory(shorter).__dict__ is not shorter
    again = dict(seen)
    assert factory(again).__dict__ is again


class OwnNew(pydantic.BaseModel):
    value: int

    def __new__(cls, *args: Any, **kwargs: Any) -> OwnNew:
        return super().__new__(cls)


class PostInit(pydantic.BaseModel):
    value: int

    def model_post_init(self, context: Any) -> None:
        pass


class Private(pydantic.BaseModel):
    value: int
    _cache: int = pydantic.PrivateAttr(default=0)


class ExtraAllowed(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    value: int


@pytest.mark.parametrize(
    ("model", "why"),
    [
        (OwnNew, "defines __new__"),
        (PostInit, "has a model_post_init"),
        (Private, "has private attributes"),
        (ExtraAllowed, "allows extra fields"),
    ],
)
def test_models_needing_more_than_their_fields_are_refused(
    model: type[pydantic.BaseModel], why: str
) -> None:
    with pytest.raises(TypeError, match=f"{model.__name__} {why}"):
        ModelFactory(model)


def test_factory_reports_its_class() -> None:
    assert ModelFactory(SuccessMetrics).model_class is SuccessMetrics


def test_a_factory_kept_on_its_own_class_is_collected_with_it() -> None:
    class Point(pydantic.BaseModel):
        x: int

    Point.factory = ModelFactory(Point)  # type: ignore[attr-defined]  # the cycle under test
    point = Point.factory({"x": 1})  # type: ignore[attr-defined]
    assert point.x == 1
    class_ref = weakref.ref(Point)
    del Point, point
    gc.collect()
    assert class_ref() is None, "the class -> factory -> class cycle was not collected"
