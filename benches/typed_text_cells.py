"""`typed_text`, the csv module's (and `sqlite3`'s) reading of a number cell, of good
cells: a time "12.375" and "0", a score "0.5" and "1" (the bounds, which it looks at
again where their text may be past them). The least of 15 runs of 200,000 calls each, in
microseconds a call.

    PYTHONPATH=<tree>/python .venv/bin/python benches/typed_text_cells.py

Run it with each tree first on PYTHONPATH, alternated, to compare them.
"""

from __future__ import annotations

import timeit
from functools import partial

from usage_analytics.sources.base import typed_text

CELLS = [
    ("execution_time_ms", "12.375"),
    ("quality_score", "0.5"),
    ("quality_score", "1"),
    ("execution_time_ms", "0"),
]


def main() -> None:
    shown = []
    for name, text in CELLS:
        call = partial(typed_text, name, text)
        runs = timeit.repeat(call, number=200_000, repeat=15)
        shown.append(f"{name} {text!r} {min(runs) / 200_000 * 1e6:.3f}")
    print("; ".join(shown), "(us a call)")


if __name__ == "__main__":
    main()
