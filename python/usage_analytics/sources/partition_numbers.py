"""A number field's hive directory (`execution_time_ms=12/`, `quality_score=0.5/`) read as
a CSV cell of its text is (`number_partition_value`).

Its text is read by `base.typed_text`, the rules of every source that stores numbers as
text: `number_text`'s grammar, trimmed ("12", " 0.5 ", "1e3"; not "1_000"), an integer's
text its int, a text on a bound read exactly ("-1e-400" is past 0). A value the core
would refuse in a record (no number, not finite, negative, a score above 1) is refused
when the directory is read, naming the directory, the field, the value as written and
the core's own reason for it (asked of the core with a record of that value: the words
of a CSV cell's error, "must be >= 0"), `--on-invalid skip` included: the value is the
layout's, not a record's, and skipping would leave a whole directory out as invalid
records. An empty value, or Hive's default partition, is missing. (Until session 60 such
a directory was text, which the core refused whole: "column 'execution_time_ms' has
Arrow type Utf8".)
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from usage_analytics import _core
from usage_analytics.sources.base import SourceError, typed_text

__all__ = ["number_partition_value"]


def number_partition_value(field: str, value: str, directory: str, where: str) -> Any:
    """The number the text `value` (not empty) of number field `field`'s directory
    (`directory` as written, of the file at `where`) holds, an int or a float; an error
    naming them where it is no good value of the field (see the module)."""
    number = typed_text(field, value)
    reason = _refusal(field, number)
    if reason is None:
        return number
    raise SourceError(f"{where}: field {field!r} (directory {directory!r}) = {value!r}: {reason}")


def _refusal(field: str, number: Any) -> str | None:
    """The core's reason for refusing `number` as field `field`'s value in a record, or
    None where it takes it."""
    record = {"timestamp": _INSTANT, field: number}
    errors = _core.reduce_records([record], _options())["errors"]
    return str(errors[0][3]) if errors else None


#: An instant within `_options`' window.
_INSTANT = datetime(2000, 1, 1, 12, tzinfo=UTC)


@cache
def _options() -> dict[str, Any]:
    """The core's options for judging one record: a day's window, no analytics, invalid
    records counted with their reasons (a reduction's own, `reducer.core_options`)."""
    from usage_analytics.contracts import AnalyticsRequest, TimeWindowType
    from usage_analytics.reducer import core_options

    judging = AnalyticsRequest(
        time_window_start=datetime(2000, 1, 1, tzinfo=UTC),
        time_window_end=datetime(2000, 1, 2, tzinfo=UTC),
        time_window_type=TimeWindowType.DAILY,
        include_trends=False,
        include_performance=False,
        include_distribution=False,
        on_invalid="skip",
    )
    return core_options(judging, by_pattern=False)
