"""The command over record files under address-space limits: how each run ends.

    .venv/bin/python benches/memory_caps.py [RECORDS] [HEADROOMS_MB] [TREE] [directories]

Writes RECORDS (default 200,000) records as CSV, JSON Lines and Parquet, then runs
`usage-analytics dashboard FILE --format json` in a child per file and headroom: the
child imports the command, caps its address space (`RLIMIT_AS`) at what it uses plus the
headroom (default 8,16,32,64,96,128,200,300 MB), and runs it. Prints each run's exit
status (negative: a signal, SIGABRT -6), wall time and last stderr line; a child still
running after 90 s is a hang ("TIMEOUT"). TREE is the `python/` directory whose package
the children import (default this checkout's), to race two builds in one run. With
`directories`, each kind's records are written instead as two directories: flat (four
files) and hive (`success=true/`, `success=false/`, two files each), each run as FILE.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from record_files import write_record_directories, write_record_files  # (the tests' own)
from tree_child import THIS_TREE, run_child

CHILD = """
import os, resource, sys
import pyarrow, pyarrow.csv, pyarrow.json, pyarrow.parquet
from usage_analytics.cli import main
with open("/proc/self/statm") as statm:
    used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
limit = used + int(sys.argv[1]) * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
code = main(sys.argv[2:])
sys.stdout.flush()
os._exit(code)
"""


def run(tree: str, path: Path, headroom: int) -> str:
    start = time.perf_counter()
    arguments = [str(headroom), "dashboard", str(path), "--format", "json"]
    try:
        done = run_child(CHILD, arguments, tree=tree, timeout=90)
    except subprocess.TimeoutExpired:
        return "TIMEOUT (a hang)"
    lines = done.stderr.strip().splitlines()
    last = lines[-1][:110] if lines else ""
    return f"{done.returncode:>3} {time.perf_counter() - start:5.1f} s  {last}"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    headrooms = [
        int(h)
        for h in (sys.argv[2] if len(sys.argv) > 2 else "8,16,32,64,96,128,200,300").split(",")
    ]
    tree = sys.argv[3] if len(sys.argv) > 3 else THIS_TREE
    directories = len(sys.argv) > 4 and sys.argv[4] == "directories"
    with tempfile.TemporaryDirectory() as folder:
        write = write_record_directories if directories else write_record_files
        for path in write(Path(folder), n).values():
            for headroom in headrooms:
                print(f"{path.name:14} {headroom:4} MB  {run(tree, path, headroom)}", flush=True)


if __name__ == "__main__":
    main()
