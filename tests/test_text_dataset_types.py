"""A directory of JSON Lines files whose tables disagree on a column's type
(`sources.text_dataset_types`): a flag or an id absent from one file, a flag of integers
in one file and booleans in another. Its files are read by pyarrow's readers together,
giving the standard reader's records exactly (each value of its type: 1 stays 1, true
True); ids of integers in one file and text in another are read as text, giving the
standard reader's patterns (`test_text_dataset.py`, `test_dataset_id_types.py`)."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from usage_analytics.sources import FileSource
from usage_analytics.sources.loaded import Loaded

pytestmark = pytest.mark.usefixtures("own_temporary_directory")

DAY = '"timestamp": "2026-11-01T10:00:00Z"'


def typed_records(loaded: Loaded) -> list[list[tuple[str, str, Any]]]:
    """Each record's fields holding a value, as (field, type, value): True and 1 differ."""
    if loaded.arrow:
        table = loaded.data
        columns = (
            loaded.odd.records(table, None)
            if loaded.odd is not None
            else {name: table.column(name).to_pylist() for name in table.column_names}
        )
        assert isinstance(columns, dict)
        records = [
            dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)
        ]
    else:
        records = loaded.data
    return [
        sorted(
            (name, type(value).__name__, value)
            for name, value in record.items()
            if value is not None
        )
        for record in records
    ]


@pytest.mark.parametrize(
    "files",
    [
        # A flag absent from one file (its column of booleans, all missing) and of integers
        # in another: the first's column is read as integers.
        {
            "a.jsonl": f'{{"pattern_id": "p", {DAY}}}\n',
            "b.jsonl.gz": f'{{"pattern_id": "p", {DAY}, "success": 1}}\n',
        },
        # Ids all null in one file, integers in another.
        {
            "a.jsonl": f'{{"pattern_id": null, {DAY}}}\n',
            "b.jsonl": f'{{"pattern_id": 7, {DAY}}}\n{{"pattern_id": 8, {DAY}}}\n',
        },
        # A flag of integers (2 is no flag: the core says so) in one file and booleans in
        # two others, one of them holding a value of neither ("yes", kept aside by its
        # file's read); the integers are fewer: they are kept aside.
        {
            "a.jsonl": f'{{"pattern_id": "p", {DAY}, "success": 1}}\n'
            f'{{"pattern_id": "p", {DAY}, "success": 2}}\n',
            "b.jsonl": f'{{"pattern_id": "p", {DAY}, "success": true, "timeout": 0}}\n'
            f'{{"pattern_id": "p", {DAY}, "success": "yes"}}\n'
            f'{{"pattern_id": "p", {DAY}, "success": false}}\n',
            "c.jsonl": f'{{"pattern_id": "p", {DAY}, "success": true, "timeout": false}}\n',
        },
        # The same, the booleans fewer: they are kept aside.
        {
            "a.jsonl": f'{{"pattern_id": "p", {DAY}, "success": true}}\n'
            f'{{"pattern_id": "p", {DAY}, "success": "yes"}}\n',
            "b.jsonl": f'{{"pattern_id": "p", {DAY}, "success": 0}}\n'
            f'{{"pattern_id": "p", {DAY}, "success": 1}}\n'
            f'{{"pattern_id": "p", {DAY}, "success": 2}}\n',
        },
    ],
)
def test_files_whose_columns_types_disagree_are_read_together_as_the_standard_reader_reads_them(
    tmp_path: Path, files: dict[str, str]
) -> None:
    for name, text in files.items():
        path = tmp_path / name
        if name.endswith(".gz"):
            path.write_bytes(gzip.compress(text.encode()))
        else:
            path.write_text(text)
    loaded = FileSource(tmp_path).read()
    assert loaded.arrow
    assert typed_records(loaded) == typed_records(FileSource(tmp_path, arrow=False).read())
