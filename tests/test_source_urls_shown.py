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


@pytest.mark.parametrize(
    ("source", "shown"),
    [
        # Shapes the URL parsers do not read, each quoted whole in an error (`credentials`):
        # no "@" (read as a host and its port), "sqlite:" without slashes, a scheme without
        # its colon, a missing file named by a sqlite:/// URL, libpq's password= in text
        # that is no connection string.
        (f"mysql://me:{SECRET}", "'mysql://me:***'"),
        (f"sqlite:me:{SECRET}@db/usage", "'sqlite:me:***@db/usage'"),
        (f"postgresql//me:{SECRET}@db/usage", "postgresql//me:***@db/usage: unsupported file"),
        (f"sqlite:///me:{SECRET}@db/usage.db", "sqlite:///me:***@db/usage.db: no such file"),
        (f"sqlite:///me:{SECRET}@db/usage", "sqlite:///me:***@db/usage: no such file"),
        (f"x host=db password={SECRET}", "x host=db password=***: unsupported file"),
        (f"x host=db passwd='{SECRET} x'", "x host=db passwd=***: unsupported file"),
        (f"postgresql://me:{SECRET}/usage", "'postgresql://me:***': its host or port"),
    ],
)
def test_a_source_in_any_shape_is_named_without_its_password(
    capsys: pytest.CaptureFixture[str], source: str, shown: str
) -> None:
    code = main(["analyze", source, "--pattern", "x"])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert SECRET not in captured.err
    assert shown in captured.err


@pytest.mark.parametrize("stem", [f"me:{SECRET}@db", f"ab:me:{SECRET}@db", "runs@2026"])
def test_an_existing_file_is_read_and_named_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stem: str
) -> None:
    # A file's name may hold "@" and ":": hiding part of it would name another file.
    monkeypatch.chdir(tmp_path)
    for suffix in (".jsonl", ".txt"):
        (tmp_path / f"{stem}{suffix}").write_text(
            '{"pattern_id": "p", "timestamp": "2026-11-01T00:00Z"}\n'
        )
    assert main(["analyze", f"{stem}.jsonl", "--pattern", "p"]) == 0
    # (Its record has no success: the note on that names the file as it is too.)
    assert capsys.readouterr().err.startswith(
        f"usage-analytics: note: no record of the window in {stem}.jsonl has a 'success' field"
    )
    assert main(["analyze", f"{stem}.txt", "--pattern", "p"]) == 2
    assert capsys.readouterr().err.startswith(
        f"usage-analytics: error: {stem}.txt: unsupported file type ('.txt'"
    )


def test_a_missing_file_of_no_credentials_is_named_as_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["analyze", "data/runs@2026.csv", "--pattern", "x"]) == 2
    assert capsys.readouterr().err == "usage-analytics: error: data/runs@2026.csv: no such file\n"
