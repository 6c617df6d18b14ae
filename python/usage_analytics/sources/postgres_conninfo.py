"""libpq's key=value connection strings ("host=db port=5432 dbname=usage user=me"), which
PostgreSQL's own tools and many settings files call a DSN: not a source here, where a
server is named by a postgresql:// URL, but refused saying so, with the URL that names
the same server.

Given as SOURCE, such a string was taken for a file's name and refused for its "file
type", the text after its last dot (`host=127.0.0.1 port=5432 ...`: "unsupported file
type ('.1 port=5432 ...')"). The URL form alone is taken, as every message naming a
server shows a URL with its password hidden (`postgres_url.redacted`); a password given
here is not written into the suggested URL either (a message is not the place for it).
"""

from __future__ import annotations

import re
from urllib.parse import quote

__all__ = ["conninfo_refusal"]

#: The keywords of libpq's connection parameters (PostgreSQL 15's documentation, 34.1.2).
_KEYWORDS = frozenset(
    {
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile",
        "channel_binding", "connect_timeout", "client_encoding", "options",
        "application_name", "fallback_application_name", "keepalives", "keepalives_idle",
        "keepalives_interval", "keepalives_count", "tcp_user_timeout", "replication",
        "gssencmode", "sslmode", "requiressl", "sslcompression", "sslcert", "sslkey",
        "sslpassword", "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer",
        "ssl_min_protocol_version", "ssl_max_protocol_version", "krbsrvname", "gsslib",
        "service", "target_session_attrs", "load_balance_hosts",
    }
)  # fmt: skip
_SECRETS = frozenset({"password", "sslpassword"})

#: One `key = value` pair, as libpq's conninfo_parse reads it: a value is a single-quoted
#: text or a run of characters up to white space (a quote in it is its own), a backslash
#: escaping the next character in either. (An unquoted value's quote or escape, and an
#: unterminated quote, which libpq refuses, made no pair here: the text was then taken for
#: a file's name, and the file's error quoted it whole, its password with it.)
_PAIR = re.compile(r"\s*([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\[\s\S]?)*(?:'|\Z)|(?:[^\s\\]|\\[\s\S]?)*)")


def _hidden(key: str) -> bool:
    """Whether the value of `key` is left out of messages: a password's, or a keyword's
    that libpq has not (which it refuses), such as a misspelt password's ("passwd=")."""
    return key in _SECRETS or key not in _KEYWORDS


def _pairs(text: str) -> list[tuple[str, str, str]] | None:
    """The (keyword, value, value as written) pairs of `text`, or None where it is not
    wholly a libpq connection string whose first keyword is one of libpq's."""
    pairs, at = [], 0
    while at < len(text.rstrip()):
        match = _PAIR.match(text, at)
        if match is None or match.end() == at:
            return None
        written = match.group(2)
        quoted = written[1:-1] if written.endswith("'") and len(written) > 1 else written[1:]
        value = re.sub(r"\\([\s\S]?)", r"\1", quoted if written.startswith("'") else written)
        pairs.append((match.group(1).lower(), value, written))
        at = match.end()
    return pairs if pairs and pairs[0][0] in _KEYWORDS else None


def _url(pairs: list[tuple[str, str, str]]) -> str:
    """The postgresql:// URL naming the server and database `pairs` name, without their
    passwords."""
    given = {key: value for key, value, _ in pairs}
    host = given.pop("host", "")
    query: list[str] = []
    if host.startswith("/"):  # (a Unix socket's directory: a query parameter in a URL)
        query.append(f"host={quote(host, safe='/')}")
        host = ""
    elif ":" in host:  # (an IPv6 address, bracketed in a URL)
        host = f"[{host}]"
    port = given.pop("port", "")
    user = given.pop("user", "")
    dbname = given.pop("dbname", "")
    query += [
        f"{quote(key)}={quote(value, safe='')}" for key, value in given.items() if not _hidden(key)
    ]
    authority = f"{quote(user, safe='')}@" if user else ""
    authority += host + (f":{port}" if port else "")
    path = f"/{quote(dbname, safe='')}" if dbname else "/"
    return f"postgresql://{authority}{path}" + (f"?{'&'.join(query)}" if query else "")


def conninfo_refusal(text: str) -> str | None:
    """Where `text` is a libpq key=value connection string, the message refusing it: the
    string (its passwords hidden) and the postgresql:// URL to pass instead. None for any
    other text."""
    if "=" not in text:
        return None
    pairs = _pairs(text)
    if pairs is None:
        return None
    shown = " ".join(
        f"{key}=***" if _hidden(key) else f"{key}={written}" for key, _, written in pairs
    )
    secret = any(key in _SECRETS for key, _, _ in pairs)
    note = (
        " (its password is left out here: write it as USER:PASSWORD@ in the URL, an '@' "
        "in it as %40, or set PGPASSWORD)"
        if secret
        else ""
    )
    return (
        f"{shown!r} is a libpq key=value connection string; name a PostgreSQL server by its "
        f"URL instead: {_url(pairs)}{note}"
    )
