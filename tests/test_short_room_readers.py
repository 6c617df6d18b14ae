"""Under an address-space limit the sources read without pyarrow's threads
(`sources.short_room`), which pyarrow 26 waited for for ever where one could not start: a
Parquet file by `ParquetFile.read(use_threads=False)`, JSON Lines with `use_threads=False`,
and CSV, whose pyarrow reader starts threads anyway, by pyarrow only where the room holds
them and the file, else by the standard reader; a directory's files each as a file on its
own is. The reports are those read without a limit; a child under a real limit starts no
pyarrow thread."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from child import run_python
from usage_analytics.cli import main
from usage_analytics.sources import arrow_text, short_room
from usage_analytics.sources.base import TableSpec

KINDS = ["csv", "jsonl", "parquet"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    rows = [
        {
            "pattern_id": f"p{i % 7}",
            "timestamp": f"2024-01-{1 + i % 28:02d}T{i % 24:02d}:00:00Z",
            "success": i % 5 != 0,
            "execution_time_ms": (i * 37 % 1000) / 10,
            "agent": f"agent-{i % 3}",
        }
        for i in range(3_000)
    ]
    folder = tmp_path_factory.mktemp("records")
    table = pa.Table.from_pylist(rows)
    paths = {kind: folder / f"runs.{kind}" for kind in KINDS}
    pacsv.write_csv(table, paths["csv"])
    pq.write_table(table, paths["parquet"])
    paths["jsonl"].write_text("".join(json.dumps(row) + "\n" for row in rows))
    return paths


@pytest.fixture(scope="module")
def directories(
    files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Per kind, a directory of two copies of its file (`day-0.csv`, `day-1.csv`), and
    "hive": the Parquet file under `agent=...` directories, its rows by agent."""
    import pyarrow.compute as pc

    folder = tmp_path_factory.mktemp("directories")
    found = {}
    for kind, path in files.items():
        found[kind] = folder / kind
        found[kind].mkdir()
        for day in range(2):
            (found[kind] / f"day-{day}.{kind}").write_bytes(path.read_bytes())
    table = pq.read_table(files["parquet"])
    for agent in pc.unique(table["agent"]).to_pylist():
        rows = table.filter(pc.equal(table["agent"], agent)).drop_columns(["agent"])
        (folder / "hive" / f"agent={agent}").mkdir(parents=True)
        pq.write_table(rows, folder / "hive" / f"agent={agent}" / "part-0.parquet")
    found["hive"] = folder / "hive"
    return found


def report(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["dashboard", str(path), "--format", "json"]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("left_mb", [1, 10_000], ids=["short", "ample"])
def test_the_report_under_a_limit_is_the_unlimited_one(
    files: dict[str, Path],
    kind: str,
    left_mb: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    unlimited = report(files[kind], capsys)
    monkeypatch.setattr(short_room, "room", lambda: left_mb * 2**20)
    assert report(files[kind], capsys) == unlimited


@pytest.mark.parametrize("kind", [*KINDS, "hive"])
@pytest.mark.parametrize("left_mb", [1, 10_000], ids=["short", "ample"])
def test_a_directory_s_report_under_a_limit_is_the_unlimited_one(
    directories: dict[str, Path],
    kind: str,
    left_mb: int,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    unlimited = report(directories[kind], capsys)
    monkeypatch.setattr(short_room, "room", lambda: left_mb * 2**20)
    assert report(directories[kind], capsys) == unlimited


@pytest.mark.parametrize(("left_mb", "fits"), [(None, True), (1, False), (10_000, True)])
def test_csv_goes_to_pyarrow_only_where_its_threads_and_the_file_fit(
    files: dict[str, Path], left_mb: int | None, fits: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(short_room, "room", lambda: None if left_mb is None else left_mb * 2**20)
    assert short_room.csv_reader_fits(pa, files["csv"]) is fits
    monkeypatch.setattr(arrow_text, "csv_reader_fits", short_room.csv_reader_fits)
    read = arrow_text.read_csv_arrow(pa, files["csv"], spec=TableSpec())
    assert (read is not None) is fits


#: A child that reads a file through its source, under a limit of 2 GB above what it uses
#: (room for everything: only the readers' choice differs) or none, and prints how many
#: threads not Python's (pyarrow's) the read started.
THREADS = """
import asyncio, os, resource, sys, threading, time
from datetime import datetime
import pyarrow, pyarrow.compute, pyarrow.csv, pyarrow.json, pyarrow.parquet
from usage_analytics.sources import open_source

path, limited = PATH, LIMITED
def tasks():
    return set(os.listdir("/proc/self/task"))
if limited:
    with open("/proc/self/statm") as statm:
        used = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = used + 2 * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
before = tasks()

async def fetch():
    source = open_source(path)
    try:
        return (await source.fetch("p1", datetime.min, datetime.max)).count
    finally:
        await source.close()

count = asyncio.run(fetch())
time.sleep(0.5)  # (Python's threads joined may still be ending: pyarrow's idle ones stay)
python = {str(thread.native_id) for thread in threading.enumerate()}
print(count, len(tasks() - before - python))
"""


def threads_started(path: Path, limited: bool) -> tuple[int, int]:
    """The records `THREADS`' child fetched from `path`, and pyarrow's threads it started."""
    source = THREADS.replace("PATH", repr(str(path))).replace("LIMITED", str(limited))
    done = run_python(source)
    assert done.returncode == 0, done.stderr[-2000:]
    count, started = done.stdout.split()
    return int(count), int(started)


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")
@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_no_pyarrow_thread_is_started_under_a_limit(files: dict[str, Path], kind: str) -> None:
    unlimited, limited = threads_started(files[kind], False), threads_started(files[kind], True)
    assert unlimited[0] == limited[0] > 0
    assert unlimited[1] > 0  # (pyarrow's pools, without a limit: what the test would see)
    assert limited[1] == 0


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS as Linux applies it")
@pytest.mark.parametrize("kind", ["jsonl", "parquet", "hive"])
def test_no_pyarrow_thread_is_started_under_a_limit_over_a_directory(
    directories: dict[str, Path], kind: str
) -> None:
    # (Parquet's: each file by `read_parquet_threadless`, as a file on its own is.)
    path = directories[kind]
    unlimited, limited = threads_started(path, False), threads_started(path, True)
    assert unlimited[0] == limited[0] > 0
    assert unlimited[1] > 0
    assert limited[1] == 0


def test_the_standard_reader_is_not_begun_without_room_for_the_file(
    files: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # (Begun, it spent minutes near the limit failing allocations one by one.)
    size = files["csv"].stat().st_size
    monkeypatch.setattr(short_room, "room", lambda: 2 * size - 1)
    assert main(["dashboard", str(files["csv"]), "--format", "json"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("usage-analytics: error: out of memory reading ")
    assert "reading the file in Python takes more than" in line
    monkeypatch.setattr(short_room, "room", lambda: 2 * size)
    assert main(["dashboard", str(files["csv"]), "--format", "json"]) == 0
