"""pyarrow's regular-expression match under an address-space limit (`arrow_regex`): with
too little room left for RE2 a `MemoryError`, never the abort of RE2's uncaught
`std::bad_alloc`; with room, or without a limit, the kernel's own result."""

from __future__ import annotations

import sys

import pytest
from child import TAKE_THE_ROOM, run_python
from usage_analytics import arrow_regex
from usage_analytics.arrow_regex import ROOM_FOR_REGEX, match_regex

#: Takes all but a few bytes of the room a limit leaves (anonymous maps, then malloc's
#: blocks, halving their size), then matches a pattern like the JSON Lines search for
#: keys of another case (`jsonl_column_case`) through MATCH. (Through pyarrow's own call,
#: `pc.match_substring_regex(texts, pattern)`, RE2's compiler aborts it: SIGABRT.)
CHILD = """
import mmap, os, resource
import pyarrow as pa, pyarrow.compute as pc
from usage_analytics.arrow_regex import match_regex

texts = pa.array(['{"Success": true}', '{"success": true}'])
pattern = '"(?:' + "|".join(("Success", "SUccess", "SUCCESS", "sUccess")) + ')"\\\\s{0,8}:'
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
limit = used + 64 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
TAKE_THE_ROOM
size = 2**20  # (and malloc's free chunks: what a small `new` is given first)
while size >= 16:
    try:
        held.append(bytearray(size))
    except MemoryError:
        size //= 2
try:
    print(MATCH.to_pylist(), flush=True)
except MemoryError as error:
    del held  # (the message, built where nothing was left, may be empty)
    print("MemoryError:", error, flush=True)
os._exit(0)
""".replace("TAKE_THE_ROOM", TAKE_THE_ROOM)


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")
def test_no_room_left_is_a_memory_error_not_an_abort() -> None:
    done = run_python(CHILD.replace("MATCH", "match_regex(pc, texts, pattern)"))
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.startswith("MemoryError:"), done.stdout


def test_a_limit_leaving_less_than_re2s_room_is_refused_before_the_kernel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(arrow_regex, "room", lambda: ROOM_FOR_REGEX - 1)
    with pytest.raises(MemoryError, match=r"^out of memory matching a regular expression: 16 "):
        match_regex(None, None, "a")  # (pyarrow not touched: None would fail)


@pytest.mark.parametrize("left", [None, ROOM_FOR_REGEX])
def test_with_room_or_no_limit_it_is_the_kernels_match(
    monkeypatch: pytest.MonkeyPatch, left: int | None
) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc

    monkeypatch.setattr(arrow_regex, "room", lambda: left)
    texts = pa.array(["2024-01-01", "x", None])
    assert match_regex(pc, texts, r"^\d{4}-").to_pylist() == [True, False, None]
