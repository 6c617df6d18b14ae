"""The command over directories of record files under an address-space limit: out of
memory is one line and exit 1, never an abort, a traceback or a hang, as for a single
file (`test_out_of_memory_files`, whose child and checks are `limited_command`'s).

Each kind (CSV, JSON Lines, Parquet) in two layouts: flat (four files side by side) and
hive (`success=true/` and `success=false/`, two files each, the flag given by the
directory), 20,000 records in all.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from limited_command import check_limited_runs
from record_files import RECORD_FILE_KINDS, write_record_directories

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

KINDS = list(RECORD_FILE_KINDS)
LAYOUTS = ["flat", "hive"]


@pytest.fixture(scope="module")
def directories(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], Path]:
    return write_record_directories(tmp_path_factory.mktemp("directories"), 20_000)


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("kind", KINDS)
def test_short_memory_over_a_directory_is_one_line_and_exit_1_or_the_unlimited_report(
    directories: dict[tuple[str, str], Path], kind: str, layout: str
) -> None:
    check_limited_runs(directories[kind, layout])
