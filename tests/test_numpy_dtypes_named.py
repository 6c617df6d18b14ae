"""A dict of columns' typed numpy array of the wrong type for its field (number texts as
a `<U` array, bytes, bools or complex numbers for an execution time, text for a flag) is
refused whole, as every typed column of the wrong type is (a pyarrow string column, a
datetime64 array): its type is the mistake, not each value. The error names the field,
the type, and now the array's numpy dtype, which the caller gave (it named only the Arrow
type the array became, "Utf8"; a complex array's said "Unsupported numpy type 15"). The
same values in a list or an object array are read one by one, each its record's error,
as in a list of dicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from equivalence import batch_outcome

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)


def _columns(field: str, values: Any) -> dict[str, Any]:
    stamps = np.array(["2026-01-06T01:00", "2026-01-06T02:00"], dtype="datetime64[us]")
    return {"pattern_id": ["p", "p"], "timestamp": stamps, field: values}


@pytest.mark.parametrize(
    ("field", "array", "arrow_type"),
    [
        ("execution_time_ms", np.array(["5", "-1"]), "Utf8"),
        ("quality_score", np.array(["0.5", "x"]), "Utf8"),
        ("execution_time_ms", np.array([b"5", b"1"]), "Binary"),
        ("execution_time_ms", np.array([True, False]), "Boolean"),
        ("success", np.array(["yes", "no"]), "Utf8"),
        ("agent", np.array([1.0, 2.0]), "Float64"),
    ],
)
def test_a_typed_array_of_the_wrong_type_is_refused_naming_its_dtype(
    field: str, array: Any, arrow_type: str
) -> None:
    outcome = batch_outcome(_columns(field, array), "skip", START, END)
    assert outcome[0] == "refused"
    assert f"column '{field}' has Arrow type {arrow_type}; expected " in outcome[1]
    assert outcome[1].endswith(f" (given as a numpy array of dtype '{array.dtype}')")
    # The same values one by one (a list, an object array): each its record's error.
    for values in (array.tolist(), array.astype(object)):
        output, _ = batch_outcome(_columns(field, values), "skip", START, END)
        assert output["data_quality"]["invalid_records"] == 2
        assert {s["field"] for s in output["data_quality"]["error_samples"]} == {field}


def test_a_complex_array_names_its_dtype_not_numpys_type_number() -> None:
    outcome = batch_outcome(_columns("execution_time_ms", np.array([1j, 2j])), "skip", START, END)
    # (The middle is pyarrow's words, which may change.)
    assert outcome[0] == "refused"
    assert outcome[1].startswith("cannot read column 'execution_time_ms': ")
    assert outcome[1].endswith(" (given as a numpy array of dtype 'complex128')")
