"""A SOURCE's text as messages name it: its credentials hidden, in whatever shape given.

Every message naming a SOURCE that is not an existing file goes through
`hidden_credentials` (via `named_source` for a file's path): a refused URL, a missing
file, an unsupported "file type". An existing file is named by its path exactly: its name
may hold `@` and `:` (`runs@2026.csv`, `u:pw@h.csv`), and hiding part of it would name
another file. Messages quoted a password given in a shape the URL parsers do not read:
`mysql://u:pw` (no `@`: host and port), `sqlite:u:pw@h/db`, `postgresql//u:pw@h/db`, or
a missing file named by `sqlite:///u:pw@h/db`, or free text holding `password=...`.

The design is silent on which texts hold credentials; decided here, erring towards hiding
(a message may say less than it could, never a secret):
- a `user:password@` part (up to the text's last `@`, from the first `:` before it) after
  a leading `scheme:` (with or without slashes) or after the first `//`;
- with no `@`, after `scheme://` or `//`: an authority that is not `host[:port]` (or a
  list of them, digits for ports), as `mysql://u:pw`, from its first `:` to the text's end
  (a numeric password so given reads as a port, and is shown as one);
- the value of a `password=`, `passwd=` or `pwd=` (and `sslpassword=`, `PGPASSWORD=`,
  any key so ending): in a URL query (after `?` or `&`, its key percent-decoded) up to
  the next `&`; elsewhere as libpq reads a value (quoted, or up to
  white space).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

__all__ = ["exists", "hidden_credentials", "named_source"]

HIDDEN = "***"

#: A leading URL scheme (RFC 3986: a letter, then letters, digits, "+", "-" or "."), of
#: two characters at least ("C:" is a Windows drive), and the slashes after its colon.
#: (White space before it: pasted with the URL.)
_SCHEME = re.compile(r"\s*[A-Za-z][A-Za-z0-9+.-]+:/*")

#: An authority that names hosts and ports only: `host`, `host:5432`, `[::1]:5432`, or
#: libpq's list of them (`h1:5432,h2:5433`).
_HOSTS = re.compile(r"(?:\[[^\]]*\]|[^:,\[\]@]*)(?::\d*)?(?:,(?:\[[^\]]*\]|[^:,\[\]@]*)(?::\d*)?)*")

#: A key naming a password: `password`, `passwd`, `pwd`, or any key ending so.
_SECRET_KEY_PATTERN = r"[\w.-]*(?:pass(?:word|wd)|pwd)"
_SECRET_KEY = re.compile(_SECRET_KEY_PATTERN, re.IGNORECASE)

#: A URL query's parameter (after `?` or `&`), its value up to the next `&` (a password's
#: unencoded `#` or white space is its own: hidden too, as a fragment after it may be).
_QUERY_PARAMETER = re.compile(r"(?<=[?&])([^=&#\s]*)=([^&]*)")

#: A libpq-style `key = value`, its key not part of a longer word nor a query's: the
#: value single-quoted (backslash escapes) or up to white space (libpq's conninfo_parse).
_KEY_VALUE = re.compile(
    rf"(?<![\w.?&-])({_SECRET_KEY_PATTERN})(\s*=\s*)"
    r"('(?:[^'\\]|\\[\s\S]?)*(?:'|\Z)|(?:[^\s\\]|\\[\s\S]?)*)",
    re.IGNORECASE,
)


def hidden_credentials(text: str) -> str:
    """`text` with any credentials it may hold replaced by `***` (see the module
    docstring for the shapes); text holding none is returned unchanged."""
    return _secret_values_hidden(_userinfo_hidden(text))


def named_source(path: Path, given: str | None = None) -> str:
    """How a message names the file `path`, given as the SOURCE text `given`: exactly
    where a file (or anything) is there; else `given` with its credentials hidden where it
    holds any (`sqlite:///u:pw@h/db` names the file `u:pw@h/db`, whose credentials only
    the URL shows), and the path as before where it holds none."""
    if exists(path):
        return str(path)
    text = str(path) if given is None else given
    hidden = hidden_credentials(text)
    return hidden if hidden != text else str(path)


def _userinfo_hidden(text: str) -> str:
    scheme = _SCHEME.match(text)
    slashes = text.find("//")
    starts = [scheme.end()] if scheme else []
    if slashes >= 0:
        starts.append(slashes + 2)
    if not starts:
        return text
    start = min(starts)  # (the earliest: a password may hold "//")
    at = text.rfind("@")
    if at > start:
        colon = text.find(":", start, at)
        return text if colon < 0 else f"{text[: colon + 1]}{HIDDEN}{text[at:]}"
    if slashes < 0:  # (after `scheme:` alone comes a path, not a host and port)
        return text
    authority_at = slashes + 2
    authority = re.split(r"[/?#]", text[authority_at:], maxsplit=1)[0]
    colon = authority.find(":")
    if colon < 0 or _HOSTS.fullmatch(authority):
        return text
    return f"{text[: authority_at + colon + 1]}{HIDDEN}"


def _secret_values_hidden(text: str) -> str:
    def query(match: re.Match[str]) -> str:
        key = match.group(1)
        return f"{key}={HIDDEN}" if _SECRET_KEY.fullmatch(unquote(key)) else match.group()

    text = _QUERY_PARAMETER.sub(query, text)
    return _KEY_VALUE.sub(lambda match: f"{match.group(1)}{match.group(2)}{HIDDEN}", text)


def exists(path: Path) -> bool:
    """Whether something is at `path` (False for a name the file system cannot hold)."""
    try:
        return path.exists()
    except OSError:  # (a name too long for the file system: no file of that name)
        return False
