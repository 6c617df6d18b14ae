"""Shared test configuration.

Hypothesis profiles, chosen by the environment variable HYPOTHESIS_PROFILE:
- "dev" (default): ~100 examples per property, random seeds, failures saved locally;
- "ci": ~200 examples, derandomized (the same examples on every run), no example database.
Neither has a deadline: the first call into the extension and the exact-arithmetic
reference have uneven timings that say nothing about correctness.

The tests directory is put on sys.path so tests can import the oracle (`reference`) and
the strategies (`strategies`) under `--import-mode=importlib`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=200, deadline=None, derandomize=True, database=None, print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
