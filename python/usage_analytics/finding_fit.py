"""A health finding's headline fit to the dashboard's column, never cut inside a value.

The dashboard shows the worst finding's headline ("p99 latency 6.40 s > 1.00 s"), and its
column may be narrow (about 20 columns beside 36-character UUID ids at a width of 100).
Cut at a column, it read "p99 latency 6.40 …" or "10.94…": a number without its unit, or
a number that is not the value (10.94 of 10.945). So a headline that does not fit is
shortened in steps, each still true as far as it goes:

1. its secondary part is dropped: the threshold it broke (" > 1.00 s", " < 80.0%",
   ", more than 7.0 days"), which the report and the JSON document give in full;
2. then words are dropped from its end, a number and the unit after it ("6.40 s",
   "20.8 days", "3 runs") as one word, and an ellipsis marks the cut ("✗ p99 latency …").
   No word is ever cut inside: where not even the first fits, the mark and the ellipsis
   are shown alone.
"""

from __future__ import annotations

import re
from functools import lru_cache

from usage_analytics import text_width

__all__ = [
    "UNITS",
    "fit_headline",
    "headline_parts",
    "whole_words",
    "whole_words_ascii",
    "words",
]

#: The units the findings' values are written with (`report._duration_ms`, `_hours`) and
#: the nouns their counts are ("1 run failed ..."): kept with the number before them. (A
#: ratio's "x" and a rate's "%" are part of its word.)
UNITS = frozenset({"ms", "s", "min", "h", "d", "day", "days", "run", "runs"})

#: The separators of a headline's secondary part (the threshold broken), as written: the
#: messages' "is below"/"is above" as "<"/">".
_SECONDARY = ((" is below ", " < "), (" is above ", " > "), (", more than ", ", more than "))

#: A word that is a value: it holds a digit ("6.40", ">99.9%", "3.0x"), or is an infinite
#: or unknown one ("inf days").
_NUMBER = re.compile(r"\d|^[<>~+-]?(inf|nan)$")


def headline_parts(message: str) -> tuple[str, str]:
    """A finding's message up to its details, as (main, secondary): the measured value
    and the threshold it broke, ("Success rate 77.7%", " < 80.0%"); secondary "" where it
    names none ("1 run failed its quality gates")."""
    text = message
    for separator in (": ", " ("):
        text = text.split(separator, 1)[0]
    text = text.rstrip(".")
    for written, shown in _SECONDARY:
        main, found, rest = text.partition(written)
        if found:
            return main, shown + rest
    return text, ""


def words(text: str) -> list[str]:
    """`text`'s words, a number and the unit after it one word ("6.40 s")."""
    joined: list[str] = []
    for word in text.split(" "):
        # (A bare value: "0 d" holds a digit too, and took a second unit, "0 d d".)
        if word in UNITS and joined and " " not in joined[-1] and _NUMBER.search(joined[-1]):
            joined[-1] = f"{joined[-1]} {word}"
        else:
            joined.append(word)
    return joined


def fit_headline(lead: str, main: str, secondary: str, columns: int, ellipsis: str) -> str:
    """`lead` (the severity's mark and a space) and the headline, shortened to fit
    `columns` terminal columns as the module says (the text printable already)."""
    lead_width, main_width = _short_width(lead), text_width.width(main)
    if lead_width + main_width + text_width.width(secondary) <= columns:
        return f"{lead}{main}{secondary}"
    if secondary and lead_width + main_width <= columns:
        return f"{lead}{main}"
    # Whole words while they fit with " …" after them (a space before the ellipsis: the
    # words were dropped, none cut).
    room = columns - lead_width - 1 - _short_width(ellipsis)
    if room < -1:  # (not even the lead and the ellipsis)
        return ellipsis if _short_width(ellipsis) <= columns else ""
    kept = whole_words_ascii(main, room) if main.isascii() else whole_words(main, room)
    return f"{lead}{kept} {ellipsis}" if kept else f"{lead}{ellipsis}"


@lru_cache(maxsize=64)
def _short_width(text: str) -> int:
    """`text_width.width` of a mark or an ellipsis, looked up once: each cut finding has
    both."""
    return text_width.width(text)


def whole_words(text: str, columns: int) -> str:
    """The longest start of `text` of whole `words` at most `columns` wide ("": none)."""
    kept = ""
    for word in words(text):
        longer = f"{kept} {word}" if kept else word
        if text_width.width(longer) > columns:
            break
        kept = longer
    return kept


def whole_words_ascii(text: str, columns: int) -> str:
    """`whole_words` of an ASCII `text` (a character a column), without splitting it
    into words (one a cut row of a dashboard of 100,000): the loop took 2.7 µs a
    headline, this 1.4 (`benches/finding_fit.py`)."""
    if len(text) <= columns:
        return text
    end = text.rfind(" ", 0, columns + 1)  # (the words before it fit)
    if end <= 0:
        return ""
    kept = text[:end]
    after = text[end + 1 :].partition(" ")[0]
    last_space = kept.rfind(" ")
    if after in UNITS and _NUMBER.search(kept[last_space + 1 :]):
        return kept[:last_space] if last_space > 0 else ""  # (the number goes with its unit)
    return kept
