"""PostgreSQL, against a real server (see conftest.py: `postgres_url` is a fresh
database on it): the source gives the library's numbers on the window's records and the
same numbers as SQLite; tables, columns and types are configurable; the store round-trips
and is idempotent; errors are clear.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID, uuid4

import pyarrow as pa
import pytest
from pg_calls import call, sql
from pg_server import ThrowawayServer
from source_cases import (
    DECLINING,
    GROWING,
    NOW,
    PATTERN_IDS,
    START,
    analyse,
    api_document,
    comparable,
    demo_rows,
    in_window,
    records_of,
)
from usage_analytics import InvalidRecordError
from usage_analytics.cli import batch
from usage_analytics.sources import (
    PostgresSource,
    SourceError,
    SourceUnavailableError,
    SQLiteSource,
    TableSpec,
    Unattributed,
    UnknownPatternError,
    UnsupportedSourceError,
    open_source,
)
from usage_analytics.sources.postgres_connection import PostgresConnection
from usage_analytics.sources.postgres_table import write_executions_sync
from usage_analytics.sources.postgres_url import checked_url, first_line, redacted
from usage_analytics.sources.sqlite_table import write_executions_sync as write_sqlite
from usage_analytics.store import PostgresAnalyticsStore, StoreError, open_store


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def fetch_document(source: Any, pattern_id: str) -> dict[str, Any]:
    async with source:
        fetched = await source.fetch(pattern_id, START, NOW)
    return comparable(analyse(fetched.data, pattern_id).to_dict())


@pytest.fixture
def loaded(postgres_url: str) -> str:
    """A database whose pattern_executions holds the demo rows."""
    write_executions_sync(postgres_url, demo_rows())
    return postgres_url


def test_postgres_source_gives_the_api_numbers_on_the_windows_records(loaded: str) -> None:
    rows = demo_rows()
    source = open_source(loaded)
    assert isinstance(source, PostgresSource)
    for pattern_id in PATTERN_IDS:
        document = run(fetch_document(PostgresSource(loaded), pattern_id))
        assert document == api_document(in_window(rows), pattern_id)
    fetched = call(source, "fetch", GROWING, START, NOW)
    assert isinstance(fetched.data, pa.Table)
    assert fetched.data.schema.field("timestamp").type == pa.timestamp("us", tz="UTC")


def test_postgres_and_sqlite_give_the_same_numbers(loaded: str, tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    write_sqlite(path, demo_rows())

    async def every(source: Any) -> dict[str, Any]:
        async with source:
            groups = await source.fetch_all(START, NOW)
        return {g.pattern_id: comparable(analyse(g.data, g.pattern_id).to_dict()) for g in groups}

    assert run(every(PostgresSource(loaded))) == run(every(SQLiteSource(path)))


def test_a_batch_reads_the_groups_of_fetch_all_in_one_table_as_it_is(loaded: str) -> None:
    # The groups are slices of the rows ordered by pattern: the batch read a concatenation
    # of them, a copy of every row.
    groups = call(PostgresSource(loaded), "fetch_all", START, NOW)
    together = groups[0].together
    assert together is not None
    assert all(group.together is together for group in groups)
    table, _ = batch._one_table(groups)
    assert table is not None
    for name in table.column_names:
        assert table.column(name).chunk(0).buffers()[-1].address == (
            together.column(name).chunk(0).buffers()[-1].address
        )
    ids = table.column("pattern_id").to_pylist()
    assert ids == [group.pattern_id for group in groups for _ in range(group.count)]
    for group in groups:  # (each one's rows, sliced when read, named as `fetch` names them)
        alone = call(PostgresSource(loaded), "fetch", group.pattern_id, START, NOW)
        assert group.data.equals(alone.data.add_column(0, "pattern_id", group.data[0]))
        places = range(alone.count)
        assert [group.locate(i) for i in places] == [alone.locate(i) for i in places]
        with pytest.raises(IndexError):
            group.locate(group.count)


def test_a_fetch_bound_of_text_is_a_type_error_not_a_failed_query(loaded: str) -> None:
    # ("query failed: operator does not exist: timestamp with time zone >= text", a
    # SourceError naming the server, as if the database were at fault.)
    async def go() -> None:
        async with PostgresSource(loaded) as source:
            with pytest.raises(
                TypeError, match=r"^start must be a datetime, got str '2026-02-01'$"
            ):
                await source.fetch(GROWING, "2026-02-01", NOW)  # type: ignore[arg-type]
            with pytest.raises(TypeError, match=r"^end must be a datetime, got str '2026-03-01'$"):
                await source.fetch_all(START, "2026-03-01")  # type: ignore[arg-type]

    run(go())


def test_fetch_all_and_newest(loaded: str) -> None:
    rows = demo_rows()
    source = PostgresSource(loaded)

    async def go() -> tuple[list[Any], Any, Any]:
        async with source:
            return (
                await source.fetch_all(START, NOW),
                await source.newest(DECLINING),
                await source.newest(),
            )

    groups, newest_declining, newest = run(go())
    assert [group.pattern_id for group in groups] == sorted(PATTERN_IDS)
    for group in groups:
        assert group.count == len(in_window(records_of(rows, group.pattern_id)))
    assert newest_declining == max(r["timestamp"] for r in records_of(rows, DECLINING))
    assert newest == max(r["timestamp"] for r in rows)


def test_window_ends_are_inclusive_to_the_microsecond(postgres_url: str) -> None:
    one = timedelta(microseconds=1)
    rows = [
        {"pattern_id": "p", "timestamp": START - one, "agent": "before"},
        {"pattern_id": "p", "timestamp": START, "agent": "start"},
        {"pattern_id": "p", "timestamp": NOW, "agent": "end"},
        {"pattern_id": "p", "timestamp": NOW + one, "agent": "after"},
    ]
    write_executions_sync(postgres_url, rows)
    fetched = call(PostgresSource(postgres_url), "fetch", "p", START, NOW)
    assert fetched.data.column("agent").to_pylist() == ["start", "end"]


def test_uuid_typed_pattern_column_and_naive_timestamps(postgres_url: str) -> None:
    """A table of someone else's making: uuid ids, `timestamp` without zone (UTC), a
    numeric time, integer flags, other names."""
    sql(
        postgres_url,
        'CREATE TABLE "Runs" (pid uuid, "at" timestamp, ok smallint, ms numeric, who text)',
        f"INSERT INTO \"Runs\" VALUES ('{GROWING}', '2026-03-01 10:00:00', 1, 12.5, 'a'), "
        f"('{GROWING}', '2026-03-01 11:00:00', 0, 20, 'b'), "
        f"('{DECLINING}', '2026-03-01 12:00:00', 1, 1, 'c')",
    )
    spec = TableSpec(
        table="Runs",
        columns={
            "pattern_id": "pid",
            "timestamp": "at",
            "success": "ok",
            "execution_time_ms": "ms",
            "agent": "who",
        },
    )
    source = PostgresSource(postgres_url, spec)
    result = analyse(call(source, "fetch", GROWING.upper(), START, NOW).data, GROWING)
    assert result.usage_metrics.total_executions == 2
    assert result.success_metrics.success_count == 1
    assert result.performance_metrics is not None
    assert result.performance_metrics.avg_execution_time_ms == 16.25
    assert result.usage_metrics.unique_users == 2
    with pytest.raises(UnknownPatternError, match="'checkout'"):
        call(PostgresSource(postgres_url, spec), "fetch", "checkout", START, NOW)
    groups = call(PostgresSource(postgres_url, spec), "fetch_all", START, NOW)
    assert [(g.pattern_id, g.count) for g in groups] == sorted([(GROWING, 2), (DECLINING, 1)])


@pytest.mark.parametrize("kind", ["timestamptz", "timestamp", "date"])
def test_rows_in_no_window_are_fetched_for_every_window(postgres_url: str, kind: str) -> None:
    """NULL, infinity and -infinity timestamps are in no window, nor are those outside the
    years 1-9999 (left out unseen, and the newest broke `newest`): every window fetches
    them, so that the core reports them (their timestamps, and then the window's, come
    as ISO text; the numbers are those of the window's rows alone)."""
    sql(
        postgres_url,
        f"CREATE TABLE pattern_executions (pattern_id text, timestamp {kind}, "
        "execution_time_ms double precision, agent text)",
        "INSERT INTO pattern_executions VALUES "
        "('p', '2026-03-01 10:00:00', 10, 'placed'), ('p', '2026-03-02 10:00:00', 30, 'placed'), "
        "('p', '2025-01-01 00:00:00', 99, 'long ago'), "
        "('p', NULL, 1, 'null'), ('p', 'infinity', 2, 'infinity'), "
        "('p', '-infinity', 3, 'minus infinity'), ('q', NULL, 4, 'other pattern'), "
        "(NULL, '2026-03-01 10:00:00', 5, 'no pattern'), (NULL, NULL, 6, 'no pattern'), "
        "('  ', '2026-03-01 11:00:00', 7, 'blank pattern'), "
        "('p', '60000-01-01 00:00:00', 8, 'year 60000'), ('p', '0044-03-15 00:00:00 BC', 9, 'BC')",
    )
    fetched = call(PostgresSource(postgres_url), "fetch", "p", START, NOW)
    agents = fetched.data.column("agent").to_pylist()
    unplaced = ["BC", "infinity", "minus infinity", "null", "year 60000"]
    assert sorted(agents) == sorted([*unplaced, "placed", "placed"])
    result = analyse(fetched.data, "p", on_invalid="skip")
    assert result.data_quality.invalid_records == 5
    assert result.usage_metrics.total_executions == 2
    assert result.performance_metrics is not None
    assert result.performance_metrics.avg_execution_time_ms == 20.0
    located = {fetched.locate(sample.index) for sample in result.data_quality.error_samples}
    # (Rows by their ctids, the table having no primary key: the fourth to sixth.)
    assert {label for label in located if "60000-01-01" not in label and "BC'" not in label} == {
        "the row with ctid (0,4) (timestamp NULL)",
        "the row with ctid (0,5) (timestamp 'infinity')",
        "the row with ctid (0,6) (timestamp '-infinity')",
    }
    assert len(located) == 5
    with pytest.raises(InvalidRecordError, match="field 'timestamp'"):
        analyse(fetched.data, "p")
    clean = call(PostgresSource(postgres_url), "fetch", "p", START, START + timedelta(days=1))
    assert sorted(clean.data.column("agent").to_pylist()) == unplaced
    groups = {g.pattern_id: g for g in call(PostgresSource(postgres_url), "fetch_all", START, NOW)}
    assert sorted(groups["p"].data.column("agent").to_pylist()) == sorted(agents)
    assert groups["q"].data.column("agent").to_pylist() == ["other pattern"]
    newest = (
        datetime(2026, 3, 2, 10, tzinfo=UTC) if kind != "date" else datetime(2026, 3, 2, tzinfo=UTC)
    )
    assert call(PostgresSource(postgres_url), "newest", "p") == newest
    assert call(PostgresSource(postgres_url), "newest") == newest
    assert call(PostgresSource(postgres_url), "unattributed") == Unattributed(
        3, "the row with ctid (0,9) (timestamp NULL)"
    )
    assert sorted(groups) == ["p", "q"]


def test_uuid_spellings_in_a_text_column_are_one_pattern(postgres_url: str) -> None:
    uuid = UUID(GROWING)
    spellings = [GROWING, GROWING.upper(), "{" + GROWING + "}", uuid.hex, uuid.urn]
    rows = [
        {"pattern_id": spelling, "timestamp": NOW - timedelta(hours=index)}
        for index, spelling in enumerate(spellings)
    ]
    write_executions_sync(postgres_url, rows)
    for wanted in spellings:
        assert call(PostgresSource(postgres_url), "fetch", wanted, START, NOW).count == 5
    (group,) = call(PostgresSource(postgres_url), "fetch_all", START, NOW)
    assert (group.pattern_id, group.count) == (GROWING, 5)


def test_fetch_of_many_spellings_with_quotes_and_backslashes(postgres_url: str) -> None:
    # One array parameter however many spellings (65,535 parameters at most), its
    # elements quoted: a quote, a backslash, a comma and braces stay themselves.
    wanted = 'p"\\,{x}'
    spellings = [" " * lead + wanted + " " * trail for lead in range(300) for trail in range(220)]
    rows = [{"pattern_id": s, "timestamp": NOW - timedelta(hours=1)} for s in spellings]
    rows.append({"pattern_id": "p", "timestamp": NOW - timedelta(hours=2)})
    write_executions_sync(postgres_url, rows)
    # (Analysed, the table of distinct ids is scanned: a plan that tested each row against
    # every spelling of an `= ANY` took minutes. Autovacuum analysed it at random times.)
    sql(postgres_url, "ANALYZE pattern_executions")
    assert call(PostgresSource(postgres_url), "fetch", wanted, START, NOW).count == 66_000
    assert call(PostgresSource(postgres_url), "fetch", "p", START, NOW).count == 1


@pytest.mark.parametrize("indexed", [True, False])
def test_fetch_finds_every_stored_id_fetch_all_groups_under_it(
    postgres_url: str, indexed: bool
) -> None:
    # Padded text and a UUID in mixed case: grouped by `fetch_all`, missed by `fetch`'s
    # indexed IN of the usual spellings before.
    mixed = "".join(c.upper() if i % 2 else c for i, c in enumerate(GROWING))
    spellings = ["p", "p ", " p", GROWING, mixed]
    rows = [
        {"pattern_id": spelling, "timestamp": NOW - timedelta(hours=index + 1)}
        for index, spelling in enumerate(spellings)
    ]
    write_executions_sync(postgres_url, rows)
    if not indexed:
        sql(postgres_url, "DROP INDEX IF EXISTS pattern_executions_pattern_time")
    groups = {
        g.pattern_id: g.count for g in call(PostgresSource(postgres_url), "fetch_all", START, NOW)
    }
    assert groups == {"p": 3, GROWING: 2}
    for wanted, expected in (("p", 3), (" p ", 3), (mixed, 2), (GROWING.upper(), 2)):
        assert call(PostgresSource(postgres_url), "fetch", wanted, START, NOW).count == expected
        assert call(PostgresSource(postgres_url), "newest", wanted) is not None


@pytest.mark.parametrize("kind", ["text", "uuid"])
def test_pattern_ids_by_index_skips_equal_a_scan(postgres_url: str, kind: str) -> None:
    """With an index leading with the pattern id, `fetch_all` and `unattributed` list the
    ids by one seek each and read each pattern's window as an index range; without, they
    scan. The same groups either way (uuid columns included: they have no min())."""
    ids = [GROWING, DECLINING, None] + (["  "] if kind == "text" else [])
    sql(postgres_url, f"CREATE TABLE pattern_executions (pattern_id {kind}, timestamp timestamptz)")
    values = ", ".join(
        f"({'NULL' if pattern_id is None else repr(pattern_id)}, "
        f"'{(NOW - timedelta(days=day)).isoformat()}')"
        for pattern_id in ids
        for day in (0, 1, 40)
    )
    sql(postgres_url, f"INSERT INTO pattern_executions VALUES {values}")

    def listed() -> tuple[list[tuple[str, int]], Unattributed]:
        groups = call(PostgresSource(postgres_url), "fetch_all", START, NOW)
        unattributed = call(PostgresSource(postgres_url), "unattributed")
        return [(group.pattern_id, group.count) for group in groups], unattributed

    scanned = listed()
    sql(postgres_url, "CREATE INDEX by_pattern ON pattern_executions (pattern_id, timestamp)")
    assert listed() == scanned
    assert scanned[0] == sorted([(GROWING, 2), (DECLINING, 2)])
    assert scanned[1].count == 3 * (len(ids) - 2)


@pytest.mark.parametrize(
    ("ddl", "index"),
    [
        (
            "CREATE TABLE pattern_executions (id serial, pattern_id text, timestamp timestamptz)",
            "CREATE INDEX by_pattern ON pattern_executions (pattern_id, timestamp)",
        ),
        (  # not an index the skip scan can seek by: the scan, not a scan per pattern
            "CREATE TABLE pattern_executions (pattern_id text, timestamp timestamptz)",
            "CREATE INDEX by_pattern ON pattern_executions USING hash (pattern_id)",
        ),
        (
            "CREATE TABLE ids (ua_id int, pattern_id text, timestamp timestamptz)",
            "CREATE INDEX by_pattern ON ids (pattern_id)",
        ),
    ],
)
def test_tables_with_names_and_indexes_of_their_own(
    postgres_url: str, ddl: str, index: str
) -> None:
    table = "ids" if "TABLE ids" in ddl else "pattern_executions"
    sql(
        postgres_url,
        ddl,
        index,
        f"INSERT INTO {table} (pattern_id, timestamp) VALUES "
        f"('a', '{NOW.isoformat()}'), ('b', '{NOW.isoformat()}'), ('b', '{NOW.isoformat()}')",
    )
    source = PostgresSource(postgres_url, TableSpec(table=table))
    groups = call(source, "fetch_all", START, NOW)
    assert [(group.pattern_id, group.count) for group in groups] == [("a", 1), ("b", 2)]


def test_table_in_a_schema_with_mapped_columns(postgres_url: str) -> None:
    sql(postgres_url, 'CREATE SCHEMA "usage data"')
    spec = TableSpec(table="runs", schema="usage data", columns={"timestamp": "started_at"})
    rows = demo_rows()
    write_executions_sync(postgres_url, rows, spec)
    document = run(fetch_document(PostgresSource(postgres_url, spec), GROWING))
    assert document == api_document(in_window(rows), GROWING)


def test_unknown_pattern_lists_the_patterns_not_the_stored_ids(postgres_url: str) -> None:
    # The list named blank ids (", ,"), padded ones and each spelling of a UUID, and
    # counted them: "and 1 more" of two patterns.
    ids = ["", "  ", " p ", "p", str(UUID(int=7)).upper(), str(UUID(int=7))]
    write_executions_sync(postgres_url, [{"pattern_id": id_, "timestamp": NOW} for id_ in ids])
    with pytest.raises(UnknownPatternError) as raised:
        call(PostgresSource(postgres_url), "fetch", "nope", START, NOW)
    assert str(raised.value).endswith("(it has: 00000000-0000-0000-0000-000000000007, p)")


def test_pattern_ids_are_values_never_sql(postgres_url: str) -> None:
    rows = [{"pattern_id": "x' OR '1'='1", "timestamp": NOW}, {"pattern_id": "y", "timestamp": NOW}]
    write_executions_sync(postgres_url, rows)
    assert call(PostgresSource(postgres_url), "fetch", "x' OR '1'='1", START, NOW).count == 1
    with pytest.raises(UnknownPatternError, match="it has: x' OR '1'='1, y"):
        call(
            PostgresSource(postgres_url),
            "fetch",
            "'; DROP TABLE pattern_executions; --",
            START,
            NOW,
        )
    assert sql(postgres_url, "SELECT count(*) FROM pattern_executions") == [(2,)]


def test_invalid_values_are_located_by_timestamp(postgres_url: str) -> None:
    rows = [
        {"pattern_id": "p", "timestamp": NOW - timedelta(hours=1), "quality_score": 0.5},
        {"pattern_id": "p", "timestamp": NOW, "quality_score": 1.5},
    ]
    write_executions_sync(postgres_url, rows)
    fetched = call(PostgresSource(postgres_url), "fetch", "p", START, NOW)
    result = analyse(fetched.data, "p", on_invalid="skip")
    (sample,) = result.data_quality.error_samples
    # (A row in a window by its timestamp alone: see the module docstring.)
    assert fetched.locate(sample.index) == "the row with timestamp 2026-03-03T14:00:00+00:00"


def test_numbers_of_numeric_types_with_modifiers_are_read(postgres_url: str) -> None:
    # `format_type` says "numeric(10,3)": not cast, the driver handed text over.
    sql(
        postgres_url,
        "DROP TABLE IF EXISTS t_num",
        "CREATE TABLE t_num (pattern_id text, timestamp timestamptz, "
        "execution_time_ms numeric(10,3), quality_score numeric(4, 3))",
        "INSERT INTO t_num VALUES ('p', '2026-03-01T10:00Z', 1.5, 0.25), "
        "('p', '2026-03-01T11:00Z', 2.125, 0.75)",
    )
    source = PostgresSource(postgres_url, TableSpec(table="t_num"))
    fetched = call(source, "fetch", "p", START, NOW)
    result = analyse(fetched.data, "p")
    assert result.performance_metrics is not None
    assert result.performance_metrics.total_execution_time_ms == 3.625
    assert result.success_metrics.avg_quality_score == 0.5


def test_missing_table_column_and_wrong_timestamp_type(postgres_url: str) -> None:
    with pytest.raises(SourceError, match="has no table 'pattern_executions' \\(it has no tables"):
        call(PostgresSource(postgres_url), "newest")
    sql(postgres_url, "CREATE TABLE pattern_executions (pattern_id text, ts timestamptz)")
    with pytest.raises(SourceError, match=r"no column 'timestamp'.*columns: pattern_id, ts"):
        call(PostgresSource(postgres_url), "newest")
    sql(postgres_url, "CREATE TABLE t (pattern_id text, timestamp text)")
    with pytest.raises(SourceError, match="is text; timestamps must be timestamptz"):
        call(PostgresSource(postgres_url, TableSpec(table="t")), "newest")
    # Arrays of a time or number type whose element has a modifier passed as the type,
    # and the queries failed ("malformed array literal"), naming no column.
    sql(
        postgres_url,
        "CREATE TABLE a (pattern_id text, timestamp timestamp(3) with time zone[], "
        "stamp timestamptz, ms numeric(10,3)[], ok boolean[])",
    )
    arrays = [
        ({}, r"'timestamp' of table 'a' is timestamp\(3\) with time zone\[\]; timestamps must"),
        ({"timestamp": "stamp", "execution_time_ms": "ms"}, r"'ms' .* numbers must be"),
        ({"timestamp": "stamp", "success": "ok"}, r"'ok' .* is boolean\[\]; flags must be"),
    ]
    for columns, message in arrays:
        with pytest.raises(SourceError, match=message):
            call(PostgresSource(postgres_url, TableSpec(table="a", columns=columns)), "newest")


def test_a_missing_column_spelled_otherwise_is_offered_as_a_mapping(postgres_url: str) -> None:
    # Listed among the columns, the user was left to find --column in the help.
    sql(postgres_url, 'CREATE TABLE spelled ("Pattern ID" text, timestamp timestamptz)')
    with pytest.raises(SourceError) as raised:
        call(PostgresSource(postgres_url, TableSpec(table="spelled")), "newest")
    assert str(raised.value).endswith(
        "has no column 'pattern_id' for the record field 'pattern_id' (columns: Pattern ID, "
        "timestamp); to read the column 'Pattern ID' as 'pattern_id', map it: --column "
        "'pattern_id=Pattern ID' (TableSpec's columns {'pattern_id': 'Pattern ID'})"
    )
    sql(postgres_url, "INSERT INTO spelled VALUES ('p', '2026-03-01T10:00Z')")
    mapped = TableSpec(table="spelled", columns={"pattern_id": "Pattern ID"})
    assert call(PostgresSource(postgres_url, mapped), "newest") == datetime(
        2026, 3, 1, 10, tzinfo=UTC
    )


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_server_and_bad_urls(postgres_url: str) -> None:
    port = _closed_port()
    url = f"postgresql://postgres:secret@127.0.0.1:{port}/db"
    with pytest.raises(
        SourceUnavailableError, match=f"cannot connect to .*:{port}.*refused"
    ) as caught:
        call(PostgresSource(url), "newest")
    assert "secret" not in str(caught.value)  # the password stays out of messages
    missing_db = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    with pytest.raises(SourceUnavailableError, match='database "no_such_database" does not exist'):
        call(PostgresSource(missing_db), "newest")
    with pytest.raises(UnsupportedSourceError, match="bad PostgreSQL URL"):
        PostgresSource("postgresql://host:notaport/db")


def test_a_server_asking_for_a_password_not_given_says_where_to_give_it() -> None:
    # libpq's "fe_sendauth: no password supplied" named neither the password nor where.
    server = ThrowawayServer.start(password="s3cret")
    try:
        bare = f"postgresql://postgres@localhost:{server.port}/postgres"
        with pytest.raises(SourceUnavailableError) as caught:
            call(PostgresSource(bare), "newest")
        said = str(caught.value)
        assert said.startswith(f"cannot connect to {bare}: ")
        assert said.endswith(
            "fe_sendauth: no password supplied; the server asks for a password: give it in "
            "the URL (postgresql://USER:PASSWORD@HOST/DB), in PGPASSWORD or in ~/.pgpass"
        )
        # A wrong one is the server's own words, without the hint (or the password).
        wrong = f"postgresql://postgres:nope@localhost:{server.port}/postgres"
        with pytest.raises(SourceUnavailableError) as caught:
            call(PostgresSource(wrong), "newest")
        assert 'password authentication failed for user "postgres"' in str(caught.value)
        assert "PGPASSWORD" not in str(caught.value)
        assert "nope" not in str(caught.value)
        # The password where the hint says reaches the server (no table yet: its error).
        given = f"postgresql://postgres:s3cret@localhost:{server.port}/postgres"
        with pytest.raises(SourceError, match="has no table 'pattern_executions'"):
            call(PostgresSource(given), "newest")
    finally:
        server.stop()


#: Connections refused 200 times, then 1,500 times more: prints the resident KB the
#: 1,500 added.
_FAILED_CONNECTIONS = """
import sys
from usage_analytics.sources import SourceUnavailableError
from usage_analytics.sources.postgres_connection import connect

def resident_kb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

def refused(times):
    for _ in range(times):
        try:
            connect(sys.argv[1])
        except SourceUnavailableError:
            pass

refused(200)
before = resident_kb()
refused(1500)
print(resident_kb() - before)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_failed_connections_keep_no_memory() -> None:
    # ADBC's database handle kept the driver's state of a failed opening (15 KB each, never
    # released): a service retrying a server that was down grew without bound, by 22-23 MB
    # over these 1,500 attempts.
    url = f"postgresql://postgres@127.0.0.1:{_closed_port()}/db"
    child = subprocess.run(
        [sys.executable, "-c", _FAILED_CONNECTIONS, url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    assert int(child.stdout) < 8_000  # (0-100 KB after the fix)


def test_urls_are_read_as_libpq_reads_them(postgres_url: str) -> None:
    # A password holding "#" was "bad PostgreSQL URL", shown password and all (urlsplit took
    # "#..." for a fragment and "secr" for the port); a URL without a host lost its "//"
    # when the connect timeout was added. (The test server trusts every password; an
    # empty table's `unattributed` is a query that needs no rows.)
    sql(postgres_url, "CREATE TABLE pattern_executions (pattern_id text, timestamp timestamptz)")
    parts = urlsplit(postgres_url)
    host, port, database = parts.hostname, parts.port, parts.path.lstrip("/")
    hashed = f"postgresql://postgres:secr#et?@{host}:{port}/{database}"
    assert call(PostgresSource(hashed), "unattributed") == Unattributed(0)
    hostless = f"postgresql:///{database}?host={host}&port={port}&user=postgres"
    assert call(PostgresSource(hostless), "unattributed") == Unattributed(0)
    # libpq quoted the password it could not decode after the redacted URL.
    with pytest.raises(SourceUnavailableError, match="invalid percent-encoded") as caught:
        call(PostgresSource(f"postgresql://postgres:pa%zzword@{host}:{port}/db"), "newest")
    assert "zzword" not in str(caught.value)
    assert "postgres:***@" in str(caught.value)
    with pytest.raises(UnsupportedSourceError, match="bad PostgreSQL URL") as refused:
        PostgresSource("postgresql://u:secr#et@host:notaport/db")
    assert "secr" not in str(refused.value)
    # A scheme in capitals reached the source and was refused there.
    capital = f"PostgreSQL://postgres@{host}:{port}/{database}"
    assert call(PostgresSource(capital), "unattributed") == Unattributed(0)
    # An unencoded "@" in a password: libpq named the rest of the password as the host.
    with pytest.raises(UnsupportedSourceError, match="host part holds '@'") as refused:
        PostgresSource(f"postgresql://postgres:P@ssw0rd@{host}:{port}/db")
    assert "ssw0rd" not in str(refused.value)


def test_a_url_whose_query_ends_in_a_separator_connects(postgres_url: str) -> None:
    # The connect timeout is appended as libpq reads a query: after a trailing "&" or
    # "?" without another "&" (libpq refuses "&&": 'missing key/value separator').
    sql(postgres_url, "CREATE TABLE pattern_executions (pattern_id text, timestamp timestamptz)")
    for url in (f"{postgres_url}?sslmode=disable&", f"{postgres_url}?"):
        assert call(PostgresSource(url), "unattributed") == Unattributed(0)


def test_a_url_of_several_hosts_is_passed_on_to_libpq() -> None:
    # Its ports were read as one ("h1:5432,h2:5433": "bad PostgreSQL URL").
    assert checked_url("postgresql://u@h1:5432,h2:5433/db") == (
        "postgresql://u@h1:5432,h2:5433/db?connect_timeout=10"
    )
    with pytest.raises(UnsupportedSourceError, match="host or port cannot be read"):
        checked_url("postgresql://u@h1:5432,h2:x/db")


def test_messages_hide_passwords_and_keep_the_servers_words() -> None:
    assert redacted("postgresql://u:pw@h/db?pass%77ord=x&sslmode=disable") == (
        "postgresql://u:***@h/db?pass%77ord=***&sslmode=disable"
    )
    # libpq splits at the first "@", the redaction at the last: both are hidden.
    url = "postgresql://u:p%zz@h/db?application_name=a@b"
    assert first_line(Exception('invalid percent-encoded token: "p%zz"'), url).endswith('"***"')
    # A short password is hidden where quoted, not in every word ("Fail***d to conn***ct"),
    # and a server message's own "X: y" is kept whole.
    short = first_line(
        Exception('IO: [libpq] Failed to connect: FATAL:  no entry for host "e", user "u"'),
        "postgresql://u:e@h/db",
    )
    assert short == 'no entry for host "***", user "u"'
    raised = Exception("INVALID_ARGUMENT: Failed to execute query: ERROR:  X: y")
    assert first_line(raised, "postgresql://h/db") == "X: y"
    # (A write's COPY: its step's name has capitals, and the driver's words were kept.)
    copy = Exception(
        "INTEGRITY: [libpq] Failed to execute COPY statement: PGRES_FATAL_ERROR ERROR:  new "
        'row for relation "t" violates check constraint "t_a_check"\nDETAIL:  Failing row'
    )
    assert first_line(copy, "postgresql://h/db") == (
        'new row for relation "t" violates check constraint "t_a_check"'
    )


def test_concurrent_fetches_share_one_connection(loaded: str) -> None:
    rows = demo_rows()
    source = PostgresSource(loaded)

    async def go() -> list[int]:
        async with source:
            fetched = await asyncio.gather(*(source.fetch(p, START, NOW) for p in PATTERN_IDS * 4))
        return [f.count for f in fetched]

    assert run(go()) == [len(in_window(records_of(rows, p))) for p in PATTERN_IDS * 4]


@pytest.mark.parametrize("length", [50, 61, 62, 63])
def test_an_executions_table_of_a_long_name_has_both_indexes(
    postgres_url: str, length: int
) -> None:
    # Their names, cut by PostgreSQL, were one (62 bytes) or the table's own (63): CREATE
    # INDEX IF NOT EXISTS then made one index, or none.
    table = "t" * length
    write_executions_sync(postgres_url, demo_rows()[:3], TableSpec(table=table))
    indexes = sql(
        postgres_url, f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename = '{table}'"
    )
    assert len(indexes) == 2
    assert sum("WHERE" in definition for _, definition in indexes) == 1
    if length <= 61:  # (the name PostgreSQL cut it to before: no second index on such tables)
        assert f"{table}_pattern_time"[:63] in {name for name, _ in indexes}


def test_write_replaces_rows_when_asked(postgres_url: str) -> None:
    rows = demo_rows()[:10]
    write_executions_sync(postgres_url, rows)
    write_executions_sync(postgres_url, rows)
    assert sql(postgres_url, "SELECT count(*) FROM pattern_executions") == [(20,)]
    write_executions_sync(postgres_url, rows, replace=True)
    assert sql(postgres_url, "SELECT count(*) FROM pattern_executions") == [(10,)]
    with pytest.raises(SourceError, match="record 0: timestamp 'soon' cannot be stored"):
        write_executions_sync(postgres_url, [{"pattern_id": "p", "timestamp": "soon"}])


# ------------------------------------------------------------------------------- store


def test_store_save_many_is_one_transaction(postgres_url: str) -> None:
    # A constraint refuses the second result: the first must not stay.
    # (SQL BEGIN / ROLLBACK on the driver's autocommit connection kept it.)
    good = analyse(records_of(demo_rows(), GROWING), GROWING)
    bad = analyse([{"timestamp": NOW - timedelta(hours=1)}], "bad")

    async def go() -> list[Any]:
        async with open_store(postgres_url) as store:
            await store.save_many([])  # (creates the table)
            sql(postgres_url, "ALTER TABLE pattern_analytics ADD CHECK (pattern_id <> 'bad')")
            with pytest.raises(SourceError):
                await store.save_many([good, bad])
            kept = await store.history(GROWING)
            await store.save(good)  # the connection is usable, and commits again
            return [kept, await store.history(GROWING)]

    kept, after = run(go())
    assert (len(kept), len(after)) == (0, 1)
    # Committed: another session sees it (the store's own would see its open transaction).
    assert sql(postgres_url, "SELECT count(*) FROM pattern_analytics") == [(1,)]


def test_a_failed_query_leaves_the_store_and_the_source_usable(loaded: str) -> None:
    # The driver left the session in the failed transaction: every later read failed with
    # "current transaction is aborted, commands ignored until end of transaction block".
    result = analyse(records_of(demo_rows(), GROWING), GROWING)

    async def go() -> tuple[Any, int]:
        async with open_store(loaded) as store:
            await store.save(result)
            sql(loaded, "ALTER TABLE pattern_analytics RENAME COLUMN model TO gone")
            with pytest.raises(StoreError, match="query failed"):  # (not a bare SourceError)
                await store.get(GROWING, result.time_window_start, result.time_window_end)
            sql(loaded, "ALTER TABLE pattern_analytics RENAME COLUMN gone TO model")
            again = await store.get(GROWING, result.time_window_start, result.time_window_end)
        async with open_source(loaded) as source:
            with pytest.raises(SourceError):
                await source.fetch("p\x00", START, NOW)
            fetched = await source.fetch(GROWING, START, NOW)
        return again, fetched.count

    again, count = run(go())
    assert again == result
    assert count == len(in_window(records_of(demo_rows(), GROWING), START, NOW))


def test_a_role_that_may_only_read_and_write_uses_an_existing_table(postgres_url: str) -> None:
    # The store ran CREATE TABLE IF NOT EXISTS first, which needs CREATE on the schema.
    result = analyse(records_of(demo_rows(), GROWING), GROWING)
    run(_save(postgres_url, result))  # the table exists now
    role = f"ua_rw_{uuid4().hex[:8]}"
    sql(postgres_url, f"CREATE ROLE {role} LOGIN")
    try:
        sql(postgres_url, f"GRANT SELECT, INSERT, UPDATE ON pattern_analytics TO {role}")
        sql(postgres_url, f"REVOKE CREATE ON SCHEMA public FROM {role}, PUBLIC")
        parts = urlsplit(postgres_url)
        as_role = urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))

        async def go() -> list[Any]:
            async with open_store(as_role) as store:
                await store.save(result)
                return await store.history(GROWING)

        assert run(go()) == [result]
    finally:
        sql(postgres_url, "REVOKE ALL ON pattern_analytics FROM " + role)
        sql(postgres_url, f"DROP ROLE {role}")


async def _save(url: str, result: Any) -> None:
    async with open_store(url) as store:
        await store.save(result)


def test_stores_creating_their_table_at_once_all_save(postgres_url: str) -> None:
    # CREATE TABLE IF NOT EXISTS from several sessions at once: the losers failed on a
    # duplicate key in PostgreSQL's catalog (1-2 runs in 5 before).
    result = analyse(records_of(demo_rows(), GROWING), GROWING)

    async def save(table: str) -> None:
        async with open_store(postgres_url, table=table) as store:
            await store.save(result)

    async def go(table: str) -> None:
        await asyncio.gather(*(save(table) for _ in range(8)))

    for round_ in range(5):
        run(go(f"race_{round_}"))
        assert sql(postgres_url, f"SELECT count(*) FROM race_{round_}") == [(1,)]


def test_store_round_trip_and_idempotency(postgres_url: str) -> None:
    result = analyse(records_of(demo_rows(), GROWING), GROWING, granularity="comprehensive")
    store = open_store(postgres_url)
    assert isinstance(store, PostgresAnalyticsStore)

    async def go() -> tuple[Any, Any, list[Any]]:
        async with store:
            await store.save(result)
            await store.save(result)
            other = result.model_copy(
                update={
                    "correlation_id": uuid4(),
                    "computed_at": result.computed_at + timedelta(seconds=1),
                }
            )
            await store.save(other)
            return (
                await store.get(GROWING, START, NOW, result.correlation_id),
                await store.get(GROWING.upper(), START, NOW),
                await store.history(GROWING),
            )

    same, latest, history = run(go())
    assert same == result
    assert latest is not None
    assert latest.correlation_id != result.correlation_id
    assert len(history) == 2
    rows = sql(
        postgres_url,
        "SELECT count(*), min(total_executions), min(trend_type), "
        "min((result->'usage_metrics'->>'total_executions')::int), "
        "min(window_end) FROM pattern_analytics",
    )
    count, total, trend, from_json, window_end = rows[0]
    assert (count, total, trend, from_json) == (
        2,
        result.usage_metrics.total_executions,
        "growing",
        result.usage_metrics.total_executions,
    )
    assert window_end == NOW


def test_reads_of_the_store_leave_no_transaction_open(postgres_url: str) -> None:
    # A bound datetime made ADBC wrap `get` in a transaction it left open: the session was
    # "idle in transaction" until the next save, holding a snapshot (VACUUM kept every row
    # deleted meanwhile) and its lock on the table.
    result = analyse(records_of(demo_rows(), GROWING), GROWING)
    others = (
        "SELECT state FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    )

    async def go() -> list[Any]:
        async with open_store(postgres_url) as store:
            await store.save(result)
            assert await store.get(GROWING, START, NOW) == result
            states = sql(postgres_url, others)
            assert await store.history(GROWING) == [result]
            return [states, sql(postgres_url, others)]

    assert run(go()) == [[("idle",)], [("idle",)]]


def test_store_in_a_schema_with_its_own_table_name(postgres_url: str) -> None:
    sql(postgres_url, "CREATE SCHEMA reports")
    result = analyse([{"timestamp": NOW, "success": True}], "checkout")
    call(PostgresAnalyticsStore(postgres_url, "daily", schema="reports"), "save", result)
    again = PostgresAnalyticsStore(postgres_url, "daily", schema="reports")
    assert call(again, "get", "checkout", START, NOW) == result
    assert sql(postgres_url, "SELECT count(*) FROM reports.daily") == [(1,)]


def test_a_failed_save_names_the_stores_table_and_schema(postgres_url: str) -> None:
    # The message named the server alone ("URL: query failed: null value in column
    # 'owner' ..."): not which table of it, the store's or another.
    sql(postgres_url, "CREATE SCHEMA reports")
    result = analyse([{"timestamp": NOW, "success": True}], "checkout")
    call(PostgresAnalyticsStore(postgres_url, "daily", schema="reports"), "save", result)
    sql(postgres_url, "ALTER TABLE reports.daily ADD COLUMN owner text NOT NULL DEFAULT 'x'")
    sql(postgres_url, "ALTER TABLE reports.daily ALTER COLUMN owner DROP DEFAULT")
    store = PostgresAnalyticsStore(postgres_url, "daily", schema="reports")
    assert store.description.startswith("table 'reports.daily' of postgresql://")
    with pytest.raises(StoreError) as raised:
        call(store, "save", result.model_copy(update={"correlation_id": uuid4()}))
    assert str(raised.value) == (
        f"table 'reports.daily' of {redacted(postgres_url)}: query failed: null value in "
        'column "owner" of relation "daily" violates not-null constraint'
    )


def test_store_names_postgresql_would_cut_are_refused_and_long_ones_are_indexed(
    postgres_url: str,
) -> None:
    # PostgreSQL keeps a name's first 63 bytes: two stores of longer names sharing them
    # shared one table, silently. A 63-byte table's index name was cut to the table's
    # own, so CREATE INDEX IF NOT EXISTS made none.
    for long in ("t" * 64, "é" * 32):
        with pytest.raises(ValueError, match="at most 63 bytes"):
            PostgresAnalyticsStore(postgres_url, long)
    with pytest.raises(ValueError, match="at most 63 bytes"):
        PostgresAnalyticsStore(postgres_url, "daily", schema="s" * 64)
    result = analyse([{"timestamp": NOW, "success": True}], "checkout")
    for table in ("u" * 63, "w" * 50):
        call(PostgresAnalyticsStore(postgres_url, table), "save", result)
        indexes = sql(
            postgres_url,
            f"SELECT count(*) FROM pg_indexes WHERE tablename = '{table}'"
            " AND indexdef LIKE '%(pattern_id, computed_at%'",
        )
        assert indexes == [(1,)], table


@pytest.mark.parametrize("kind", ["text", "uuid", "bigint"])
def test_first_record_is_the_tables_first_row_of_the_pattern(postgres_url: str, kind: str) -> None:
    ids = {"text": ("b", "a"), "uuid": (str(UUID(int=2)), str(UUID(int=1))), "bigint": ("2", "1")}
    first, second = ids[kind]
    sql(
        postgres_url,
        f"CREATE TABLE pattern_executions (pattern_id {kind}, timestamp timestamptz, agent text)",
        # (A text id of a tab and a no-break space is blank: btrim() took it for an id.)
        *[
            "INSERT INTO pattern_executions VALUES (E'\\t\\u00a0', NULL, 'blank')"
            for _ in range(kind == "text")
        ],
        f"INSERT INTO pattern_executions VALUES ('{first}', NULL, 'first'), "
        f"('{second}', 'infinity', 'second'), (NULL, NULL, 'no pattern')",
    )
    any_pattern = call(PostgresSource(postgres_url), "first_record")
    assert (any_pattern.pattern_id, any_pattern.data.column("agent").to_pylist()) == (
        first,
        ["first"],
    )
    of_second = call(PostgresSource(postgres_url), "first_record", second)
    assert of_second.data.column("agent").to_pylist() == ["second"]
    row = 3 if kind == "text" else 2  # (after the blank id's row, where there is one)
    assert of_second.locate(0) == f"the row with ctid (0,{row}) (timestamp 'infinity')"
    unknown = str(UUID(int=9)) if kind == "uuid" else "9"
    with pytest.raises(UnknownPatternError):
        call(PostgresSource(postgres_url), "first_record", unknown)


def test_domains_are_read_as_their_base_types(postgres_url: str) -> None:
    # A numeric domain was an "arrow.opaque" column, a timestamptz domain refused; a real
    # was read with its float32 digits (0.699999988...), where psql and a CSV export show 0.7.
    sql(
        postgres_url,
        "CREATE DOMAIN dnum AS numeric(12,3)",
        "CREATE DOMAIN dts AS timestamptz",
        "CREATE DOMAIN dflag AS boolean",
        "CREATE DOMAIN dtext AS text",
        "CREATE TABLE pattern_executions (pattern_id text, timestamp dts, success dflag, "
        "execution_time_ms dnum, quality_score real, agent dtext)",
        "INSERT INTO pattern_executions VALUES "
        "('p', '2026-03-01 10:00:00Z', true, 656.5, 0.7, 'a'), "
        "('p', '2026-03-02 10:00:00Z', false, 100.25, 0.3, 'b')",
    )
    fetched = call(PostgresSource(postgres_url), "fetch", "p", START, NOW)
    assert fetched.data.column("quality_score").to_pylist() == [0.7, 0.3]
    result = analyse(fetched.data, "p")
    assert result.success_metrics.success_rate == 0.5
    assert result.performance_metrics is not None
    assert result.performance_metrics.avg_execution_time_ms == (656.5 + 100.25) / 2
    assert result.context_distribution is not None
    assert result.context_distribution.by_agent == {"a": 1, "b": 1}
    assert call(PostgresSource(postgres_url), "newest") == datetime(2026, 3, 2, 10, tzinfo=UTC)


def test_numbers_are_read_as_pythons_float_reads_their_text(postgres_url: str) -> None:
    # A numeric past a double's range failed the whole query ("out of range for type
    # double precision"), even with --on-invalid skip; a CSV of it reports the row.
    texts = [
        "1e400",
        "-1e400",
        "1e-400",
        "-1e-400",
        "NaN",
        "5",
        str((1 << 1024) - (1 << 970)),  # (the least that rounds to infinity)
        str((1 << 1024) - (1 << 970) - 1),
        "0." + str(5**1075).rjust(1075, "0"),  # 2**-1075: the largest that rounds to zero
        "0." + str(5**1075 + 1).rjust(1075, "0"),
    ]
    rows = ", ".join(f"('p', '2026-03-01 10:00:00Z', '{text}')" for text in texts)
    sql(
        postgres_url,
        "CREATE TABLE pattern_executions (pattern_id text, timestamp timestamptz, "
        "execution_time_ms numeric)",
        f"INSERT INTO pattern_executions VALUES {rows}",
    )
    fetched = call(PostgresSource(postgres_url), "fetch", "p", START, NOW)
    got = fetched.data.column("execution_time_ms").to_pylist()
    assert [repr(value) for value in got] == [repr(float(text)) for text in texts]
    result = analyse(fetched.data, "p", on_invalid="skip")
    assert result.data_quality.invalid_records == 4  # (infinite and NaN times)


def test_interval_durations_and_text_flags(postgres_url: str) -> None:
    sql(
        postgres_url,
        "CREATE TABLE pattern_executions (pattern_id text, timestamp timestamptz, "
        "execution_time_ms interval, success text)",
        "INSERT INTO pattern_executions VALUES "
        "('p', '2026-03-01 10:00:00Z', '1.5 seconds', 'true')",
    )
    # A text flag column was refused in the driver's words ("Arrow type Utf8").
    with pytest.raises(SourceError, match="column 'success' of table 'pattern_executions' is text"):
        call(PostgresSource(postgres_url), "fetch", "p", START, NOW)
    sql(postgres_url, "ALTER TABLE pattern_executions DROP COLUMN success")
    fetched = call(PostgresSource(postgres_url), "fetch", "p", START, NOW)
    assert fetched.data.column("execution_time_ms").to_pylist() == [1500.0]
    mapped = TableSpec(columns={"timeout": "pattern_id"})  # (a mapped column is checked too)
    with pytest.raises(SourceError, match=r"column 'pattern_id' .* is text; flags must be boolean"):
        call(PostgresSource(postgres_url, mapped), "fetch", "p", START, NOW)


#: Pattern id columns that compare ignoring case -> the statements that make their type.
CASE_INSENSITIVE_IDS = {
    # "alpha" matched "Alpha" too: 5 runs each, where grouping (the dashboard) found 2
    # and 3; and the list of ids (DISTINCT, or the skip scan) kept one of the spellings,
    # so an id without runs in the window ("ALPHA") was missing from `fetch_all`.
    "text COLLATE ci": [
        "CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false)"
    ],
    # citext compares ignoring case under any collation: the skip scan over its index
    # stepped from "Alpha" past "alpha" and "ALPHA". (Debian's server package holds the
    # extension. In a schema off the search path its type is written "ext.citext", which
    # was not known as citext: helper-106's review.)
    "public.citext": ["CREATE EXTENSION IF NOT EXISTS citext SCHEMA public"],
    "ext.citext": ["CREATE SCHEMA ext", "CREATE EXTENSION IF NOT EXISTS citext SCHEMA ext"],
}


@pytest.mark.parametrize("kind", sorted(CASE_INSENSITIVE_IDS))
@pytest.mark.parametrize("indexed", [True, False])
def test_a_case_insensitive_id_column_keeps_ids_apart(
    postgres_url: str, indexed: bool, kind: str
) -> None:
    sql(
        postgres_url,
        *CASE_INSENSITIVE_IDS[kind],
        f"CREATE TABLE pattern_executions (pattern_id {kind}, timestamp timestamptz)",
        "INSERT INTO pattern_executions VALUES ('alpha', '2026-03-01Z'), ('alpha', '2026-03-02Z'), "
        "('Alpha', '2026-03-01Z'), ('Alpha', '2026-03-02Z'), ('Alpha', '2026-03-03Z'), "
        "('ALPHA', '2025-01-01Z')",
        *["CREATE INDEX by_pattern ON pattern_executions (pattern_id, timestamp)"] * indexed,
    )
    counts = {
        wanted: call(PostgresSource(postgres_url), "fetch", wanted, START, NOW).count
        for wanted in ("alpha", "Alpha", "ALPHA")
    }
    groups = call(PostgresSource(postgres_url), "fetch_all", START, NOW)
    expected = {"alpha": 2, "Alpha": 3, "ALPHA": 0}
    assert counts == {group.pattern_id: group.count for group in groups} == expected


def test_columns_named_in_another_case_are_found(postgres_url: str) -> None:
    # A column "Success" was passed over as missing (every run a failure, silently), its
    # "Execution_Time_Ms" too, where the SQLite source reads the same table's; a name two
    # columns share but for case is taken only as written.
    sql(
        postgres_url,
        'CREATE TABLE pattern_executions ("Pattern_Id" text, "TIMESTAMP" timestamptz, '
        '"Success" boolean, "Execution_Time_Ms" float8, agent text, "Agent" text)',
        "INSERT INTO pattern_executions VALUES ('p', '2026-03-01 10:00Z', true, 5, 'a', 'A'), "
        "('p', '2026-03-01 11:00Z', true, 7, 'b', 'B')",
        'CREATE INDEX by_pattern ON pattern_executions ("Pattern_Id", "TIMESTAMP")',
    )
    source = PostgresSource(postgres_url)
    fetched = call(source, "fetch", "p", START, NOW)
    assert fetched.data.column("success").to_pylist() == [True, True]
    assert fetched.data.column("execution_time_ms").to_pylist() == [5.0, 7.0]
    assert fetched.data.column("agent").to_pylist() == ["a", "b"]
    groups = call(PostgresSource(postgres_url), "fetch_all", START, NOW)
    assert [(group.pattern_id, group.count) for group in groups] == [("p", 2)]


def test_row_labels_do_not_follow_the_databases_datestyle(postgres_url: str) -> None:
    database = urlsplit(postgres_url).path.lstrip("/")
    sql(
        postgres_url,
        f"ALTER DATABASE {database} SET DateStyle = 'SQL, DMY'",
        "CREATE TABLE pattern_executions (pattern_id text, timestamp timestamptz)",
        "INSERT INTO pattern_executions VALUES ('p', '2026-04-01 00:00:00Z')",
    )
    first = call(PostgresSource(postgres_url), "first_record")
    assert first.locate(0) == "the row with ctid (0,1) (timestamp '2026-04-01 00:00:00+00')"


def test_concurrent_saves_of_overlapping_results_in_any_order(postgres_url: str) -> None:
    # Writers saving the same results in opposite orders deadlocked (5 of 8 failed), and
    # the deadlock was reported as a failed connection.
    results = [
        analyse([{"timestamp": NOW - timedelta(hours=1)}], f"p{index}", START, NOW)
        for index in range(20)
    ]

    async def save(store: PostgresAnalyticsStore, forward: bool) -> None:
        async with store:
            for _ in range(5):
                await store.save_many(results if forward else results[::-1])

    async def go() -> list[Any]:
        stores = [PostgresAnalyticsStore(postgres_url) for _ in range(8)]
        await stores[0].save(results[0])  # (the table, made once)
        return await asyncio.gather(
            *(save(store, index % 2 == 0) for index, store in enumerate(stores)),
            return_exceptions=True,
        )

    assert run(go()) == [None] * 8
    (count,) = sql(postgres_url, "SELECT count(*) FROM pattern_analytics")
    assert count == (20,)


def test_a_rolled_back_transaction_is_a_failed_query_not_a_lost_connection(
    postgres_url: str,
) -> None:
    connection = PostgresConnection(postgres_url)

    def serialization_failure(cursor: Any) -> None:
        cursor.execute("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$")

    async def go() -> None:
        try:
            await connection.run(serialization_failure)
        finally:
            await connection.close()

    with pytest.raises(SourceError, match="query failed, its transaction rolled back") as caught:
        run(go())
    assert not isinstance(caught.value, SourceUnavailableError)
    # (The driver's prefixes are left out: "Failed to execute query: ERROR:  conflict".)
    assert str(caught.value).endswith("its transaction rolled back: conflict")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("P0001", "refused"),  # a trigger's RAISE
        ("57014", "canceling statement due to statement timeout"),
        ("53100", "could not extend file"),  # a full disk
    ],
)
def test_a_servers_refusal_reported_as_operational_is_a_failed_query(
    postgres_url: str, code: str, words: str
) -> None:
    # ADBC reports these as operational errors, which were "connection failed" (a
    # SourceUnavailableError: the command's usage exit) from a server that had answered.
    connection = PostgresConnection(postgres_url)

    def refused(cursor: Any) -> None:
        cursor.execute(f"DO $$ BEGIN RAISE EXCEPTION '{words}' USING ERRCODE = '{code}'; END $$")

    async def go() -> None:
        try:
            await connection.run(refused)
        finally:
            await connection.close()

    with pytest.raises(SourceError, match=f"query failed: {words}$") as caught:
        run(go())
    assert not isinstance(caught.value, SourceUnavailableError)


def test_a_session_the_server_ended_is_a_lost_connection(postgres_url: str) -> None:
    connection = PostgresConnection(postgres_url)

    async def go() -> int:
        try:
            pid = await connection.run(lambda cursor: _one(cursor, "SELECT pg_backend_pid()"))
            sql(postgres_url, f"SELECT pg_terminate_backend({pid}, 5000)")
            with pytest.raises(SourceUnavailableError, match=r"connection failed: .*terminat"):
                await connection.run(lambda cursor: _one(cursor, "SELECT 1"))
            return int(await connection.run(lambda cursor: _one(cursor, "SELECT 2")))
        finally:
            await connection.close()

    assert run(go()) == 2  # (and the next call connects again)


def _one(cursor: Any, query: str) -> Any:
    cursor.execute(query)
    return cursor.fetchone()[0]


def test_of_two_results_of_one_key_the_later_is_saved_whatever_their_offsets(
    postgres_url: str,
) -> None:
    # The rows were ordered by their text: one instant at +01:00 sorted after itself at
    # UTC, so the earlier result of the key was saved last.
    plus_one, key = timezone(timedelta(hours=1)), uuid4()
    earlier = analyse(
        [{"timestamp": NOW - timedelta(hours=1)}] * 2,
        "p",
        START.astimezone(plus_one),
        NOW.astimezone(plus_one),
        correlation_id=key,
    )
    later = analyse([{"timestamp": NOW - timedelta(hours=1)}], "p", START, NOW, correlation_id=key)
    assert earlier.time_window_start == later.time_window_start

    async def go() -> Any:
        async with PostgresAnalyticsStore(postgres_url) as store:
            await store.save_many([earlier, later])
            return await store.get("p", START, NOW, key)

    assert run(go()).usage_metrics.total_executions == 1


def test_rows_in_no_window_are_named_by_their_primary_key_else_ctid(postgres_url: str) -> None:
    # Rows whose timestamp is NULL were all "a row with timestamp NULL": they are named
    # by the table's primary key, its ctid without one, nothing more in a view.
    sql(
        postgres_url,
        "CREATE TABLE keyed (id int PRIMARY KEY, pattern_id text, timestamp timestamptz)",
        "CREATE TABLE pairs (pattern_id text, seq int, timestamp timestamptz, "
        "PRIMARY KEY (pattern_id, seq))",
        "CREATE TABLE plain (pattern_id text, timestamp timestamptz)",
        "CREATE VIEW seen AS SELECT * FROM plain",
        "INSERT INTO keyed VALUES (7, 'p', NULL), (9, 'p', NULL)",
        "INSERT INTO pairs VALUES ('p', 1, NULL), ('p', 2, NULL)",
        "INSERT INTO plain VALUES ('p', NULL), ('p', NULL)",
        "CREATE MATERIALIZED VIEW frozen AS SELECT * FROM plain",
    )
    expected = {
        "keyed": ["the row with id 7 (timestamp NULL)", "the row with id 9 (timestamp NULL)"],
        "pairs": [
            "the row with (pattern_id, seq) = (p,1) (timestamp NULL)",
            "the row with (pattern_id, seq) = (p,2) (timestamp NULL)",
        ],
        "plain": [
            "the row with ctid (0,1) (timestamp NULL)",
            "the row with ctid (0,2) (timestamp NULL)",
        ],
        "seen": ["a row with timestamp NULL", "a row with timestamp NULL"],
        # (A materialized view's rows are stored, and its ctids select them.)
        "frozen": [
            "the row with ctid (0,1) (timestamp NULL)",
            "the row with ctid (0,2) (timestamp NULL)",
        ],
    }
    for table, places in expected.items():
        source = PostgresSource(postgres_url, TableSpec(table=table))
        fetched = call(source, "fetch", "p", START, NOW)
        assert sorted(fetched.locate(i) for i in range(fetched.count)) == places, table
        assert "ua_row_key" not in fetched.data.column_names
        [group] = call(
            PostgresSource(postgres_url, TableSpec(table=table)), "fetch_all", START, NOW
        )
        assert sorted(group.locate(i) for i in range(group.count)) == places, table
        assert "ua_row_key" not in group.data.column_names


def test_a_cancelled_call_keeps_the_connection_until_its_work_ends(postgres_url: str) -> None:
    # A call cancelled while its worker thread ran (a timeout) released the lock at once:
    # the next call used the connection alongside it, and libpq's state was corrupted (wrong
    # answers, protocol errors, a crash in free()).
    import threading
    import time

    connection = PostgresConnection(postgres_url)
    spans: list[tuple[str, float, float]] = []
    slow_started = threading.Event()

    def slow(cursor: Any) -> None:
        begun = time.monotonic()
        slow_started.set()
        cursor.execute("SELECT pg_sleep(0.5)")
        cursor.fetchall()
        spans.append(("slow", begun, time.monotonic()))

    def quick(cursor: Any) -> None:
        begun = time.monotonic()
        cursor.execute("SELECT 1")
        cursor.fetchall()
        spans.append(("quick", begun, time.monotonic()))

    async def go() -> None:
        try:
            task = asyncio.ensure_future(connection.run(slow))
            await asyncio.to_thread(slow_started.wait, 10)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            await connection.run(quick)
        finally:
            await connection.close()

    run(go())
    assert [name for name, _, _ in spans] == ["slow", "quick"]
    assert spans[1][1] >= spans[0][2]  # the quick call began after the slow one ended


@pytest.mark.parametrize("kind", ["source", "store"])
def test_a_source_or_store_dropped_unclosed_closes_its_connection_at_once(
    loaded: str, kind: str
) -> None:
    # The connection held a method of its source or store (`on_connect`), a reference
    # cycle: one dropped without close() kept its connection (a socket, a server session)
    # open until the cyclic collector ran, up to 33 at once over 1,000 dropped sources.
    import gc
    import weakref

    async def used() -> tuple[weakref.ref[Any], weakref.ref[Any]]:
        if kind == "source":
            source = open_source(loaded)
            await source.newest(GROWING)
            owner: Any = source
        else:
            store = open_store(loaded)
            await store.history(GROWING)
            owner = store
        return weakref.ref(owner), weakref.ref(owner._connection._connection)

    enabled = gc.isenabled()
    gc.disable()  # (a collection meanwhile would close it too)
    try:
        with pytest.warns(ResourceWarning, match="not explicitly close"):  # (ADBC's, at once)
            owner, connection = run(used())
        assert owner() is None
        assert connection() is None  # closed by its __del__
    finally:
        if enabled:
            gc.enable()


def test_on_connect_may_be_any_callable(postgres_url: str) -> None:
    # Held through weakref.WeakMethod, which takes bound Python methods alone: a function,
    # a lambda or a builtin's method (list.append) raised TypeError on construction.
    opened: list[Any] = []
    connection = PostgresConnection(postgres_url, on_connect=opened.append)
    query = "SELECT 1"
    assert run(connection.run(lambda cursor: cursor.execute(query).fetchall())) == [(1,)]
    assert len(opened) == 1
    run(connection.close())


def test_a_store_serves_several_event_loops_and_threads(postgres_url: str) -> None:
    # The connection's asyncio.Lock was bound to the first loop that waited on it: calls
    # from a later asyncio.run raised RuntimeError, and from other threads waited forever.
    import threading

    results = [analyse([{"timestamp": NOW - timedelta(hours=1)}], f"p{i}") for i in range(16)]
    store = PostgresAnalyticsStore(postgres_url)

    async def save_all(chunk: list[Any]) -> None:
        await asyncio.gather(*(store.save(result) for result in chunk))

    run(save_all(results[:4]))
    run(save_all(results[4:8]))  # another loop: RuntimeError
    errors: list[BaseException] = []

    def worker(chunk: list[Any]) -> None:
        try:
            run(save_all(chunk))
        except BaseException as error:  # (reported below)
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(results[8 + i :: 4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    run(store.close())
    (count,) = sql(postgres_url, "SELECT count(*) FROM pattern_analytics")
    assert count == (16,)


def test_a_result_whose_context_names_hold_nul_is_stored(postgres_url: str) -> None:
    # jsonb refuses \u0000: the save was a failed query ("unsupported Unicode escape
    # sequence"). The model column keeps the names exactly; the result column reads U+FFFD.
    result = analyse(
        [{"timestamp": NOW - timedelta(hours=1), "context_type": "a\x00b"}],
        "p",
        granularity="comprehensive",
    )
    assert result.context_distribution is not None
    assert result.context_distribution.by_context_type == {"a\x00b": 1}

    async def go() -> Any:
        async with open_store(postgres_url) as store:
            await store.save(result)
            return await store.get("p", START, NOW)

    assert run(go()) == result
    (row,) = sql(
        postgres_url,
        "SELECT result->'context_distribution'->'by_context_type' FROM pattern_analytics",
    )
    assert row[0] == '{"a\ufffdb": 1}'


def test_a_pattern_id_holding_nul_is_refused_by_name(postgres_url: str) -> None:
    # PostgreSQL text cannot hold NUL: a failed query ("invalid byte sequence for encoding
    # UTF8: 0x00"), and reads of such an id failed too.
    result = analyse([{"timestamp": NOW - timedelta(hours=1)}], "a\x00b")

    async def go() -> tuple[Any, list[Any]]:
        async with open_store(postgres_url) as store:
            found = await store.get("a\x00b", START, NOW), await store.history("a\x00b")
            await store.save(result)
            return found

    with pytest.raises(StoreError, match="cannot hold NUL: pattern id 'a\\\\x00b'"):
        run(go())

    async def reads() -> tuple[Any, list[Any]]:
        async with open_store(postgres_url) as store:
            await store.save(analyse([{"timestamp": NOW - timedelta(hours=1)}], "a"))
            return await store.get("a\x00b", START, NOW), await store.history("a\x00b")

    assert run(reads()) == (None, [])
