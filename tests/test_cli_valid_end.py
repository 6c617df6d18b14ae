"""The default window (no --end) under `--on-invalid skip` ends at the newest *valid*
record (`cli.valid_end`): an invalid record, its timestamp fine but another field not,
no longer stretches the window past every valid one. Where no record is valid the
command says so, naming the first record's problem; raise mode is unchanged (the newest
record, invalid, is the error)."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pg_server
import pytest
from cli_runs import run
from hypothesis import example, given, settings
from hypothesis import strategies as st
from reference import InvalidValue, datetime_to_micros, micros_to_datetime, read_record
from usage_analytics import NodeUsageAnalyticsReducer
from usage_analytics.cli.valid_end import FIRST_INSTANT, newest_valid, probe_contract
from usage_analytics.sources import Fetched
from usage_analytics.sources.postgres_table import write_executions_sync as write_postgres
from usage_analytics.sources.sqlite_table import write_executions_sync as write_sqlite

NOVEMBER_20 = datetime(2026, 11, 20, 10, tzinfo=UTC)


def good(moment: datetime, pattern: str = "p") -> dict[str, Any]:
    return {"pattern_id": pattern, "timestamp": moment, "success": True, "execution_time_ms": 10.0}


#: Records invalid in a field beside their timestamp, which is fine.
INVALID_BESIDE_THE_TIMESTAMP = [
    {"execution_time_ms": -5.0},
    {"quality_score": 7.0},
    {"execution_time_ms": float("nan")},
]


@pytest.fixture(autouse=True)
def _terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)


def write_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> str:
    lines = [
        json.dumps({k: v.isoformat() if isinstance(v, datetime) else v for k, v in r.items()})
        for r in records
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path.name


def window_end(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv, "--on-invalid", "skip", "--format", "json")
    assert (code, err) == (0, ""), err
    document = json.loads(out)
    window = document["window"] if "window" in document else document["time_window"]
    end: str = window["end"]
    return end


@pytest.mark.parametrize("invalid", INVALID_BESIDE_THE_TIMESTAMP)
@pytest.mark.parametrize("command", [["dashboard"], ["analyze", "--pattern", "p"]])
def test_an_invalid_newest_record_does_not_end_the_window(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, invalid: dict[str, Any], command: list[str]
) -> None:
    # (It ended the window, on 2026-11-25: the valid records' last five days went unseen.)
    records = [good(NOVEMBER_20 - timedelta(days=3)), good(NOVEMBER_20)]
    records.append({**good(NOVEMBER_20 + timedelta(days=5)), **invalid})
    path = write_jsonl(tmp_path / "runs.jsonl", records)
    assert window_end(capsys, command[0], path, *command[1:]) == "2026-11-20T10:00:00Z"


def test_the_newest_valid_record_months_before_the_invalid_ones_ends_the_window(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The records of the window [newest - 30 days, newest] are all invalid: the newest
    # valid one is found among all of them (of another pattern, q's), for `analyze` of p
    # as for the dashboard (p's own newest valid record, 400 days before, ended
    # `analyze`'s window, and the two commands' windows of p did not meet).
    records = [good(NOVEMBER_20 - timedelta(days=400)), good(NOVEMBER_20, "q")]
    later = NOVEMBER_20 + timedelta(days=100, microseconds=7)
    records += [{**good(later - timedelta(days=day)), "quality_score": 2.0} for day in range(9)]
    path = write_jsonl(tmp_path / "runs.jsonl", records)
    assert window_end(capsys, "dashboard", path) == "2026-11-20T10:00:00Z"
    code, out, err = run(
        capsys, "analyze", path, "--pattern", "p", "--on-invalid", "skip", "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["time_window"]["end"] == "2026-11-20T10:00:00Z"
    # (p's window holds none of its records: the note says where its newest is.)
    assert "no valid record of p lies in the window 2026-10-21 10:00 to 2026-11-20" in err
    code, out, _ = run(capsys, "dashboard", path, "--on-invalid", "skip")
    assert code == 0
    heading = " ".join(out.split())
    assert "2026-10-21 10:00 to 2026-11-20 10:00 UTC" in heading
    assert "9 invalid records left out" in heading


@pytest.fixture
def postgres_database(postgres_server: str) -> Iterator[str]:
    name, url = pg_server.create_database(postgres_server)
    try:
        yield url
    finally:
        pg_server.drop_database(postgres_server, name)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_database_source_ends_its_window_at_the_newest_valid_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, request: pytest.FixtureRequest, kind: str
) -> None:
    rows = [good(NOVEMBER_20 - timedelta(days=40)), good(NOVEMBER_20)]
    rows.append({**good(NOVEMBER_20 + timedelta(hours=1)), "execution_time_ms": -1.0})
    if kind == "sqlite":
        source = "runs.sqlite"
        write_sqlite(tmp_path / source, rows)
    else:
        source = request.getfixturevalue("postgres_database")
        write_postgres(source, rows)
    assert window_end(capsys, "dashboard", source) == "2026-11-20T10:00:00Z"
    assert window_end(capsys, "analyze", source, "--pattern", "p") == "2026-11-20T10:00:00Z"
    # The invalid row, after the window, is still counted (a database hands over the
    # rows of the times asked for: those up to the newest record's are).
    for command in (["dashboard"], ["analyze", "--pattern", "p"]):
        code, out, _ = run(capsys, command[0], source, *command[1:], "--on-invalid", "skip")
        assert code == 0
        assert "1 invalid" in " ".join(out.split()), out


def test_no_note_of_an_invalid_record_far_ahead_of_the_clock(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # (The note said the window ended at 2999, where it no longer does.)
    records = [good(NOVEMBER_20), {**good(datetime(2999, 1, 1, tzinfo=UTC)), "success": "x"}]
    path = write_jsonl(tmp_path / "runs.jsonl", records)
    code, _, err = run(capsys, "dashboard", path, "--on-invalid", "skip")
    assert (code, err) == (0, "")
    # A valid one far ahead is still noted.
    records.append(good(datetime(2998, 1, 1, tzinfo=UTC)))
    path = write_jsonl(tmp_path / "runs.jsonl", records)
    code, _, err = run(capsys, "dashboard", path, "--on-invalid", "skip")
    assert code == 0
    assert "note: the newest record (2998-01-01T00:00:00+00:00) is " in err


@pytest.mark.parametrize("command", [["dashboard"], ["analyze", "--pattern", "p"]])
def test_where_no_record_is_valid_the_command_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: list[str]
) -> None:
    # (A window of no valid record, 0 runs, ended by the newest invalid one.)
    records = [{**good(NOVEMBER_20 + timedelta(days=day)), "quality_score": -1.0} for day in (2, 1)]
    path = write_jsonl(tmp_path / "runs.jsonl", records)
    code, out, err = run(capsys, command[0], path, *command[1:], "--on-invalid", "skip")
    assert (code, out) == (1, "")
    # (The source's newest valid record ends either command's window: none is valid.)
    assert err.startswith("usage-analytics: error: no record is valid, so the window ")
    assert "pass --start and --end" in err
    assert "The first record: runs.jsonl, " in err
    assert "line 1: field 'quality_score' = -1.0: must be within [0, 1]\n" in err


def test_raise_mode_still_ends_at_the_newest_record_and_names_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = [good(NOVEMBER_20), {**good(NOVEMBER_20 + timedelta(days=5)), "quality_score": 9.0}]
    path = write_jsonl(tmp_path / "runs.jsonl", records)
    code, out, err = run(capsys, "dashboard", path)
    assert (code, out) == (1, "")
    assert "line 2: field 'quality_score' = 9.0: must be within [0, 1]" in err


# ------------------------------------------------------------------ the newest valid instant

#: The instants a window holds, in epoch microseconds.
FIRST_MICROS = datetime_to_micros(FIRST_INSTANT)
LAST_MICROS = datetime_to_micros(datetime.max.replace(tzinfo=UTC))
#: Two instants 5 microseconds apart, 2^55 microseconds (1,142 years) before the last:
#: their hours to it round to one double (`newest_valid` reads both patterns').
TIED = [LAST_MICROS, LAST_MICROS - 2**55 - 12_346, LAST_MICROS - 2**55 - 12_341]


def _newest_valid(
    records: list[dict[str, Any]], patterns: list[int], start: datetime, end: datetime
) -> datetime | None:
    """`newest_valid` of the records, the i-th of pattern `patterns[i]`, over [start, end],
    from their analyses of that window as the command makes them."""
    args = argparse.Namespace(tz="UTC")
    owned: dict[int, list[dict[str, Any]]] = {}
    for record, pattern in zip(records, patterns, strict=False):
        owned.setdefault(pattern, []).append(record)
    groups = [Fetched(f"p{name}", group, len(group)) for name, group in sorted(owned.items())]
    reducer = NodeUsageAnalyticsReducer()
    results = [
        reducer.execute_reduction_sync(probe_contract(args, group, start, end)) for group in groups
    ]
    return asyncio.run(newest_valid(args, groups, results, start, end))


@settings(max_examples=150, deadline=None)
@given(
    newest=st.one_of(
        st.integers(FIRST_MICROS + 1, LAST_MICROS),
        st.sampled_from([FIRST_MICROS + 1, LAST_MICROS, 0]),
    ),
    # (Microseconds to minutes apart, and up to all the years a window holds: past 2^51
    # microseconds, 71 years, several counts round to one double of hours.)
    gaps=st.lists(
        st.one_of(
            st.integers(0, 100_000_000),
            st.integers(2**51, 2**53),
            st.integers(0, LAST_MICROS - FIRST_MICROS),
        ),
        min_size=0,
        max_size=5,
    ),
    valid=st.lists(st.booleans(), min_size=6, max_size=6),
    patterns=st.lists(st.integers(0, 2), min_size=6, max_size=6),
    span=st.one_of(st.none(), st.integers(1, LAST_MICROS - FIRST_MICROS)),
)
@example(
    newest=LAST_MICROS,
    gaps=[2**55 + 12_345],
    valid=[False, True, *[False] * 4],
    patterns=[0] * 6,
    span=None,
)
@example(
    newest=0,
    gaps=[-FIRST_MICROS - 6],
    valid=[False, True, *[False] * 4],
    patterns=[0] * 6,
    span=None,
)
# (The newer of two tied patterns' records is the second pattern's.)
@example(
    newest=TIED[0],
    gaps=[TIED[0] - TIED[1], TIED[0] - TIED[2]],
    valid=[False, True, True, *[False] * 3],
    patterns=[0, 0, 1, 0, 0, 0],
    span=None,
)
def test_the_newest_valid_instant_is_exact_over_any_span(
    newest: int, gaps: list[int], valid: list[bool], patterns: list[int], span: int | None
) -> None:
    """`newest_valid` against the reference's reading of the records: exact to the
    microsecond however far the newest valid record lies from the window's end, whichever
    pattern holds it (the first record is the newest, valid or not; the window ends there
    and reaches back `span` microseconds, or to the first instant)."""
    instants = [newest, *(max(newest - gap, FIRST_MICROS) for gap in gaps)]
    records = [
        {"timestamp": micros_to_datetime(moment), "execution_time_ms": 1.0 if ok else -1.0}
        for moment, ok in zip(instants, valid, strict=False)
    ]
    end_micros = max(instants)
    start_micros = FIRST_MICROS if span is None else max(end_micros - span, FIRST_MICROS)
    if end_micros <= start_micros:
        return  # (no window ends at the first instant)
    valid_instants = []
    for record in records:
        try:
            moment = read_record(record).timestamp_us
        except InvalidValue:
            continue
        if moment >= start_micros:
            valid_instants.append(moment)
    expected = micros_to_datetime(max(valid_instants)) if valid_instants else None
    start, end = micros_to_datetime(start_micros), micros_to_datetime(end_micros)
    assert _newest_valid(records, patterns, start, end) == expected
