"""A fine sweep of the command under address-space limits: every headroom in a range, each
record file and directory, several runs each, tallied by how the runs ended.

    .venv/bin/python benches/memory_caps_sweep.py [RECORDS] [FIRST,LAST,STEP] [RUNS] [TREES] [LOG]
    .venv/bin/python benches/memory_caps_sweep.py table LOG

Writes RECORDS (default 20,000, the tests' size) records as a CSV, a JSON Lines and a
Parquet file and as their directories, flat and hive (`tests/record_files.py`), then runs
the tests' own child (`tests/limited_command.py`, with `faulthandler` on, so that an
abort prints the Python stack of every thread) over each path at every headroom from
FIRST to LAST MB by STEP (default 4,160,2; multiples of 8 MB first, then of 4, then the
rest, so that a sweep cut short spans the range), RUNS times each (default 2), two
children at a time. Each run ends as the report (`ok`), one line saying it ran out of
memory and exit 1 (`oom`; `oom+noise` with a traceback logged by another part,
asyncio's handler), or a failure the tests reject: `ABORT` (a signal, or glibc's exit
127), `TRACEBACK`, `TIMEOUT` (a hang, 120 s), `WRONG` (another report or message).
Prints each failure as it comes, with the end of its stderr, then a table per tree and
path: the runs of each outcome, the least and most headroom that gave the report, and
the headrooms that failed. TREES: the `python/` directories whose package the children
import, comma-separated (default this checkout's), raced case by case in the same run
(t0, t1, ...). LOG: a file each run is appended to as a JSON line as it ends, which
`table LOG` tabulates (a sweep stopped early included).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))
from limited_command import CHILD  # (the tests' own child)  # noqa: E402
from record_files import write_record_directories, write_record_files  # noqa: E402
from tree_child import THIS_TREE, run_child  # noqa: E402

FAULTHANDLER = "import faulthandler\nfaulthandler.enable(all_threads=True)\n"
OUTCOMES = ("ok", "oom", "oom+noise", "ABORT", "TRACEBACK", "TIMEOUT", "WRONG")
#: The outcomes the tests accept (`oom+noise`: the command's one line, and a traceback
#: another part of the process logged, asyncio's handler of a failed callback, on stderr).
PASSED = ("ok", "oom", "oom+noise")


def run(tree: str, path: Path, headroom: int) -> tuple[int, str, str]:
    """The child's exit code, output and errors (code None-like 999: a hang)."""
    source = FAULTHANDLER + CHILD.replace("HEADROOM", str(headroom)).replace(
        "PATH", repr(str(path))
    )
    try:
        done = run_child(source, [], tree=tree, timeout=120)
    except subprocess.TimeoutExpired:
        return 999, "", "TIMEOUT"
    return done.returncode, done.stdout, done.stderr


def outcome(expected: str, code: int, out: str, err: str) -> str:
    """How a run ended, by `limited_command.check_limited_runs`'s rules."""
    if code == 999:
        return "TIMEOUT"
    if code < 0 or code == 127:
        return "ABORT"
    if 'Traceback (most recent call last):\n  File "<string>"' in err:
        return "TRACEBACK"  # (the command's own: one it let through)
    if code == 0:
        return "ok" if out == expected else "WRONG"
    errors = [line for line in err.splitlines() if line.startswith("usage-analytics: ")]
    if (
        code == 1
        and out == ""
        and len(errors) == 1
        and errors[0].startswith("usage-analytics: error: out of memory")
        and errors[0].endswith("or give the process more memory")
    ):
        return "oom+noise" if "Traceback (most recent call last)" in err else "oom"
    return "WRONG"


def coarse_first(headrooms: list[int]) -> list[int]:
    """`headrooms` in an order whose every prefix spans the range (multiples of 8, of 4,
    of 2, then the rest): a sweep cut short still covers all of it, coarser."""
    return sorted(headrooms, key=lambda h: (next(s for s in (8, 4, 2, 1) if h % s == 0) * -1, h))


def print_table(ended: list[dict[str, Any]]) -> None:
    """Per tree and path, the runs of each outcome and the headrooms that failed."""
    heads = " ".join(f"{o:>9}" for o in OUTCOMES)
    print(f"{'tree':6} {'path':13} {heads}  {'report at (MB)':15} failed at (MB)")
    for tree in dict.fromkeys(e["tree"] for e in ended):
        for name in dict.fromkeys(e["path"] for e in ended):
            mine = [e for e in ended if e["tree"] == tree and e["path"] == name]
            tally = Counter(e["end"] for e in mine)
            failed = sorted({e["headroom"] for e in mine if e["end"] not in PASSED})
            reported = [e["headroom"] for e in mine if e["end"] == "ok"]
            span = f"{min(reported)}-{max(reported)}" if reported else "-"
            counts = " ".join(f"{tally[o]:>9}" for o in OUTCOMES)
            print(f"{tree:6} {name:13} {counts}  {span:15} {','.join(map(str, failed)) or '-'}")


def main() -> None:
    if sys.argv[1:2] == ["table"]:
        print_table([json.loads(line) for line in Path(sys.argv[2]).read_text().splitlines()])
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    first, last, step = map(int, (sys.argv[2] if len(sys.argv) > 2 else "4,160,2").split(","))
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    trees = (sys.argv[4] if len(sys.argv) > 4 else THIS_TREE).split(",")
    log = Path(sys.argv[5]) if len(sys.argv) > 5 else None
    headrooms = coarse_first(list(range(first, last + 1, step)))
    with tempfile.TemporaryDirectory() as folder:
        paths: dict[str, Path] = dict(write_record_files(Path(folder), n))
        for (kind, layout), p in write_record_directories(Path(folder), n).items():
            paths[f"{kind}-{layout}"] = p
        with ThreadPoolExecutor(2) as pool:
            expected = {}
            for tree in trees:
                unlimited = pool.map(partial(run, tree), paths.values(), [0] * len(paths))
                for name, (code, out, err) in zip(paths, unlimited, strict=True):
                    assert code == 0, (tree, name, err[-2000:])
                    expected[tree, name] = out
            cases = [
                (tree, name, h)
                for _ in range(runs)
                for h in headrooms
                for name in paths
                for tree in trees
            ]

            def one(case: tuple[str, str, int]) -> dict[str, Any]:
                tree, name, headroom = case
                code, out, err = run(tree, paths[name], headroom)
                end = outcome(expected[tree, name], code, out, err)
                label = f"t{trees.index(tree)}"
                ended = {"tree": label, "path": name, "headroom": headroom, "end": end}
                if end not in PASSED:
                    print(f"{label} {name:13} {headroom:4} MB  {end} {code}", flush=True)
                    print(err[-3000:], flush=True)
                if log is not None:
                    with log.open("a") as lines:
                        lines.write(json.dumps({**ended, "code": code}) + "\n")
                return ended

            ended = list(pool.map(one, cases))
    print(f"\n{n} records, headrooms {first}..{last} MB step {step}, {runs} runs each")
    print_table(ended)


if __name__ == "__main__":
    main()
