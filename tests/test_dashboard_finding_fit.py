"""The dashboard's worst finding, shortened to its column, never cut inside a value.

It was cut at the column's edge: "✗ p99 latency 6.40 …" (a number without its unit),
"10.94…" (a number that is not the value). The property below holds the table, at every
width and beside names of every length, to a plain model of the rule: what is shown of
a headline is its words from the start, whole, a number never apart from its unit; either
all of them but the threshold broken (" > 1.00 s"), or fewer, with an ellipsis.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import event, example, given
from hypothesis import strategies as st
from test_health import make_result
from usage_analytics import UsageTrendType
from usage_analytics.dashboard import DashboardRow, dashboard_rows, headline, render_dashboard
from usage_analytics.finding_fit import whole_words, whole_words_ascii
from usage_analytics.report import MIN_WIDTH

#: How a value's unit or a count's noun is written after its number in the headlines.
UNIT_WORDS = {"ms", "s", "min", "h", "d", "day", "days", "run", "runs"}
#: How a headline's threshold part starts: dropped whole before any word is.
THRESHOLD_STARTS = (" > ", " < ", ", more than ")
TITLES = ("WORST HEALTH FINDING", "WORST FINDING", "HEALTH")
MORE = re.compile(r" \(\+\d+\)$")


def shown_findings(table: str) -> tuple[int, list[str]]:
    """The column where the findings of `table` start, and the finding text of each row,
    in order: after the header's finding title's column on the row's line, or on the
    line under it (indented 4) where the header has no title (the names are ASCII: a
    character a column)."""
    lines = table.splitlines()
    # (Less the note under a table of shortened ids, which starts a line of its own.)
    notes = next((i for i, line in enumerate(lines) if line.startswith("Pattern ids")), None)
    header, body = lines[0], lines[2:notes]
    title = next((title for title in TITLES if header.endswith(title)), None)
    if title is None:
        return 4, [line[4:] for line in body[1::2]]
    start = len(header) - len(title)
    return start, [line[start:] for line in body]


def is_value(word: str) -> bool:
    return any(char.isdigit() for char in word) or word.lstrip("<>~+-") in ("inf", "nan")


def check_shown(shown: str, row: DashboardRow, room_ellipsis: str) -> None:
    """`shown` (the mark, the headline as shown, " (+N)") against the model of the rule."""
    if row.worst is None:
        assert shown == "healthy"
        return
    more = MORE.search(shown)
    assert (more is not None) == (len(row.findings) > 1), shown
    text = shown[: more.start()] if more else shown
    mark, _, body = text.partition(" ")
    assert mark in ("✗", "⚠", "·", "X", "!", "i"), shown
    full = headline(row.worst)
    cut = body.endswith(room_ellipsis) or body == room_ellipsis.strip()
    kept = body.removesuffix(room_ellipsis).removesuffix(room_ellipsis.strip()) if cut else body
    words, all_words = kept.split(" ") if kept else [], full.split(" ")
    assert all_words[: len(words)] == words, (shown, full)  # whole words from the start
    if words and len(words) < len(all_words):
        # (A number is never left without the unit after it.)
        assert not (is_value(words[-1]) and all_words[len(words)] in UNIT_WORDS), (shown, full)
    event("cut" if cut else "whole" if kept == full else "threshold dropped")
    if not cut:  # all of it, or all but the threshold
        rest = full[len(kept) :]
        assert rest == "" or rest.startswith(THRESHOLD_STARTS), (shown, full)


durations = st.floats(min_value=1e-3, max_value=1.7e308, allow_nan=False)
results = st.builds(
    lambda runs, rate, gates, quality, times, hours, declining: make_result(
        runs=runs,
        success_rate=rate,
        gate_failures=gates,
        quality=quality,
        p50=min(times),
        p95=sorted(times)[1],
        p99=max(times),
        hours_since_last_use=hours,
        trend_type=UsageTrendType.DECLINING if declining else UsageTrendType.STABLE,
        velocity=-1.0 if declining else 0.1,
    ),
    st.integers(min_value=1, max_value=10**12),
    st.floats(min_value=0.0, max_value=1.0),
    st.integers(min_value=0, max_value=10**9),
    st.floats(min_value=0.001, max_value=1.0),
    st.lists(durations, min_size=3, max_size=3),
    st.floats(min_value=0.0, max_value=1e9),
    st.booleans(),
)
names = st.text(alphabet="abcdef0123456789-", min_size=1, max_size=60) | st.uuids().map(str)


@given(
    st.lists(st.tuples(names, results), min_size=1, max_size=4, unique_by=lambda item: item[0]),
    st.integers(min_value=MIN_WIDTH, max_value=220),
    st.booleans(),
)
def test_no_cut_leaves_a_partial_number_or_unit(
    items: list[tuple[str, Any]], width: int, unicode: bool
) -> None:
    rows = dashboard_rows(items)
    table = render_dashboard(rows, width=width, unicode=unicode)
    ellipsis = " …" if unicode else " ~"
    start, findings = shown_findings(table)
    for row, shown in zip(rows, findings, strict=True):
        assert start + len(shown) <= width, shown
        check_shown(shown, row, ellipsis)
    assert all(len(line) <= width for line in table.splitlines())  # (the ids' note too)


def test_a_uuid_named_table_at_100_columns_keeps_the_value_and_its_unit() -> None:
    # helper-264's walk: "✗ p99 latency 6.40 … (+4)" beside 36-character UUID ids.
    slow = make_result(success_rate=0.5, p50=900.0, p95=5_000.0, p99=6_400.0)
    name = "5b1f0e62-3c4d-4e8a-9a51-7d0c2f6b8e10"
    # (Then "✗ Success rate 50.0% (+4)", and at 93 "✗ Success rate … (+4)": the ids are
    # shortened now, `test_dashboard_short_ids`.)
    for width in (93, 100):
        table = render_dashboard(dashboard_rows([(name, slow)]), width=width)
        assert table.splitlines()[2].endswith("✗ Success rate 50.0% < 80.0% (+4)")


headline_words = st.lists(
    st.one_of(
        st.sampled_from(sorted(UNIT_WORDS)),
        st.from_regex(r"[<>]?[0-9][0-9.,]{0,8}(e\+[0-9]{1,3})?[%x]?", fullmatch=True),
        st.sampled_from(["inf", "p99", "latency", "is", "the", "Success", "rate", "failed"]),
    ),
    min_size=1,
    max_size=12,
)


@given(headline_words, st.integers(min_value=-1, max_value=80))
@example(["d", "d", "0", "d", "d"], 7)  # ("0 d" took the second "d" too in the loop's words)
def test_the_ascii_cut_keeps_the_words_the_word_loop_keeps(words: list[str], columns: int) -> None:
    # (`whole_words_ascii` finds the cut without splitting the text into words, for
    # speed; `whole_words` is the plain loop over `finding_fit.words`.)
    text = " ".join(words)
    assert whole_words_ascii(text, columns) == whole_words(text, columns)
