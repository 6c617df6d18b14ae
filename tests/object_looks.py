"""Counting the looks `ingest` takes at a column of Python objects (a pass of `type`
over its values, about 90 ms a million objects; an inference of pandas' kind of it), for
the tests that each such column is looked at once (`test_object_frame_looks.py`, and the
Dask path's twin in `test_dask.py`)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import pytest
from usage_analytics import ingest, object_slices

#: The package `ingest` and each of its modules: every one that takes such a look calls
#: `distinct` or `inferred_kind` by its own name for it, patched there.
_INGEST_MODULES = [ingest] + [
    importlib.import_module(f"{ingest.__name__}.{module.name}")
    for module in pkgutil.iter_modules(ingest.__path__)
]


def counted_looks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """The looks at a column taken from now on: ("types", its name) for a pass of `type`
    over its values, ("kind", its name) for an inference of pandas' kind of it."""
    looked: list[tuple[str, Any]] = []
    distinct, inferred_kind = object_slices.distinct, object_slices.inferred_kind

    def counted_distinct(get: Any, values: Any) -> set[Any]:
        looked.append(("types", getattr(values, "name", None)))
        return distinct(get, values)

    def counted_kind(pandas: Any, column: Any, *args: Any) -> str:
        looked.append(("kind", getattr(column, "name", None)))
        return inferred_kind(pandas, column, *args)

    for module in _INGEST_MODULES:
        if getattr(module, "distinct", None) is distinct:
            monkeypatch.setattr(module, "distinct", counted_distinct)
        if getattr(module, "inferred_kind", None) is inferred_kind:
            monkeypatch.setattr(module, "inferred_kind", counted_kind)
    return looked
