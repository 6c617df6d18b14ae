"""The words of a merge refused for different settings: each setting that differs, with
this accumulator's value and the other's ("timezone (UTC vs Europe/Berlin)"), so that a
data engineer merging states from two jobs learns what each job had, not only that they
differ. Instants in ISO-8601 UTC, durations as Python writes a timedelta, enums by value;
of the trend thresholds only those that differ. (The core words its own refusals alike:
rust/accumulator/differences.rs.)"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

#: The settings held as epoch microseconds (`StreamingSettings.comparable`).
_INSTANTS = frozenset({"time_window_start", "time_window_end"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def setting_differences(mine: Mapping[str, Any], theirs: Mapping[str, Any]) -> list[str]:
    """Each setting of `mine` that differs in `theirs` (both `comparable()`), sorted by
    name, as "name (mine vs theirs)"."""
    return [
        f"{name} ({_pair(name, mine[name], theirs[name])})"
        for name in sorted(mine)
        if mine[name] != theirs[name]
    ]


def _pair(name: str, mine: Any, theirs: Any) -> str:
    if isinstance(mine, Mapping) and isinstance(theirs, Mapping):  # (the trend thresholds)
        return ", ".join(
            f"{key} {_text(name, mine[key])} vs {_text(name, theirs[key])}"
            for key in mine
            if mine[key] != theirs[key]
        )
    return f"{_text(name, mine)} vs {_text(name, theirs)}"


def _text(name: str, value: Any) -> str:
    if name in _INSTANTS:
        return (_EPOCH + timedelta(microseconds=value)).isoformat().replace("+00:00", "Z")
    if name == "bucket_width":  # (the core's width, in microseconds)
        return str(timedelta(microseconds=value))
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)
