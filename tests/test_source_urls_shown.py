"""A SOURCE URL that is refused (an unknown scheme, SQLAlchemy's `postgresql+driver://`,
a malformed `sqlite:` URL) is named in the error with its password hidden, as every
message naming a PostgreSQL server is (`postgres_url.redacted`): the password was quoted
whole, onto the terminal and into CI logs."""

from __future__ import annotations

import pytest
from usage_analytics.cli import main
from usage_analytics.sources import UnsupportedSourceError, open_source

SECRET = "s3cret-pw"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"postgresq://me:{SECRET}@db/usage",
            "unsupported URL scheme 'postgresq://' in 'postgresq://me:***@db/usage': use ",
        ),
        (
            f"mysql://me:{SECRET}@db/usage",
            "unsupported URL scheme 'mysql://' in 'mysql://me:***@db/usage': use ",
        ),
        (
            f"sqlite://me:{SECRET}@db/usage",
            "bad SQLite URL 'sqlite://me:***@db/usage': use sqlite:///relative/path.db",
        ),
        (
            f"postgresql+psycopg://me:{SECRET}@db:5432/usage?sslmode=require",
            "'postgresql+psycopg://me:***@db:5432/usage?sslmode=require' is a SQLAlchemy URL, "
            "its driver named after '+': pass the URL without it, postgresql://",
        ),
        (
            f"postgres+asyncpg://me:{SECRET}@db/usage",
            "'postgres+asyncpg://me:***@db/usage' is a SQLAlchemy URL",
        ),
    ],
)
def test_a_refused_url_is_shown_without_its_password(
    capsys: pytest.CaptureFixture[str], url: str, expected: str
) -> None:
    with pytest.raises(UnsupportedSourceError) as raised:
        open_source(url)
    assert SECRET not in str(raised.value)
    assert expected in str(raised.value)
    code = main(["dashboard", url])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert SECRET not in captured.err
    assert expected in captured.err


def test_a_sqlalchemy_postgres_url_names_the_url_to_pass() -> None:
    with pytest.raises(UnsupportedSourceError) as raised:
        open_source("postgresql+psycopg2://me@db:5432/usage")
    assert str(raised.value) == (
        "'postgresql+psycopg2://me@db:5432/usage' is a SQLAlchemy URL, its driver named after "
        "'+': pass the URL without it, postgresql://me@db:5432/usage"
    )
