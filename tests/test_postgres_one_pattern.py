"""A read of one pattern from a PostgreSQL table finds the stored ids `fetch_all` groups
under it without listing every id (`postgres_spellings`), where the column's type and
collation allow: exactly those ids (padded text, a UUID's spellings in any case, a
number's other texts), against a real server (see conftest.py; its databases are "C").
"""

from __future__ import annotations

import asyncio
import re
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pg_calls import sql
from source_cases import NOW, START
from usage_analytics.sources import PostgresSource, TableSpec, UnknownPatternError
from usage_analytics.sources.base import WHITESPACE

#: Kind -> SQL literals of ids of that type, some of one pattern (1, 1.0 and 1.00).
_NUMBER_IDS = {
    "smallint": ["1", "-7", "32767"],
    "integer": ["1", "-7", "10"],
    "bigint": ["1", "9007199254740993", "-7"],
    "numeric": [
        "1",
        "1.0",
        "1.00",
        "2.5",
        "2.50",
        "-0",
        "0.10",
        "12345678901234567890123456789012",
    ],
    "real": ["1", "-0", "0", "0.1", "1e20", "3.4028235e38", "'Infinity'", "1.4e-45"],
    "double precision": ["1", "-0", "0", "0.1", "1e20", "5e-324", "'-Infinity'"],
    "boolean": ["true", "false"],
}


def _table(url: str, kind: str, literals: list[str], collation: str = "") -> None:
    """Table `ids`: a row a literal (as `kind`), a second apart, with the library's
    (pattern_id, timestamp) index."""
    rows = ", ".join(
        f"(({literal})::{kind}, timestamptz '{START.isoformat()}' + interval '{i} seconds', true)"
        for i, literal in enumerate(literals)
    )
    sql(
        url,
        "DROP TABLE IF EXISTS ids",
        f"CREATE TABLE ids (pattern_id {kind}{collation}, timestamp timestamptz, success bool)",
        f"INSERT INTO ids VALUES {rows}",
        "CREATE INDEX ON ids (pattern_id, timestamp)",
        "ANALYZE ids",
    )


def _groups(url: str) -> dict[str, int]:
    """fetch_all's group sizes."""

    async def go() -> dict[str, int]:
        async with PostgresSource(url, TableSpec("ids")) as source:
            return {g.pattern_id: g.count for g in await source.fetch_all(START, NOW)}

    return asyncio.run(go())


def _reads(url: str, wanted: list[str]) -> dict[str, int]:
    """Each of `wanted`'s one-pattern read's size (an unknown pattern -1)."""

    async def go() -> dict[str, int]:
        async with PostgresSource(url, TableSpec("ids")) as source:
            reads = {}
            for pattern in wanted:
                try:
                    reads[pattern] = (await source.fetch(pattern, START, NOW)).count
                except UnknownPatternError:
                    reads[pattern] = -1
            return reads

    return asyncio.run(go())


def _without_listing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*args: Any) -> list[str]:
        raise AssertionError("every pattern id was listed")

    monkeypatch.setattr(PostgresSource, "_pattern_ids", refused)


@pytest.mark.parametrize("kind", sorted(_NUMBER_IDS))
def test_a_number_columns_pattern_is_read_without_listing_the_ids(
    postgres_url: str, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _table(postgres_url, kind, _NUMBER_IDS[kind])
    groups = _groups(postgres_url)
    # (An unknown pattern's error lists the stored ones: there every id is listed.)
    assert _reads(postgres_url, ["1.0", "2", "abc"]) == {"1.0": -1, "2": -1, "abc": -1}
    _without_listing(monkeypatch)
    assert _reads(postgres_url, list(groups)) == groups
    if "1" in groups:
        assert _reads(postgres_url, [" 1 "]) == {" 1 ": groups["1"]}


@pytest.mark.parametrize(
    ("kind", "collation"),
    [
        ("text", ""),  # (the database's, "C")
        ("character varying", ""),
        ("text", ' COLLATE "C"'),
        ("text", ' COLLATE "POSIX"'),
        ("text", " COLLATE ucs_basic"),
    ],
)
def test_a_text_columns_pattern_is_read_without_listing_the_ids(
    postgres_url: str, kind: str, collation: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    uuid = "0123abcd-4567-89ef-0123-456789abcdef"
    ids = ["a", " a", "a\t", "\u3000a\u2029", "ab", "a b", "b", uuid, uuid.upper()]
    ids += [
        "{" + uuid.replace("-", "").upper() + "}",
        "urn:UUID:0123ABcd-4567-89eF-0123-456789abcdef ",
    ]
    _table(postgres_url, kind, [_literal(text) for text in ids], collation)
    assert _reads(postgres_url, ["c"]) == {"c": -1}  # (its error lists every id)
    _without_listing(monkeypatch)
    reads = _reads(postgres_url, ["a", "ab", "a b", "b", uuid, uuid.upper()])
    assert reads == {"a": 4, "ab": 1, "a b": 1, "b": 1, uuid: 4, uuid.upper(): 4}


def test_a_collation_by_language_still_lists_the_ids(postgres_url: str) -> None:
    # ("a b" sorts among "ab..." there: no range of its index holds "a" then whitespace.)
    collation = sql(
        postgres_url,
        "SELECT collname FROM pg_collation WHERE collprovider = 'c' "
        "AND collcollate NOT IN ('C', 'POSIX') AND collencoding IN (-1, 6) LIMIT 1",
    )
    if not collation:
        pytest.skip("the server has no libc collation but C and POSIX")
    _table(postgres_url, "text", ["'a'", "' a'", "'b'"], f' COLLATE "{collation[0][0]}"')
    assert _reads(postgres_url, ["a", "b"]) == _groups(postgres_url) == {"a": 2, "b": 1}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


#: The characters of a short text id: a LIKE pattern's, an array literal's and SQL's
#: quotes and escapes, characters that are not whitespace to Python (U+FEFF, U+180E,
#: U+200B) or that are (U+00A0 within an id), and non-ASCII letters of either case.
_ID_CHARACTERS = "ab -%_\\'\",{}\u00a0\u00e9\u00c9\ufeff\u180e\u200b\x1f"


_UUIDS = [UUID(int=n) for n in (0x0123ABCD456789EF0123456789ABCDEF, 0xA0A0, 7 << 120)]


@st.composite
def _spelled_ids(draw: st.DrawFn) -> str:
    """A stored text id: a short text or a UUID's spelling (any case, any form), padded
    with whitespace or not."""
    if draw(st.booleans()):
        core = draw(st.text(alphabet=_ID_CHARACTERS, min_size=1, max_size=3))
    else:
        uuid = draw(st.sampled_from(_UUIDS))
        form = draw(st.sampled_from([str(uuid), uuid.hex]))
        form = "{" + form + "}" if draw(st.booleans()) else form
        form = draw(st.sampled_from(["", "urn:uuid:", "URN:uuid:"])) + form
        cases = draw(st.lists(st.booleans(), min_size=len(form), max_size=len(form)))
        core = "".join(c.upper() if up else c for c, up in zip(form, cases, strict=True))
    space = st.text(alphabet=WHITESPACE, max_size=2)
    return draw(space) + core + draw(space)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["text", "character varying", "character(60)", "name", "citext"]),
    ids=st.lists(_spelled_ids(), min_size=1, max_size=12),
)
def test_a_text_patterns_read_is_the_rows_fetch_all_groups_under_it(
    postgres_url: str, kind: str, ids: list[str]
) -> None:
    # (text and varchar: found by the index, `postgres_spellings`; the others listed.)
    sql(postgres_url, "CREATE EXTENSION IF NOT EXISTS citext")
    _table(postgres_url, kind, [_literal(text) for text in ids])
    groups = _groups(postgres_url)
    reads = _reads(postgres_url, [*groups, *map(str, _UUIDS), "a", "b", "%", "_", "a%"])
    assert {key: reads[key] for key in groups} == groups
    assert all(reads[key] == -1 for key in reads if key not in groups)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from(["numeric", "real", "double precision"]),
    values=st.lists(
        st.one_of(
            st.floats(allow_nan=False, width=32).map(repr),
            st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
            st.integers(-(10**33), 10**33).map(str),
        ),
        min_size=1,
        max_size=10,
    ),
)
def test_a_number_patterns_read_is_the_rows_fetch_all_groups_under_it(
    postgres_url: str, kind: str, values: list[str]
) -> None:
    literals = [f"'{value}'" for value in values if kind != "numeric" or "inf" not in value]
    if not literals:
        return
    _table(postgres_url, kind, literals)
    groups = _groups(postgres_url)
    assert _reads(postgres_url, list(groups)) == groups


@pytest.mark.parametrize(
    "wanted",
    [
        "1" + "0" * 131072,  # (131,073 digits before the point: numeric_in holds 131,072)
        "1E-16384",  # (16,384 after it, as such a number's key writes it: it holds 16,383)
    ],
)
def test_a_number_no_numeric_holds_is_an_unknown_pattern_of_a_numeric_column(
    postgres_url: str, wanted: str
) -> None:
    # Its read asked for the column's values equal to it: "value overflows numeric
    # format" failed the query, where listing the ids had found it no pattern.
    # (The most digits it holds, found: 1E-16383, and a 1 of 131,072 digits.)
    most = ["'1E-16383'", "'1" + "0" * 131071 + "'"]
    _table(postgres_url, "numeric", ["1", "2.5", *most])
    groups = _groups(postgres_url)
    assert len(groups) == 4
    assert _reads(postgres_url, [wanted, *groups]) == {wanted: -1, **groups}


@pytest.mark.parametrize("wanted", ["a\x00b", "a\udc80b"])
@pytest.mark.parametrize(
    "kind", ["text", "character varying", "character(3)", "name", "citext", "interval", "text[]"]
)
def test_a_pattern_id_holding_nul_is_an_unknown_pattern(
    postgres_url: str, kind: str, wanted: str
) -> None:
    # No PostgreSQL text holds NUL: bound in the read's query, it failed it ("query
    # failed: invalid byte sequence for encoding"), where SQLite said "no records". Nor a
    # lone surrogate, which binding raised UnicodeEncodeError of.
    sql(postgres_url, "CREATE EXTENSION IF NOT EXISTS citext")
    _table(postgres_url, kind, ["'{a}'" if kind == "text[]" else "'1 day'"])
    named = re.escape(f"pattern_id {wanted!r}")

    async def go() -> None:
        async with PostgresSource(postgres_url, TableSpec("ids")) as source:
            with pytest.raises(UnknownPatternError, match=named):
                await source.fetch(wanted, START, NOW)
            with pytest.raises(UnknownPatternError, match=named):
                await source.newest(wanted)
            with pytest.raises(UnknownPatternError, match=named):
                await source.first_record(wanted)

    asyncio.run(go())


def test_a_json_value_holding_nul_is_its_pattern(postgres_url: str) -> None:
    # (json keeps the escape "\u0000" as written; its value's text, the pattern, holds NUL.)
    sql(
        postgres_url,
        "DROP TABLE IF EXISTS ids",
        "CREATE TABLE ids (pattern_id json, timestamp timestamptz, success bool)",
        f"INSERT INTO ids VALUES ('\"a\\u0000b\"', '{START.isoformat()}', true), "
        f"('\"ab\"', '{START.isoformat()}', true)",
    )
    assert _groups(postgres_url) == {"a\x00b": 1, "ab": 1}
    assert _reads(postgres_url, ["a\x00b", "a\x00c"]) == {"a\x00b": 1, "a\x00c": -1}


def test_an_unknown_patterns_error_cuts_each_id_it_names(postgres_url: str) -> None:
    # Five stored ids of a megabyte each made a message of five megabytes.
    # (No btree indexes such ids: at most 2,704 bytes.)
    sql(
        postgres_url,
        "DROP TABLE IF EXISTS ids",
        "CREATE TABLE ids (pattern_id text, timestamp timestamptz, success bool)",
        "INSERT INTO ids SELECT n || repeat('p', 1000000), now(), true "
        "FROM generate_series(0, 6) AS n",
    )

    async def message(wanted: str) -> str:
        async with PostgresSource(postgres_url, TableSpec("ids")) as source:
            with pytest.raises(UnknownPatternError) as raised:
                await source.fetch(wanted, START, NOW)
        return str(raised.value)

    listed = asyncio.run(message("nope"))
    cut = "p" * 79 + "..."
    assert listed.endswith(f"(it has: {', '.join(str(n) + cut for n in range(5))} and 2 more)")
    starting = asyncio.run(message("1" + "p" * 100))  # (ids starting with it, named whole)
    assert starting.startswith("no records with pattern_id '1" + "p" * 78 + "... in table 'ids'")
    assert starting.endswith(f"; ids starting with it: 1{cut} (pass the whole id)")


def test_an_unknown_patterns_read_lists_the_ids_once(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Where the column's index finds no spellings (citext here), the read lists the ids
    # to find them, and its error listed them again to name the patterns.
    sql(postgres_url, "CREATE EXTENSION IF NOT EXISTS citext")
    _table(postgres_url, "citext", ["'a'", "' a'", "'b'"])
    listed = PostgresSource._listed_ids
    calls: list[str] = []

    def counted(source: PostgresSource, *args: Any) -> list[str]:
        calls.append("listed")
        return listed(source, *args)

    monkeypatch.setattr(PostgresSource, "_listed_ids", counted)

    async def go() -> list[int]:
        counts = []
        async with PostgresSource(postgres_url, TableSpec("ids")) as source:
            for read in ("fetch", "newest", "first_record", "fetch_all"):
                calls.clear()
                if read == "fetch_all":
                    assert [g.pattern_id for g in await source.fetch_all(START, NOW)] == ["a", "b"]
                else:
                    args = (START, NOW) if read == "fetch" else ()
                    with pytest.raises(UnknownPatternError, match=r"\(it has: a, b\)"):
                        await getattr(source, read)("c", *args)
                counts.append(len(calls))
        return counts

    assert asyncio.run(go()) == [1, 1, 1, 1]


def test_a_bytea_id_holding_nul_is_its_pattern(postgres_url: str) -> None:
    # A bytea id is keyed by its UTF-8 text, which may hold NUL (b"a\x00b": "a\x00b"), as
    # `fetch_all` groups it; the read asks for its rows by the bytea's text ("\x610062"),
    # which holds none. (Refused as holding NUL, its read was "no records".)
    _table(postgres_url, "bytea", ["'\\x610062'", "'\\x6162'", "'\\x610063'"])
    groups = _groups(postgres_url)
    assert groups == {"a\x00b": 1, "ab": 1, "a\x00c": 1}
    assert _reads(postgres_url, [*groups, "a\x00d"]) == {**groups, "a\x00d": -1}
