"""Without --end, `analyze` ends its window where `dashboard` ends it: at the source's
newest record, of any pattern (in skip mode, the newest valid one), the data's "now".
`analyze` ended it at its own pattern's newest record, so a pattern last used 20 days
before the rest of the source was "stable, last used under a minute before the end" in
`analyze` and "abandoned, 20 days" in the dashboard of the same source."""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_runs import run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from usage_analytics.sources.sqlite_table import write_executions_sync as write_sqlite

END = datetime(2026, 11, 30, 12, tzinfo=UTC)
EVERY_SIX_HOURS = [END - timedelta(hours=6 * step) for step in range(240)]


@pytest.fixture(autouse=True)
def _terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)


def record(pattern: str | None, moment: datetime, **fields: Any) -> dict[str, Any]:
    base = {"timestamp": moment, "success": True, "execution_time_ms": 100.0, **fields}
    return base if pattern is None else {"pattern_id": pattern, **base}


def write_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> str:
    lines = [
        json.dumps({k: v.isoformat() if isinstance(v, datetime) else v for k, v in r.items()})
        for r in records
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def sqlite_of(path: Path, records: Sequence[dict[str, Any]]) -> str:
    """The records in a SQLite table, those without a pattern id too (which the library's
    writer refuses) with a blank one, which names no pattern."""
    write_sqlite(path, [r for r in records if "pattern_id" in r])
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "insert into pattern_executions (pattern_id, timestamp, success) values ('', ?, 1)",
            [(r["timestamp"].isoformat(),) for r in records if "pattern_id" not in r],
        )
    connection.close()
    return str(path)


def quiet_and_busy() -> list[dict[str, Any]]:
    """ "busy" every six hours up to END; "quiet" likewise, but not in the last 20 days."""
    busy = [record("busy", moment) for moment in EVERY_SIX_HOURS]
    quiet = [record("quiet", m) for m in EVERY_SIX_HOURS if m <= END - timedelta(days=20)]
    return busy + quiet


def analysed(capsys: pytest.CaptureFixture[str], source: str, pattern: str, *more: str) -> Any:
    code, out, err = run(capsys, "analyze", source, "--pattern", pattern, "--format", "json", *more)
    assert code == 0, err
    return json.loads(out)


def dashboard(capsys: pytest.CaptureFixture[str], source: str, *more: str) -> Any:
    code, out, err = run(capsys, "dashboard", source, "--format", "json", *more)
    assert code == 0, err
    return json.loads(out)


def window(document: Any) -> tuple[str, str]:
    shown = document["time_window"] if "time_window" in document else document["window"]
    return shown["start"], shown["end"]


def row_of(document: Any, pattern: str) -> Any:
    return next(row for row in document["patterns"] if row["pattern_id"] == pattern)


@pytest.mark.parametrize("kind", ["csv", "sqlite"])
def test_a_pattern_gone_quiet_gets_the_dashboards_window_and_verdict(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    records = quiet_and_busy()
    if kind == "sqlite":
        source = str(tmp_path / "runs.sqlite")
        write_sqlite(source, records)
    else:
        source = str(tmp_path / "runs.csv")
        lines = ["pattern_id,timestamp,success,execution_time_ms"]
        lines += [f"{r['pattern_id']},{r['timestamp'].isoformat()},true,100" for r in records]
        Path(source).write_text("\n".join(lines) + "\n", encoding="utf-8")
    board = dashboard(capsys, source)
    quiet = analysed(capsys, source, "quiet")
    assert window(quiet) == window(board) == ("2026-10-31T12:00:00Z", "2026-11-30T12:00:00Z")
    # (It was 0.0 hours, a stable trend, retention 100%: its window ended at its own last use.)
    assert quiet["usage_metrics"]["time_since_last_use"] == 480.0
    assert quiet["trend_analysis"]["trend_type"] == row_of(board, "quiet")["trend_type"]
    assert quiet["trend_analysis"]["trend_type"] == "abandoned"
    assert quiet["trend_analysis"]["retention_rate"] == 0.0
    assert quiet["trend_analysis"]["churn_rate"] == 1.0
    assert quiet["usage_metrics"]["total_executions"] == row_of(board, "quiet")["total_executions"]
    code, out, _ = run(capsys, "analyze", source, "--pattern", "quiet")
    assert code == 0
    assert "Last used     20.0 days before the end" in out
    assert "2026-10-31 12:00 → 2026-11-30 12:00 UTC" in out


def test_a_pattern_quiet_for_longer_than_the_window_is_an_empty_window_noted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = [record("busy", END), record("quiet", END - timedelta(days=45))]
    source = write_jsonl(tmp_path / "runs.jsonl", records)
    code, out, err = run(capsys, "analyze", source, "--pattern", "quiet", "--format", "json")
    assert code == 0
    assert window(json.loads(out))[1] == "2026-11-30T12:00:00Z"
    assert json.loads(out)["usage_metrics"]["total_executions"] == 0
    # (The note of `cli.empty_window` says where the pattern's newest record is.)
    assert "the newest record of quiet is at 2026-10-16 12:00 UTC" in err


def test_the_help_says_both_windows_end_at_the_sources_newest_record(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for command in ("analyze", "dashboard"):
        code, out, _ = run(capsys, command, "--help")
        assert code == 0
        said = " ".join(out.split())
        assert "the source's newest record, of any pattern, for analyze as for dashboard" in said
        if command == "analyze":
            assert "the newest record's timestamp of the whole source, of any pattern" in said


# ---------------------------------------------------------------- skip mode: valid ends


@pytest.mark.parametrize("kind", ["jsonl", "sqlite"])
@pytest.mark.parametrize(
    ("newest", "valid_end"),
    [
        # Another pattern's valid record: the end is its instant.
        ([record("busy", END)], END),
        # Another pattern's invalid record: the end is the valid one before it.
        (
            [record("busy", END - timedelta(hours=1)), record("busy", END, quality_score=3.0)],
            END - timedelta(hours=1),
        ),
        # A record without a pattern id, which no pattern's window holds as valid.
        ([record("busy", END - timedelta(hours=2)), record(None, END)], END - timedelta(hours=2)),
        # Invalid at the newest instant, valid a microsecond before it.
        (
            [
                record("busy", END - timedelta(microseconds=1)),
                record("busy", END, execution_time_ms=-1.0),
            ],
            END - timedelta(microseconds=1),
        ),
        # Invalid at the newest instant, and no other pattern's valid record after
        # quiet's own: quiet's ends it.
        ([record("busy", END, quality_score=3.0)], END - timedelta(days=3)),
    ],
)
def test_skip_mode_ends_both_windows_at_the_sources_newest_valid_record(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    newest: list[dict[str, Any]],
    valid_end: datetime,
    kind: str,
) -> None:
    records = [record("quiet", END - timedelta(days=3)), record("busy", END - timedelta(days=4))]
    records += newest
    if kind == "sqlite":
        source = sqlite_of(tmp_path / "runs.sqlite", records)
    else:
        source = write_jsonl(tmp_path / "runs.jsonl", records)
    skip = ("--on-invalid", "skip")
    board = dashboard(capsys, source, *skip)
    quiet = analysed(capsys, source, "quiet", *skip)
    assert window(quiet) == window(board)
    assert datetime.fromisoformat(window(quiet)[1]) == valid_end
    row = row_of(board, "quiet")
    assert quiet["usage_metrics"]["total_executions"] == row["total_executions"] == 1
    assert quiet["trend_analysis"]["trend_type"] == row["trend_type"]


def test_a_file_without_pattern_ids_ends_at_its_newest_valid_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # (Its records are all the pattern's: no dashboard, and no other pattern's to read.)
    records = [record(None, END - timedelta(days=1)), record(None, END, quality_score=9.0)]
    source = write_jsonl(tmp_path / "runs.jsonl", records)
    quiet = analysed(capsys, source, "any", "--on-invalid", "skip")
    assert window(quiet)[1] == "2026-11-29T12:00:00Z"
    assert quiet["data_quality"]["invalid_records"] == 1


# ------------------------------------------------------------------- any source at all

_PATTERNS = st.sampled_from(["a", "b", "c", None])
_INVALID = st.sampled_from([{}, {}, {}, {"quality_score": 2.0}, {"execution_time_ms": -1.0}])
_RECORDS = st.lists(
    st.tuples(_PATTERNS, st.integers(0, 24 * 90), _INVALID), min_size=1, max_size=25
)


@settings(
    max_examples=25,
    deadline=None,
    # (capsys: each run reads what it wrote, `cli_runs.run`.)
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=_RECORDS, skip=st.booleans())
def test_every_pattern_gets_the_dashboards_window_and_numbers(
    capsys: pytest.CaptureFixture[str],
    rows: list[tuple[str | None, int, dict[str, Any]]],
    skip: bool,
) -> None:
    """Each pattern's `analyze` has its dashboard row's window and numbers; in raise mode
    where the dashboard fails on an invalid record, those of the dashboard in skip mode
    (whose window ends at the same newest record), unless `analyze` fails too: on an
    invalid record of its own, or where the newest record, which ends the window, is no
    valid record of a pattern (`cli.invalid_end`)."""
    records = [record(p, END - timedelta(hours=hours), **bad) for p, hours, bad in rows]
    patterns = sorted({p for p, _, bad in rows if p is not None})
    has_invalid = any(bad or p is None for p, _, bad in rows)
    if not patterns:
        return  # (no dashboard: no pattern at all)
    if not any(p is not None and not bad for p, _, bad in rows):
        return  # (no valid record: both commands' error in skip mode, `test_cli_valid_end`)
    # (The newest record's instant holds a valid record of a pattern: a window's end the
    # command accepts, in either mode.)
    newest = min(hours for _, hours, _ in rows)
    accepted = any(p is not None and not bad and h == newest for p, h, bad in rows)
    with tempfile.TemporaryDirectory() as scratch:
        source = write_jsonl(Path(scratch) / "runs.jsonl", records)
        raise_mode_fails = has_invalid and not skip
        mode = ("--on-invalid", "skip") if skip or raise_mode_fails else ()
        board = dashboard(capsys, source, *mode)
        if raise_mode_fails:
            code, out, _ = run(capsys, "dashboard", source, "--format", "json")
            assert (code, out) == (1, "")
        for pattern in patterns:
            own_invalid = any(p == pattern and bad for p, _, bad in rows)
            if raise_mode_fails and (own_invalid or not accepted):
                code, out, err = run(capsys, "analyze", source, "--pattern", pattern)
                assert (code, out) == (1, "")
                said = "skip leaves invalid" if own_invalid else "which ends the default window"
                assert said in err
                continue
            one = analysed(capsys, source, pattern, *(mode if skip else ()))
            assert window(one) == window(board)
            row = row_of(board, pattern)
            assert one["usage_metrics"]["total_executions"] == row["total_executions"]
            assert one["trend_analysis"]["trend_type"] == row["trend_type"]
            assert one["data_quality"]["invalid_records"] == row["invalid_records"]
