"""Optional dependencies (the pip extras), imported when a feature needs them.

A feature whose extra is not installed raises `MissingDependencyError`, naming the feature,
the package and the `pip install` line (the command line's exit status 2).
"""

from __future__ import annotations

from typing import Any

from usage_analytics.address_space import share_one_arena
from usage_analytics.arrow_lookup_tables import make_lookup_tables
from usage_analytics.errors import UsageAnalyticsError

__all__ = ["MissingDependencyError", "load_pyarrow", "missing_extra", "require_pyarrow"]


class MissingDependencyError(UsageAnalyticsError):
    """A feature needs an optional dependency (a pip extra) that is not installed."""


def missing_extra(what: str, extra: str, package: str) -> MissingDependencyError:
    return MissingDependencyError(f"{what} needs {package}: pip install 'usage-analytics[{extra}]'")


def load_pyarrow() -> Any | None:
    """The pyarrow module (with `pyarrow.compute` loaded), or None when it is not
    installed. (Under an address-space limit, glibc's arenas are shared first:
    `address_space`, for `pyarrow.compute`'s first import, which aborted the process on a
    worker thread short of room; and its text kernels' tables are made while there is
    room: `arrow_lookup_tables`.)"""
    share_one_arena()
    try:
        import pyarrow
        import pyarrow.compute
    except ImportError:
        return None
    make_lookup_tables(pyarrow)
    return pyarrow


def require_pyarrow(what: str) -> Any:
    """pyarrow, or `MissingDependencyError` naming `what` needs it and the extra."""
    pa = load_pyarrow()
    if pa is None:
        raise missing_extra(what, "arrow", "pyarrow")
    return pa
