"""Columns of a dict converted to Arrow without pyarrow's conversion (which imports
pandas), each raced against that conversion in the same run (session 59, helper 224):
numpy text arrays (`U`: many distinct paths, pure ASCII, and names with accents and
emoji), bytes arrays (`S`), masked arrays of floats and of text (`text_buffers`,
`numpy_buffers`), and lists of floats and of bools (`list_buffers`), at 1M and 10M rows.
pandas is imported before the timing, so its import (0.3 s once) is not in pyarrow's
figures.

    PYTHONPATH=<tree>/python .venv/bin/python benches/pandas_free_columns.py [CALLS] [ROWS...]

Prints the least of CALLS (default 3) calls of each, in milliseconds, and the ratio
(pyarrow's time over ours: above 1, ours is faster).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pandas  # noqa: F401  (imported before the timing: see the docstring)
import pyarrow as pa
from timing import least_ms
from usage_analytics.ingest.list_buffers import arrow_of_number_list
from usage_analytics.ingest.numpy_buffers import arrow_of_plain_numpy
from usage_analytics.ingest.text_buffers import arrow_of_fixed_text


def columns(rows: int) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    rng = np.random.default_rng(5)
    paths = np.char.add("/src/module_", rng.integers(0, rows, rows).astype("U"))
    names = rng.choice(["agent-é", "代理", "bot-\U0001f600", "plain"], rows)
    hidden = rng.random(rows) < 0.1
    masked_floats = np.ma.masked_array(rng.random(rows), mask=hidden)
    masked_text = np.ma.masked_array(paths, mask=hidden)
    raw = paths.astype("S")
    floats = rng.random(rows).tolist()
    flags = (rng.random(rows) < 0.5).tolist()
    return {
        "U paths (ASCII)": (
            lambda: arrow_of_fixed_text(pa, paths),
            lambda: pa.array(paths, from_pandas=True),
        ),
        "U names (accents, CJK, emoji)": (
            lambda: arrow_of_fixed_text(pa, names),
            lambda: pa.array(names, from_pandas=True),
        ),
        "S paths": (lambda: arrow_of_fixed_text(pa, raw), lambda: pa.array(raw, from_pandas=True)),
        "masked U paths": (
            lambda: arrow_of_fixed_text(pa, masked_text),
            lambda: pa.array(masked_text, from_pandas=True),
        ),
        "masked float64": (
            lambda: arrow_of_plain_numpy(pa, masked_floats),
            lambda: pa.array(masked_floats, from_pandas=True),
        ),
        "list of floats": (
            lambda: arrow_of_number_list(pa, floats, {float}),
            lambda: pa.array(floats),
        ),
        "list of bools": (
            lambda: arrow_of_number_list(pa, flags, {bool}),
            lambda: pa.array(flags),
        ),
    }


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    sizes = [int(size) for size in sys.argv[2:]] or [1_000_000, 10_000_000]
    for rows in sizes:
        for label, (ours, pyarrows) in columns(rows).items():
            mine, theirs = least_ms(ours, calls), least_ms(pyarrows, calls)
            print(
                f"{rows:>10,} {label:30} ours {mine:7.0f} ms  pa.array {theirs:7.0f} ms  "
                f"ratio {theirs / mine:5.2f}"
            )


if __name__ == "__main__":
    main()
