"""The command's process ends without Python's teardown, and loses nothing by it
(`usage_analytics.cli.process_end`)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import IO

from test_cli import write_jsonl

#: A child's start: a file of one record, and an object whose finalizer says when the
#: interpreter tears its modules down (a module global is freed only then).
_CHILD = [
    "import atexit, sys, threading, time",
    "from usage_analytics.cli import entry",
    "class TornDown:",
    "    def __del__(self):",
    "        sys.__stderr__.write('torn down\\n')",
    "sys.modules['__main__'].probe = TornDown()",
]


def _records(tmp_path: Path) -> Path:
    return write_jsonl(
        tmp_path / "runs.jsonl",
        [{"pattern_id": "p", "timestamp": "2026-03-01T10:00:00Z", "success": True}],
    )


def _run(
    tmp_path: Path, *script: str, stdout: int | IO[str] = subprocess.PIPE
) -> tuple[int, str, str]:
    """Run `_CHILD` and then `script` with the records' path as its argument; the exit
    status, stdout and stderr."""
    done = subprocess.run(
        [sys.executable, "-c", "\n".join([*_CHILD, *script]), str(_records(tmp_path))],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout, done.stderr


def test_the_command_ends_without_tearing_its_modules_down(tmp_path: Path) -> None:
    # Python's teardown of pandas', pyarrow's and polars' modules took 0.5-0.6 s of a small
    # file's command (BENCHMARKS.md); the whole output is still written (a pipe's buffer
    # flushed at the end).
    status, stdout, stderr = _run(
        tmp_path,
        "sys.argv[1:] = ['analyze', sys.argv[1], '--pattern', 'p', '--format', 'json']",
        "entry()",
    )
    assert (status, stderr) == (0, "")
    assert json.loads(stdout)["usage_metrics"]["total_executions"] == 1


def test_the_teardown_is_what_is_left_out(tmp_path: Path) -> None:
    # (The probe itself: Python's own exit does tear the module global down.)
    status, _, stderr = _run(tmp_path, "sys.exit(0)")
    assert (status, stderr) == (0, "torn down\n")


def test_atexit_callbacks_still_run_once(tmp_path: Path) -> None:
    # (logging's flush, `weakref.finalize` clean-ups such as temporary directories.)
    status, stdout, stderr = _run(
        tmp_path,
        "atexit.register(lambda: sys.stderr.write('at exit\\n'))",
        "sys.argv[1:] = ['analyze', sys.argv[1], '--pattern', 'p', '--format', 'json']",
        "entry()",
    )
    assert (status, stderr) == (0, "at exit\n")
    assert json.loads(stdout)["usage_metrics"]["total_executions"] == 1


def test_a_thread_still_running_is_waited_for(tmp_path: Path) -> None:
    # Python's exit waits for a thread that is not a daemon; so does the command's. (The
    # thread outlives the command by half a second: it starts its wait once `main` has
    # returned its status to `entry`.)
    status, _, stderr = _run(
        tmp_path,
        "import usage_analytics.cli as cli",
        "returned, command = threading.Event(), cli.main",
        "def main():",
        "    status = command()",
        "    returned.set()",
        "    return status",
        "cli.main = main",
        "def late():",
        "    returned.wait(60)",
        "    time.sleep(0.5)",
        "    sys.stderr.write('thread done\\n')",
        "threading.Thread(target=late).start()",
        "sys.argv[1:] = ['analyze', sys.argv[1], '--pattern', 'p', '--format', 'json']",
        "cli.entry()",
    )
    assert status == 0
    assert stderr.splitlines() == ["thread done", "torn down"]


def test_an_output_that_cannot_be_flushed_is_still_an_error(tmp_path: Path) -> None:
    # stdout on a full disk: the last write is the flush at the end, whose failure Python's
    # exit reports (status 120). Ending at once must not swallow it and say 0.
    with open("/dev/full", "w") as full:
        status, _, stderr = _run(
            tmp_path,
            "sys.argv[1:] = ['analyze', sys.argv[1], '--pattern', 'p', '--format', 'json']",
            "entry()",
            stdout=full,
        )
    assert status != 0
    assert "No space left on device" in stderr
