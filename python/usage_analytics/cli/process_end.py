"""The end of the `usage-analytics` process, once its command is done.

Python's exit tears down every module it imported, and the libraries the command reads
with take their time over it: 0.27-0.34 s for pyarrow.dataset's and 0.27-0.29 s for
pandas' alone, about a sixth of a small file's whole command, at a load average of 8.5-10
(BENCHMARKS.md, "The command's exit"). The command has nothing left for that teardown
to do: its output is written, its files and connections closed by the `with` blocks
that opened them. So the process runs what Python's exit would run for the program
(the `atexit` callbacks: the `logging` flush, `weakref.finalize` clean-ups such as
temporary directories), flushes the standard streams, and ends at once (`os._exit`).

Python's own exit is kept where it has work this would skip or a message to give:
- another thread that is not a daemon still runs (Python's exit waits for it: a
  caller's thread, say; the command's own pools are shut down by then);
- a standard stream cannot be flushed (a full disk under `> file`, a reader gone): its
  exit reports that, as it always did (status 120).

After Ctrl-C with a scan still running on a worker thread (`running.abandoned_threads`),
which Python's exit would wait for (a large file's read: seconds to minutes), the process
ends at once, the streams flushed as far as they can be: the command was interrupted and
its output unwritten, so nothing is lost.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from typing import NoReturn, TextIO

from usage_analytics.cli.common import EXIT_INTERRUPTED
from usage_analytics.cli.running import abandoned_threads

__all__ = ["end_process"]


def end_process(status: int) -> NoReturn:
    """End the process with `status` (see the module's docstring)."""
    if status == EXIT_INTERRUPTED and abandoned_threads():
        for stream in _standard_streams():
            with contextlib.suppress(OSError, ValueError):  # a closed pipe, a closed stream
                stream.flush()
        os._exit(status)
    if _other_threads_running():
        sys.exit(status)
    atexit._run_exitfuncs()  # (they run once: the call clears them for Python's exit)
    try:
        for stream in _standard_streams():
            stream.flush()
    except (OSError, ValueError):
        sys.exit(status)  # (Python's exit flushes again and says why it could not)
    os._exit(status)


def _standard_streams() -> list[TextIO]:
    """The streams Python's exit flushes: `sys.stdout` and `sys.stderr` (None when the
    process was started without one, `2>&-`) and the originals they may replace."""
    streams = (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)
    return list({id(stream): stream for stream in streams if stream is not None}.values())


def _other_threads_running() -> bool:
    """Whether a thread other than this one, not a daemon, is alive: Python's exit would
    wait for it."""
    current = threading.current_thread()
    return any(
        thread is not current and not thread.daemon and thread.is_alive()
        for thread in threading.enumerate()
    )
