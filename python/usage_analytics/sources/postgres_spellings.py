"""The stored ids of one pattern in a PostgreSQL table, found without listing every id.

A read of one pattern (`PostgresSource.fetch`, `newest`, `first_record`) asks for the rows
of every stored id `fetch_all` groups under it (`postgres_ids.id_key`): padded text, the
other spellings of a UUID, a number's other texts. Listing every distinct id to find
them was most of such a read on a table of many ids (100,000 ids over 1M rows: the
listing's 1.2-2.8 s, the read's own 2-50 ms; BENCHMARKS.md, helper-282). Here they are
found by the column's own index where its type allows, exactly:

- an integer or a flag has one text a value, the pattern's (`postgres_id_values`): no
  query at all;
- a double's value is the one its key reads back to (-0 and 0 both "0", matched by
  value); a real's, those of one narrow range around it; a numeric's, those equal to the
  key's value (1, 1.0 and 1.00 are one value and one pattern, 2.5 and 2.50 too): their
  texts read from that range of the index (the pattern's rows, not the table's);
- a text column whose collation orders by code point ("C", "POSIX", in a UTF-8
  database; the index `_skip_scan` steps through): the key itself; the ids starting with
  it and then whitespace (one range of the index for each run of `WHITESPACE`); for a
  UUID, each spelling `uuid_spelled` reads, mixed case too, found letter by letter (a
  seek for each case of each letter, on the server: a step is kept only where some id
  starts so); and the ids starting with whitespace whose text stripped is the key (or a
  UUID's form, any case): an index range cannot tell "  a" from "  b" before the
  whitespace is read past, so the ranges of ids starting with whitespace are read and
  filtered on the server (`_padded_ids`), and what passes is keyed here.

Elsewhere (a collation ordering by language, where "a b" sorts among "ab..." and no range
holds the ids starting with "a" and a space; citext and case-insensitive collations;
`char(n)`, `name`, bytea, JSON, a numeric infinity, which PostgreSQL before 14 cannot
read) this finds nothing and the caller lists every id as before (`NOT_NARROWED`).
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from usage_analytics.sources.base import WHITESPACE, pattern_uuid
from usage_analytics.sources.postgres_id_values import value_texts
from usage_analytics.sources.postgres_ids import id_key

__all__ = ["NUMBER_TYPES", "TEXT_TYPES", "byte_ordered_collation", "number_forms", "text_forms"]

#: The number and flag column types (bases) whose pattern's ids `number_forms` finds.
NUMBER_TYPES = ("smallint", "integer", "bigint", "boolean", "double precision", "real", "numeric")
#: The text column types whose pattern's ids `text_forms` finds (in a byte-ordered collation).
TEXT_TYPES = ("text", "character varying")

#: Half a real's last place, relative (2**-24), with room: the reals whose text reads as
#: a double `d` lie within this of it (their text is the shortest that reads back).
_REAL_SPREAD = 2.0**-20
#: A real's least subnormal (2**-149), with room: the spread near zero.
_REAL_LEAST = 2.0**-140


def number_forms(cursor: Any, table: str, pid: str, base: str, key: str) -> list[str] | None:
    """The texts of the stored ids of pattern `key` in the number or flag column `pid`
    of type `base` (`NUMBER_TYPES`), as `_pattern_condition` asks for them by value: [] where
    no value's key is `key`; None where they cannot be found so (a numeric infinity)."""
    key_read = _number_written(key)
    if base in ("double precision", "real"):
        value = _float_of(key_read, key)
        if value is None:
            return []
        if base == "double precision":
            # One value, whose text (another for -0, which equals 0) the condition reads
            # as a double: no query.
            return [_float_text(value)]
        spread = max(abs(value) * _REAL_SPREAD, _REAL_LEAST) if math.isfinite(value) else 0.0
        bounds = [_float_text(value - spread), _float_text(value + spread)]
        between = f">= $1::float8 AND {pid} <= $2::float8"
        return _keyed_texts(cursor, table, pid, base, key, between, bounds)
    if base == "numeric":
        number = _decimal_of(key_read, key)
        if number is None:
            return []
        if not number.is_finite():
            return None  # (PostgreSQL 13 and older have no numeric infinity to compare)
        written = f"{number:f}"
        if not value_texts(base, [written]):
            # More digits than a numeric holds (numeric_in refused it: "value overflows
            # numeric format" failed the read, where no stored id is this pattern).
            return []
        # Equal values' texts (1, 1.0, 1.00): their key is the value's, so all are kept.
        return _keyed_texts(cursor, table, pid, base, key, "= $1::numeric", [written])
    return value_texts(base, [key])


def _keyed_texts(
    cursor: Any, table: str, pid: str, base: str, key: str, condition: str, bounds: list[str]
) -> list[str]:
    """The distinct texts of the ids `{pid} {condition}` selects whose key is `key`."""
    cursor.execute(
        f"SELECT DISTINCT {pid}::text FROM {table} WHERE {pid} {condition}",
        bounds,
    )
    key_of = id_key(base)
    texts = [str(text) for text in cursor.fetch_arrow_table().column(0).to_pylist()]
    return sorted(text for text in texts if key_of(text) == key)


def _number_written(key: str) -> str:
    """The number a key writes: itself, but for a number of 32 digits, which is keyed as
    the UUID they spell ("" where it spells one of other digits)."""
    uuid = pattern_uuid(key)
    if uuid is None:
        return key
    return uuid.hex if uuid.hex.isdigit() else ""


def _float_of(text: str, key: str) -> float | None:
    """The double whose key is `key` (written `text`), if any (keys read back to their
    value exactly: a double's shortest text, or an integral one's digits)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if id_key("double precision")(_float_text(value)) == key else None


def _decimal_of(text: str, key: str) -> Decimal | None:
    """The numeric value whose key is `key` (written `text`), if any (equal values share
    their key)."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    if number.is_nan():
        return None
    return number if id_key("numeric")(str(number)) == key else None


def _float_text(value: float) -> str:
    """A double as PostgreSQL reads it back exactly (Python's "inf" it reads too, but
    not before version 12)."""
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value)


def byte_ordered_collation(cursor: Any, table: str, column: str) -> str | None:
    """The collation of column `column` of `table` (its name as stored), as a COLLATE
    clause names it, where it orders text by code point in a UTF-8 database (libc's "C"
    or "POSIX", the database's default where that is one); else None."""
    cursor.execute(
        "SELECT (SELECT format('%I.%I', n.nspname, c.collname) FROM pg_collation c "
        "JOIN pg_namespace n ON n.oid = c.collnamespace WHERE c.oid = a.attcollation), "
        "getdatabaseencoding() = 'UTF8' AND CASE "
        "WHEN a.attcollation = 100 THEN (SELECT coalesce(to_jsonb(d) ->> 'datlocprovider', 'c') "
        "= 'c' AND d.datcollate IN ('C', 'POSIX') FROM pg_database d "
        "WHERE d.datname = current_database()) "
        "ELSE (SELECT c.collprovider = 'c' AND c.collcollate IN ('C', 'POSIX') "
        "FROM pg_collation c WHERE c.oid = a.attcollation) END "
        "FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attname = $2",
        (table, column),
    )
    row = cursor.fetchone()
    # (Qualified and quoted as SQL needs, `pg_catalog."C"`, `pg_catalog."default"`: by
    # `format`, where `regcollation`, which writes it so, is PostgreSQL 13's.)
    return None if row is None or not row[1] else str(row[0])


def _runs(characters: str) -> list[tuple[str, str]]:
    """`characters` as runs of consecutive code points: (first, one past the last)."""
    points = sorted(map(ord, characters))
    runs: list[list[int]] = []
    for point in points:
        if runs and runs[-1][1] == point:
            runs[-1][1] = point + 1
        else:
            runs.append([point, point + 1])
    return [(chr(first), chr(after)) for first, after in runs]


#: The runs of the whitespace `pattern_key` strips (none ends before a surrogate).
_WHITESPACE_RUNS = _runs(WHITESPACE)


def _uuid_templates(uuid: str) -> list[str]:
    """Each form `uuid_spelled` reads of the canonical UUID `uuid`, in lower case."""
    bare = uuid.replace("-", "")
    return [
        prefix + body
        for prefix in ("", "urn:uuid:")
        for body in (uuid, bare, "{" + uuid + "}", "{" + bare + "}")
    ]


def text_forms(cursor: Any, table: str, pid: str, collation: str, key: str) -> list[str]:
    """The stored ids of pattern `key` (not blank) in the text column `pid`, whose
    collation `collation` orders by code point (`byte_ordered_collation`): `key` itself,
    whether stored or not, then those found by the index (see the module docstring)."""
    spellings = [key]
    if pattern_uuid(key) is not None and len(key) == 36:
        spellings += _uuid_spellings(cursor, table, pid, collation, key)
    # The ids starting with a spelling then whitespace, and those starting with whitespace.
    ranges = [(s + first, s + after) for s in spellings for first, after in _WHITESPACE_RUNS]
    found = _ids_in_ranges(cursor, table, pid, collation, ranges)
    found += _padded_ids(cursor, table, pid, collation, key)
    padded = [text for text in found if id_key("text")(text) == key]
    return list(dict.fromkeys([*spellings, *padded]))


def _padded_ids(cursor: Any, table: str, pid: str, collation: str, key: str) -> list[str]:
    """The distinct ids starting with whitespace that may be pattern `key`'s: those whose
    text without the whitespace at its ends (`btrim`, as `pattern_key` strips it) is `key`,
    or for a UUID one of its forms in any case (`_uuid_templates`; its forms are ASCII,
    which `lower` folds under any collation). A superset: the caller keys each. The ids
    starting with whitespace are the index's ranges of the whitespace runs, read and
    filtered on the server: no range tells "  a" from "  b" before the whitespace is read
    past. They were each listed by a seek and keyed here: a read of a table of 100,000
    ids over 1M rows, a third of them padded, took 2.7 s, now 0.2 (BENCHMARKS.md,
    helper-290)."""
    uuid = pattern_uuid(key) is not None and len(key) == 36
    stripped = f"btrim(ua_t.{pid}, $3)"
    # (`strpos` first, where it tells: a search for the key is cheaper than the strip.)
    matched = f"lower({stripped})" if uuid else f"strpos(ua_t.{pid}, $5) > 0 AND {stripped}"
    lows, highs = zip(*_WHITESPACE_RUNS, strict=True)
    column, bound = f"ua_t.{pid}", f"COLLATE {collation}"
    cursor.execute(
        "SELECT DISTINCT ua_ids.ua_id FROM unnest($1::text[], $2::text[]) "
        f"AS ua_r(ua_low, ua_high) CROSS JOIN LATERAL (SELECT {column}::text AS ua_id "
        f"FROM {table} AS ua_t WHERE {column} >= ua_r.ua_low {bound} "
        f"AND {column} < ua_r.ua_high {bound} "
        f"AND {matched} = ANY($4::text[]) OFFSET 0) AS ua_ids",
        [
            _array(list(lows)),
            _array(list(highs)),
            WHITESPACE,
            _array(_uuid_templates(key) if uuid else [key]),
            *([] if uuid else [key]),
        ],
    )
    return [str(text) for text in cursor.fetch_arrow_table().column(0).to_pylist()]


def _uuid_spellings(cursor: Any, table: str, pid: str, collation: str, uuid: str) -> list[str]:
    """The spellings of the canonical UUID `uuid` (any case of each letter) that some
    stored id starts with: a walk down each form, a letter at a time, each case of it kept
    where an id starts with the walk so far (an index seek). `succ` of a prefix is the
    least text after every text it starts (its last character, ASCII here, plus one)."""
    templates = _uuid_templates(uuid)
    column = f"ua_t.{pid}"
    starts = (
        f"EXISTS (SELECT 1 FROM {table} AS ua_t WHERE {column} >= ua_next.ua_p COLLATE "
        f"{collation} AND {column} < (left(ua_next.ua_p, -1) || chr(ascii(right(ua_next.ua_p, 1)) "
        f"+ 1)) COLLATE {collation})"
    )
    cursor.execute(
        "WITH RECURSIVE ua_walk(ua_lower, ua_upper, ua_prefix) AS ("
        "SELECT ua_s.ua_l, ua_s.ua_u, ''::text FROM unnest($1::text[], $2::text[]) "
        "AS ua_s(ua_l, ua_u) UNION ALL SELECT ua_walk.ua_lower, ua_walk.ua_upper, ua_next.ua_p "
        "FROM ua_walk CROSS JOIN LATERAL (SELECT "
        "substr(ua_walk.ua_lower, length(ua_walk.ua_prefix) + 1, 1), "
        "substr(ua_walk.ua_upper, length(ua_walk.ua_prefix) + 1, 1)) AS ua_c(ua_l, ua_u) "
        # (A digit's, a hyphen's one case once: each twice doubled the walk at each.)
        "CROSS JOIN LATERAL unnest(CASE WHEN ua_c.ua_l = ua_c.ua_u THEN ARRAY[ua_c.ua_l] "
        "ELSE ARRAY[ua_c.ua_l, ua_c.ua_u] END) AS ua_ch(ua_char) "
        "CROSS JOIN LATERAL (SELECT ua_walk.ua_prefix || ua_ch.ua_char) AS ua_next(ua_p) "
        f"WHERE length(ua_walk.ua_prefix) < length(ua_walk.ua_lower) AND {starts}) "
        "SELECT DISTINCT ua_prefix FROM ua_walk WHERE length(ua_prefix) = length(ua_lower)",
        (_array(templates), _array([t.upper() for t in templates])),
    )
    return sorted(str(text) for text in cursor.fetch_arrow_table().column(0).to_pylist())


def _ids_in_ranges(
    cursor: Any, table: str, pid: str, collation: str, ranges: list[tuple[str, str]]
) -> list[str]:
    """The distinct ids in the ranges [low, high) of the column (by its collation), one
    index seek each (and one a range): the steps `_skip_scan` takes, within each range."""
    lows, highs = zip(*ranges, strict=True) if ranges else ((), ())
    column, bound = f"ua_t.{pid}", f"COLLATE {collation}"
    cursor.execute(
        "WITH RECURSIVE ua_found(ua_id, ua_high) AS ("
        f"SELECT (SELECT {column} FROM {table} AS ua_t WHERE {column} >= ua_r.ua_low {bound} "
        f"AND {column} < ua_r.ua_high {bound} ORDER BY {column} LIMIT 1), ua_r.ua_high "
        "FROM unnest($1::text[], $2::text[]) AS ua_r(ua_low, ua_high) UNION ALL "
        f"SELECT (SELECT {column} FROM {table} AS ua_t WHERE {column} > ua_found.ua_id "
        f"AND {column} < ua_found.ua_high {bound} ORDER BY {column} LIMIT 1), ua_found.ua_high "
        "FROM ua_found WHERE ua_found.ua_id IS NOT NULL) "
        "SELECT ua_id::text FROM ua_found WHERE ua_id IS NOT NULL",
        (_array(list(lows)), _array(list(highs))),
    )
    return [str(text) for text in cursor.fetch_arrow_table().column(0).to_pylist()]


def _array(values: list[str]) -> str:
    """A PostgreSQL text array literal of `values` (bound as one parameter)."""
    quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(quoted) + "}"
