"""Property tests: the core equals the reference for windows far from the present, in
zones whose clocks change in unusual ways.

`test_properties` draws windows from 2000 to 2035 in six zones. Here they start from 1700
to 2250: before a zone's standard time (local mean time, offsets of odd seconds), through
its wars and rule changes, and past 2037, where its offsets come from the rules of the
tz database's footer rather than its table; in zones with a negative DST (Europe/Dublin),
a day skipped (Pacific/Apia, 2011), half-hour and 45-minute offsets and changes
(America/St_Johns, Asia/Kathmandu, Australia/Lord_Howe, Pacific/Chatham), a DST that
pauses for Ramadan (Africa/Casablanca), two-hour changes (Antarctica/Troll). (Not past
2250: a datetime64 record in nanoseconds holds no instant past 2262.)
"""

from __future__ import annotations

from hypothesis import given
from reference import reference_analytics
from strategies import assert_matches_reference, contracts, output_as_dict
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer

REDUCER = NodeUsageAnalyticsReducer()
YEARS = (1700, 2250)
ZONES = [
    "UTC",
    "Africa/Casablanca",
    "America/New_York",
    "America/Sao_Paulo",
    "America/St_Johns",
    "Antarctica/Troll",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Europe/Dublin",
    "Europe/London",
    "Pacific/Apia",
    "Pacific/Chatham",
]


@given(contracts(years=YEARS, zones=ZONES, max_records=40))
def test_windows_of_three_centuries_in_unusual_zones_match_reference(
    contract: ModelUsageAnalyticsInput,
) -> None:
    expected = reference_analytics(contract)
    actual = output_as_dict(REDUCER.execute_reduction_sync(contract))
    assert_matches_reference(actual, expected)


@given(contracts(invalid=True, years=YEARS, zones=ZONES, max_records=30))
def test_skip_mode_of_three_centuries_matches_reference(
    contract: ModelUsageAnalyticsInput,
) -> None:
    expected = reference_analytics(contract)
    actual = output_as_dict(REDUCER.execute_reduction_sync(contract))
    assert_matches_reference(actual, expected)
