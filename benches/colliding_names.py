"""Agent names built to collide in FxHash (rustc-hash 2.1.3's string hash), against
random names of the same length: a reduction of NAMES records, one name each, then a
`UsageAccumulator` of them saved and loaded.

    .venv/bin/python benches/colliding_names.py [NAMES]

FxHash folds a string's 16-byte chunks as `t_k = mm(t_{k-2} ^ x_k, P ^ y_k)`, and
`mm(0, y) = 0`: a first chunk whose state `t_1` is printable, repeated as the third
chunk's first half, zeroes the state whatever the next 8 bytes are, so every choice of
them gives the same hash (helper-92's construction, session 38). The name maps hashed with
FxHash until then (80,000 such names: 92 s against 0.2 s); they are seeded now
(`rust/seeded_map.rs`). To race another build, unzip its wheel into DIR and run with
`PYTHONPATH=DIR`. BENCHMARKS.md, "Seeded name maps".
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer, UsageAccumulator

_MASK = (1 << 64) - 1
_SEED1, _P = 0x243F6A8885A308D3, 0xA4093822299F31D0
_PRINTABLE = bytes(range(0x21, 0x7F))
END = datetime(2026, 3, 1, tzinfo=UTC)
START = END - timedelta(days=7)


def _folded(x: int, y: int) -> int:
    product = x * y
    return (product & _MASK) ^ (product >> 64)


def _word(chunk: bytes, at: int) -> int:
    return int.from_bytes(chunk[at : at + 8], "little")


def colliding(count: int) -> list[str]:
    """`count` distinct 65-byte printable names of one FxHash."""
    draw = random.Random(1)
    while True:
        first = bytes(draw.choice(_PRINTABLE) for _ in range(16))
        state = _folded(_SEED1 ^ _word(first, 0), _P ^ _word(first, 8)).to_bytes(8, "little")
        if all(byte in _PRINTABLE for byte in state):
            break
    names: set[str] = set()
    while len(names) < count:
        free = bytes(draw.choice(_PRINTABLE) for _ in range(8))
        names.add((first + b"_collide_chunk2_" + state + free + b"-tail-of-the-name").decode())
    return sorted(names)


def random_names(count: int) -> list[str]:
    draw = random.Random(2)
    return ["".join(chr(draw.choice(_PRINTABLE)) for _ in range(65)) for _ in range(count)]


def records(names: list[str]) -> list[dict[str, Any]]:
    return [
        {"timestamp": END - timedelta(seconds=1 + i), "success": True, "agent": name}
        for i, name in enumerate(names)
    ]


def seconds(call: Callable[[], Any]) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 40_000
    reducer = NodeUsageAnalyticsReducer()
    for label, names in (("random", random_names(count)), ("colliding", colliding(count))):
        data = records(names)
        contract = ModelUsageAnalyticsInput(
            pattern_id="p", time_window_start=START, time_window_end=END, execution_data=data
        )
        reduce = seconds(lambda: reducer.execute_reduction_sync(contract))  # noqa: B023
        accumulator = UsageAccumulator(START, END)
        accumulator.update(data)
        state = accumulator.to_bytes()
        load = seconds(lambda: UsageAccumulator.from_bytes(state))  # noqa: B023
        print(f"{label:>9}: {count:,} names, reduce {reduce:6.3f} s, load state {load:6.3f} s")


if __name__ == "__main__":
    main()
