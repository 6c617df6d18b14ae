"""Typed stubs for the Rust extension `usage_analytics._core`."""

from collections.abc import Sequence
from typing import Any

__all__ = ["UsageAnalyticsError", "__version__", "check_timezone", "reduce_records"]

__version__: str

class UsageAnalyticsError(Exception):
    """Root of every error usage-analytics raises."""

def check_timezone(name: str) -> None:
    """Raise ValueError unless `name` is a known IANA time zone (or "UTC")."""

def reduce_records(
    records: Sequence[Any],
    *,
    start_us: int,
    end_us: int,
    window_type: str,
    bucket_width_us: int | None,
    timezone: str,
    performance: bool,
    trends: bool,
    distribution: bool,
    time_series: bool,
    predictions: bool,
    skip_invalid: bool,
    thresholds: tuple[float, float, float, int, int, float, float],
) -> dict[str, Any]:
    """Validate and reduce a list of record mappings.

    Returns a dict with `received`, `in_window`, `outside_window`, `invalid`, `errors`
    (up to a few `(index, field, value_repr, reason)` samples) and, unless records were
    invalid and `skip_invalid` is false, the metric families keyed `usage`, `success`,
    `performance`, `trend`, `distribution` (None when not requested) and
    `analytics_quality_score`.
    """
