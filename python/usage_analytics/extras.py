"""Optional dependencies (the pip extras), imported when a feature needs them.

A feature whose extra is not installed raises `MissingDependencyError`, naming the feature,
the package and the `pip install` line (the command line's exit status 2).

An extra that is installed but could not be loaded for lack of memory is not "not
installed": under an address-space limit (`RLIMIT_AS`) `import pyarrow` fails as an
`ImportError` where the loader cannot map a shared library ("libarrow.so.2600: failed to
map segment from shared object", glibc giving no errno), or as a `MemoryError` where
Python's own allocations fail (both seen at 2-80 MB of headroom). `load_pyarrow` said
None for the first, so the command told a user with pyarrow installed to install it, or
read the file without it; it raises a `MemoryError` saying so for both instead.
"""

from __future__ import annotations

import errno
import importlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from usage_analytics.address_space import room, share_one_arena
from usage_analytics.arrow_lookup_tables import make_lookup_tables
from usage_analytics.errors import UsageAnalyticsError

__all__ = [
    "MissingDependencyError",
    "load_pyarrow",
    "load_pyarrow_module",
    "missing_extra",
    "require_pyarrow",
]


class MissingDependencyError(UsageAnalyticsError):
    """A feature needs an optional dependency (a pip extra) that is not installed."""


def missing_extra(
    what: str, extra: str, package: str, otherwise: str = ""
) -> MissingDependencyError:
    """The error "WHAT needs PACKAGE: pip install 'usage-analytics[EXTRA]'", then `otherwise`
    (what a caller can do without it) after a semicolon."""
    without = f"; {otherwise}" if otherwise else ""
    return MissingDependencyError(
        f"{what} needs {package}: pip install 'usage-analytics[{extra}]'{without}"
    )


def load_pyarrow() -> Any | None:
    """The pyarrow module (with `pyarrow.compute` loaded), or None when it is not
    installed. (Under an address-space limit, glibc's arenas are shared first:
    `address_space`, for `pyarrow.compute`'s first import, which aborted the process on a
    worker thread short of room; and its text kernels' tables are made while there is
    room: `arrow_lookup_tables`.) A load that failed for lack of memory is a
    `MemoryError` saying so (see the module), not None."""
    share_one_arena()
    try:
        with _loading("pyarrow"):
            import pyarrow
            import pyarrow.compute
    except ImportError:
        return None
    make_lookup_tables(pyarrow)
    return pyarrow


def load_pyarrow_module(name: str) -> Any:
    """pyarrow's module `name` ("pyarrow.csv"), for a reader once `load_pyarrow` has
    said pyarrow is there: its load failing for lack of memory is a `MemoryError` saying
    so (see the module), not the `ImportError` the command let through as a traceback
    (`import pyarrow.csv` under a limit: "_csv...so: failed to map segment from shared
    object")."""
    with _loading(name):
        return importlib.import_module(name)


@contextmanager
def _loading(what: str) -> Iterator[None]:
    """A `MemoryError` saying "out of memory loading `what`" where an import in the
    block failed for lack of memory (see the module); any other `ImportError` as it is."""
    try:
        yield
    except MemoryError as error:
        words = str(error) or "an allocation failed"
        raise MemoryError(f"out of memory loading {what}: {words}") from error
    except ImportError as error:
        if _short_of_memory(error):
            raise MemoryError(f"out of memory loading {what}: {error}") from error
        raise


#: The dynamic loader's words for an `mmap` that failed: ENOMEM under an address-space
#: limit (glibc 2.36 adds no errno to them); elsewhere, a file system mounted `noexec`.
_LOADER_MAP_FAILURES = ("failed to map segment from shared object", "cannot map zero-fill")


def _short_of_memory(error: ImportError) -> bool:
    """Whether the import failed for lack of memory: the system's words for ENOMEM, or,
    under an address-space limit, the loader's for a map that failed."""
    text = str(error)
    if os.strerror(errno.ENOMEM) in text or "out of memory" in text:
        return True
    return room() is not None and any(words in text for words in _LOADER_MAP_FAILURES)


def require_pyarrow(what: str, otherwise: str = "") -> Any:
    """pyarrow, or `MissingDependencyError` naming `what` needs it and the extra (and
    `otherwise`, what to do without it)."""
    pa = load_pyarrow()
    if pa is None:
        raise missing_extra(what, "arrow", "pyarrow", otherwise)
    return pa
