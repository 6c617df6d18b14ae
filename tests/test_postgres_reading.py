"""PostgreSQL reading details the other tests left unchecked (each found by a mutation
of the source that every test passed), against a real server (see conftest.py): both
window ends in `fetch_all`, a mapped column that is missing, every digit of a float,
the last day that windows reach, tables named but for case or with a dot.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pg_calls import call, sql
from source_cases import NOW, START
from usage_analytics.sources import PostgresSource, SourceError, TableSpec
from usage_analytics.sources.postgres_table import write_executions_sync


def test_fetch_all_holds_both_window_ends_to_the_microsecond(postgres_url: str) -> None:
    one = timedelta(microseconds=1)
    stamps = {"before": START - one, "start": START, "end": NOW, "after": NOW + one}
    rows = [{"pattern_id": "p", "timestamp": t, "agent": a} for a, t in stamps.items()]
    write_executions_sync(postgres_url, rows)
    # (By each pattern's own index range; then, the index dropped, by a scan.)
    for drop in ("", "DROP INDEX pattern_executions_pattern_time"):
        if drop:
            sql(postgres_url, drop)
        [group] = call(PostgresSource(postgres_url), "fetch_all", START, NOW)
        assert group.data.column("agent").to_pylist() == ["start", "end"]


def test_a_mapped_column_that_is_missing_is_an_error_naming_it(postgres_url: str) -> None:
    # (Taken for a field without a column, every run was a failure, silently.)
    sql(postgres_url, "CREATE TABLE runs (pattern_id text, timestamp timestamptz, ok bool)")
    spec = TableSpec(table="runs", columns={"success": "succeeded"})
    with pytest.raises(SourceError, match=r"no column 'succeeded' for the record field 'success'"):
        call(PostgresSource(postgres_url, spec), "newest")


def test_floats_are_read_with_every_digit_their_value_needs(postgres_url: str) -> None:
    # The session's extra_float_digits makes PostgreSQL write a float's shortest exact
    # text: with the server's default a real had 6 digits (0.123457) and a double id 15,
    # which made 0.1 + 0.2 the pattern of 0.3.
    sql(
        postgres_url,
        "CREATE TABLE pattern_executions (pattern_id double precision, "
        "timestamp timestamptz, quality_score real)",
        "INSERT INTO pattern_executions VALUES "
        "(0.1::float8 + 0.2::float8, '2026-03-01 10:00Z', 0.1234567), "
        "(0.3, '2026-03-01 11:00Z', 0.25)",
    )
    groups = call(PostgresSource(postgres_url), "fetch_all", START, NOW)
    assert [(g.pattern_id, g.count) for g in groups] == [("0.3", 1), ("0.30000000000000004", 1)]
    assert groups[1].data.column("quality_score").to_pylist() == [0.1234567]


def test_the_newest_record_may_be_on_the_last_day_windows_reach(postgres_url: str) -> None:
    last = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    write_executions_sync(postgres_url, [{"pattern_id": "p", "timestamp": last}])
    assert call(PostgresSource(postgres_url), "newest") == last


def test_a_field_two_columns_name_but_for_case_is_an_error_naming_both(
    postgres_url: str,
) -> None:
    # Neither was taken: the field was passed over as missing, every run a failure,
    # silently. (A column named exactly as the field is taken: test_postgres.py.)
    sql(
        postgres_url,
        'CREATE TABLE pattern_executions (pattern_id text, timestamp timestamptz, "Success" '
        'boolean, "SUCCESS" boolean)',
    )
    with pytest.raises(
        SourceError,
        match=r"columns 'Success' and 'SUCCESS' both match 'success' \(the record field "
        r"'success'\) but for case; map the field to one of them \(--column success=COLUMN",
    ):
        call(PostgresSource(postgres_url), "newest")
    spec = TableSpec(columns={"success": "SUCCESS"})
    assert call(PostgresSource(postgres_url, spec), "unattributed").count == 0


def test_a_table_named_but_for_case_is_found_as_sqlite_finds_it(postgres_url: str) -> None:
    # A table created with a quoted name ("Pattern_Executions", as ORMs and migrated
    # schemas spell them) was "no table 'pattern_executions'" where the SQLite source,
    # and this one's columns, match names but for case.
    sql(
        postgres_url,
        "CREATE SCHEMA app",
        'CREATE TABLE app."Runs" (pattern_id text, timestamp timestamptz)',
        "INSERT INTO app.\"Runs\" VALUES ('p', '2026-03-01 10:00Z')",
        'CREATE TABLE "Pattern_Executions" (pattern_id text, timestamp timestamptz)',
        "INSERT INTO \"Pattern_Executions\" VALUES ('p', '2026-03-02 10:00Z')",
    )
    for spec, newest in (
        (TableSpec(), datetime(2026, 3, 2, 10, tzinfo=UTC)),
        (TableSpec(table="runs", schema="app"), datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ):
        assert call(PostgresSource(postgres_url, spec), "newest", "p") == newest


def test_tables_named_alike_but_for_case_are_an_error_naming_them(postgres_url: str) -> None:
    sql(
        postgres_url,
        'CREATE TABLE "Runs" (pattern_id text, timestamp timestamptz)',
        'CREATE TABLE "RUNS" (pattern_id text, timestamp timestamptz)',
        "INSERT INTO \"Runs\" VALUES ('p', '2026-03-01 10:00Z')",
    )
    with pytest.raises(
        SourceError,
        match=r"has no table 'runs'; tables 'public\.RUNS' and 'public\.Runs' match it "
        r"but for case: name one of them \(--table SCHEMA\.NAME\)",
    ):
        call(PostgresSource(postgres_url, TableSpec(table="runs")), "newest")
    newest = call(PostgresSource(postgres_url, TableSpec(table="Runs")), "newest")
    assert newest == datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_a_table_whose_own_name_holds_a_dot_is_named_with_its_schema(postgres_url: str) -> None:
    # --table a.b is table b of schema a: a table named "a.b" went unmentioned, but in a
    # list of the first 20 tables (the SQLite source names it: main.a.b).
    sql(
        postgres_url,
        *[f"CREATE TABLE t{number:02} (x int)" for number in range(20)],
        'CREATE TABLE "x.runs" (pattern_id text, timestamp timestamptz)',
        "INSERT INTO \"x.runs\" VALUES ('p', '2026-03-01 10:00Z')",
    )
    with pytest.raises(
        SourceError, match=r"has no table 'x\.runs'; a table of that name is public\.x\.runs \("
    ):
        call(PostgresSource(postgres_url, TableSpec.from_options("x.runs")), "newest")
    found = call(PostgresSource(postgres_url, TableSpec.from_options("public.x.runs")), "newest")
    assert found == datetime(2026, 3, 1, 10, tzinfo=UTC)


def test_fetch_all_gives_each_patterns_rows_in_time_order_whatever_their_order_stored(
    postgres_url: str,
) -> None:
    # The rows are fetched unordered (the server's ORDER BY spilled a large window's sort
    # to disk) and put in time order on the client: here stored newest first, two
    # patterns interleaved, so that the heap's order is the reverse of time's.
    stamps = [START + timedelta(hours=hour) for hour in range(12)]
    rows = [
        {"pattern_id": "ab"[hour % 2], "timestamp": stamp, "agent": f"h{hour:02d}"}
        for hour, stamp in reversed(list(enumerate(stamps)))
    ]
    write_executions_sync(postgres_url, rows)
    # (By each pattern's own index range; then, the index dropped, by a scan.)
    for drop in ("", "DROP INDEX pattern_executions_pattern_time"):
        if drop:
            sql(postgres_url, drop)
        groups = call(PostgresSource(postgres_url), "fetch_all", START, NOW)
        assert [(g.pattern_id, g.data.column("agent").to_pylist()) for g in groups] == [
            ("a", [f"h{hour:02d}" for hour in range(0, 12, 2)]),
            ("b", [f"h{hour:02d}" for hour in range(1, 12, 2)]),
        ]
