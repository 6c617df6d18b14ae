"""The steps a numpy text array (dtype `<U`) of a dict of columns may take to an Arrow
column, timed alone (session 56): pyarrow's conversion, the ways to a dictionary the
brief offered (an object array first, `np.unique(return_inverse=True)`, pyarrow's
`dictionary_encode` after its conversion) and the core's coding of the rows' bytes
(`_core.fixed_text_codes`, what `object_text` now does), for 1,000,000 ids of 50
patterns; and, for 1,000,000 distinct paths, pyarrow's conversion against the coding
without a limit (why the coding gives up past len/16 distinct strings).

    PYTHONPATH=<tree>/python .venv/bin/python benches/numpy_text_steps.py [CALLS]

Prints least and median of CALLS (default 3) calls of each step, in milliseconds.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from timing import least_median, wall_seconds
from usage_analytics import _core

ROWS = 1_000_000


def shown(label: str, call: Callable[[], object], calls: int) -> None:
    print(f"{label}: {least_median(wall_seconds(call, calls))}")


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    ids = np.array([f"p{i % 50}" for i in range(ROWS)])
    objects = ids.astype(object)
    converted = pa.array(ids)
    shown("pa.array(ids)", partial(pa.array, ids, from_pandas=True), calls)
    shown("pc.dictionary_encode of that, after", partial(pc.dictionary_encode, converted), calls)
    shown("ids.astype(object)", partial(ids.astype, object), calls)
    shown(
        "object_text_codes of an object array",
        partial(_core.object_text_codes, objects, ROWS),
        calls,
    )
    shown("np.unique(ids, return_inverse=True)", partial(np.unique, ids, return_inverse=True), 1)
    shown("fixed_text_codes(ids)", partial(_core.fixed_text_codes, ids, ROWS // 16), calls)
    paths = np.array([f"src/mod{i}/file{i}.py" for i in range(ROWS)])
    shown("distinct paths: pa.array", partial(pa.array, paths, from_pandas=True), calls)
    shown(
        "distinct paths: fixed_text_codes, no limit",
        partial(_core.fixed_text_codes, paths, ROWS),
        calls,
    )


if __name__ == "__main__":
    main()
