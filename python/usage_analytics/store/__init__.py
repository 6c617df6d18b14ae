"""Stores of analytics results: SQLite (the default) and PostgreSQL.

    from usage_analytics.store import open_store

    async with open_store("usage.sqlite") as store:          # or postgresql://...
        await store.save(result)                              # idempotent per key
        same = await store.get(result.pattern_id, result.time_window_start,
                               result.time_window_end)
        summary = await store.get(pattern_id, start, end, granularity="summary",
                                  requires={"performance_metrics"})   # (or OPTIONAL_FAMILIES)
        weekly = await store.history(pattern_id, 20, window_type="weekly")
        deleted = await store.prune(now - timedelta(days=7))  # but each series' newest

See `usage_analytics.store.base` for the table and its columns,
`usage_analytics.store.selection` for what `get` and `history` select by, and
`usage_analytics.store.pruning` for what `prune` deletes and keeps.
"""

from __future__ import annotations

from pathlib import Path

from usage_analytics.sources import sqlite_path
from usage_analytics.sources.base import UnsupportedSourceError
from usage_analytics.sources.credentials import hidden_credentials
from usage_analytics.sources.postgres_url import POSTGRES_SCHEMES
from usage_analytics.store.base import ANALYTICS_TABLE, AnalyticsStore, StoreError
from usage_analytics.store.postgres import PostgresAnalyticsStore
from usage_analytics.store.selection import OPTIONAL_FAMILIES
from usage_analytics.store.sqlite import SQLiteAnalyticsStore

__all__ = [
    "ANALYTICS_TABLE",
    "OPTIONAL_FAMILIES",
    "AnalyticsStore",
    "PostgresAnalyticsStore",
    "SQLiteAnalyticsStore",
    "StoreError",
    "open_store",
]


def open_store(target: str | Path, table: str = ANALYTICS_TABLE) -> AnalyticsStore:
    """The store `target` names: a postgresql:// URL, a sqlite:///PATH URL, or the path
    of a SQLite file (created on first use)."""
    text = str(target)
    scheme, sep, _ = text.partition("://")
    if sep and scheme.lower() in POSTGRES_SCHEMES:
        return PostgresAnalyticsStore(text, table)
    database = sqlite_path(text)
    if database is not None:
        return SQLiteAnalyticsStore(database, table)
    if sep:
        raise UnsupportedSourceError(
            f"unsupported store {hidden_credentials(text)!r}: use a SQLite file's path, "
            "sqlite:///PATH or a postgresql:// URL"
        )
    return SQLiteAnalyticsStore(Path(text), table)
