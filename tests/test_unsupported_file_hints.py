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
            "jq -c '.[]' {dir}/runs.json > {dir}/runs.jsonl",
        ),
        ("runs.JSON.gz", "JSON Lines named .json: rename it .jsonl"),
        (
            "runs.feather",
            "Arrow IPC (Feather): write it as Parquet, with pyarrow: pyarrow.parquet.write_table"
            "(pyarrow.feather.read_table('{dir}/runs.feather'), '{dir}/runs.parquet')",
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
    hint = hint.format(dir=tmp_path)
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


def test_a_hints_command_names_the_file_where_it_is(tmp_path: Path) -> None:
    # The commands named the file by its name alone, which is no file outside its
    # directory, and unquoted in the shell's: `jq -c '.[]' Export 2026.json > Export
    # 2026.jsonl` reads two files and writes a third, named "Export".
    folder = tmp_path / "my data"
    folder.mkdir()
    (folder / "Export 2026.json").write_bytes(b"")
    (folder / "runs.feather").write_bytes(b"")
    with pytest.raises(UnsupportedSourceError) as raised:
        open_source(folder / "Export 2026.json")
    assert f"jq -c '.[]' '{folder}/Export 2026.json' > '{folder}/Export 2026.jsonl'" in str(
        raised.value
    )
    with pytest.raises(UnsupportedSourceError) as raised:
        open_source(folder / "runs.feather")
    assert (
        f"pyarrow.parquet.write_table(pyarrow.feather.read_table('{folder}/runs.feather'), "
        f"'{folder}/runs.parquet')"
    ) in str(raised.value)
