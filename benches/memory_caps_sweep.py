"""A fine sweep of the command under address-space limits: every headroom in a range, each
record file and directory, several runs each, tallied by how the runs ended.

    .venv/bin/python benches/memory_caps_sweep.py [RECORDS] [FIRST,LAST,STEP] [RUNS] [TREE]

Writes RECORDS (default 20,000, the tests' size) records as a CSV, a JSON Lines and a
Parquet file and as their directories, flat and hive (`tests/record_files.py`), then runs
the tests' own child (`tests/limited_command.py`, with `faulthandler` on, so that an
abort prints the Python stack of every thread) over each path at every headroom from
FIRST to LAST MB by STEP (default 4,160,2), RUNS times each (default 2), two children
at a time. Each run ends as the report (`ok`), one line saying it ran out of memory and
exit 1 (`oom`; `oom+noise` with a traceback logged by another part, asyncio's handler),
or a failure the tests reject: `ABORT` (a signal, or glibc's exit 127),
`TRACEBACK`, `TIMEOUT` (a hang, 120 s), `WRONG` (another report or message). Prints a
line per failure as it comes (with the end of its stderr under `-v` as 5th argument),
then a table per path: the runs of each outcome, and the headrooms that failed. TREE is
the `python/` directory whose package the children import (default this checkout's).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"
sys.path.insert(0, str(TESTS))
from limited_command import CHILD  # (the tests' own child)  # noqa: E402
from record_files import write_record_directories, write_record_files  # noqa: E402

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
        done = subprocess.run(
            [sys.executable, "-c", source],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "PYTHONPATH": tree},
            check=False,
        )
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


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    first, last, step = map(int, (sys.argv[2] if len(sys.argv) > 2 else "4,160,2").split(","))
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    tree = sys.argv[4] if len(sys.argv) > 4 else str(TESTS.parent / "python")
    verbose = len(sys.argv) > 5 and sys.argv[5] == "-v"
    headrooms = list(range(first, last + 1, step))
    with tempfile.TemporaryDirectory() as folder:
        paths: dict[str, Path] = dict(write_record_files(Path(folder), n))
        for (kind, layout), p in write_record_directories(Path(folder), n).items():
            paths[f"{kind}-{layout}"] = p
        with ThreadPoolExecutor(2) as pool:
            unlimited = pool.map(lambda p: run(tree, p, 0), paths.values())
            expected = dict(zip(paths, unlimited, strict=True))
            for name, (code, _, err) in expected.items():
                assert code == 0, (name, err[-2000:])
            cases = [(name, h) for name in paths for h in headrooms for _ in range(runs)]

            def one(case: tuple[str, int]) -> tuple[str, int, str]:
                name, headroom = case
                code, out, err = run(tree, paths[name], headroom)
                end = outcome(expected[name][1], code, out, err)
                if end not in PASSED:
                    last_line = (err.strip().splitlines() or [""])[-1][:100]
                    print(f"{name:14} {headroom:4} MB  {end} {code}  {last_line}", flush=True)
                    if verbose:
                        print(err[-3000:], flush=True)
                return name, headroom, end

            ended = list(pool.map(one, cases))
    print(f"\n{n} records, headrooms {first}..{last} MB step {step}, {runs} runs each")
    print(f"{'path':14} " + " ".join(f"{o:>9}" for o in OUTCOMES) + "  failed at (MB)")
    for name in paths:
        tally = Counter(end for p, _, end in ended if p == name)
        failed = sorted({h for p, h, end in ended if p == name and end not in PASSED})
        counts = " ".join(f"{tally[o]:>9}" for o in OUTCOMES)
        print(f"{name:14} {counts}  {','.join(map(str, failed)) or '-'}")


if __name__ == "__main__":
    main()
