"""The hint of a table name that is a query: `--table "select * from runs where ..."`
was "has no table 'select ...' (tables: ...)", which left the user to guess that the
sources read a table (or a view) by name and take no SQL."""

from __future__ import annotations

import re

#: A query's first word: SELECT, or WITH for one with common table expressions.
_QUERY_START = re.compile(r"\s*\(?\s*(select|with)\b", re.IGNORECASE)
#: FROM as a word, in a name that holds white space (a table is rarely named so).
_FROM = re.compile(r"\bfrom\b", re.IGNORECASE)


def looks_like_a_query(name: str) -> bool:
    """Whether the table name `name` reads as SQL: it starts with SELECT or WITH, or it
    holds white space and the word FROM. (A decision of the sources': the design is
    silent. A table so named is still read where it exists: this only words the error
    of a name that names none.)"""
    if _QUERY_START.match(name):
        return True
    return any(char.isspace() for char in name) and _FROM.search(name) is not None


def query_hint(name: str) -> str:
    """What to say after the error of a table `name` that is not there ("; a query is
    not taken ..."), where it reads as a query (`looks_like_a_query`); else ""."""
    if not looks_like_a_query(name):
        return ""
    return (
        "; a query is not taken as a table: create a view of it (CREATE VIEW runs_selected "
        "AS SELECT ...) and pass the view's name"
    )
