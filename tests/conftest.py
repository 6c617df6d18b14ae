"""Shared test configuration.

Hypothesis profiles, chosen by the environment variable HYPOTHESIS_PROFILE:
- "dev" (default): ~100 examples per property, random seeds, failures saved locally;
- "ci": ~200 examples, derandomized (the same examples on every run), no example database;
- "soak": ~2,000 examples, random seeds: a bug hunt to run now and then, not in CI.
None has a deadline: the first call into the extension and the exact-arithmetic
reference have uneven timings that say nothing about correctness.

The tests directory is put on sys.path so tests can import the oracle (`reference`) and
the strategies (`strategies`) under `--import-mode=importlib`.

PostgreSQL: `postgres_url` is a fresh database on the server of `postgres_server` (the
one named by USAGE_ANALYTICS_TEST_POSTGRES, else a throwaway server started from the
installed binaries; see `pg_server`). Without either, those tests fail and say why.
"""

from __future__ import annotations

import gc
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import Phase, settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pg_server  # (found through the path above)

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=200, deadline=None, derandomize=True, database=None, print_blob=True
)
settings.register_profile("soak", max_examples=2000, deadline=None, print_blob=True)
# tools/mutation_pass.py's: ci's examples, a failure reported unshrunk (shrinking a failure
# took a mutant a property test kills past the pass's timeout: "undecided", helper-279).
settings.register_profile(
    "mutation",
    parent=settings.get_profile("ci"),
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


# ------------------------------------------------------------------- PostgreSQL server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server for the integration tests: the one named by
    USAGE_ANALYTICS_TEST_POSTGRES, else a throwaway one started here (see pg_server)."""
    url = os.environ.get(pg_server.ENV)
    if url:
        yield url
        return
    try:
        server = pg_server.ThrowawayServer.start()
    except RuntimeError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server, dropped afterwards."""
    name, url = pg_server.create_database(postgres_server)
    try:
        yield url
    finally:
        pg_server.drop_database(postgres_server, name)


@pytest.fixture
def own_temporary_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Temporary copies (`sources.spool`) go to a directory of the test's own, which must
    be empty at its end: each copy deleted once its records are dropped."""
    directory = tmp_path / "tmp"
    directory.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(directory))
    monkeypatch.setenv("TMPDIR", str(directory))
    monkeypatch.setenv("COLUMNS", "100")
    yield directory
    gc.collect()  # (a CLI error's traceback holds the records in a cycle until then)
    assert list(directory.iterdir()) == []
