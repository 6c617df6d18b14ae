"""What `get` and `history` select by beyond the key: a result's window type (its
`window_type` column), and its zone, granularity and the families it holds, each read
from the stored `result` JSON (`to_dict()`).

The key (pattern, window, correlation id) names none of them, so one window analysed in
two zones, at two granularities or with and without performance metrics is several rows,
and without a selection the newest is returned whatever it holds: a dashboard asking for
p95 could read a result computed without performance metrics. A pattern's windows of
several types (a service storing its daily and its weekly analytics) are rows of other
keys, which `history` lists together, newest first, unless `window_type` selects one.

Rows written before a field existed read as a request's default: a result without
`time_window.timezone` is UTC, one without `time_window.granularity` DETAILED. (Every
version of the store wrote both: only a row written by another tool lacks them.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from usage_analytics.contracts import AnalyticsGranularity, TimeWindowType, known_time_zone

__all__ = [
    "OPTIONAL_FAMILIES",
    "Selection",
    "SelectionSql",
    "checked_families",
    "checked_granularity",
    "checked_window_type",
    "checked_zone",
    "selection",
]

#: The families a result may lack (null in `result`): its request left them out
#: (`include_performance`, `include_trends`, `include_distribution`) or its granularity did
#: (SUMMARY has no context distribution). Usage and success metrics are always present.
OPTIONAL_FAMILIES = ("performance_metrics", "trend_analysis", "context_distribution")


def checked_zone(timezone: str | None) -> str | None:
    """The zone `get` and `history` select by, in the tzdb's spelling a result stores
    (`known_time_zone`: "europe/berlin" is "Europe/Berlin"); None selects every zone."""
    if timezone is None:
        return None
    if not isinstance(timezone, str):
        raise TypeError(f"timezone must be a str or None, got {timezone!r}")
    return known_time_zone(timezone)


def checked_granularity(granularity: AnalyticsGranularity | str | None) -> str | None:
    """The granularity `get` and `history` select by, as a result stores it (its value);
    None selects every granularity. Read as the contracts read it: the enum or its exact
    value ("summary", not "Summary", as a request and the CLI's --granularity refuse)."""
    return _checked_value("granularity", AnalyticsGranularity, granularity)


def checked_window_type(window_type: TimeWindowType | str | None) -> str | None:
    """The window type `get` and `history` select by, as a result stores it (its value, the
    `window_type` column); None selects every type. Read as the contracts read it: the
    enum or its exact value ("weekly", not "Weekly" or "week"), as `granularity` is.

    (Named as the store names a window's other fields, `start` and `end`, and its column,
    and as the CLI's --window-type: the request's `time_window_type`.)"""
    return _checked_value("window_type", TimeWindowType, window_type)


def _checked_value(name: str, kind: type[Enum], value: Enum | str | None) -> str | None:
    """`value` of the str enum `kind` as stored (its value), or None; a TypeError for what
    is no str, a ValueError naming the values allowed for any other str."""
    if value is None:
        return None
    if not isinstance(value, str):  # (a member of a str enum is a str too)
        article = "an" if kind.__name__[0] in "AEIOU" else "a"
        raise TypeError(
            f"{name} must be {article} {kind.__name__}, its value or None, got {value!r}"
        )
    try:
        return str(kind(value).value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in kind)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}") from None


def checked_families(requires: Iterable[str] | str) -> tuple[str, ...]:
    """The families `get` and `history` require present (`OPTIONAL_FAMILIES`), sorted and
    each once; a single name may be given as a str."""
    names = [requires] if isinstance(requires, str) else requires
    try:
        given = list(names)
    except TypeError:
        raise TypeError(
            f"requires must be a collection of family names, got {requires!r}"
        ) from None
    for name in given:
        if name not in OPTIONAL_FAMILIES:
            allowed = ", ".join(repr(family) for family in OPTIONAL_FAMILIES)
            raise ValueError(
                f"requires names the families a result may lack ({allowed}; usage and "
                f"success metrics are always present), got {name!r}"
            )
    return tuple(sorted(set(given)))


@dataclass(frozen=True)
class Selection:
    """What a call selects by (checked); `None` and `()` select everything."""

    zone: str | None = None
    granularity: str | None = None
    families: tuple[str, ...] = ()
    window_type: str | None = None

    def conditions(self, sql: SelectionSql, mark: Callable[[], str]) -> tuple[str, list[Any]]:
        """The SQL conditions, each after " AND ", and their parameters, in order; `mark`
        gives the next parameter's placeholder."""
        text, params = "", []
        chosen = (
            (sql.window_type, self.window_type),
            (sql.zone, self.zone),
            (sql.granularity, self.granularity),
        )
        for expression, value in chosen:
            if value is not None:
                text += f" AND {expression} = {mark()}"
                params.append(value)
        for family in self.families:  # (names from OPTIONAL_FAMILIES: safe in the text)
            text += f" AND {sql.family.format(family=family)} IS NOT NULL"
        return text, params


@dataclass(frozen=True)
class SelectionSql:
    """How a database reads the selected fields of the `result` column: SQL expressions
    of the zone and granularity (defaults applied), and of a family (`{family}`), NULL
    where the family is null. The window type is a column of its own, which the store's
    index on (pattern_id, window_type, computed_at) serves `history` from."""

    zone: str
    granularity: str
    family: str
    window_type: str = "window_type"


def selection(
    timezone: str | None,
    granularity: AnalyticsGranularity | str | None,
    requires: Iterable[str] | str,
    window_type: TimeWindowType | str | None,
) -> Selection:
    """The checked `Selection` of `get`'s and `history`'s keyword arguments."""
    return Selection(
        checked_zone(timezone),
        checked_granularity(granularity),
        checked_families(requires),
        checked_window_type(window_type),
    )
