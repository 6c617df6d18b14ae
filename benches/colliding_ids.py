"""Loading a batch state whose integer pattern ids were chosen to collide in FxHash.

    .venv/bin/python benches/colliding_ids.py [PATTERNS]

FxHash of an i64 is `(n * K).rotate_left(26)`, invertible: the ids here hash to `i << 32`,
one probe chain and one control byte in a hash table keyed by FxHash. The state is built
by hand (an empty batch state's header, then PATTERNS patterns without records, framed
with its CRC) and loaded with `BatchUsageAccumulator.from_bytes`; the same number of ids
in order is the baseline. Prints each load's seconds. To race another build, unzip its
wheel into DIR and run with `PYTHONPATH=DIR`. (helper-81's reproducer, session 36;
BENCHMARKS.md, "Seeded pattern-id hashing".)
"""

from __future__ import annotations

import sys
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

from usage_analytics import BatchUsageAccumulator

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from saved_bytes import varint  # (the tests' own: postcard's varint)

_K, _MASK = 0xF1357AEA2E62A9C5, (1 << 64) - 1
#: A pattern's accumulator without records, as the state's format (5) writes it.
_EMPTY_ACCUMULATOR = bytes(9) + b"\x01\x00" + bytes(43)


def colliding(i: int) -> int:
    """An i64 whose FxHash is `i << 32`."""
    hashed = i << 32
    n = ((((hashed >> 26) | (hashed << 38)) & _MASK) * pow(_K, -1, 1 << 64)) & _MASK
    return n - (1 << 64) if n >> 63 else n


def state_of(ids: list[int]) -> bytes:
    empty = BatchUsageAccumulator(
        time_window_start=datetime(2026, 1, 5, tzinfo=UTC),
        time_window_end=datetime(2026, 1, 12, tzinfo=UTC),
    ).to_bytes()
    head = empty[10:-2]  # (the settings, report and names; without the empty body)
    zigzag = [((n << 1) ^ (n >> 63)) & _MASK for n in ids]
    groups = b"".join(b"\x01" + varint(z) + bytes(4) + _EMPTY_ACCUMULATOR for z in zigzag)
    payload = head + b"\x01" + varint(len(ids)) + groups
    return empty[:6] + zlib.crc32(payload).to_bytes(4, "little") + payload


def main() -> None:
    patterns = int(sys.argv[1]) if len(sys.argv) > 1 else 65_536
    for name, ids in (
        ("in order", list(range(1, patterns + 1))),
        ("colliding", [colliding(i) for i in range(1, patterns + 1)]),
    ):
        state = state_of(ids)
        started = time.perf_counter()
        BatchUsageAccumulator.from_bytes(state)
        elapsed = time.perf_counter() - started
        size = len(state) / 1e6
        print(f"{name}: {patterns:,} patterns, {size:.1f} MB, loaded in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
