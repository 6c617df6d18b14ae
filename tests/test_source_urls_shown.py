"""A SOURCE URL that is refused (an unknown scheme, SQLAlchemy's `postgresql+driver://`,
a malformed `sqlite:` URL) is named in the error with its password hidden, as every
message naming a PostgreSQL server is (`postgres_url.redacted`): the password was quoted
whole, onto the terminal and into CI logs."""

from __future__ import annotations

from pathlib import Path

import pytest
from usage_analytics.cli import main
from usage_analytics.sources import UnsupportedSourceError, open_source
from usage_analytics.sources.files import FileSource

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


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # A scheme this does not take for one (a JDBC URL's "jdbc:postgresql", white space
        # pasted before it, a digit first): the text was taken for a file's name, and the
        # file's error ("unsupported file type") quoted it whole, its password with it.
        (
            f"jdbc:postgresql://db:5432/usage?user=me&password={SECRET}",
            "'jdbc:postgresql://db:5432/usage?user=me&password=***'",
        ),
        (f" postgresql://me:{SECRET}@db/usage", "' postgresql://me:***@db/usage'"),
        (f"1mysql://me:{SECRET}@db/usage", "'1mysql://me:***@db/usage'"),
    ],
)
def test_a_url_of_no_scheme_read_is_no_files_name(
    capsys: pytest.CaptureFixture[str], url: str, shown: str
) -> None:
    with pytest.raises(UnsupportedSourceError) as raised:
        open_source(url)
    assert str(raised.value).startswith(f"{shown} is neither a file nor a URL of a source")
    code = main(["dashboard", url])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert SECRET not in captured.err
    assert shown in captured.err


def test_a_file_whose_name_holds_a_url_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (A path of "x://y" is the file y in the directory "x:".)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x:").mkdir()
    (tmp_path / "x:" / "runs.jsonl").write_text(
        '{"pattern_id": "p", "timestamp": "2026-11-01T00:00Z"}\n'
    )
    assert isinstance(open_source("x://runs.jsonl"), FileSource)


@pytest.mark.parametrize(
    "url",
    [f"postgresql:/me:{SECRET}@db/usage", f"postgres:me:{SECRET}@db/usage"],
)
def test_a_postgres_url_short_of_its_slashes_is_refused_as_one(
    capsys: pytest.CaptureFixture[str], url: str
) -> None:
    # It was taken for a file's name, whose error quoted it whole, password and all.
    with pytest.raises(UnsupportedSourceError) as raised:
        open_source(url)
    scheme = url.partition(":")[0]
    assert str(raised.value) == (
        f"a PostgreSQL URL starts {scheme}:// (two slashes): did you mean "
        f"{scheme}://me:***@db/usage?"
    )
    assert main(["dashboard", url]) == 2
    captured = capsys.readouterr()
    assert SECRET not in captured.err
    assert "did you mean" in captured.err
