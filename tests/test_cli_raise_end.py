"""`analyze`'s default window in raise mode (`cli.invalid_end`): where the source's newest
record, which ends the window, is another pattern's invalid record (or has no pattern
id), `analyze` fails naming it, as `dashboard` does, instead of ending its window there
silently; a valid record of any pattern at that instant ends it as before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pg_server
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_runs import run
from test_cli_default_end import record, sqlite_of, write_jsonl
from usage_analytics.sources.postgres_table import write_executions_sync as write_postgres

END = datetime(2026, 11, 30, 12, tzinfo=UTC)
#: p's records, the newest three days before END.
P_RECORDS = [record("p", END - timedelta(days=day)) for day in (3, 5)]
#: The remedies the error offers.
REMEDIES = (
    "it is the source's newest record, which ends the default window: --on-invalid skip "
    "ends it at the newest valid record instead, --end where you choose\n"
)


@pytest.fixture(autouse=True)
def _terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)


def source_of(tmp_path: Path, kind: str, records: list[dict[str, Any]]) -> str:
    if kind == "sqlite":
        return sqlite_of(tmp_path / "runs.sqlite", records)
    names = list(dict.fromkeys(name for one in records for name in one))
    if kind == "parquet":  # (typed columns: a pyarrow table's timestamps)
        path = tmp_path / "runs.parquet"
        columns = {name: [one.get(name) for one in records] for name in names}
        pq.write_table(pa.Table.from_pydict(columns), path)
        return str(path)
    if kind == "csv":
        lines = [",".join(names)]
        for one in records:
            values = (one.get(name, "") for name in names)
            lines.append(
                ",".join(v.isoformat() if isinstance(v, datetime) else str(v) for v in values)
            )
        path = tmp_path / "runs.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return str(path)
    return write_jsonl(tmp_path / "runs.jsonl", records)


@pytest.fixture
def postgres_database(postgres_server: str) -> Iterator[str]:
    name, url = pg_server.create_database(postgres_server)
    try:
        yield url
    finally:
        pg_server.drop_database(postgres_server, name)


def test_a_postgresql_sources_invalid_newest_row_is_the_error(
    capsys: pytest.CaptureFixture[str], postgres_database: str
) -> None:
    rows = [*P_RECORDS, record("q", END - timedelta(days=1)), record("q", END, quality_score=7.0)]
    write_postgres(postgres_database, rows)
    code, out, err = run(capsys, "analyze", postgres_database, "--pattern", "p")
    assert (code, out) == (1, "")
    assert ", pattern q, the row with " in err
    assert err.endswith(f": field 'quality_score' = 7.0: must be within [0, 1]; {REMEDIES}")


@pytest.mark.parametrize("kind", ["jsonl", "csv", "parquet", "sqlite"])
@pytest.mark.parametrize(
    ("invalid", "named"),
    [
        ({"execution_time_ms": -5.0}, "field 'execution_time_ms' = -5.0: must be >= 0"),
        ({"quality_score": 7.0}, "field 'quality_score' = 7.0: must be within [0, 1]"),
    ],
)
def test_another_patterns_invalid_newest_record_is_the_error(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    kind: str,
    invalid: dict[str, Any],
    named: str,
) -> None:
    # (The window ended at q's invalid record, silently: the dashboard names it.)
    records = [*P_RECORDS, record("q", END - timedelta(days=1)), record("q", END, **invalid)]
    source = source_of(tmp_path, kind, records)
    place = {
        "jsonl": "line 4",
        "csv": "line 5",
        "parquet": "row 4",
        "sqlite": "the row with rowid 4 (timestamp '2026-11-30T12:00",
    }[kind]
    code, out, err = run(capsys, "analyze", source, "--pattern", "p")
    assert (code, out) == (1, "")
    assert err.startswith(f"usage-analytics: error: {source}, pattern q, {place}")
    assert err.endswith(f": {named}; {REMEDIES}")
    code, out, err = run(capsys, "dashboard", source)
    assert (code, out) == (1, "")
    assert named in err


def test_a_newest_record_far_ahead_and_invalid_is_named_not_used(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # A clock years ahead on a broken record: the window ended in 2999, p's records 970
    # years before it, with no word but the note of a future end.
    ahead = record("q", datetime(2999, 1, 1, tzinfo=UTC), success="perhaps")
    source = write_jsonl(tmp_path / "runs.jsonl", [*P_RECORDS, ahead])
    code, out, err = run(capsys, "analyze", source, "--pattern", "p", "--format", "json")
    assert (code, out) == (1, "")
    assert "pattern q, line 3: field 'success' = 'perhaps': " in err
    assert err.endswith(REMEDIES)


@pytest.mark.parametrize("kind", ["jsonl", "sqlite"])
def test_a_newest_record_without_a_pattern_id_is_the_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    source = source_of(tmp_path, kind, [*P_RECORDS, record(None, END)])
    code, out, err = run(capsys, "analyze", source, "--pattern", "p")
    assert (code, out) == (1, "")
    assert err == (
        f"usage-analytics: error: {source}: the newest record (2026-11-30T12:00:00+00:00) has "
        "no pattern_id, so no pattern holds it; it is the source's newest record, which ends "
        "the default window: --on-invalid skip (which leaves it out) ends it at the newest "
        "valid record instead, --end where you choose\n"
    )


@pytest.mark.parametrize("kind", ["jsonl", "sqlite"])
def test_a_valid_record_at_the_newest_instant_ends_the_window_as_before(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    # (An invalid record beside it, at the same instant, is the dashboard's error, not
    # p's: p's window ends where the dashboard's would in either mode.)
    records = [*P_RECORDS, record("q", END, quality_score=7.0), record("r", END)]
    source = source_of(tmp_path, kind, records)
    code, out, err = run(capsys, "analyze", source, "--pattern", "p", "--format", "json")
    assert (code, err) == (0, "")
    assert json.loads(out)["time_window"]["end"] == "2026-11-30T12:00:00Z"
    assert json.loads(out)["usage_metrics"]["time_since_last_use"] == 72.0


def test_an_invalid_record_a_microsecond_before_the_newest_is_not_the_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # (The instant read, [end - 1 us, end], holds it: only the end's own records count.)
    before = record("q", END - timedelta(microseconds=1), quality_score=7.0)
    source = write_jsonl(tmp_path / "runs.jsonl", [*P_RECORDS, before, record("r", END)])
    code, _, err = run(capsys, "analyze", source, "--pattern", "p")
    assert (code, err) == (0, "")


def test_other_ways_out_are_left_as_they_were(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = [*P_RECORDS, record("q", END - timedelta(days=1)), record("q", END, timeout="x")]
    source = write_jsonl(tmp_path / "runs.jsonl", records)
    # --end: the window the user chose; its end no record's.
    code, _, err = run(capsys, "analyze", source, "--pattern", "p", "--end", "2026-11-29")
    assert (code, err) == (0, "")
    # Skip mode: the newest valid record, q's a day before.
    code, out, err = run(
        capsys, "analyze", source, "--pattern", "p", "--on-invalid", "skip", "--format", "json"
    )
    assert (code, err) == (0, "")
    assert json.loads(out)["time_window"]["end"] == "2026-11-29T12:00:00Z"
    # q's own newest record ends the window: its analysis names it, as before.
    code, _, err = run(capsys, "analyze", source, "--pattern", "q")
    assert code == 1
    assert err.startswith(f"usage-analytics: error: {source}, line 4: field 'timeout'")
    assert err.endswith("; --on-invalid skip leaves invalid records out\n")
