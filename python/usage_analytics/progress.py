"""A one-line progress display for the command line, on stderr, only on a terminal.

    progress = Progress()
    async with progress.step("loading records from runs.parquet"):
        ...                                     # a spinner and the elapsed time
    progress.bar("analysing", done, total)     # [█████░░░░░]  12/40
    progress.clear()

Nothing is drawn when the stream is not a terminal (pipes, files, tests), nor for work
that ends within `delay` seconds, so quick commands print nothing extra. The line is
rewritten in place (`\\r`) and erased when done, so it never mixes with the output.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
import time
from collections.abc import AsyncIterator
from typing import TextIO

from usage_analytics import text_width
from usage_analytics.report import printable

__all__ = ["DELAY", "Progress"]

#: Seconds of work before anything is drawn (so quick commands print nothing extra).
DELAY = 0.3
_SPINNER = "|/-\\"


class Progress:
    """See the module docstring. `enabled` defaults to "the stream is a terminal",
    `delay` to `DELAY`."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        enabled: bool | None = None,
        delay: float | None = None,
        interval: float = 0.1,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            try:
                enabled = self.stream.isatty()
            except (AttributeError, ValueError):
                enabled = False
        self.enabled = enabled
        self.delay = DELAY if delay is None else delay
        self.interval = interval
        self._started = time.monotonic()
        self._last = 0.0
        self._shown = False
        self._unicode = self._can_encode("█░")

    def _can_encode(self, sample: str) -> bool:
        try:
            sample.encode(getattr(self.stream, "encoding", None) or "ascii")
        except (UnicodeEncodeError, LookupError):
            return False
        return True

    def _width(self) -> int:
        return max(20, shutil.get_terminal_size((80, 24)).columns - 1)

    def _draw(self, text: str, *, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not self._shown and now - self._started < self.delay:
            return
        if not force and self._shown and now - self._last < self.interval:
            return
        self._last = now
        self._shown = True
        # (In terminal columns, wide characters two, and the label's control characters
        # escaped: it names the user's pattern or file, and a wrapped line is not redrawn.)
        shown = text_width.cut(printable(text), self._width(), "~")
        try:
            self.stream.write("\r" + shown + "\x1b[K")
            self.stream.flush()
        except (OSError, ValueError):
            self.enabled = False

    def status(self, text: str, *, spin: int = 0) -> None:
        """A line of text with a spinner and the elapsed seconds."""
        elapsed = time.monotonic() - self._started
        self._draw(f"{_SPINNER[spin % len(_SPINNER)]} {text} ({elapsed:.1f} s)")

    def bar(self, label: str, done: int, total: int) -> None:
        """`label [█████░░░░░] done/total`; always drawn when complete."""
        size = 24
        filled = size if total <= 0 else min(size, size * done // total)
        full, empty = ("█", "░") if self._unicode else ("#", "-")
        self._draw(
            f"{label} [{full * filled}{empty * (size - filled)}] {done:,}/{total:,}",
            force=done >= total,
        )

    def clear(self) -> None:
        """Erase the line (if anything was drawn)."""
        if self.enabled and self._shown:
            try:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
            self._shown = False

    @contextlib.asynccontextmanager
    async def step(self, text: str) -> AsyncIterator[None]:
        """Show `text` with a spinner while the body runs (redrawn by a background task,
        so a long await on a worker thread still shows it moving)."""
        if not self.enabled:
            yield
            return

        async def spin() -> None:
            turn = 0
            while True:
                self.status(text, spin=turn)
                turn += 1
                await asyncio.sleep(self.interval)

        task = asyncio.create_task(spin())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
