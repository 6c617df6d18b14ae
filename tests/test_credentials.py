"""`sources.credentials.hidden_credentials`: the one function naming a SOURCE's text in
messages (where it is no existing file): credentials hidden in any shape, other text as
given."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from usage_analytics.sources.credentials import hidden_credentials


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("mysql://me:pw@db/x", "mysql://me:***@db/x"),
        ("mysql://me:pw", "mysql://me:***"),
        ("mysql://me:pw/x", "mysql://me:***"),
        ("sqlite:me:pw@db/x", "sqlite:me:***@db/x"),
        ("postgresql:/me:pw@db/x", "postgresql:/me:***@db/x"),
        ("postgresql//me:pw@db/x", "postgresql//me:***@db/x"),
        ("//me:pw@db/x", "//me:***@db/x"),
        ("sqlite:///me:pw@db/x.db", "sqlite:///me:***@db/x.db"),
        ("sqlite:me:p//w@db", "sqlite:me:***@db"),  # (a password holding "//")
        ("x host=db password=pw y", "x host=db password=*** y"),
        ("x passwd = 'p w' y", "x passwd = *** y"),
        ("x PGPASSWORD=pw", "x PGPASSWORD=***"),
        (
            "a://h/x?user=me&pass%77ord=pw&sslmode=require",
            "a://h/x?user=me&pass%77ord=***&sslmode=require",
        ),
        ("a://h/x?password=p&w#f", "a://h/x?password=***&w#f"),
        ("a://h/x?password=p#w x&y=1", "a://h/x?password=***&y=1"),  # (its "#" and space)
    ],
)
def test_credentials_are_hidden(text: str, shown: str) -> None:
    assert hidden_credentials(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "data/runs@2026.csv",
        "runs:v2@2026.csv",
        "u:pw@h/x.csv",  # (no scheme before it: a file's name, "u" too short for one)
        "C://data/runs.csv",
        "postgresql://db:5432/usage",
        "postgresql://h1:5432,h2:5433/usage",
        "postgresql://[::1]:5432/usage",
        "postgresql://me@db/usage?sslmode=require",
        "host=db dbname=usage",
        "logs/day=1/runs.csv",
        "",
    ],
)
def test_other_text_is_shown_as_given(text: str) -> None:
    assert hidden_credentials(text) == text


_NAMES = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)


@given(
    shape=st.sampled_from(
        [
            "{scheme}://{user}:{secret}@{host}/{db}",
            "{scheme}:{user}:{secret}@{host}/{db}",
            "{scheme}//{user}:{secret}@{host}/{db}",
            "{scheme}:///{user}:{secret}@{host}/{db}",
            "{scheme}://{user}:{secret}",
            "{db} {host}={user} password={secret}",
            "{scheme}://{host}/{db}?{user}=1&password={secret}",
        ]
    ),
    scheme=_NAMES.filter(lambda name: name[0].isalpha() and len(name) > 1),
    user=_NAMES,
    host=_NAMES,
    db=_NAMES,
    # (Marked, so as not to be found in the text around it; any characters but white
    # space, "&" and a quote, which end or open a key=value's value.)
    secret=st.text(st.characters(exclude_categories=("Z", "C"), exclude_characters="&'\\"))
    .map(lambda text: f"Zq{text}")
    .filter(lambda text: not text.isdigit()),
)
def test_no_password_is_shown_in_any_shape(
    shape: str, scheme: str, user: str, host: str, db: str, secret: str
) -> None:
    text = shape.format(scheme=scheme, user=user, host=host, db=db, secret=secret)
    assert secret not in hidden_credentials(text)
