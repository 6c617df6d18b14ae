"""The dashboard's UUID ids shortened to a prefix no other name starts with, where the
table is too narrow for them whole (`usage_analytics.short_ids`).

helper-264's walk: at 90 to 100 columns, 36-column UUID ids left the worst finding 16
to 25 columns, and the findings were cut to stubs ("✗ p99 latency … (+3)"). The
property below holds the shortening to a plain model: the fewest characters (8 at
least, not just after a dash) of every UUID that no other name starts with.
"""

from __future__ import annotations

import string
import uuid

from hypothesis import example, given
from hypothesis import strategies as st
from test_health import make_result
from usage_analytics.dashboard import dashboard_document, dashboard_rows, render_dashboard
from usage_analytics.short_ids import is_uuid, shortened_ids, unique_prefix_length

SLOW = make_result(success_rate=0.5, p50=900.0, p95=5_000.0, p99=6_400.0)
IDS = [
    "5b1f0e62-3c4d-4e8a-9a51-7d0c2f6b8e10",
    "a29cd14e-d3b3-599b-a283-2818349b525d",
    "d34db5da-9c23-559d-a172-ad774b11f5d8",
]
NOTE = "Pattern ids shortened to their first"


def model_is_uuid(name: str) -> bool:
    """A UUID's canonical text, told apart here without `is_uuid` (the model sharing it,
    a broken `is_uuid` passed the property: helper-279's mutation pass)."""
    dashes = (8, 13, 18, 23)
    return len(name) == 36 and all(
        char == "-" if place in dashes else char in string.hexdigits
        for place, char in enumerate(name)
    )


def model_length(names: list[str]) -> int:
    """The fewest characters, from 8 and never just after a UUID's dash, of every UUID
    among `names` that no other name starts with; 36 where no such count is short of
    the whole id, or no UUID."""
    uuids = [name for name in names if model_is_uuid(name)]
    if not uuids:
        return 36
    for length in range(8, 36):
        if length in (9, 14, 19, 24):
            continue
        if all(
            not other.startswith(name[:length])
            for name in uuids
            for other in names
            if other != name
        ):
            return length
    return 36


#: UUIDs alike to any of their digits: one id with digits from one position on changed.
BASE = "5b1f0e623c4d4e8a9a517d0c2f6b8e10"
alike_uuids = st.builds(
    lambda position, digits: str(uuid.UUID(hex=BASE[:position] + digits[: 32 - position])),
    st.integers(0, 32),
    st.text(alphabet="0a", min_size=32, max_size=32),
)
names = st.one_of(
    alike_uuids,
    st.uuids().map(str),
    alike_uuids.flatmap(lambda id_: st.integers(1, 40).map(lambda n: (id_ + "-x")[:n])),
    st.text(alphabet="0a-x", min_size=1, max_size=40),
    st.text(min_size=1, max_size=40),
)


# Fixed cases (helper-278's and helper-279's mutation passes): CI's derandomized
# examples missed the second dash, a name of 8, the whole 36 and the 36-character name
# (random seeds found some). Each example fails on the change its comment names.
@given(st.lists(names, min_size=1, max_size=8))
# Alike through the second dash (14 read as 15 among the dash ends: 16, not 15), and
# through the third (19 as 20: 21, not 20).
@example([IDS[0], "5b1f0e62-3c4d-9999-9a51-7d0c2f6b8e10"])
@example([IDS[0], "5b1f0e62-3c4d-4e8a-1111-7d0c2f6b8e10"])
# A name of the id's first 8 (the length not moved off its dash: 9, "5b1f0e62-").
@example([IDS[0], "5b1f0e62"])
# An id that starts a longer name: whole at 36 (`min(length, 37)`: 37).
@example([IDS[0], IDS[0] + "-x"])
# A 36-character name that is no UUID beside a shortened id (cut to 8 with `or`).
@example([IDS[0], "payments.checkout.service.v1-primary"])
# Ids sharing 24 characters, the last dash theirs: 25 (all but the last 11 digits).
@example([IDS[0], "5b1f0e62-3c4d-4e8a-9a51-000000000000"])
# An id in capitals is a UUID (cut to 8), and a UUID's shape with a "g" is none (whole,
# though a name of its first 8 is beside it): the model tells UUIDs apart itself.
@example(["A29CD14E-D3B3-599B-A283-2818349B525D", "a29cd14e"])
@example(["5b1f0e62-3c4d-4e8a-9a51-7d0c2f6b8e1g", "5b1f0e62"])
def test_ids_are_cut_to_the_fewest_characters_no_other_name_starts_with(
    listed: list[str],
) -> None:
    length = unique_prefix_length(listed)
    assert length == model_length(listed)
    shown, shown_length = shortened_ids(listed)
    assert shown_length == length
    for name, short in zip(listed, shown, strict=True):
        assert is_uuid(name) == model_is_uuid(name)
        assert short == (name[:length] if model_is_uuid(name) else name)


def test_uuid_ids_at_90_and_100_columns_leave_the_findings_whole() -> None:
    rows = dashboard_rows([(id_, SLOW) for id_ in IDS])
    for width in (90, 100):
        lines = render_dashboard(rows, width=width).splitlines()
        # (At 100 it was "✗ Success rate 50.0% (+4)"; at 90 a line of its own.)
        assert [line.split()[0] for line in lines[2:5]] == ["5b1f0e62", "a29cd14e", "d34db5da"]
        assert lines[2].endswith("✗ Success rate 50.0% < 80.0% (+4)")
        assert " ".join(lines[5:]) == (
            "Pattern ids shortened to their first 8 characters, which no other pattern here "
            "starts with; the JSON and HTML reports give them whole."
        )
        assert all(len(line) <= width for line in lines)


def test_ids_are_whole_where_the_finding_keeps_its_columns() -> None:
    lines = render_dashboard(dashboard_rows([(IDS[0], SLOW)]), width=140).splitlines()
    assert lines[2].startswith(f"{IDS[0]}  ")
    assert NOTE not in "\n".join(lines)


def test_ids_alike_in_their_first_eight_are_cut_past_their_first_dash() -> None:
    alike = [IDS[0], "5b1f0e62-9999-4e8a-9a51-7d0c2f6b8e10"]
    lines = render_dashboard(dashboard_rows([(id_, SLOW) for id_ in alike]), width=90)
    shown = sorted(line.split()[0] for line in lines.splitlines()[2:4])
    assert shown == ["5b1f0e62-3", "5b1f0e62-9"]  # (10: "5b1f0e62-" ends in its dash)
    assert "their first 10 characters" in lines
    # Alike to their last group: 25 characters (all but the last 11 digits).
    alike.append("5b1f0e62-3c4d-4e8a-9a51-000000000000")
    lines = render_dashboard(dashboard_rows([(id_, SLOW) for id_ in alike]), width=90)
    shown = sorted(line.split()[0] for line in lines.splitlines()[2:5])
    assert shown == [
        "5b1f0e62-3c4d-4e8a-9a51-0",
        "5b1f0e62-3c4d-4e8a-9a51-7",
        "5b1f0e62-9999-4e8a-9a51-7",
    ]


def test_a_name_that_is_an_ids_start_keeps_it_apart() -> None:
    # A pattern named "5b1f0e62" beside the id it starts: the id shows one more digit.
    lines = render_dashboard(dashboard_rows([(IDS[0], SLOW), ("5b1f0e62", SLOW)]), width=90)
    assert sorted(line.split()[0] for line in lines.splitlines()[2:4]) == ["5b1f0e62", "5b1f0e62-3"]


def test_other_names_are_never_shortened() -> None:
    name = "payments.checkout.service.v1-primary"  # (36 columns, as a UUID)
    lines = render_dashboard(dashboard_rows([(name, SLOW)]), width=90).splitlines()
    assert lines[2].startswith(name)
    assert NOTE not in "\n".join(lines)


def test_the_document_keeps_the_ids_whole() -> None:
    rows = dashboard_rows([(id_, SLOW) for id_ in IDS])
    assert [row["name"] for row in dashboard_document(rows)] == IDS


def test_an_id_is_never_cut_just_after_its_second_dash() -> None:
    # Two ids alike through "5b1f0e62-3c4d-" (14): one digit more, 15 characters.
    alike = [IDS[0], "5b1f0e62-3c4d-9999-9a51-7d0c2f6b8e10"]
    lines = render_dashboard(dashboard_rows([(id_, SLOW) for id_ in alike]), width=90)
    shown = sorted(line.split()[0] for line in lines.splitlines()[2:4])
    assert shown == ["5b1f0e62-3c4d-4", "5b1f0e62-3c4d-9"]
    # A pattern named by the id's first 13 characters: 14 would end in the dash, so 15.
    lines = render_dashboard(dashboard_rows([(IDS[0], SLOW), ("5b1f0e62-3c4d", SLOW)]), width=90)
    shown = sorted(line.split()[0] for line in lines.splitlines()[2:4])
    assert shown == ["5b1f0e62-3c4d", "5b1f0e62-3c4d-4"]


def test_an_id_that_starts_another_name_is_whole_at_36() -> None:
    # (`unique_prefix_length` is public: 36 is its "whole", never past it.)
    for longer in (IDS[0] + "-v2", IDS[0] + "-"):
        assert unique_prefix_length([IDS[0], longer]) == 36
        assert shortened_ids([IDS[0], longer]) == ([IDS[0], longer], 36)


def test_a_36_character_name_beside_shortened_ids_is_whole() -> None:
    name = "payments.checkout.service.v1-primary"  # (36 columns, as a UUID)
    lines = render_dashboard(dashboard_rows([(IDS[0], SLOW), (name, SLOW)]), width=90)
    assert sorted(line.split()[0] for line in lines.splitlines()[2:4]) == ["5b1f0e62", name]
    assert NOTE in lines
