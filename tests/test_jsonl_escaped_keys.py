"""JSON Lines keys written with JSON escapes are the keys they decode to, on both readers
(`sources/jsonl_column_case.py`): `"\\u0053uccess"` is `Success`, the record field
`success` but for case, and `"\\u0073uccess"` is `success` itself. pyarrow's reader and
`json` decode keys, but the search for a field's key of another case looked at the
file's bytes for the key as plain letters: on pyarrow's path a line's `"\\u0053uccess"`
was passed over (its run a failure), where the standard reader took it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_file_column_case import TIMES
from test_jsonl_key_case_by_line import READERS, read
from usage_analytics.sources import TableSpec, jsonl_column_case


def lines_file(path: Path, keys: list[str], flags: list[bool]) -> Path:
    """A file of a line per key: pattern p, a time, and the flag under that key as
    written (its escapes left as they are)."""
    path.write_text(
        "".join(
            f'{{"pattern_id": "p", "timestamp": "{TIMES[index % 3]}", "{key}": '
            f"{json.dumps(flag)}}}\n"
            for index, (key, flag) in enumerate(zip(keys, flags, strict=True))
        )
    )
    return path


@pytest.mark.parametrize("arrow", READERS)
@pytest.mark.parametrize(
    "key",
    [
        "\\u0053uccess",  # Success
        "\\u0073uccess",  # success itself
        "\\u0053UCCESS",
        "Succes\\u0053",
        "\\u0053\\u0075\\u0063\\u0063\\u0065\\u0073\\u0073",  # every letter
        "SUCCES\\u0073",
    ],
)
def test_a_success_key_written_with_escapes_is_read_by_both_readers(
    arrow: bool | None, key: str, tmp_path: Path
) -> None:
    # The first line has no success: its column has a gap, which the search fills.
    path = lines_file(tmp_path / "runs.jsonl", ["other", key], [True, True])
    assert read(path, arrow)["success"] == [None, True]


@pytest.mark.parametrize("arrow", READERS)
def test_an_escape_of_either_hex_case_is_the_character(arrow: bool | None, tmp_path: Path) -> None:
    # "_" is \u005f or \u005F; an id key of another case so written gives the pattern.
    path = tmp_path / "runs.jsonl"
    path.write_text(
        f'{{"Pattern\\u005fId": "p", "timestamp": "{TIMES[0]}", "success": true}}\n'
        f'{{"PATTERN\\u005FID": "p", "timestamp": "{TIMES[1]}", "success": false}}\n'
        f'{{"pattern_id": "q", "timestamp": "{TIMES[2]}", "success": true}}\n'
    )
    assert read(path, arrow) == {"success": [True, False], "timestamp": TIMES[:2]}


@pytest.mark.parametrize("block", [1, 7, 1 << 26])
def test_the_search_finds_an_escaped_key_across_its_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    # Blocks overlap by the longest escaped spelling of a name: a key cut by a block's
    # end is still found.
    monkeypatch.setattr(jsonl_column_case, "_BLOCK", block)
    table = pa.table({"pattern_id": ["p"], "timeout": pa.nulls(1, pa.bool_())})
    path = tmp_path / "runs.jsonl"
    escaped = "".join(f"\\u{ord(char):04X}" for char in "Timeout")
    for text, found in (
        (f'{{"pattern_id": "p", "{escaped}": true}}', True),
        ('{"pattern_id": "p", "\\u0074imeout": true}', False),  # `timeout` itself
        ('{"pattern_id": "p", "error": "\\u0054imeout"}', False),  # a value, no colon
        ('{"pattern_id": "p", "\\u0054ime_out": true}', False),  # another name
    ):
        path.write_text(text + "\n")
        assert jsonl_column_case.other_case_keys(pa, path, table, TableSpec()) is found, text


def _written(char: str, escape: bool, upper_hex: bool) -> str:
    if not escape:
        return char
    digits = f"{ord(char):04x}"
    return "\\u" + (digits.upper() if upper_hex else digits)


#: A key of the success field as a line may write it: each letter's case, and whether
#: it is escaped (and in which hex case).
KEYS = st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()), min_size=7, max_size=7).map(
    lambda choices: "".join(
        _written(char.upper() if upper else char, escape, upper_hex)
        for char, (upper, escape, upper_hex) in zip("success", choices, strict=True)
    )
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(st.tuples(KEYS, st.booleans()), min_size=1, max_size=6))
def test_each_line_gives_its_success_however_its_key_is_written(
    tmp_path: Path, lines: list[tuple[str, bool]]
) -> None:
    # The model: `json` decodes each key, which names `success` but for case.
    keys = [key for key, _ in lines]
    flags = [flag for _, flag in lines]
    path = lines_file(tmp_path / "runs.jsonl", ["other", *keys], [True, *flags])
    for key in keys:
        assert json.loads(f'"{key}"').lower() == "success"
    for arrow in READERS:
        assert read(path, arrow)["success"] == [None, *flags], arrow
