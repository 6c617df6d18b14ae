"""A number field's hive directory (`execution_time_ms=12/`, `quality_score=0.5/`) is read
as a CSV cell of its text is (`sources/partition_numbers.py`): `float()`'s reading,
trimmed, an integer's text its int, a text on a bound read exactly; empty or Hive's
default partition missing; a bad value refused naming the directory, the field, the
value and the core's reason for a CSV cell of it. Until now such a directory was text,
which the core refused whole ("column 'execution_time_ms' has Arrow type Utf8")."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cli_runs import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_file_column_case import TIMES
from test_partition_flags import READS
from test_partition_key_case import KINDS, write
from usage_analytics.sources import SourceError, TableSpec, open_source


def dataset(root: Path, kind: str, directory: str, name: str = "a") -> Path:
    """A dataset of one file of `kind`, pattern p, a successful run, under `directory`."""
    columns: dict[str, list[Any]] = {"pattern_id": ["p"], "timestamp": TIMES[:1]}
    columns["success"] = [True]
    write(root / directory / f"{name}.{kind}", columns)
    return root


def numbers(
    path: Path, arrow: bool | None = None, table: TableSpec | None = None
) -> dict[str, list[Any]]:
    """Pattern p's execution times and quality scores, as read (`arrow`: the reader)."""

    async def fetch() -> Any:
        source = open_source(path, table, arrow=arrow)
        try:
            return (await source.fetch("p", datetime.min, datetime.max)).data
        finally:
            await source.close()

    data = asyncio.run(fetch())
    records = data if isinstance(data, list) else data.to_pylist()
    fields = ("execution_time_ms", "quality_score")
    return {name: [record.get(name) for record in records] for name in fields}


@pytest.mark.parametrize(("kind", "arrow"), READS)
@pytest.mark.parametrize(
    ("field", "text", "number"),
    [
        ("execution_time_ms", "12", 12), ("execution_time_ms", "12.5", 12.5),
        ("execution_time_ms", " 7 ", 7), ("execution_time_ms", "1e3", 1000),
        ("execution_time_ms", "0", 0), ("execution_time_ms", "-0", 0),
        ("quality_score", "0.5", 0.5), ("quality_score", "1", 1), ("quality_score", "0", 0),
        ("quality_score", "1.0", 1),
    ],
)  # fmt: skip
def test_a_number_directory_is_the_number_its_text_is(
    kind: str, arrow: bool | None, field: str, text: str, number: float, tmp_path: Path
) -> None:
    root = dataset(tmp_path / "runs", kind, f"day=1/{field}={text}")
    assert numbers(root, arrow)[field] == [number]


@pytest.mark.parametrize(("kind", "arrow"), READS)
@pytest.mark.parametrize("text", ["", "__HIVE_DEFAULT_PARTITION__"])
def test_an_empty_or_default_number_directory_is_missing(
    kind: str, arrow: bool | None, text: str, tmp_path: Path
) -> None:
    root = dataset(tmp_path / "runs", kind, f"quality_score={text}")
    assert numbers(root, arrow)["quality_score"] == [None]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("field", "text", "reason"),
    [
        ("execution_time_ms", "-1", "must be >= 0"),
        ("execution_time_ms", "abc", "must be a number, got str"),
        ("execution_time_ms", "inf", "must be a finite number"),
        ("execution_time_ms", "1e400", "must be a finite number"),
        ("execution_time_ms", "-1e-400", "must be >= 0"),
        ("quality_score", "1.5", "must be within [0, 1]"),
        ("quality_score", "1.00000000000000000001", "must be within [0, 1]"),
        ("quality_score", "nan", "must be a finite number"),
    ],
)
def test_a_bad_number_directory_is_refused_naming_directory_field_value_and_reason(
    kind: str, field: str, text: str, reason: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    root = dataset(tmp_path / "runs", kind, f"day=1/{field.upper()}={text}")
    expected = (
        f"{root}, day=1/{field.upper()}={text}/a.{kind}: field {field!r} (directory "
        f"'{field.upper()}={text}') = {text!r}: {reason}"
    )
    with pytest.raises(SourceError) as raised:
        numbers(root)
    assert str(raised.value) == expected
    # Refused even where invalid records are skipped: the whole directory would be left out.
    code, _, err = run(
        capsys, "analyze", str(root), "--pattern", "p", "--format", "json",
        "--on-invalid", "skip",
    )  # fmt: skip
    assert code != 0
    assert f"field {field!r} (directory '{field.upper()}={text}') = {text!r}: {reason}" in err


@pytest.mark.parametrize("kind", KINDS)
def test_a_directory_mapped_to_a_number_field_is_read_as_a_number(
    kind: str, tmp_path: Path
) -> None:
    root = dataset(tmp_path / "runs", kind, "ms=40")
    assert numbers(root, table=TableSpec(columns={"execution_time_ms": "ms"})) == {
        "execution_time_ms": [40],
        "quality_score": [None],
    }


@pytest.mark.parametrize("kind", KINDS)
def test_a_directory_mapped_to_both_number_fields_is_judged_as_each(
    kind: str, tmp_path: Path
) -> None:
    # A time fine as a time but no score was read, and each record then refused by the
    # core: with --on-invalid skip, the whole directory left out as invalid records.
    both = TableSpec(columns={"execution_time_ms": "n", "quality_score": "n"})
    fine = dataset(tmp_path / "fine", kind, "n=0.5")
    assert numbers(fine, table=both) == {"execution_time_ms": [0.5], "quality_score": [0.5]}
    bad = dataset(tmp_path / "bad", kind, "n=5")
    with pytest.raises(SourceError) as raised:
        numbers(bad, table=both)
    expected = f"{bad}, n=5/a.{kind}: field 'quality_score' (directory 'n=5') = '5': "
    assert str(raised.value) == expected + "must be within [0, 1]"


@pytest.mark.parametrize("kind", KINDS)
def test_numbers_of_directories_and_of_columns_are_one_column(kind: str, tmp_path: Path) -> None:
    root = tmp_path / "runs"
    dataset(root, kind, "execution_time_ms=2.5")
    columns: dict[str, list[Any]] = {"pattern_id": ["p"], "timestamp": TIMES[1:2]}
    columns["execution_time_ms"] = [7]
    write(root / f"b.{kind}", columns)
    assert numbers(root)["execution_time_ms"] == [7, 2.5]  # (in the order of their paths)


def _outcome(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[Any, Any]:
    """Pattern p's mean execution time and average quality score read from `path`, or the
    field and the reason of its error."""
    code, out, err = run(capsys, "analyze", str(path), "--pattern", "p", "--format", "json")
    if code == 0:
        report = json.loads(out)
        found = (
            report["performance_metrics"]["avg_execution_time_ms"],
            report["success_metrics"]["avg_quality_score"],
        )
        return found, None
    refused = re.search(r"field '(\w+)'(?: \(directory '[^']*'\))? = .*?: (must be [^;(]*)", err)
    assert refused is not None, err
    return None, (refused.group(1), refused.group(2).strip())


#: A number's text as a cell or a directory may write it, good or bad, or other text.
TEXTS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**20), 10**20).map(str),
    st.sampled_from(["-0", "1.0", "1e-400", "-1e-400", "1.00000000000000000001", "1e400", " 3 "]),
    st.text(alphabet="0123456789.e-+x ", min_size=1, max_size=6).filter(lambda t: t.strip()),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field=st.sampled_from(["execution_time_ms", "quality_score"]), text=TEXTS)
def test_a_directory_and_a_csv_cell_of_one_text_agree(
    field: str, text: str, tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    # The model is the CSV reader: the same number, or the refusal of the same value with
    # the same reason.
    folder = tmp_path_factory.mktemp("agree")
    cell = folder / "runs.csv"
    cell.write_text(f"pattern_id,timestamp,success,{field}\np,{TIMES[0]},true,{text}\n")
    root = dataset(folder / "runs", "csv", f"{field}={text}")
    assert _outcome(capsys, root) == _outcome(capsys, cell)
