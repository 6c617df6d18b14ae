"""Instructions executed in the `_core` extension, from callgrind output files.

    RAYON_NUM_THREADS=1 valgrind --tool=callgrind --callgrind-out-file=cg.old.out \\
        .venv/bin/python benches/core_once.py dict 2000000
    .venv/bin/python benches/callgrind_core.py cg.old.out cg.new.out

prints, per file, the instructions of every function of `_core.abi3.so` (each function's
own cost, its inlined code included), leaving out rayon's and crossbeam's idle loops,
whose counts depend on thread timing; then the functions that cost most, side by side.

(`callgrind_annotate | grep _core.abi3`, used before session 20, names the object only on
lines whose source file is the function's own: code inlined from another file, such as
`exact_sum.rs` into the accumulator, was left out of its sums.)

Since session 23 the allocator (jemalloc, `rust/allocator.rs`) is linked into
`_core.abi3.so` and its instructions count here; glibc's malloc, used before, was outside
the object and not counted. Totals across that change are not comparable: compare
functions, or builds on the same side of it.
"""

from __future__ import annotations

import collections
import re
import sys

_IDLE = ("rayon_core::registry", "rayon_core::sleep", "crossbeam", "wait_until")


def core_costs(path: str) -> collections.Counter[str]:
    """Self instructions per function of `_core.abi3.so` in one callgrind output file."""
    names: dict[str, dict[str, str]] = {"ob": {}, "fn": {}}
    obj = function = ""
    costs: collections.Counter[str] = collections.Counter()
    after_calls = False
    with open(path, errors="replace") as lines:
        for line in lines:
            key, _, value = line.partition("=")
            if key in ("ob", "fn", "cob", "cfn"):
                name = _name(names[key.lstrip("c")], value.strip())
                if key == "ob":
                    obj = name
                elif key == "fn":
                    function = name
            elif key == "calls":
                after_calls = True  # the next cost line is the call's inclusive cost
            elif line[:1].isdigit() or line[:1] in "+-*":
                if after_calls:
                    after_calls = False
                    continue
                fields = line.split()
                if len(fields) >= 2 and "_core.abi3" in obj:
                    costs[function] += int(fields[1])
    return costs


def _name(table: dict[str, str], value: str) -> str:
    """A compressed name: `(id) name` defines it, `(id)` refers to it."""
    match = re.fullmatch(r"\((\d+)\)(?: (.*))?", value)
    if match is None:
        return value
    if match.group(2):
        table[match.group(1)] = match.group(2)
    return table.get(match.group(1), value)


def main(paths: list[str]) -> None:
    runs = [core_costs(path) for path in paths]
    for path, costs in zip(paths, runs, strict=True):
        busy = sum(n for f, n in costs.items() if not _idle(f))
        print(f"{path}: {busy:,} instructions in _core")
    top = sorted(set().union(*runs), key=lambda f: -max(run[f] for run in runs))
    for function in top[:25]:
        print(*(f"{run[function]:>14,}" for run in runs), function[:100])


def _idle(function: str) -> bool:
    return any(part in function for part in _IDLE)


if __name__ == "__main__":
    main(sys.argv[1:])
