"""The first values of a JSON Lines file's fields that may be integers (`arrow_jsonl.
_first_values`, which types their columns) are those of the first lines that give one,
as when every line was decoded: only lines that may hold a key not yet found are."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from usage_analytics.sources import arrow_jsonl

KEYS = ["pattern_id", "success", "timeout"]


def every_line_decoded(path: Path, keys: list[str], limit: int) -> dict[str, Any]:
    """`_first_values` as it was before session 52: each of the first `limit` lines
    holding more than blanks decoded until every key has a value."""
    found: dict[str, Any] = {}
    with path.open("rb") as file:
        lines = (line for line in file if line.strip(b" \t\r\x0b\x0c\n"))
        for line in itertools.islice(lines, limit):
            try:
                record = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if isinstance(record, dict):
                for key in keys:
                    if key not in found and record.get(key) is not None:
                        found[key] = record[key]
            if len(found) == len(keys):
                break
    return found


def key_text(key: str, escaped: bool) -> str:
    """A key as JSON text, its first letter as a \\u escape where `escaped`."""
    return f'"\\u{ord(key[0]):04x}{key[1:]}"' if escaped else json.dumps(key)


VALUES = st.sampled_from([None, 0, 1, 2, True, False, "x", '"timeout"', "a\\b", 7.5])
OBJECTS = st.lists(
    st.tuples(st.sampled_from([*KEYS, "other"]), st.booleans(), VALUES), max_size=4
).map(
    lambda items: "{" + ", ".join(f"{key_text(k, e)}: {json.dumps(v)}" for k, e, v in items) + "}"
)
LINES = st.one_of(
    OBJECTS.map(str.encode),
    OBJECTS.map(lambda text: text.encode("utf-16-le")),  # (json.loads reads it from bytes)
    st.sampled_from([b"null", b"[1]", b"{", b"", b"  \t", b'{"timeout": 1', b'"timeout"']),
    st.binary(max_size=12),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(LINES, max_size=30),
    ending=st.sampled_from([b"\n", b"\r\n"]),
    limit=st.integers(1, 40),
    batch=st.sampled_from([1, 40, 1 << 20]),
)
# A key written with an escape; a last line of UTF-16 (json.loads reads it from bytes).
@example(lines=[b'{"\\u0074imeout": 0}'], ending=b"\n", limit=5, batch=1 << 20)
@example(lines=[b'{"a": 1}', '{"timeout": 0}'.encode("utf-16-le")], ending=b"\n", limit=5, batch=40)
def test_the_first_values_are_those_of_every_line_decoded(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    lines: list[bytes],
    ending: bytes,
    limit: int,
    batch: int,
) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_bytes(ending.join(lines))
    monkeypatch.setattr(arrow_jsonl, "_FIRST_LINES", limit)
    monkeypatch.setattr(arrow_jsonl, "_SEARCHED_BYTES", batch)
    expected = every_line_decoded(path, KEYS, limit)
    found = arrow_jsonl._first_values(path, KEYS)
    assert [(key, type(value), value) for key, value in found.items()] == [
        (key, type(value), value) for key, value in expected.items()
    ]
