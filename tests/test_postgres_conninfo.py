"""A libpq key=value connection string given as SOURCE (`sources.postgres_conninfo`):
refused as one, with the postgresql:// URL naming the same server, its password hidden;
it was refused for its "file type", the text after its last dot."""

from __future__ import annotations

from pathlib import Path

import pytest
from usage_analytics.cli import main
from usage_analytics.sources import UnsupportedSourceError, open_source
from usage_analytics.sources.files import FileSource
from usage_analytics.sources.postgres_conninfo import conninfo_refusal


@pytest.mark.parametrize(
    ("conninfo", "url"),
    [
        ("host=127.0.0.1 port=5432 user=me dbname=usage", "postgresql://me@127.0.0.1:5432/usage"),
        ("dbname=usage", "postgresql:///usage"),
        ("host=db.example.com sslmode=require", "postgresql://db.example.com/?sslmode=require"),
        ("host=/var/run/postgresql dbname=x", "postgresql:///x?host=/var/run/postgresql"),
        ("host=::1 port=5433", "postgresql://[::1]:5433/"),
        ("user='a b' dbname='it\\'s'", "postgresql://a%20b@/it%27s"),
        ("HOST = db  DBNAME = usage", "postgresql://db/usage"),
    ],
)
def test_a_connection_string_is_refused_naming_its_url(conninfo: str, url: str) -> None:
    message = conninfo_refusal(conninfo)
    assert message is not None
    assert message.endswith(
        f"connection string; name a PostgreSQL server by its URL instead: {url}"
    )
    with pytest.raises(UnsupportedSourceError) as raised:
        open_source(conninfo)
    assert str(raised.value) == message


def test_its_password_is_shown_nowhere(capsys: pytest.CaptureFixture[str]) -> None:
    conninfo = "host=db user=me password='s3cret pass' sslpassword=k3y dbname=usage"
    code = main(["dashboard", conninfo])
    captured = capsys.readouterr()
    assert (code, captured.out) == (2, "")
    assert "s3cret" not in captured.err
    assert "k3y" not in captured.err
    assert captured.err == (
        "usage-analytics: error: 'host=db user=me password=*** sslpassword=*** dbname=usage' "
        "is a libpq key=value connection string; name a PostgreSQL server by its URL instead: "
        "postgresql://me@db/usage (its password is left out here: write it as "
        "USER:PASSWORD@ in the URL, an '@' in it as %40, or set PGPASSWORD)\n"
    )


@pytest.mark.parametrize(
    "text",
    ["runs.csv", "a=b.csv", "x=1 y=2", "host=db trailing garbage", "=host", "logs/day=1"],
)
def test_other_text_is_no_connection_string(text: str) -> None:
    assert conninfo_refusal(text) is None


def test_a_file_of_that_name_is_read_as_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    name = "host=db.jsonl"
    (tmp_path / name).write_text('{"pattern_id": "p", "timestamp": "2026-11-01T00:00Z"}\n')
    assert isinstance(open_source(name), FileSource)
    assert main(["dashboard", name]) == 0


@pytest.mark.parametrize(
    ("conninfo", "shown", "url"),
    [
        # libpq reads an unquoted value up to white space, a quote in it and a backslash
        # escape included: such strings were no connection string here, so a file's
        # name, and the file's error quoted them whole, the password with them.
        ("host=db password=pw'x9q dbname=x", "host=db password=*** dbname=x", "postgresql://db/x"),
        (
            "host=db password=pw\\ x9q dbname=x",
            "host=db password=*** dbname=x",
            "postgresql://db/x",
        ),
        ("dbname=it\\'s host=db", "dbname=it\\'s host=db", "postgresql://db/it%27s"),
        # (libpq refuses an unterminated quote; refused here too, its text hidden.)
        ("host=db password='pw x9q", "host=db password=***", "postgresql://db/"),
        # A keyword libpq has not (which libpq refuses) may be a misspelt password's: its
        # value was quoted, and written into the URL's query.
        ("host=db passwd=s3cret", "host=db passwd=***", "postgresql://db/"),
    ],
)
def test_libpq_values_and_unknown_keywords_are_hidden(conninfo: str, shown: str, url: str) -> None:
    with pytest.raises(UnsupportedSourceError) as raised:
        open_source(conninfo)
    message = str(raised.value)
    assert message.startswith(f"{shown!r} is a libpq key=value connection string;")
    assert f"by its URL instead: {url}" in message
    assert "x9q" not in message
    assert "s3cret" not in message


@pytest.mark.parametrize(
    "text",
    [
        "x host=db password=s3cret",
        "host=db password=s3cret trailing garbage",
        "see PGPASSWORD=s3cret",
        "x user=me passwd='s3cret pass'",
    ],
)
def test_a_password_in_text_that_is_no_connection_string_is_hidden(
    capsys: pytest.CaptureFixture[str], text: str
) -> None:
    # No connection string (so no refusal of one): taken for a file's name, whose error
    # ("unsupported file type") quoted it whole, its password with it.
    assert conninfo_refusal(text) is None
    assert main(["dashboard", text]) == 2
    captured = capsys.readouterr()
    assert "s3cret" not in captured.err
    assert "=***" in captured.err
