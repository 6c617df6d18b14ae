"""One reading of "a date alone" for the command's --end and the example service's `end`
(`cli.dates.date_alone`): each had its own (`dates._bare_date`, the service's
`_is_a_date_alone`), deciding the same thing. Both keep what they did: the readings
they had are copied below as the references."""

from __future__ import annotations

from datetime import date, datetime
from types import ModuleType
from typing import Any

import pytest
from example_scripts import EXAMPLES, load_script
from hypothesis import example, given
from hypothesis import strategies as st
from usage_analytics.cli.dates import date_alone, parse_end


def service() -> ModuleType:
    return load_script("example_service", EXAMPLES / "service.py")


def command_reference(text: str) -> date | None:
    """`parse_end`'s reading before: `_bare_date(_normalized(text))`."""
    cleaned = text.strip()
    cleaned = cleaned[:-1] + "Z" if cleaned.endswith("z") else cleaned
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        return None


def service_reference(text: str) -> bool:
    """The service's `_is_a_date_alone` before."""
    try:
        date.fromisoformat(text.strip())
    except ValueError:
        return False
    return True


#: Texts near dates: dates in each form Python reads, times, offsets, spaces, "z".
_PIECES = st.sampled_from(
    ["2026-11-30", "20261130", "2026-W48", "2026-W48-1", "T12:00", "Z", "z", "+01:00", " ", "\t"]
)
_TEXTS = st.one_of(st.lists(_PIECES, max_size=4).map("".join), st.text(max_size=12))


@given(_TEXTS)
@example(" 2026-11-30 ")
@example("2026-11-30z")
@example("2026-11-30T00:00")
def test_the_command_reads_a_date_alone_as_before(text: str) -> None:
    assert date_alone(text) == command_reference(text)


@given(_TEXTS)
@example(" 2026-11-30\n")
@example("2026-11-30z")
def test_the_service_reads_a_date_alone_as_before(text: str) -> None:
    assert (date_alone(text) is not None) == service_reference(text)


@pytest.fixture(scope="module")
def end_bound() -> Any:
    return service().end_bound


@pytest.mark.parametrize(
    ("given", "read"),
    [
        ("2026-11-30", datetime.fromisoformat("2026-12-01T00:00:00+00:00")),
        (" 2026-W48-1 ", datetime.fromisoformat("2026-11-24T00:00:00+00:00")),
        ("2026-11-30T12:00Z", "2026-11-30T12:00Z"),  # (pydantic reads it next)
        ("not a date", "not a date"),
    ],
)
def test_the_services_end_is_read_as_before(end_bound: Any, given: str, read: Any) -> None:
    assert end_bound(given) == read
    if isinstance(read, datetime):
        assert read == parse_end(given)


def test_the_service_has_no_reading_of_its_own() -> None:
    assert not hasattr(service(), "_is_a_date_alone")
    assert service().date_alone is date_alone
