"""Decimal pattern ids are invalid ids record by record ("must be a str, an int or a
uuid.UUID, got Decimal") in every form that holds Python objects: a list of dicts, a
dict of lists or of numpy object arrays, and a pandas DataFrame's object column, which
pandas' Arrow export made a decimal column that the core refused whole (one error for
the call, or for every pattern of a batch)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from equivalence import batch_outcome
from hypothesis import given, settings
from hypothesis import strategies as st

START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=7)

#: Pattern ids of a column of Python objects: Decimals (whole ones too), ints, text.
IDS = [Decimal("1"), Decimal("2.50"), Decimal("-0"), Decimal("1.0"), 1, 2, "a", None]


def _forms(ids: list[Any]) -> dict[str, Any]:
    """Records with pattern ids `ids` in each form holding Python objects."""
    stamps = [START + timedelta(hours=i) for i in range(len(ids))]
    times = [float(i) for i in range(len(ids))]
    return {
        "list of dicts": [
            {"pattern_id": i, "timestamp": t, "execution_time_ms": ms}
            for i, t, ms in zip(ids, stamps, times, strict=True)
        ],
        "dict of lists": {"pattern_id": ids, "timestamp": stamps, "execution_time_ms": times},
        "numpy object arrays": {
            "pattern_id": np.array(ids, dtype=object),
            "timestamp": np.array([t.replace(tzinfo=None) for t in stamps], dtype="datetime64[us]"),
            "execution_time_ms": np.array(times),
        },
        "pandas": pd.DataFrame(
            {
                "pattern_id": pd.Series(ids, dtype=object),
                "timestamp": pd.to_datetime(stamps, utc=True),
                "execution_time_ms": times,
            }
        ),
    }


def test_a_frames_decimal_ids_are_each_their_records_error() -> None:
    ids = [Decimal("1"), Decimal("2"), Decimal("1.5")]
    outcomes = {name: batch_outcome(data, "skip", START, END) for name, data in _forms(ids).items()}
    output, results = outcomes["pandas"]
    assert results == {}
    assert output["data_quality"]["invalid_records"] == 3
    shown = [(s["index"], s["value"]) for s in output["data_quality"]["error_samples"]]
    assert shown == [(0, "Decimal('1')"), (1, "Decimal('2')"), (2, "Decimal('1.5')")]
    assert output["data_quality"]["error_samples"][0]["reason"] == (
        "must be a str, an int or a uuid.UUID, got Decimal"
    )
    assert all(outcome == outcomes["list of dicts"] for outcome in outcomes.values()), outcomes


@settings(max_examples=60, deadline=None)
@given(ids=st.lists(st.sampled_from(IDS[:-1]), min_size=1, max_size=8), raising=st.booleans())
def test_every_form_of_decimal_ids_gives_the_list_of_dicts_outcome(
    ids: list[Any], raising: bool
) -> None:
    # (None is left out: a numpy object array and a frame hold it as missing, a record's
    # id as no pattern's, which the batch counts apart; `IDS` keeps it for reference.)
    mode = "raise" if raising else "skip"
    outcomes = {name: batch_outcome(data, mode, START, END) for name, data in _forms(ids).items()}
    expected = outcomes.pop("list of dicts")
    for name, outcome in outcomes.items():
        assert outcome == expected, (name, ids)
