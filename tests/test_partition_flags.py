"""A flag field's hive directory (`success=yes/`) is read as a CSV cell of its text is
(`sources/dataset.py`, `typed_partition_value`): true/false, t/f, yes/no, y/n or 1/0, any
case, trimmed; empty or Hive's default partition missing; other text refused naming the
directory, the field, the value and the flag texts, in the core's words for a CSV cell.
Until now every directory flag was text, which the core refused whole ("column
'success' has Arrow type Utf8"), `success=true/` included.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_runs import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_file_column_case import TIMES, fetched
from test_jsonl_key_case_by_line import read
from test_partition_key_case import KINDS, write
from usage_analytics.sources import SourceError, TableSpec
from usage_analytics.sources.base import FlagText

#: Each kind of dataset with the readers that read it: pyarrow's (None), the standard
#: ones (False; Parquet has none).
READS = [
    (kind, arrow)
    for kind in KINDS
    for arrow in (None, False)
    if (kind, arrow) != ("parquet", False)
]


def dataset(root: Path, kind: str, directory: str, field: str = "success") -> Path:
    """A dataset of one file of `kind`, pattern p, a run, under `directory`."""
    columns: dict[str, list[Any]] = {"pattern_id": ["p"], "timestamp": TIMES[:1]}
    if field != "success":
        columns["success"] = [True]
    write(root / directory / f"a.{kind}", columns)
    return root


@pytest.mark.parametrize(("kind", "arrow"), READS)
@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("true", True), ("false", False), ("T", True), ("f", False), ("Yes", True),
        ("NO", False), ("y", True), ("N", False), ("1", True), ("0", False),
        (" yes ", True),
    ],
)  # fmt: skip
def test_a_flag_directory_is_the_flag_its_text_is(
    kind: str, arrow: bool | None, text: str, flag: bool, tmp_path: Path
) -> None:
    root = dataset(tmp_path / "runs", kind, f"success={text}")
    assert read(root, arrow)["success"] == [flag]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("field", ["timeout", "quality_gates_passed"])
def test_every_flag_field_is_read_so(kind: str, field: str, tmp_path: Path) -> None:
    root = dataset(tmp_path / "runs", kind, f"{field.upper()}=no", field)
    assert fetched(root)[field] == [False]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("text", ["maybe", "2", "yes please", "%E2%9C%93"])
def test_a_directory_flag_of_other_text_is_refused_naming_directory_field_and_value(
    kind: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = dataset(tmp_path / "runs", kind, f"day=1/success={text}")
    value = text.replace("%E2%9C%93", "\u2713")  # (URL escapes decoded)
    expected = (
        f"{root}, day=1/success={text}/a.{kind}: field 'success' (directory "
        f"'success={text}') = {value!r}: {FlagText.flag_reason}"
    )
    with pytest.raises(SourceError) as raised:
        fetched(root)
    assert str(raised.value) == expected
    # The same words as for a CSV cell of that text; refused even where invalid records
    # are skipped: the whole directory would be left out.
    code, _, err = run(
        capsys, "analyze", str(root), "--pattern", "p", "--format", "json",
        "--on-invalid", "skip",
    )  # fmt: skip
    assert code != 0
    assert f"field 'success' (directory 'success={text}') = {value!r}: must be a flag's" in err


@pytest.mark.parametrize(("kind", "arrow"), READS)
@pytest.mark.parametrize("text", ["", "__HIVE_DEFAULT_PARTITION__"])
def test_an_empty_or_default_flag_directory_is_missing(
    kind: str, arrow: bool | None, text: str, tmp_path: Path
) -> None:
    root = dataset(tmp_path / "runs", kind, f"success={text}")
    assert read(root, arrow)["success"] == [None]


@pytest.mark.parametrize("kind", KINDS)
def test_a_directory_mapped_to_a_flag_field_is_read_as_a_flag(kind: str, tmp_path: Path) -> None:
    root = dataset(tmp_path / "runs", kind, "ok=Y")
    assert fetched(root, TableSpec(columns={"success": "ok"}))["success"] == [True]
    # Unmapped, `ok` is another column: its text is left as it is.
    assert fetched(root)["ok"] == ["Y"]


@pytest.mark.parametrize("kind", KINDS)
def test_flags_of_directories_and_of_columns_are_one_column(kind: str, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    write(root / "success=no" / f"a.{kind}", {"pattern_id": ["p"], "timestamp": TIMES[:1]})
    columns: dict[str, list[Any]] = {"pattern_id": ["p"], "timestamp": TIMES[1:2]}
    columns["success"] = [True]
    write(root / f"b.{kind}", columns)
    assert fetched(root)["success"] == [True, False]  # (in the order of their paths)


def _outcome(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[float | None, str | None]:
    """The success rate of pattern p read from `path`, or the reason of its error."""
    code, out, err = run(capsys, "analyze", str(path), "--pattern", "p", "--format", "json")
    if code == 0:
        return float(json.loads(out)["success_metrics"]["success_rate"]), None
    assert "must be a flag's text: " in err, err
    return None, err.split(" = ", 1)[1].split(";")[0].strip()


#: A flag's text as a cell or a directory may write it, or other text.
TEXTS = st.one_of(
    st.sampled_from(["true", "false", "t", "f", "yes", "no", "y", "n", "1", "0"]).flatmap(
        lambda text: st.tuples(
            st.sampled_from(["", " "]), st.sampled_from([text, text.upper(), text.title()])
        ).map(lambda parts: f"{parts[0]}{parts[1]}{parts[0]}")
    ),
    st.text(alphabet="abcdefnoprstuy01 ", min_size=1, max_size=5).filter(lambda t: t.strip()),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXTS)
def test_a_directory_and_a_csv_cell_of_one_text_agree(
    text: str, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    # The model is the CSV reader: the same flag, or the same refusal of the same value
    # with the same reason.
    folder = tmp_path_factory.mktemp("agree")
    cell = folder / "runs.csv"
    cell.write_text(f"pattern_id,timestamp,success\np,{TIMES[0]},{text}\n")
    root = dataset(folder / "runs", "csv", f"success={text}")
    assert _outcome(capsys, root) == _outcome(capsys, cell)
