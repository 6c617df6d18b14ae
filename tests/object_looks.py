"""Counting the looks `ingest` takes at a column of Python objects (a pass of `type`
over its values, about 90 ms a million objects; an inference of pandas' kind of it), for
the tests that each such column is looked at once (`test_object_frame_looks.py`, and the
Dask path's twin in `test_dask.py`)."""

from __future__ import annotations

from typing import Any

import pytest
from usage_analytics import ingest, object_slices


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

    monkeypatch.setattr(ingest, "distinct", counted_distinct)
    monkeypatch.setattr(ingest, "inferred_kind", counted_kind)
    return looked
