"""jsonb ids that jsonb finds equal but that are two patterns (against a real server, see
conftest.py): 9007199254740993 and 9007199254740993.0 (a JSON Lines file's reader reads
the latter as a float, 9007199254740992), {"a": 1} and {"a": 1.0}. `fetch_all` keys each
row's text and made two groups; a read of one pattern listed the ids by the index's steps,
which list one of the equal values: a read of the pattern of the one not listed was "no
records", of the other counted both's rows. Each pattern now reads what its group holds.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pg_calls import call
from test_postgres_json_ids import filled, model
from usage_analytics.sources import PostgresSource, TableSpec

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 10, tzinfo=UTC)

BIG = "9007199254740993"  # (2**53 + 1: no double holds it)


def groups_of(url: str, spec: TableSpec) -> Counter[str]:
    groups = call(PostgresSource(url, spec), "fetch_all", START, END)
    return Counter({group.pattern_id: group.count for group in groups})


def assert_each_read_is_its_group(url: str, spec: TableSpec, groups: Counter[str]) -> None:
    for key, count in groups.items():
        assert call(PostgresSource(url, spec), "fetch", key, START, END).count == count, key
        assert call(PostgresSource(url, spec), "first_record", key).pattern_id == key
        assert call(PostgresSource(url, spec), "newest", key) is not None


# (Both orders: the steps listed the value first in the index, the first written.)
@pytest.mark.parametrize(
    ("written", "patterns"),
    [
        ([BIG, BIG + ".0"], {BIG: 1, "9007199254740992": 1}),
        ([BIG + ".0", BIG], {BIG: 1, "9007199254740992": 1}),
        ([BIG, BIG + ".0", BIG + ".00", "9007199254740992"], {BIG: 1, "9007199254740992": 3}),
        (['{"a": 1}', '{"a": 1.0}'], {'{"a": 1}': 1, '{"a": 1.0}': 1}),
        (['{"a": 1.0}', '{"a": 1}'], {'{"a": 1}': 1, '{"a": 1.0}': 1}),
    ],
)
def test_values_jsonb_finds_equal_read_as_their_own_patterns(
    postgres_url: str, written: list[str], patterns: dict[str, int]
) -> None:
    spec = filled(postgres_url, "jsonb", written)
    groups = groups_of(postgres_url, spec)
    assert groups == Counter(patterns)
    assert_each_read_is_its_group(postgres_url, spec, groups)


@pytest.fixture(scope="module")
def jsonb_database(postgres_server: str) -> Iterator[str]:
    from pg_server import create_database, drop_database

    name, url = create_database(postgres_server)
    try:
        yield url
    finally:
        drop_database(postgres_server, name)


#: JSON numbers near and past 2**53, each written as an integer or with a fraction: texts
#: jsonb finds equal whose patterns differ where no double holds the integer.
NUMBERS = st.builds(
    lambda number, fraction: str(number) + fraction,
    st.integers(2**53 - 2, 2**53 + 3) | st.integers(10**22, 10**22 + 2),
    st.sampled_from(["", ".0", ".00"]),
)


@settings(max_examples=25, deadline=None)
@given(written=st.lists(NUMBERS, min_size=1, max_size=6))
def test_equal_numbers_read_as_a_json_lines_file_keys_them(
    jsonb_database: str, written: list[str]
) -> None:
    spec = filled(jsonb_database, "jsonb", written)
    groups = groups_of(jsonb_database, spec)
    # (The reference: a JSON Lines file's keys, `pattern_key` of `json.loads`.)
    assert groups == model(written)
    assert all(json.loads(text) is not None for text in written)
    for key, count in groups.items():
        found = call(PostgresSource(jsonb_database, spec), "fetch", key, START, END)
        assert found.count == count, (key, written)
