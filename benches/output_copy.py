"""Copying a batch's outputs: the memory `copy.deepcopy` adds, and its CPU time.

    .venv/bin/python benches/output_copy.py [PATTERNS] [ROUNDS]

Defaults: 10,000 patterns of 20 records each (a list of dicts), DETAILED, 5 rounds. Each
round makes a fresh batch and times `copy.deepcopy(results)`, then `copy.copy` of each
output (CPU time of the calling thread; the best round is printed, steadier on a shared
machine). Then, under tracemalloc, one more batch: what deep-copying it added to the
outputs copied (the sets of given fields made for the copy) and what the copies hold, per
output. Race two trees with `PYTHONPATH=TREE/python` first.
"""

from __future__ import annotations

import copy
import gc
import sys
import tracemalloc
from functools import partial
from typing import Any

import usage_analytics
from output_pickle import batch, records_of
from timing import timed


def shallow_copied(results: dict[str, Any]) -> list[Any]:
    return [copy.copy(output) for output in results.values()]


def main() -> None:
    patterns = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    records = records_of(patterns)
    deep, shallow = [], []
    for _ in range(rounds):
        results = batch(records)
        gc.collect()
        took, copied = timed(partial(copy.deepcopy, results))
        deep.append(took.cpu)
        took, shallow_copies = timed(partial(shallow_copied, results))
        shallow.append(took.cpu)
        del copied, shallow_copies, results
        gc.collect()
    results = batch(records)
    gc.collect()
    tracemalloc.start()
    traced = tracemalloc.get_traced_memory()[0]
    copied = copy.deepcopy(results)
    added = tracemalloc.get_traced_memory()[0] - traced
    before = tracemalloc.get_traced_memory()[0]
    del copied
    gc.collect()
    held = before - tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(
        f"{usage_analytics.__file__}\n"
        f"{patterns:,} outputs: deepcopy {min(deep) / patterns * 1e6:.1f} us, copy "
        f"{min(shallow) / patterns * 1e6:.1f} us an output (CPU, best of {rounds}); "
        f"deepcopy added {added / patterns:,.0f} B an output, the copies hold "
        f"{held / patterns:,.0f} B, the outputs copied grew {(added - held) / patterns:,.0f} B"
    )


if __name__ == "__main__":
    main()
