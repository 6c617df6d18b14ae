"""PostgreSQL values in messages as the table holds them (against a real server, see
conftest.py): an integer column's -1 as -1, not the -1.0 of its cast to double
precision; a json or jsonb pattern id's string without its JSON quotes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from pg_calls import call, sql
from usage_analytics import InvalidRecordError, NodeUsageAnalyticsReducer
from usage_analytics.cli import main
from usage_analytics.contracts import ModelUsageAnalyticsInput
from usage_analytics.sources import PostgresSource, TableSpec

START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 10, tzinfo=UTC)


def reduced(data: Any) -> Any:
    contract = ModelUsageAnalyticsInput(
        pattern_id="p", time_window_start=START, time_window_end=END, execution_data=data
    )
    return asyncio.run(NodeUsageAnalyticsReducer().execute_reduction(contract))


@pytest.mark.parametrize("kind", ["smallint", "integer", "bigint", "whole_ms"])
def test_an_integer_column_s_value_is_shown_as_an_integer(postgres_url: str, kind: str) -> None:
    sql(
        postgres_url,
        "CREATE DOMAIN whole_ms AS integer",
        f"CREATE TABLE pattern_executions (pattern_id text, timestamp timestamptz, "
        f"execution_time_ms {kind})",
        "INSERT INTO pattern_executions VALUES ('p', '2026-01-05 10:00Z', 5), "
        "('p', '2026-01-05 11:00Z', -1)",
    )
    fetched = call(PostgresSource(postgres_url), "fetch", "p", START, END)
    with pytest.raises(InvalidRecordError) as raised:
        reduced(fetched.data)
    assert (raised.value.field, raised.value.value) == ("execution_time_ms", "-1")


def test_a_bigint_past_a_double_s_digits_is_read_as_its_cast_rounds_it(
    postgres_url: str,
) -> None:
    # (Read as integers now: the core's conversion to a double is PostgreSQL's.)
    sql(
        postgres_url,
        "CREATE TABLE pattern_executions (pattern_id text, timestamp timestamptz, "
        "execution_time_ms bigint)",
        "INSERT INTO pattern_executions VALUES ('p', '2026-01-05 10:00Z', 9007199254740993)",
    )
    fetched = call(PostgresSource(postgres_url), "fetch", "p", START, END)
    result = reduced(fetched.data)
    assert result.performance_metrics.max_execution_time_ms == float(9007199254740993)


@pytest.mark.parametrize("kind", ["json", "jsonb"])
def test_a_json_pattern_id_is_its_string_without_quotes(postgres_url: str, kind: str) -> None:
    sql(
        postgres_url,
        f"CREATE TABLE pattern_executions (pattern_id {kind}, timestamp timestamptz, "
        "execution_time_ms double precision)",
        """INSERT INTO pattern_executions VALUES ('"checkout"', '2026-01-05 10:00Z', 5), """
        """('"checkout"', '2026-01-05 11:00Z', -1), ('7', '2026-01-05 11:00Z', 5), """
        """('null', '2026-01-05 11:00Z', 5)""",
    )
    groups = call(PostgresSource(postgres_url), "fetch_all", START, END)
    assert [(group.pattern_id, group.count) for group in groups] == [("7", 1), ("checkout", 2)]
    assert call(PostgresSource(postgres_url), "fetch", "checkout", START, END).count == 2
    assert call(PostgresSource(postgres_url), "unattributed").count == 1
    first = call(PostgresSource(postgres_url), "first_record", "checkout")
    assert first.pattern_id == "checkout"


def test_the_command_names_a_jsonb_pattern_as_written(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sql(
        postgres_url,
        "CREATE TABLE runs (pattern_id jsonb, timestamp timestamptz, execution_time_ms bigint)",
        """INSERT INTO runs VALUES ('"checkout"', '2026-01-05 10:00Z', -1), """
        """('"search"', '2026-01-05 10:00Z', 5)""",
    )
    window = ["--start", "2026-01-01", "--end", "2026-01-10", "--table", "runs"]
    assert main(["analyze", postgres_url, "--pattern", "checkout", *window]) == 1
    error = capsys.readouterr().err
    assert "field 'execution_time_ms' = -1: must be >= 0" in error
    # (The dashboard names the pattern where there are several.)
    assert main(["dashboard", postgres_url, *window]) == 1
    error = capsys.readouterr().err
    assert ", pattern checkout, " in error
    assert '"checkout"' not in error


def test_a_spec_mapping_a_jsonb_column_reads_it_so(postgres_url: str) -> None:
    sql(
        postgres_url,
        "CREATE TABLE runs (id jsonb, at timestamptz)",
        """INSERT INTO runs VALUES ('"a b"', '2026-01-05 10:00Z')""",
    )
    spec = TableSpec(table="runs", columns={"pattern_id": "id", "timestamp": "at"})
    [group] = call(PostgresSource(postgres_url, spec), "fetch_all", START, END)
    assert group.pattern_id == "a b"
