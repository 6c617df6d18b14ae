"""Typed stubs for the Rust extension `usage_analytics._core`."""

from collections.abc import Sequence
from typing import Any

__all__ = [
    "UsageAnalyticsError",
    "__version__",
    "check_timezone",
    "reduce_arrow",
    "reduce_records",
]

__version__: str

class UsageAnalyticsError(Exception):
    """Root of every error usage-analytics raises."""

def check_timezone(name: str) -> None:
    """Raise ValueError unless `name` is a known IANA time zone (or "UTC")."""

def reduce_records(records: Sequence[Any], options: dict[str, Any]) -> dict[str, Any]:
    """Validate and reduce a list or tuple of record mappings.

    `options` holds the window (`start_us`, `end_us`, `window_type`, `bucket_width_us`),
    `timezone`, the families wanted (`performance`, `trends`, `distribution`,
    `time_series`, `predictions`), `skip_invalid` and the trend `thresholds` tuple.
    Returns a dict with `received`, `in_window`, `outside_window`, `invalid`, `errors`
    (up to five `(index, field, value_repr, reason)` samples) and, unless records were
    invalid and `skip_invalid` is false, the metric families keyed `usage`, `success`,
    `performance`, `trend`, `distribution` (None when not requested) and
    `analytics_quality_score`.
    """

def reduce_arrow(data: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The same, for anything exporting `__arrow_c_stream__` or `__arrow_c_array__`."""
