"""`benches/text_odd_cells.race_runs`, the order-flipped rounds that the command benches
(odd_values, text_odd_cells, jsonl_values, compressed_files, parquet_dataset,
text_dataset) print their runs in: each run once a round, in the given order and then
back again, so that the machine's drift moves them alike, each line padded to the
longest name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from example_scripts import load_script
from hypothesis import given
from hypothesis import strategies as st

BENCHES = Path(__file__).resolve().parent.parent / "benches"


@pytest.fixture(scope="module")
def races() -> ModuleType:
    return load_script("bench_text_odd_cells", BENCHES / "text_odd_cells.py")


def recording(calls: list[str], name: str, wall: float) -> Callable[[], tuple[float, float]]:
    def run() -> tuple[float, float]:
        calls.append(name)
        return wall, 100.0

    return run


def test_the_rounds_alternate_and_the_names_line_up(
    races: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[str] = []
    runs = {"a": recording(calls, "a", 1.5), "longest": recording(calls, "longest", 12.25)}
    races.race_runs(runs, 3)
    assert calls == ["a", "longest", "longest", "a", "a", "longest"]
    assert capsys.readouterr().out.splitlines() == [
        "      a:  1.50 s, peak RSS   100 MB",
        "longest: 12.25 s, peak RSS   100 MB",
        "longest: 12.25 s, peak RSS   100 MB",
        "      a:  1.50 s, peak RSS   100 MB",
        "      a:  1.50 s, peak RSS   100 MB",
        "longest: 12.25 s, peak RSS   100 MB",
    ]


@given(
    names=st.lists(st.text("abc_", min_size=1, max_size=5), min_size=1, max_size=4, unique=True),
    rounds=st.integers(0, 5),
)
def test_each_round_runs_every_run_once_in_order_or_reversed(
    races: ModuleType, names: list[str], rounds: int
) -> None:
    calls: list[str] = []
    races.race_runs({name: recording(calls, name, 1.0) for name in names}, rounds)
    expected = [n for r in range(rounds) for n in (names if r % 2 == 0 else names[::-1])]
    assert calls == expected
