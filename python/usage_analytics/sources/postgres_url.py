"""PostgreSQL URLs: checked as libpq reads them, and shown without their passwords.

Every message that names a server goes through `redacted` (a URL) or `first_line` (a
driver's error, which may quote a password libpq could not read).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from usage_analytics.sources.base import UnsupportedSourceError
from usage_analytics.sources.credentials import hidden_credentials

__all__ = ["CONNECT_TIMEOUT", "POSTGRES_SCHEMES", "checked_url", "first_line", "redacted"]

POSTGRES_SCHEMES = ("postgresql", "postgres")
#: Seconds to wait for a server that does not answer (added to URLs without one).
CONNECT_TIMEOUT = 10


def checked_url(url: str) -> str:
    """`url` if it is a usable postgresql:// URL, with a connect timeout added.

    The URL is read as libpq reads it, not as `urlsplit` does: the user information runs
    to the first `@` before any `/`, so a password may hold `#` or `?` (`urlsplit` took
    `#t@host` for a fragment), and a URL without a host (`postgresql:///db`, a Unix
    socket) keeps its `//`. A host part holding `@` is refused: libpq would take the rest
    of an unencoded `@` in a password for the host, and name it in its error. Only the
    host and port are checked here; libpq checks the rest when it connects."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in POSTGRES_SCHEMES:
        raise UnsupportedSourceError(
            f"bad PostgreSQL URL {redacted(url)!r}: it must start with postgresql://"
        )
    after_user = _after_userinfo(rest)
    host = re.split(r"[/?]", after_user, maxsplit=1)[0]
    if "@" in host:
        raise UnsupportedSourceError(
            f"bad PostgreSQL URL {redacted(url)!r}: its host part holds '@' "
            "(write an '@' in a user name or password as %40)"
        )
    try:
        for one_host in host.split(","):  # (libpq takes several: "h1:5432,h2:5433")
            urlsplit(f"postgresql://{one_host}").port  # noqa: B018 (raises on a malformed port)
    except ValueError:  # (its message quotes the port: a password's end, misplaced)
        raise UnsupportedSourceError(
            f"bad PostgreSQL URL {redacted(url)!r}: its host or port cannot be read"
        ) from None
    url = f"{scheme.lower()}://{rest}"  # (libpq reads the scheme in lower case only)
    _, question, query = after_user.partition("?")
    if any(key == "connect_timeout" for key, _ in _query_pairs(query)):
        return url
    joiner = "&" if question and query and not query.endswith("&") else "" if question else "?"
    return f"{url}{joiner}connect_timeout={CONNECT_TIMEOUT}"


def _after_userinfo(rest: str) -> str:
    """What follows the user information of a URL's part after `://`, as libpq finds it
    (up to the first `@` before any `/`)."""
    slash = rest.find("/")
    at = rest.find("@", 0, len(rest) if slash < 0 else slash)
    return rest[at + 1 :]


def _query_pairs(query: str) -> list[tuple[str, str]]:
    """A URL query's parameters as libpq reads them: keys percent-decoded (`pass%77ord`
    is `password`), values as written."""
    pairs = []
    for item in query.split("&"):
        key, _, value = item.partition("=")
        pairs.append((unquote(key), value))
    return pairs


#: Connection parameters holding secrets, hidden when a URL is shown (libpq's names).
_SECRET_PARAMETERS = frozenset({"password", "sslpassword"})


def redacted(url: str) -> str:
    """`url` with its passwords hidden, for messages: the one after `user:` and any given
    as a query parameter (`?password=...`, its key percent-encoded or not), as every
    SOURCE's text is hidden (`credentials.hidden_credentials`).

    Whatever parser is right about where the user information ends (libpq's first `@`
    before a `/`, `urlsplit`'s last `@` before a `/`, `?` or `#`), the password is hidden
    up to the URL's last `@`: a password with an unencoded `/` or `#` is hidden too. (So is
    a host and port followed by an `@` in a query value: shown as `host:***@...`, which
    says less than it could, but never a secret.) Without an `@`, a host's "port" that is
    no number (`postgresql://me:pw/db`) is hidden: it is a password, its host forgotten."""
    return hidden_credentials(url)


def _secrets(url: str) -> list[str]:
    """The passwords `url` may hold, as written and decoded, longest first: after `user:`
    up to libpq's `@` and up to the last one, and the query's password parameters."""
    _, sep, rest = url.partition("://")
    if not sep:
        return []
    found = [
        value for key, value in _query_pairs(rest.partition("?")[2]) if key in _SECRET_PARAMETERS
    ]
    libpq_at = len(rest) - len(_after_userinfo(rest)) - 1
    for at in {libpq_at, rest.rfind("@")}:
        colon = rest.find(":", 0, max(at, 0))
        if colon >= 0:
            found.append(rest[colon + 1 : at])
    found += [unquote(secret) for secret in found]
    return sorted({secret for secret in found if secret}, key=len, reverse=True)


#: Passwords this short are hidden only where a message quotes them: written over every
#: match, "e" turned "Failed to connect" into "Fail***d to conn***ct".
_SHORTEST_BARE_SECRET = 8


def _hidden(message: str, url: str) -> str:
    """`message` (a driver's) without any password of `url`."""
    for secret in _secrets(url):
        if len(secret) >= _SHORTEST_BARE_SECRET:
            message = message.replace(secret, "***")
        else:
            for quote in ('"', "'"):
                message = message.replace(f"{quote}{secret}{quote}", f"{quote}***{quote}")
    return message


def first_line(error: BaseException, url: str) -> str:
    """The first line of a driver's error, without the driver's prefixes and without the
    passwords of `url` (libpq quotes a password it cannot read)."""
    text = str(error).strip() or type(error).__name__
    line = text.splitlines()[0]
    return _hidden(_DRIVER_PREFIXES.sub("", line) or line, url)


#: What the driver writes before the server's own message: ADBC's status, libpq's name,
#: the step that failed (with the query's text, which may be long; a write's is "execute
#: COPY statement"), libpq's result status and the message's severity ("UNAUTHORIZED:
#: [libpq] Failed to execute query: could not begin COPY: ERROR:  permission denied ...").
_DRIVER_PREFIXES = re.compile(
    r"^(?:(?:IO|UNKNOWN|NOT_IMPLEMENTED|NOT_FOUND|ALREADY_EXISTS|INVALID_ARGUMENT|INVALID_STATE"
    r"|INVALID_DATA|INTEGRITY|INTERNAL|CANCELLED|TIMEOUT|UNAUTHENTICATED|UNAUTHORIZED"
    r"|ERROR|FATAL|PANIC):\s+|\[libpq\] |Failed to [A-Za-z ]+(?: '.*?')?: "
    r"|could not begin COPY: |PGRES_[A-Z_]+ )+"
)
