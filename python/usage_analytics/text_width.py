"""How many terminal columns a text takes, and cutting and padding by it.

Names in the terminal reports come from the data, and `len` counts characters, not
columns: a CJK name or an emoji takes two columns per character, a combining accent none,
so padding by `len` misaligns every column after such a name. Widths here follow the
Unicode East Asian Width property (wide and fullwidth: two columns) and give combining
marks zero, which is what terminals do for text that `report.printable` lets through
(control and format characters, zero-width joiners among them, are escaped first). It is
the core of the `wcwidth` package's rule, from the standard library's `unicodedata`, so
the core install needs no dependency for it; it differs where wcwidth knows more: an emoji
made wide by U+FE0F (counted as one column here) and conjoining Hangul jamo.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache

__all__ = ["cut", "cut_apart", "ljust", "rjust", "width", "wrap"]


def width(text: str) -> int:
    """Terminal columns of `text` (printable text: see the module)."""
    if text.isascii():
        return len(text)
    # Only the characters past ASCII are looked up, found by the regex engine: the
    # dashboard's findings are ASCII but for their mark ("⚠ p95 latency 502 ms > 500 ms"),
    # and `cut` of one, a lookup per character, took 2.8 µs (0.9 µs so).
    wider = _PAST_ASCII.findall(text)
    return len(text) - len(wider) + sum(map(_columns, wider))


_PAST_ASCII = re.compile("[^\x00-\x7f]")


@lru_cache(maxsize=4096)
def _columns(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cut(text: str, columns: int, ellipsis: str = "…") -> str:
    """`text` if it fits in `columns`, else its longest start that fits with `ellipsis`
    after it (a wide character that would straddle the edge is left out)."""
    if width(text) <= columns:
        return text
    room = columns - width(ellipsis)
    if room < 0:
        return ""
    if all(_columns(char) == 1 for char in _PAST_ASCII.findall(text)):
        # One column a character: what the loop below keeps, without a lookup for each
        # (a sixth of the dashboard's findings are cut, 12.5 µs each that way, 2.6 µs so).
        return text[:room] + ellipsis
    return _start(text, room) + ellipsis


def cut_apart(texts: Sequence[str], columns: int, ellipsis: str = "…") -> list[str]:
    """Each of `texts` `cut` to `columns`, but those whose cuts would look alike (names
    sharing their first columns, "payments.checkout.endpoint.v1" and "...v2": two rows
    of one name) cut so that they differ where they do: in the middle, their start and
    end kept; where those are alike too, from just before where they first differ.
    (Texts that fit are kept whole.)"""
    cuts = [cut(text, columns, ellipsis) for text in texts]
    if len(set(cuts)) == len(set(texts)) or columns <= width(ellipsis):
        # None alike (the common case: two sets, not the groups below, for a dashboard's
        # 100,000 names).
        return cuts
    shown = dict(zip(texts, cuts, strict=True))
    for recut in (_middle, _from_difference):
        alike: dict[str, list[str]] = {}
        for text, cut_text in shown.items():
            alike.setdefault(cut_text, []).append(text)
        for group in alike.values():
            if len(group) > 1:
                shown.update(_each_cut(group, columns, ellipsis, recut))
    return [shown[text] for text in texts]


#: How `cut_apart` cuts a text of a group alike: (text, the group, columns left beside
#: the ellipsis, the ellipsis) -> its cut.
_Recut = Callable[[str, list[str], int, str], str]


def _each_cut(group: list[str], columns: int, ellipsis: str, recut: _Recut) -> dict[str, str]:
    """`recut` of each text of `group` wider than `columns` (those that fit kept whole)."""
    room = columns - width(ellipsis)
    return {
        text: recut(text, group, room, ellipsis) if width(text) > columns else text
        for text in group
    }


def _middle(text: str, group: list[str], room: int, ellipsis: str) -> str:
    """`text`'s start and end about `room` wide, the ellipsis between them."""
    return _start(text, room - room // 2) + ellipsis + _end(text, room // 2)


def _from_difference(text: str, group: list[str], room: int, ellipsis: str) -> str:
    """`text` from where the texts of `group` first differ (a quarter of `room` of what
    they share kept before it, for context) after the ellipsis, cut to `room` with a
    trailing one where that leaves room for a character."""
    rest = _unjoined(text[max(0, _shared_start(group) - room // 4) :])
    shown = cut(rest, room, ellipsis)
    return ellipsis + (shown if shown != ellipsis else _start(rest, room))


def _shared_start(texts: list[str]) -> int:
    """How many characters all of `texts` start with (those of the least and the greatest
    in order: the others lie between them)."""
    least, greatest = min(texts), max(texts)
    for index, (one, other) in enumerate(zip(least, greatest, strict=False)):
        if one != other:
            return index
    return len(least)


def _start(text: str, columns: int) -> str:
    """The longest start of `text` at most `columns` wide."""
    used = 0
    for index, char in enumerate(text):
        used += _columns(char)
        if used > columns:
            return text[:index]
    return text


def _end(text: str, columns: int) -> str:
    """The longest end of `text` at most `columns` wide, not starting with a mark."""
    return _unjoined(_start(text[::-1], columns)[::-1])


def _unjoined(text: str) -> str:
    """`text` without the marks (of no columns) it starts with, which would join the
    ellipsis before it."""
    start = 0
    while start < len(text) and _columns(text[start]) == 0:
        start += 1
    return text[start:]


def ljust(text: str, columns: int) -> str:
    """`text` padded with spaces on the right to `columns` columns."""
    return text + " " * max(0, columns - width(text))


def rjust(text: str, columns: int) -> str:
    """`text` padded with spaces on the left to `columns` columns."""
    return " " * max(0, columns - width(text)) + text


def wrap(text: str, columns: int, indent: str | None = None) -> list[str]:
    """`text` in lines of at most `columns` columns, broken at spaces (a word too wide for
    a line is broken where it reaches the edge); the first line keeps the text's leading
    spaces, and lines after it start with `indent` (default: those same spaces). (`textwrap`
    counts characters, so wide text overflowed.) A line holds at least one character after
    its indent, so a width narrower than that is passed."""
    body = text.lstrip(" ")
    lead = text[: len(text) - len(body)]
    indent = lead if indent is None else indent
    lines: list[str] = []
    line, start = lead, len(lead)  # `start`: how many characters of `line` are its indent
    for word in body.split(" "):
        joined = f"{line} {word}" if line[start:] else line + word
        if width(joined) <= columns or not line[start:]:
            line = joined
        else:
            lines.append(line)
            line, start = indent + word, len(indent)
        while width(line) > columns and len(line) > start + 1:
            head = _fitting(line, columns)
            if len(head) <= start:  # nothing past the indent fits: one character anyway
                head = line[: start + 1]
            lines.append(head)
            line, start = indent + line[len(head) :], len(indent)
    lines.append(line)
    return [line.rstrip() for line in lines]


def _fitting(text: str, columns: int) -> str:
    """The longest start of `text` at most `columns` wide (at least one character)."""
    return _start(text, columns) or text[:1]
