"""A record file of a kind the sources do not read, but an analyst often holds (a JSON
array, Arrow IPC/Feather, a spreadsheet, tab-separated text), is refused saying how to
get a kind they read: the message named the file and its type only."""

from __future__ import annotations

from pathlib import Path

import pytest
from usage_analytics.cli import main
from usage_analytics.sources import UnsupportedSourceError, open_source


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        (
            "runs.json",
            "JSON Lines named .json: rename it .jsonl; a JSON array of records: "
            "jq -c '.[]' runs.json > runs.jsonl",
        ),
        ("runs.JSON.gz", "JSON Lines named .json: rename it .jsonl"),
        (
            "runs.feather",
            "Arrow IPC (Feather): write it as Parquet, with pyarrow: pyarrow.parquet.write_table"
            "(pyarrow.feather.read_table('runs.feather'), 'runs.parquet')",
        ),
        ("runs.arrow", "Arrow IPC (Feather): write it as Parquet"),
        ("runs.xlsx", "a spreadsheet: save it as CSV, comma-separated"),
        ("runs.tsv", "tab-separated text: only commas separate CSV columns here"),
    ],
)
def test_a_near_miss_says_how_to_convert_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, hint: str
) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(UnsupportedSourceError) as raised:
        open_source(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: unsupported file type (")
    assert hint in message
    assert main(["dashboard", str(path)]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err.count("\n")) == ("", 1)
    assert hint in captured.err


def test_other_unsupported_types_have_no_hint(tmp_path: Path) -> None:
    path = tmp_path / "runs.txt"
    path.write_bytes(b"")
    with pytest.raises(UnsupportedSourceError) as raised:
        open_source(path)
    assert str(raised.value).endswith("- for standard input or a postgresql:// URL")
