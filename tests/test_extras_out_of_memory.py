"""pyarrow that is installed but could not be loaded for lack of memory (`extras`): a
`MemoryError` saying so, never None ("not installed", which told the command to ask for
`pip install 'usage-analytics[arrow]'`, exit 2); a pyarrow that is not there, None."""

from __future__ import annotations

import builtins
import sys
from pathlib import Path
from typing import Any

import pytest
from child import run_python
from usage_analytics import extras
from usage_analytics.extras import load_pyarrow

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

#: Caps the address space at what the child uses plus 16 MB before pyarrow is imported:
#: too little to map libarrow (tens of MB), so the import fails, then runs CALL.
LIMITED = """
import os, resource, sys
from usage_analytics.cli import main
from usage_analytics.extras import load_pyarrow
assert "pyarrow" not in sys.modules
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
limit = used + 16 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
CALL
"""


def failing_import(name_failing: str, error: BaseException) -> Any:
    """`builtins.__import__` raising `error` for the module `name_failing`."""
    real = builtins.__import__

    def fake(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == name_failing:
            raise error
        return real(name, *args, **kwargs)

    return fake


@pytest.mark.parametrize("module", ["pyarrow", "pyarrow.compute"])
def test_a_memory_error_importing_pyarrow_is_out_of_memory(
    monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    monkeypatch.setattr(builtins, "__import__", failing_import(module, MemoryError()))
    with pytest.raises(MemoryError, match=r"^out of memory loading pyarrow: an allocation"):
        load_pyarrow()


def test_a_shared_library_not_mapped_under_a_limit_is_out_of_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failure = ImportError("libarrow.so.2600: failed to map segment from shared object")
    monkeypatch.setattr(builtins, "__import__", failing_import("pyarrow", failure))
    monkeypatch.setattr(extras, "room", lambda: 2**20)
    with pytest.raises(MemoryError) as raised:
        load_pyarrow()
    assert str(raised.value) == f"out of memory loading pyarrow: {failure}"
    assert raised.value.__cause__ is failure


def test_an_import_error_naming_enomem_is_out_of_memory_with_or_without_a_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failure = ImportError("libarrow.so.2600: cannot map: Cannot allocate memory")
    monkeypatch.setattr(builtins, "__import__", failing_import("pyarrow.compute", failure))
    monkeypatch.setattr(extras, "room", lambda: None)
    with pytest.raises(MemoryError, match=r"^out of memory loading pyarrow: libarrow"):
        load_pyarrow()


@pytest.mark.parametrize(
    "failure",
    [
        ModuleNotFoundError("No module named 'pyarrow'", name="pyarrow"),
        # (Without a limit a map that failed is not memory: a `noexec` mount.)
        ImportError("libarrow.so.2600: failed to map segment from shared object"),
    ],
)
def test_pyarrow_not_there_or_not_loadable_without_a_limit_is_none(
    monkeypatch: pytest.MonkeyPatch, failure: ImportError
) -> None:
    monkeypatch.setattr(builtins, "__import__", failing_import("pyarrow", failure))
    monkeypatch.setattr(extras, "room", lambda: None)
    assert load_pyarrow() is None


@linux_only
def test_loading_pyarrow_in_too_little_room_is_a_memory_error() -> None:
    done = run_python(
        LIMITED.replace(
            "CALL",
            "try:\n    print(load_pyarrow())\n"
            "except MemoryError as error:\n    print('MemoryError:', error)",
        )
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("MemoryError: out of memory loading pyarrow: "), done.stdout


@linux_only
def test_the_command_over_parquet_in_too_little_room_says_out_of_memory_not_install(
    tmp_path: Path,
) -> None:
    # (Before: "reading Parquet files needs pyarrow: pip install ...", exit 2.)
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "runs.parquet"
    pq.write_table(pa.table({"pattern_id": ["p"], "timestamp": ["2024-01-01T00:00:00Z"]}), path)
    call = f"code = main(['dashboard', {str(path)!r}, '--format', 'json'])\nos._exit(code)"
    done = run_python(LIMITED.replace("CALL", call))
    assert done.returncode == 1, done.stderr[-2000:]
    assert done.stderr.startswith("usage-analytics: error: out of memory loading pyarrow: ")
    assert "pip install" not in done.stderr


#: Imports the command and pyarrow, caps the address space at what the child uses plus
#: 1 GB (a limit: `address_space.room` is not None), has the loader fail to map BLOCKED
#: as it does short of room, then runs the command over PATH.
READER_NOT_MAPPED = """
import os, resource, sys
import pyarrow, pyarrow.compute
from usage_analytics.cli import main

class NotMapped:
    def find_spec(self, name, path=None, target=None):
        if name == BLOCKED:
            raise ImportError(name + ".so: failed to map segment from shared object")
        return None

assert BLOCKED not in sys.modules
sys.meta_path.insert(0, NotMapped())
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
limit = used + 2**30
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
code = main(["dashboard", PATH, "--format", "json"])
sys.stderr.flush()
os._exit(code)
"""


@linux_only
@pytest.mark.parametrize(
    ("name", "blocked"),
    [
        ("runs.csv", "pyarrow._csv"),
        ("runs.jsonl", "pyarrow._json"),
        ("runs.parquet", "pyarrow._parquet"),
        ("days/day-1.parquet", "pyarrow._parquet"),  # (a directory: `parquet_dataset`)
    ],
)
def test_a_reader_module_not_loaded_for_lack_of_memory_is_out_of_memory_not_a_traceback(
    tmp_path: Path, name: str, blocked: str
) -> None:
    # (Before: the loader's `ImportError` went through the command, a traceback.)
    from record_files import record_table, write_record_file

    path = tmp_path / name
    write_record_file(record_table(10), path)
    target = path.parent if name.startswith("days/") else path
    source = READER_NOT_MAPPED.replace("BLOCKED", repr(blocked))
    done = run_python(source.replace("PATH", repr(str(target))))
    assert done.returncode == 1, done.stderr[-2000:]
    # (pyarrow.parquet words the failure as a build without Parquet, the loader's in it.)
    expected = f"usage-analytics: error: out of memory loading pyarrow.{blocked[9:]}: "
    assert done.stderr.startswith(expected), done.stderr[-2000:]
    assert f"{blocked}.so: failed to map segment" in done.stderr.splitlines()[0]
    assert "Traceback" not in done.stderr
