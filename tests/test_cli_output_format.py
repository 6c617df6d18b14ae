"""--output without --format: the file's suffix chooses the format (.html/.htm a page,
.json a JSON document, any other the table), as `--output report.html` wrote the
terminal's table into a file a browser then showed as garbled text."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from usage_analytics.cli import main

RECORDS = [
    {"pattern_id": "p", "timestamp": f"2026-11-{day:02d}T12:00:00Z", "success": day % 4 != 0}
    for day in range(1, 29)
] + [{"pattern_id": "q", "timestamp": "2026-11-20T08:00:00Z", "success": True}]

COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "analyze": lambda source: ["analyze", source, "--pattern", "p"],
    "dashboard": lambda source: ["dashboard", source],
    "demo": lambda source: ["demo", "--db", "demo.sqlite", "--now", "2026-11-30T12:00Z"],
}


@pytest.fixture(autouse=True)
def _fixed_width(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.chdir(tmp_path)  # (`demo` writes its SQLite file to the working directory)


@pytest.fixture
def source(tmp_path: Path) -> str:
    path = tmp_path / "runs.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in RECORDS), encoding="utf-8")
    return str(path)


def written(capsys: pytest.CaptureFixture[str], argv: list[str], target: Path) -> tuple[str, str]:
    """Run `argv` writing to `target`: the file's text, and the command's stdout."""
    code = main([*argv, "--output", str(target)])
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, ""), captured.err
    return target.read_text(encoding="utf-8"), captured.out


def is_page(text: str) -> bool:
    return text.lstrip().lower().startswith("<!doctype html")


def is_table(text: str) -> bool:
    return not is_page(text) and not text.lstrip().startswith("{") and "─" in text


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", ["report.html", "REPORT.HTM", "page.Html"])
def test_an_html_path_is_written_as_a_page(
    capsys: pytest.CaptureFixture[str], source: str, tmp_path: Path, command: str, name: str
) -> None:
    text, out = written(capsys, COMMANDS[command](source), tmp_path / name)
    assert out == ""
    assert is_page(text), text[:200]
    assert text.rstrip().endswith("</html>")


def test_an_inferred_page_has_the_charts_a_given_html_format_has(
    capsys: pytest.CaptureFixture[str], source: str, tmp_path: Path
) -> None:
    # (An HTML page is analysed at COMPREHENSIVE by default, for its executions chart:
    # a page whose format was inferred is the page --format html writes.)
    inferred, _ = written(capsys, COMMANDS["analyze"](source), tmp_path / "inferred.html")
    argv = [*COMMANDS["analyze"](source), "--format", "html"]
    given, _ = written(capsys, argv, tmp_path / "given.html")
    assert "Executions per day over the window" in inferred
    assert _stable(inferred) == _stable(given)


def _stable(page: str) -> list[str]:
    """The page's lines but those naming the time it took and when it was made."""
    return [line for line in page.splitlines() if " ms" not in line and "2026-12" not in line]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_json_path_is_written_as_a_json_document(
    capsys: pytest.CaptureFixture[str], source: str, tmp_path: Path, command: str
) -> None:
    text, _ = written(capsys, COMMANDS[command](source), tmp_path / "report.json")
    assert isinstance(json.loads(text), dict)


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", ["report.txt", "report", "report.html.txt"])
def test_any_other_path_is_written_as_the_table(
    capsys: pytest.CaptureFixture[str], source: str, tmp_path: Path, command: str, name: str
) -> None:
    text, _ = written(capsys, COMMANDS[command](source), tmp_path / name)
    assert is_table(text), text[:200]


@pytest.mark.parametrize(("form", "check"), [("table", is_table), ("json", json.loads)])
def test_a_given_format_is_written_whatever_the_suffix(
    capsys: pytest.CaptureFixture[str],
    source: str,
    tmp_path: Path,
    form: str,
    check: Callable[[str], object],
) -> None:
    argv = [*COMMANDS["analyze"](source), "--format", form]
    text, _ = written(capsys, argv, tmp_path / "report.html")
    assert check(text)
    assert not is_page(text)


def test_standard_output_is_the_table_by_default(
    capsys: pytest.CaptureFixture[str], source: str
) -> None:
    for argv in (COMMANDS["analyze"](source), [*COMMANDS["analyze"](source), "--output", "-"]):
        code = main(argv)
        captured = capsys.readouterr()
        assert (code, captured.err) == (0, "")
        assert is_table(captured.out)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_help_says_the_suffix_chooses_the_format(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    assert main([command, "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert (
        "without --format, a PATH ending in .html or .htm is written as html, .json as json, "
        "any other as a table" in text
    )
