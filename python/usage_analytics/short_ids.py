"""UUID pattern ids shortened to a prefix no other name of a table starts with, as git
shortens commit ids.

A UUID is 36 columns: beside the dashboard's numbers, at 90 or 100 columns it left the
worst finding 16 to 25, and the findings were cut to stubs ("✗ p99 latency … (+3)").
Its first 8 characters tell apart far more patterns than a table shows (4 billion
values), so a table too narrow for whole ids shows that much of each, more where two
ids (or an id and another name) share their first 8: one length for every id, so they
line up and read as one kind of thing. The full ids are in the JSON document and the
HTML page, and the table says where (`render_dashboard`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

__all__ = ["SHORTEST", "is_uuid", "shortened_ids", "unique_prefix_length"]

#: The fewest characters of an id shown: its first group, which git's default of 7 hex
#: digits rounds up to.
SHORTEST = 8

_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
#: The positions of a UUID's dashes: a prefix is not cut just after one ("5b1f0e62-").
_DASH_ENDS = frozenset({9, 14, 19, 24})


def is_uuid(name: str) -> bool:
    """Whether `name` is a UUID in its canonical text (8-4-4-4-12 hex digits)."""
    return len(name) == 36 and _UUID.fullmatch(name) is not None


def unique_prefix_length(names: Sequence[str]) -> int:
    """The fewest characters (at least `SHORTEST`, never just after a dash) of every
    UUID among `names` that no other of `names` starts with; 36 (whole) where one is
    the start of another name, or none is a UUID. Each name is compared with its
    neighbours in sorted order only: a name sharing the longest start with it is one of
    them."""
    ordered = sorted(set(names))
    uuids = [is_uuid(name) for name in ordered]
    if not any(uuids):
        return 36
    # Only neighbours alike in their first `SHORTEST` characters can need more of them:
    # found by those starts alone (of 100,000 UUIDs, a handful of pairs).
    starts = [name[:SHORTEST] for name in ordered]
    alike = (i for i, pair in enumerate(itertools.pairwise(starts)) if pair[0] == pair[1])
    longest_shared = max(
        (_shared_start(ordered[i], ordered[i + 1]) for i in alike if uuids[i] or uuids[i + 1]),
        default=0,
    )
    length = max(SHORTEST, longest_shared + 1)
    if length in _DASH_ENDS:
        length += 1
    return min(length, 36)


def _shared_start(first: str, second: str) -> int:
    count = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        count += 1
    return count


def shortened_ids(names: Sequence[str]) -> tuple[list[str], int]:
    """`names` with each UUID cut to `unique_prefix_length`, and that length (36: none
    cut)."""
    length = unique_prefix_length(names)
    if length >= 36:
        return list(names), 36
    return [name[:length] if len(name) == 36 and is_uuid(name) else name for name in names], length
