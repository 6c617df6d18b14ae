"""Terminal columns of text (`text_width`), and tables that stay aligned with names that
are not one column per character."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from usage_analytics.report import printable
from usage_analytics.text_width import cut, cut_apart, ljust, rjust, width, wrap

#: Printable text of narrow, wide (CJK, emoji) and zero-width (combining) characters.
TEXTS = st.text(
    st.sampled_from(
        ["a", "Z", "-", " ", "é", "日", "本", "語", "😀", "\u0301", "\uff71", "\uff21"]
    ),
    max_size=30,
)


def reference_width(text: str) -> int:
    """Two columns per wide or fullwidth character, none per combining mark, else one."""
    total = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        total += 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return total


def test_named_widths() -> None:
    assert width("checkout") == 8
    assert width("日本語") == 6
    assert width("e\u0301") == 1  # e and a combining acute: one column
    assert width("😀 ok") == 5
    assert width("\uff71") == 1  # halfwidth katakana
    assert width("\uff21") == 2  # fullwidth A
    # Marks of no combining class are zero too (an enclosing circle, a variation
    # selector: an emoji made wide by it is counted as one column, see the module), and
    # so is a spacing mark that has one.
    assert width("a\u20dd") == 1
    assert width("\u2764\ufe0f") == 1
    assert width("\U0001d165") == 0


@given(TEXTS)
def test_width_is_the_reference(text: str) -> None:
    assert width(text) == reference_width(text)


@given(TEXTS, st.integers(-2, 40))
def test_cut_fits_and_keeps_a_start(text: str, columns: int) -> None:
    shown = cut(text, columns)
    if width(text) <= columns:
        assert shown == text
        return
    assert width(shown) <= max(columns, 0)
    if columns >= 1:
        assert shown.endswith("…")
        assert text.startswith(shown[:-1])
        # Nothing more would fit: the next character is wider than the room left.
        rest = text[len(shown) - 1 :]
        assert width(shown) + reference_width(rest[0]) > columns
    else:
        assert shown == ""


def test_a_wide_character_at_the_edge_is_left_out() -> None:
    assert cut("日本語", 5) == "日本…"
    assert cut("日本語", 4) == "日…"
    assert cut("日本語", 6) == "日本語"
    assert cut("abc", 2, "~") == "a~"


@given(st.lists(TEXTS, unique=True, max_size=6), st.integers(8, 30))
def test_cut_apart_keeps_texts_apart_and_those_that_fit_whole(
    texts: list[str], columns: int
) -> None:
    shown = cut_apart(texts, columns)
    assert len(set(shown)) == len(texts)
    for text, cut_text in zip(texts, shown, strict=True):
        assert width(cut_text) <= columns
        assert cut_text == text if width(text) <= columns else cut_text != text


def test_cut_apart_cuts_texts_alike_in_the_middle_else_where_they_differ() -> None:
    assert cut_apart(["checkout-a", "checkout-b", "other-name-long"], 8) == [
        "chec…t-a",
        "chec…t-b",
        "other-n…",
    ]
    # Alike at both ends: from just before where they first differ.
    alike = ["abcdefghijXklmnopqrst", "abcdefghijYklmnopqrst"]
    assert cut_apart(alike, 9) == ["…ijXklmn…", "…ijYklmn…"]
    assert cut_apart(["日本語の名前A", "日本語の名前B"], 9) == ["日本…前A", "日本…前B"]


@given(TEXTS, st.integers(0, 40))
def test_padding_reaches_the_width(text: str, columns: int) -> None:
    assert width(ljust(text, columns)) == max(columns, width(text))
    assert ljust(text, columns).startswith(text)
    assert rjust(text, columns).endswith(text)
    assert width(rjust(text, columns)) == max(columns, width(text))


def columns_of(line: str, needle: str) -> int:
    """The terminal column where `needle` starts in `line`."""
    return width(line[: line.index(needle)])


def runs_end(line: str, counts: dict[str, int]) -> int:
    """The terminal column after the RUNS number of a row starting with one of `counts`'
    names."""
    name = next(name for name in counts if line.startswith(name))
    count = f" {counts[name]} "
    return columns_of(line, count) + len(count) - 1


def test_dashboard_columns_line_up_after_wide_names() -> None:
    from test_dashboard import result, runs
    from usage_analytics.dashboard import dashboard_rows, render_dashboard

    # ("x" and U+0301: a combining mark in NFC text, as there is no precomposed "x́".)
    counts = {"checkout": 120, "決済サービス": 7, "x\u0301": 30}
    items = [(name, result(runs(count))) for name, count in counts.items()]
    lines = render_dashboard(dashboard_rows(items), width=100).splitlines()
    header_end = columns_of(lines[0], "RUNS") + len("RUNS")
    assert [runs_end(line, counts) for line in lines[2:]] == [header_end] * 3, lines
    assert all(width(line) <= 100 for line in lines)


def test_summary_and_report_tables_line_up_after_wide_names() -> None:
    from test_dashboard import result, runs
    from usage_analytics.report import render_report, render_summary

    counts = {"checkout": 120, "決済サービス": 7}
    items = [(name, result(runs(count))) for name, count in counts.items()]
    lines = render_summary(items, width=120).splitlines()
    header_end = columns_of(lines[0], "RUNS") + len("RUNS")
    assert [runs_end(line, counts) for line in lines[2:]] == [header_end] * 2, lines
    records = runs(40, agent="エージェント") + runs(20, agent="bot")
    report = render_report(result(records), width=100).splitlines()
    agent_rows = [line for line in report if "エージェント" in line or " bot " in line]
    ends = {
        columns_of(line, " 40 ") if "エ" in line else columns_of(line, " 20 ")
        for line in agent_rows
    }
    assert len(ends) == 1, agent_rows
    assert all(width(line) <= 100 for line in report)
    assert printable("決済") == "決済"


def test_ascii_reports_fit_their_width() -> None:
    # The window's arrow became "->" after the line was cut to the width: one column over;
    # a field line was wrapped by `textwrap`, counting characters, not columns.
    from source_cases import analyse
    from test_dashboard import result, runs
    from usage_analytics.report import render_report, render_summary

    output = result(runs(50, agent="決済"))
    # An invalid record's sample value in wide characters: its line is wrapped.
    odd = analyse([*runs(5), {"timestamp": "昨日の午後" * 12}], "p", on_invalid="skip")
    for columns in (60, 61, 80, 120):  # (narrower is drawn at MIN_WIDTH, 60)
        assert (
            max(width(line) for line in render_report(odd, width=columns).splitlines()) <= columns
        )
        for text in (
            render_report(output, width=columns, unicode=False),
            render_summary([("決済サービス", output)], width=columns, unicode=False),
        ):
            assert max(width(line) for line in text.splitlines()) <= columns, columns


def test_ascii_report_lays_out_names_as_written() -> None:
    # A name's "→" or "±" was made ASCII ("->", "+/-") after the layout had counted it
    # as one column: its table row's counts were pushed right, the header past the width.
    # (Escaped now, not given the drawing's stand-ins: `printable_names`.)
    from test_dashboard import result, runs
    from usage_analytics.report import render_report

    output = result(runs(4, agent="a→b±c") + runs(2, agent="bob"), "p→q")
    lines = render_report(output, name="n→m", width=100, unicode=False).splitlines()
    assert lines[1] == " n\\u2192m  (p\\u2192q)" + " " * 68 + "+ EMERGING"
    unicode = render_report(output, name="n→m", width=100).splitlines()
    assert unicode[1] == " n→m  (p→q)" + " " * 78 + "✧ EMERGING"
    assert [line for line in lines if "bob" in line or "a\\" in line] == [
        "  unknown                             6 100.0%    "
        "a\\u2192b\\xb1c                       4  66.7%",
        " " * 50 + "bob                                 2  33.3%",
    ]


@given(
    st.lists(TEXTS.filter(lambda word: " " not in word and word != ""), max_size=12),
    st.integers(1, 60),
)
def test_wrap_keeps_every_word_within_the_width(words: list[str], columns: int) -> None:
    indent = "    "
    lines = wrap(" ".join(words), columns, indent=indent)
    if columns > width(indent) + 2:  # (room for a wide character after the indent)
        assert all(width(line) <= columns for line in lines), lines
    joined = "".join(line.removeprefix(indent) if i else line for i, line in enumerate(lines))
    assert joined.replace(" ", "") == "".join(words).replace(" ", "")


def test_wrap_breaks_a_word_too_wide_for_a_line_at_the_edge() -> None:
    # (The property test above holds for a word broken into one character a line too.)
    assert wrap("abcdefgh", 4) == ["abcd", "efgh"]
    assert wrap("ab abcdefghij", 4) == ["ab", "abcd", "efgh", "ij"]
    assert wrap("日本語です", 5) == ["日本", "語で", "す"]
    assert wrap("  abcdefgh", 6, indent="  ") == ["  abcd", "  efgh"]
    # A line holds one character past its indent even where it does not fit.
    assert wrap("日本語", 3, indent="  ") == ["日", "  本", "  語"]
    assert wrap("a日本", 2) == ["a", "日", "本"]
    # Lines after the first keep the first's leading spaces, not what follows them.
    assert wrap("  Xa bb", 5) == ["  Xa", "  bb"]


def test_wrap_keeps_the_leading_spaces_of_the_first_line() -> None:
    # `wrap` split the text at every space, so its leading spaces became empty words
    # and the first line started at column 0.
    field = "  Spread        mean 5.0 ms · std 0.0 ms · min 5.0 ms · max 5.0 ms"
    assert wrap(field, 40, indent=" " * 16) == [
        "  Spread        mean 5.0 ms · std 0.0 ms",
        "                · min 5.0 ms · max 5.0",
        "                ms",
    ]
    # Without an indent of their own, lines after the first keep the first's.
    assert wrap("    one two three", 10) == ["    one", "    two", "    three"]


def test_wrapped_report_lines_keep_their_indent() -> None:
    # Wrapped field lines (Spread, Velocity, Records) began at column 0, and an
    # invalid-record sample lost its indent under the Records field, at any width.
    from source_cases import analyse
    from test_dashboard import runs
    from usage_analytics.report import render_report

    bad = [{"timestamp": "2026-02-20T00:00Z", "success": "maybe"}, {"timestamp": "no " * 40}]
    output = analyse([*runs(30), *bad], "p", on_invalid="skip")
    for columns in (60, 100):
        lines = render_report(output, width=columns).splitlines()
        body = lines[lines.index("") :]  # after the header
        sections = [line for line in body if line.endswith("─")]
        fields = [line for line in body if line and line not in sections]
        assert all(line.startswith("  ") for line in fields), (columns, fields)
        records = next(i for i, line in enumerate(lines) if line.startswith("  Records"))
        analytics = next(i for i, line in enumerate(lines) if line.startswith("  Analytics"))
        samples = lines[records + 1 : analytics]
        assert any("success = 'maybe'" in line for line in samples)
        assert all(line.startswith(" " * 16) for line in samples), samples
        assert all(width(line) <= columns for line in lines)


def test_report_columns_widen_for_counts_of_ten_million_and_more() -> None:
    # The runs columns were seven characters wide: a count of 123,456,789 pushed its row's
    # share out of line, and past the width, where the row was wrapped mid-row.
    from test_dashboard import result, runs
    from usage_analytics.report import render_report

    output = result(runs(50))
    assert output.context_distribution is not None
    agents = {"agent-0": 123_456_789, "agent-1": 2_345_678, "agent-2": 5}
    days = {0: 123_456_789, 1: 5}
    distribution = output.context_distribution.model_copy(
        update={"by_agent": agents, "by_day_of_week": days}
    )
    big = output.model_copy(update={"context_distribution": distribution})
    for columns in (60, 80, 100, 120):
        lines = render_report(big, width=columns).splitlines()
        assert all(width(line) <= columns for line in lines), columns
        header = next(line for line in lines if "Agent " in line)
        runs_end = header.index("runs", header.index("Agent ")) + len("runs")
        share_end = header.index("share", header.index("Agent ")) + len("share")
        for name, count in agents.items():
            row = next(line for line in lines if f"{name} " in line)
            assert row.startswith("  "), row  # not the rest of a wrapped row
            shown = f"{count:,}"
            assert row.index(shown, row.index(name)) + len(shown) == runs_end, row
            assert len(row) == share_end, row
        monday = next(line for line in lines if line.startswith("  Mon "))
        tuesday = next(line for line in lines if line.startswith("  Tue "))
        assert monday.index("123,456,789") + len("123,456,789") == tuesday.index("5 ") + 1
