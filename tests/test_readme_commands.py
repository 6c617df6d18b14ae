"""The commands of README.md's and examples/README.md's ```bash blocks are the ones
there are: each `usage-analytics SUBCOMMAND` is one of the command's, each of its
`--options` one that `usage-analytics SUBCOMMAND --help` lists, with the choices
(`summary|detailed|comprehensive`) and value names (`--pattern ID`) the help shows, and
in a synopsis in [brackets] where the help has it optional; the
paths they run or pass (`.ci/run`, `examples/01_basic_analytics.py`, `benches/`) exist in
the repository, and every extra named (`.[test,bench,lint]`, `usage-analytics[dask]`,
in the prose too) is one of pyproject.toml's.

The help is read as a user reads it, from `python -m usage_analytics ... --help` (the
`usage-analytics` script's entry point) in a subprocess.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass

import pytest
from markdown_blocks import ROOT, Block, blocks

DOCUMENTS = [ROOT / "README.md", ROOT / "examples" / "README.md"]
BASH = [block for path in DOCUMENTS for block in blocks(path) if block.language == "bash"]

# A synopsis line continues the command above it where it starts with an option.
_CONTINUED = re.compile(r"^\s+[\[-]")
_COMMENT = re.compile(r"(^|\s)#.*$")
_INVOCATION = re.compile(r"(?:^|[\s/])usage-analytics\s+(?P<rest>.*)$")
# An option and what follows it: a VALUE name, choices a|b|c, or nothing.
_OPTION = re.compile(r"(?P<option>--[a-z][\w-]*)(?:[ =](?P<value>[A-Z][A-Z_=]*|\w+(?:\|\w+)+))?")
_EXTRAS = re.compile(r"(?:\.|usage-analytics)\[(?P<extras>[\w,-]+)\]")


@dataclass(frozen=True)
class Invocation:
    """A `usage-analytics` command line of a bash block."""

    block: Block
    subcommand: str
    options: list[tuple[str, str | None]]  # (option, its value name or choices)
    bracketed: set[str] | None  # (a synopsis's optional options; None: a command run)


@dataclass(frozen=True)
class Help:
    """What `--help` says of a (sub)command: its options, each option's value name or
    choices, and (for the command) its subcommands."""

    options: set[str]
    values: dict[str, str]
    subcommands: set[str]
    optional: set[str]


def logical_lines(block: Block) -> list[str]:
    """The block's command lines, comments cut, synopsis continuations joined."""
    lines: list[str] = []
    for raw in block.source.splitlines():
        line = _COMMENT.sub("", raw).rstrip()
        if not line.strip():
            continue
        if lines and _CONTINUED.match(line):
            lines[-1] += " " + line.strip()
        else:
            lines.append(line.strip())
    return lines


def invocations(block: Block) -> list[Invocation]:
    found = []
    for line in logical_lines(block):
        for command in re.split(r"&&|;|\|(?!\w)", line):
            matched = _INVOCATION.search(command)
            if matched is None:
                continue
            rest = matched["rest"]
            subcommand = rest.split()[0]
            options = [(m["option"], m["value"]) for m in _OPTION.finditer(rest)]
            bracketed = set(re.findall(r"\[(--[\w-]+)", rest)) if "[" in rest else None
            found.append(Invocation(block, subcommand, options, bracketed))
    return found


def tokens(block: Block) -> list[str]:
    """The words of the block's commands, as the shell splits them."""
    words: list[str] = []
    for line in logical_lines(block):
        words += shlex.split(re.sub(r"&&|;", " ", line), comments=True)
    return words


@functools.cache
def help_of(*subcommand: str) -> Help:
    ran = subprocess.run(
        [sys.executable, "-m", "usage_analytics", *subcommand, "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "1000"},  # (the usage on one line)
        check=True,
        timeout=60,
    )
    usage = ran.stdout.split("\n\n")[0]
    values = {
        m["option"]: m["value"].strip("{}").replace(",", "|")
        for m in re.finditer(r"(?P<option>--[\w-]+) (?P<value>\{[^}]*\}|[A-Z][A-Z_=]*)", usage)
    }
    listed = re.search(
        r"^positional arguments:\n  COMMAND\n(?P<list>(?:    .*\n)+)", ran.stdout, re.M
    )
    subcommands = set(re.findall(r"^    (\w+)", listed["list"], re.M)) if listed else set()
    options = set(re.findall(r"--[a-z][\w-]*", usage))
    optional = set(re.findall(r"\[(--[\w-]+)", usage))
    return Help(options, values, subcommands, optional)


INVOCATIONS = [invocation for block in BASH for invocation in invocations(block)]


def test_the_blocks_hold_commands() -> None:
    # (A parser that stopped finding them would check nothing.)
    assert {invocation.subcommand for invocation in INVOCATIONS} >= {"demo", "analyze", "dashboard"}
    assert len(BASH) >= 4


@pytest.mark.parametrize(
    "invocation",
    INVOCATIONS,
    ids=[f"{i.block.name}:{i.subcommand}" for i in INVOCATIONS],
)
def test_each_command_and_option_is_the_commands(invocation: Invocation) -> None:
    assert invocation.subcommand in help_of().subcommands, (
        f"{invocation.block.name}: usage-analytics has no command {invocation.subcommand!r}"
    )
    shown = help_of(invocation.subcommand)
    for option, value in invocation.options:
        assert option in shown.options, (
            f"{invocation.block.name}: usage-analytics {invocation.subcommand} has no {option}"
        )
        if value is not None:
            assert value == shown.values.get(option), (
                f"{invocation.block.name}: {option} {value}, where --help shows "
                f"{option} {shown.values.get(option)}"
            )
        if invocation.bracketed is not None:  # (a synopsis: [--option] where optional)
            assert (option in invocation.bracketed) == (option in shown.optional), (
                f"{invocation.block.name}: {option} is "
                f"{'optional' if option in shown.optional else 'required'} in --help"
            )


def test_dashboard_takes_analyzes_options_but_pattern_and_granularity() -> None:
    # (What the synopsis's comment says.)
    assert help_of("dashboard").options == help_of("analyze").options - {
        "--pattern",
        "--granularity",
    }


@pytest.mark.parametrize("block", BASH, ids=lambda block: block.name)
def test_the_paths_a_command_runs_exist(block: Block) -> None:
    missing = [
        word
        for word in tokens(block)
        if "/" in word
        and not word.startswith((".venv/", "-", "$"))
        and "://" not in word
        and not list(ROOT.glob(word.rstrip("/")))
    ]
    assert missing == [], f"{block.name}: no {missing} in the repository"


def test_every_extra_named_is_the_packages() -> None:
    with (ROOT / "pyproject.toml").open("rb") as file:
        extras = set(tomllib.load(file)["project"]["optional-dependencies"])
    named = {
        (path.name, extra)
        for path in DOCUMENTS
        for m in _EXTRAS.finditer(path.read_text(encoding="utf-8"))
        for extra in m["extras"].split(",")
    }
    assert {extra for _, extra in named} >= {"test", "dask", "arrow"}  # (found at all)
    assert sorted((name, extra) for name, extra in named if extra not in extras) == []


#: `pip install usage-analytics` with no extra: a first install from PyPI, where the
#: package is not (an extra, `pip install 'usage-analytics[dask]'`, is added to the
#: installed package: pip takes the installed one as the requirement met).
_FROM_PYPI = re.compile(r"pip install\s+(?:-\S+\s+)*['\"]?usage-analytics(?![\w\[-])")


def test_the_documents_install_the_package_from_the_checkout() -> None:
    # examples/README said `pip install usage-analytics` where README installs with
    # `pip install .`: the first fails.
    for path in DOCUMENTS:
        text = path.read_text(encoding="utf-8")
        assert _FROM_PYPI.findall(text) == [], path.name
        assert "pip install ." in text, path.name
