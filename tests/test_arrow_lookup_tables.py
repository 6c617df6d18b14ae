"""pyarrow's Unicode lookup tables are made when pyarrow is loaded under an address-space
limit (`arrow_lookup_tables`): a text kernel's first call with no room left is then a
`MemoryError` or a result, never the abort of the tables' `std::bad_alloc`. Linux only."""

from __future__ import annotations

import sys

import pytest
from child import TAKE_THE_ROOM, run_python
from usage_analytics import arrow_lookup_tables

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

#: Imports pyarrow, loads it (`load_pyarrow`) under a limit, takes all but a few pages of
#: the room left (anonymous maps, halving their size), then trims a text: the first UTF-8
#: kernel call.
CHILD = """
import mmap, os, resource, sys
import pyarrow, pyarrow.compute
from usage_analytics.address_space import room
from usage_analytics.extras import load_pyarrow

with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
limit = used + 64 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
pa = load_pyarrow()
texts = pa.array(["  a  "])
TAKE_THE_ROOM
print("room", room(), flush=True)
try:
    print(pa.compute.utf8_trim_whitespace(texts).to_pylist(), flush=True)
except MemoryError as error:
    print("MemoryError", flush=True)
os._exit(0)
""".replace("TAKE_THE_ROOM", TAKE_THE_ROOM)


def test_a_text_kernel_with_no_room_left_is_a_memory_error_or_its_result() -> None:
    done = run_python(CHILD)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.splitlines()[-1] in ("['a']", "MemoryError"), done.stdout


def test_without_a_limit_nothing_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(arrow_lookup_tables, "room", lambda: None)
    monkeypatch.setattr(arrow_lookup_tables, "_made", False)
    arrow_lookup_tables.make_lookup_tables(None)  # (pyarrow not touched: None would fail)


def test_too_little_room_for_the_tables_leaves_them_to_their_first_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(arrow_lookup_tables, "room", lambda: 2**20)
    monkeypatch.setattr(arrow_lookup_tables, "_made", False)
    arrow_lookup_tables.make_lookup_tables(None)  # (pyarrow not touched: None would fail)
    assert arrow_lookup_tables._made is False  # (tried again at the next load)


def test_a_failed_allocation_while_making_them_leaves_them_to_their_first_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    def short(*args: object) -> None:
        raise pa.ArrowMemoryError("malloc of size 64 failed")

    monkeypatch.setattr(arrow_lookup_tables, "room", lambda: 2**30)
    monkeypatch.setattr(arrow_lookup_tables, "_made", False)
    monkeypatch.setattr(pc, "utf8_trim_whitespace", short)
    arrow_lookup_tables.make_lookup_tables(pa)
    assert arrow_lookup_tables._made is False
    monkeypatch.undo()
    monkeypatch.setattr(arrow_lookup_tables, "room", lambda: 2**30)
    monkeypatch.setattr(arrow_lookup_tables, "_made", False)
    arrow_lookup_tables.make_lookup_tables(pa)
    assert arrow_lookup_tables._made is True
