"""A user's `_RJEM_MALLOC_CONF=narenas:N` up to and past jemalloc's cap on arenas leaves
the core working.

jemalloc numbers its arenas in 12 bits (`MALLOCX_ARENA_LIMIT`, 4095): it makes at most
4094 automatic ones ("Reducing narenas to limit (4094)"), and the oversize arena takes
the next index. With `narenas` of 4094 or more no index is left for the core's
out-of-memory reserve (`rust/reserve.rs`), which then could never be made; until
helper-281 every call failed at its first room check ("out of memory: could not
allocate 17 MB for starting the reduction", with all the room in the world), and the
loop that makes every automatic arena went on past the cap to 5000. Now the core runs
without the reserve there (a failure at the limit stands, as on other systems), and at
4093 arenas, the most that leave it an index, the reserve is held and a call at the
limit is a `MemoryError`. Each child makes its 4094 arenas: about 8 GiB of address
space and 370 MB resident. Linux only.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from child import NOTED_REDUCE, SMALL_BATCH, TAKE_THE_ROOM, run_python

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")

HEADER = """
import json, mmap, os, resource
from datetime import UTC, datetime, timedelta
from usage_analytics import ModelUsageAnalyticsBatchInput, NodeUsageAnalyticsReducer

form = "records"
"""

#: Without a limit: the batch's result, twice (`expected` is the first).
WITHOUT_A_LIMIT = (
    HEADER
    + SMALL_BATCH
    + NOTED_REDUCE
    + """
reduce()
print(json.dumps(outcomes))
"""
)

#: At the limit (64 MiB over what the child uses, all of it taken), then with the room
#: freed and the limit lifted.
AT_THE_LIMIT = (
    HEADER
    + SMALL_BATCH
    + NOTED_REDUCE
    + """
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
resource.setrlimit(resource.RLIMIT_AS, (used + 64 * 2**20, resource.RLIM_INFINITY))
"""
    + TAKE_THE_ROOM
    + """
reduce()
del held
resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
reduce()
print(json.dumps(outcomes))
"""
)


def outcomes_of(done: subprocess.CompletedProcess[str]) -> list[str]:
    """The child's outcomes (its last line of output)."""
    outcomes: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcomes


@pytest.mark.parametrize("narenas", [4094, 5000])
def test_calls_work_where_jemalloc_has_no_arena_index_left_for_the_reserve(
    monkeypatch: pytest.MonkeyPatch, narenas: int
) -> None:
    monkeypatch.setenv("_RJEM_MALLOC_CONF", f"narenas:{narenas}")
    done = run_python(WITHOUT_A_LIMIT)
    if narenas > 4094:
        # (The case is the capped one: jemalloc says so when it starts.)
        assert "Reducing narenas to limit (4094)" in done.stderr, done.stderr[-2000:]
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr[-2000:])
    assert outcomes_of(done) == ["result"]


def test_the_reserve_is_held_with_the_most_arenas_that_leave_it_an_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "narenas:4093")
    done = run_python(AT_THE_LIMIT)
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr[-2000:])
    # At the limit the error (or, had the reserve sufficed for the whole call, the result);
    # memory back, the unlimited result.
    outcomes = outcomes_of(done)
    assert outcomes[0] in ("MemoryError", "result"), outcomes
    assert outcomes[1:] == ["result"], outcomes
