"""The command line with encodings other than UTF-8: a terminal or pipe that cannot
encode every character, and arguments that are not UTF-8 bytes."""

from __future__ import annotations

import html
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from usage_analytics.cli import main

AGENT = "José-日本"


def _records_file(directory: Path) -> Path:
    path = directory / "runs.jsonl"
    lines = [
        {
            "pattern_id": "p",
            "timestamp": f"2026-03-0{day}T10:00:00Z",
            "success": True,
            "agent": AGENT,
        }
        for day in range(1, 4)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def _run(arguments: list[str | bytes], encoding: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "usage_analytics", *arguments],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": encoding},
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
@pytest.mark.parametrize("form", ["json", "html"])
def test_documents_on_stdout_are_utf8_whatever_the_terminal(
    tmp_path: Path, encoding: str, form: str
) -> None:
    # JSON and the HTML page (whose charset says UTF-8) were written in the terminal's
    # encoding with "?" for what it lacked: `> report.html` under cp1252 lost the names.
    path = _records_file(tmp_path)
    arguments: list[str | bytes] = ["analyze", str(path), "--pattern", "p"]
    done = _run([*arguments, "--format", form, "--start", "2026-03-01"], encoding)
    assert (done.returncode, done.stderr) == (0, b"")
    text = done.stdout.decode("utf-8")  # raises if it is not UTF-8
    if form == "json":
        assert json.loads(text)["context_distribution"]["by_agent"] == {AGENT: 3}
    else:
        assert AGENT in text
        assert 'charset="utf-8"' in text.lower().replace("'", '"')


def test_the_table_still_fits_a_terminal_that_lacks_characters(tmp_path: Path) -> None:
    path = _records_file(tmp_path)
    done = _run(["analyze", str(path), "--pattern", "p", "--start", "2026-03-01"], "ascii")
    assert (done.returncode, done.stderr) == (0, b"")
    done.stdout.decode("ascii")  # replaced, not an error


def test_the_table_counts_the_columns_of_what_it_writes(tmp_path: Path) -> None:
    # The terminal wrote "?" for each character it cannot encode, one column, where the
    # layout had counted "日" as two: the columns after such a name were shifted left.
    # Those characters are now escaped before the layout, as control characters are.
    path = tmp_path / "runs.jsonl"
    agents = [AGENT, AGENT, "bob"]
    lines = [
        {
            "pattern_id": "p",
            "timestamp": f"2026-03-0{day}T10:00:00Z",
            "success": True,
            "agent": agent,
        }
        for day, agent in enumerate(agents, start=1)
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    done = _run(["analyze", str(path), "--pattern", "p", "--start", "2026-03-01"], "ascii")
    assert (done.returncode, done.stderr) == (0, b"")
    rows = [line for line in done.stdout.decode("ascii").splitlines() if "Jos" in line]
    rows += [line for line in done.stdout.decode("ascii").splitlines() if " bob " in line]
    assert [row[50:] for row in rows] == [
        "Jos\\xe9-\\u65e5\\u672c                2  66.7%",
        "bob                                 1  33.3%",
    ]
    # The report's own drawing is ASCII, not escaped as the data is ("\\xb7" for "·").
    drawn = [line for line in done.stdout.decode("ascii").splitlines() if "Jos" not in line]
    assert not [line for line in drawn if "\\x" in line or "\\u" in line]
    assert " UTC | " in done.stdout.decode("ascii")  # ("·" drawn as "|")


@pytest.mark.parametrize(
    "arguments",
    [
        [b"dashboard", b"caf\xe9.jsonl"],
        [b"analyze", b"runs.jsonl", b"--pattern", b"\xff"],
        [b"dashboard", b"runs.sqlite", b"--table", b"t\xff"],
        [b"dashboard", b"postgresql://localhost/d\xffb"],
    ],
    ids=["file", "pattern", "table", "url"],
)
def test_arguments_that_are_not_utf8_are_one_clear_error(
    tmp_path: Path, arguments: list[bytes]
) -> None:
    # Python decodes such bytes to lone surrogates, which Arrow, SQLite and the terminal
    # cannot encode: a UnicodeEncodeError traceback, before.
    (tmp_path / os.fsdecode(b"caf\xe9.jsonl")).write_bytes(_records_file(tmp_path).read_bytes())
    done = subprocess.run(
        [sys.executable, "-m", "usage_analytics", *arguments],
        capture_output=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == b""
    message = done.stderr.decode("utf-8")
    assert message.startswith("usage-analytics: error: argument b")
    assert "is not UTF-8 text" in message
    assert message.count("\n") == 1


class _Terminal(io.BytesIO):
    """The bytes under a stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("command", ["analyze", "dashboard"])
def test_json_on_a_terminal_that_lacks_characters_keeps_them_as_json_escapes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    # The terminal's "?" replaced them: the names were lost from the document.
    path = tmp_path / "runs.jsonl"
    line = {"pattern_id": AGENT, "timestamp": "2026-03-01T10:00:00Z", "agent": AGENT}
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(terminal, encoding="ascii"))
    arguments = [command, str(path), "--format", "json"]
    code = main([*arguments, "--pattern", AGENT] if command == "analyze" else arguments)
    sys.stdout.flush()
    assert code == 0
    text = terminal.getvalue().decode("ascii")
    assert "?" not in text
    document = json.loads(text)
    if command == "analyze":
        assert document["pattern_id"] == AGENT
        assert document["context_distribution"]["by_agent"] == {AGENT: 1}
    else:
        assert document["patterns"][0]["name"] == AGENT


def test_html_on_a_terminal_that_lacks_characters_keeps_them_as_references(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The names were written as Python escapes ("Jos\\xe9"), the page's "→" as "?".
    path = _records_file(tmp_path)
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(terminal, encoding="ascii"))
    code = main(["analyze", str(path), "--pattern", "p", "--format", "html"])
    sys.stdout.flush()
    assert code == 0
    page = html.unescape(terminal.getvalue().decode("ascii"))
    assert f'<td class="name">{AGENT}</td>' in page
    assert " → " in page
    assert "?" not in page


def test_names_with_the_reports_own_characters_are_written_in_ascii_and_laid_out_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A name's "→", "±" or "·" was left for the report's late translation of its own
    # drawing: the dashboard never translated it, and the terminal wrote "p?q"; the
    # report's tables were laid out on "a→b±c" (5 columns) and written "a->b+/-c" (8),
    # which pushed its row's counts three columns right. Then they were given the
    # drawing's stand-ins, "p->q", which another pattern may be called: now escaped.
    path = tmp_path / "runs.jsonl"
    agents = [(1, "a→b±c"), (2, "a→b±c"), (3, "bob")]
    lines = [
        {"pattern_id": "p→q", "timestamp": f"2026-03-0{day}T10:00:00Z", "agent": agent}
        for day, agent in agents
    ]
    lines.append({"pattern_id": "other", "timestamp": "2026-03-01T10:00:00Z"})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    monkeypatch.setenv("COLUMNS", "100")
    texts = []
    for arguments in (["dashboard", str(path)], ["analyze", str(path), "--pattern", "p→q"]):
        terminal = _Terminal()
        stream = io.TextIOWrapper(terminal, encoding="ascii")
        monkeypatch.setattr(sys, "stdout", stream)
        assert main(arguments) == 0
        stream.flush()
        texts.append(terminal.getvalue().decode("ascii"))
    dashboard, report = (text.splitlines() for text in texts)
    assert [line for line in dashboard if "q " in line] == [
        "p\\u2192q     3     0.0%    -  + emerging  ! Success rate 0.0% < 80.0% (+1)"
    ]
    assert report[1].startswith(" p\\u2192q  ")
    assert [line[50:] for line in report if "bob" in line or "a\\" in line] == [
        "a\\u2192b\\xb1c                       2  66.7%",
        "bob                                 1  33.3%",
    ]
