"""Sources of execution records: files, SQLite and PostgreSQL.

    from usage_analytics.sources import open_source

    async with open_source("usage.sqlite") as source:             # or runs.parquet,
        newest = await source.newest("checkout")                  # postgresql://...
        fetched = await source.fetch("checkout", newest - timedelta(days=30), newest)
        result = await reducer.execute_reduction(
            ModelUsageAnalyticsInput(pattern_id="checkout", ..., execution_data=fetched.data)
        )

`open_source` picks the source from its description: a `postgresql://` URL, a
`sqlite:///path` URL or a SQLite file (.sqlite, .sqlite3, .db, .db3), or a record file
(.parquet or .pq, .csv, .jsonl or .ndjson; also compressed, runs.jsonl.gz: .gz, .bz2,
.xz, .zst), a directory of record files of one kind (`dataset`: Parquet files by
`parquet_dataset`; CSV or JSON Lines files, compressed or not, by `text_dataset`), or `-`
for standard input (copied at once: see `spool`). Each source is an
`ExecutionSource` (see `base`) whose records come back in the columnar form the reducer
takes (a pyarrow Table where possible).

One module per concern: `base` (interface, errors, table description), `timestamps`,
`arrow` (pyarrow helpers), `records` (standard-library file readers and writers),
`files` (with `arrow_text`: CSV and JSON Lines read by pyarrow; `spool`: compressed
files and standard input; `dataset`: a directory of record files, with `parquet_dataset`
and `text_dataset`; `loaded`: a file's records once read), `sqlite` (with
`sqlite_table`: the executions table's layout and bulk writes, `sqlite_columns` and
`sqlite_newest`), `postgres` (with `postgres_table`, `postgres_url` and
`postgres_connection`), `credentials` (a SOURCE's text in messages, its credentials
hidden).
"""

from __future__ import annotations

import re
from pathlib import Path

from usage_analytics.extras import MissingDependencyError
from usage_analytics.sources.base import (
    FIELDS,
    PATTERN_ID,
    ExecutionSource,
    Fetched,
    SourceError,
    SourceUnavailableError,
    TableSpec,
    Unattributed,
    UnknownPatternError,
    Unreadable,
    UnsupportedSourceError,
)
from usage_analytics.sources.credentials import exists, hidden_credentials
from usage_analytics.sources.files import FILE_KINDS, FileSource
from usage_analytics.sources.postgres import PostgresSource
from usage_analytics.sources.postgres_conninfo import conninfo_refusal
from usage_analytics.sources.postgres_url import POSTGRES_SCHEMES
from usage_analytics.sources.records import (
    READERS,
    WRITERS,
    LoadedRecords,
    load_records,
    read_records,
    save_records,
)
from usage_analytics.sources.spool import COMPRESSIONS
from usage_analytics.sources.sqlite import SQLITE_SUFFIXES, SQLiteSource

__all__ = [
    "FIELDS",
    "PATTERN_ID",
    "READERS",
    "WRITERS",
    "ExecutionSource",
    "Fetched",
    "FileSource",
    "LoadedRecords",
    "MissingDependencyError",
    "PostgresSource",
    "SQLiteSource",
    "SourceError",
    "SourceUnavailableError",
    "TableSpec",
    "Unattributed",
    "UnknownPatternError",
    "Unreadable",
    "UnsupportedSourceError",
    "load_records",
    "open_source",
    "read_records",
    "save_records",
    "source_kinds",
    "sqlite_path",
]


#: A URL's scheme (RFC 3986: a letter, then letters, digits, "+", "-" or "."), of two
#: characters at least: "C://" is a Windows drive's path.
_URL_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+")


def sqlite_path(text: str) -> Path | None:
    """The file of a `sqlite:///path` URL (SQLAlchemy's form: `sqlite:///relative.db`,
    `sqlite:////absolute.db`), or None if `text` is not one."""
    if not text.lower().startswith("sqlite:"):
        return None
    rest = text[len("sqlite:") :]
    if not rest.startswith("///") or len(rest) == 3:
        raise UnsupportedSourceError(
            f"bad SQLite URL {hidden_credentials(text)!r}: use sqlite:///relative/path.db or "
            "sqlite:////absolute/path.db (or just the file's path)"
        )
    return Path(rest[3:])


def source_kinds() -> str:
    """What a SOURCE may be, for help texts and messages."""
    files = ", ".join(sorted(FILE_KINDS))
    return (
        f"a record file ({files}; also compressed: {', '.join(sorted(COMPRESSIONS))}), a "
        "directory of Parquet, CSV or JSON Lines files, - for standard input, a SQLite file "
        f"({', '.join(sorted(SQLITE_SUFFIXES))} or sqlite:///PATH) or a postgresql:// URL"
    )


def open_source(
    description: str | Path,
    table: TableSpec | str | None = None,
    *,
    arrow: bool | None = None,
    skip_unreadable: bool = False,
    option: str = "table",
) -> ExecutionSource:
    """The source `description` names (see the module docstring); `table` names the
    table (databases) and maps columns (all kinds): a `TableSpec`, or a table's name
    alone, NAME or SCHEMA.NAME as the command's --table reads it; `skip_unreadable`
    leaves a record file's lines that hold no record out (`FileSource`; databases have
    none). Nothing is read or connected yet; a malformed description raises
    `UnsupportedSourceError`, and so does a table named for a record file (a name, or a
    `TableSpec` of a table other than the default: it was ignored, the file read whole),
    naming it as `option` (the command passes "--table")."""
    # (A name alone was taken as a TableSpec: "'str' object has no attribute 'table'"
    # on the first fetch.)
    if table is not None and not isinstance(table, (str, TableSpec)):
        raise TypeError(f"table must be a TableSpec or a table's name, got {type(table).__name__}")
    named = _table_named(table)
    if isinstance(table, str):
        table = TableSpec.from_options(table)
    text = str(description)
    scheme, sep, rest = text.partition("://")
    if sep and scheme.lower() in POSTGRES_SCHEMES:
        return PostgresSource(text, table)
    url = bool(sep) and _URL_SCHEME.fullmatch(scheme) is not None
    dialect, plus, _ = scheme.partition("+")
    if url and plus and dialect.lower() in (*POSTGRES_SCHEMES, "sqlite"):
        # SQLAlchemy's `postgresql+psycopg://`, copied from an application's settings: it
        # was taken for a file ("unsupported file type"). (Refused, not read: its query
        # may hold the driver's own parameters.)
        raise UnsupportedSourceError(
            f"{hidden_credentials(text)!r} is a SQLAlchemy URL, its driver named after '+': "
            f"pass the URL without it, {hidden_credentials(f'{dialect.lower()}://{rest}')}"
        )
    database = sqlite_path(text)
    if database is not None:
        return SQLiteSource(database, table, given=text)
    if url:
        # (Its password hidden, as in every message naming a SOURCE: `credentials`.)
        raise UnsupportedSourceError(
            f"unsupported URL scheme '{scheme}://' in {hidden_credentials(text)!r}: "
            f"use {source_kinds()}"
        )
    path = Path(description)
    # (libpq's "host=... dbname=..." is refused naming its URL, unless a file is so named.)
    refusal = conninfo_refusal(text)
    if refusal is not None and not exists(path):
        raise UnsupportedSourceError(refusal)
    _refuse_a_postgres_url_without_slashes(text, path)
    if sep and len(scheme) > 1 and not exists(path):
        # A URL of a scheme not taken for one (a JDBC URL's "jdbc:postgresql", white space
        # pasted before it) and no file's name: the file's error ("unsupported file
        # type") quoted it whole, its password with it. (A drive's "C://" is a path.)
        raise UnsupportedSourceError(
            f"{hidden_credentials(text)!r} is neither a file nor a URL of a source: "
            f"use {source_kinds()}"
        )
    if path.suffix.lower() in SQLITE_SUFFIXES and not path.is_dir():
        return SQLiteSource(path, table, given=text)
    source = FileSource(path, table, arrow=arrow, skip_unreadable=skip_unreadable, given=text)
    refuse_a_table_of_a_file(named, source, option)
    return source


def refuse_a_table_of_a_file(table: str | None, source: ExecutionSource, option: str) -> None:
    """A table named (`table`, by `option`: the API's `table`, the command's --table) for
    a record file, which has none: it was read whole as if no table had been named. (Its
    column mapping does apply to files.)"""
    if table is not None and isinstance(source, FileSource):
        raise UnsupportedSourceError(
            f"{option} {table!r}: {source.description} is a record file; {option} applies "
            "to databases only (SQLite/PostgreSQL)"
        )


def _table_named(table: TableSpec | str | None) -> str | None:
    """The table `open_source`'s `table` names, as given: a name alone, or a `TableSpec`
    of another table than the default or in a schema; None for none or the default (a
    `TableSpec()` mapping a file's columns names no table)."""
    if isinstance(table, str):
        return table
    if table is None or (table.table == TableSpec.table and table.schema is None):
        return None
    return table.label


def _refuse_a_postgres_url_without_slashes(text: str, path: Path) -> None:
    """Refuses `postgresql:/user:pw@host/db` or `postgres:user:...`, the URL's "//" short
    (where no file is so named), naming the URL meant with its password hidden: it was
    taken for a file's name, whose error quoted it whole, password and all."""
    scheme, colon, rest = text.partition(":")
    if colon and scheme.lower() in POSTGRES_SCHEMES and not exists(path):
        meant = f"{scheme}://{rest.lstrip('/')}"
        raise UnsupportedSourceError(
            f"a PostgreSQL URL starts {scheme}:// (two slashes): did you mean "
            f"{hidden_credentials(meant)}?"
        )
