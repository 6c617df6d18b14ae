"""The fenced code blocks of a Markdown file, and running its Python blocks as a reader
would type them into `python -m asyncio` (top-level `await`), one after another.

Hand-written rather than pytest-examples: it runs each block as a module of its own
(`importlib`'s `exec_module`), where the README's top-level `await` (the reducer is
async) is a syntax error, and it needs black; this is all of the Markdown the README
needs read: fences at the start of a line.

A block is left unrun where the line just above its fence is the comment
`<!-- illustrative: WHY -->` (it must say why): prose in code's shape, with elisions
(`[{...}, ...]`) that are no Python.
"""

from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

_FENCE = re.compile(r"^```(?P<language>[\w+-]*)\s*$")
_ILLUSTRATIVE = re.compile(r"^<!--\s*illustrative:\s*(?P<why>.*?)\s*-->$")


@dataclass(frozen=True)
class Block:
    """A fenced code block: its file, the line of its opening fence (1-based), its
    language and text, and why it is only illustrative (None: it runs)."""

    path: Path
    line: int
    language: str
    source: str
    illustrative: str | None

    @property
    def name(self) -> str:
        """`README.md:27`, as a test id and in messages."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def compiled(self) -> Any:
        """The block compiled with top-level `await` allowed, its line numbers those of
        the Markdown file (so a traceback points at the README's line)."""
        padded = "\n" * self.line + self.source
        flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
        return compile(padded, str(self.path), "exec", flags=flags, dont_inherit=True)


def blocks(path: Path) -> list[Block]:
    """Every fenced block of the Markdown file at `path`, in order. An unclosed fence is
    an error (the rest of the file would be read as code)."""
    found: list[Block] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    at = 0
    while at < len(lines):
        opening = _FENCE.match(lines[at])
        if opening is None:
            at += 1
            continue
        end = next((i for i in range(at + 1, len(lines)) if lines[i].rstrip() == "```"), None)
        if end is None:
            raise ValueError(f"{path}:{at + 1}: a code fence that is never closed")
        above = _ILLUSTRATIVE.match(lines[at - 1].strip()) if at else None
        found.append(
            Block(
                path=path,
                line=at + 1,
                language=opening["language"],
                source="\n".join(lines[at + 1 : end]) + "\n",
                illustrative=above["why"] if above else None,
            )
        )
        at = end + 1
    return found


async def run_block(block: Block, namespace: dict[str, Any]) -> None:
    """Run `block` in `namespace` (shared by the blocks of a file: later ones use what
    earlier ones bound), awaiting it where it awaits."""
    outcome = eval(block.compiled(), namespace)  # (exec's form: eval returns the coroutine)
    if inspect.iscoroutine(outcome):
        await outcome
