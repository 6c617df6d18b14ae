"""Every zone's calendar around every change of its offset: a request's `timezone` gives
records the local days, hours and weekdays that `zoneinfo` gives from the tzdata release
the core bundles (the reference's `bundled_zone`), where the offset changes in the zone's
table (LMT to standard time, wars, DST) and by its rules past the table (2100, 9000).

The core's zones come from jiff's bundled tz database, the reference's from the `tzdata`
package: a release of one without the other, or a zone the core reads otherwise (a
30-minute or 45-minute change, a negative DST, a change at 24:00 or 25:00 by the rules),
shows here as a zone whose hours or days differ."""

from __future__ import annotations

import importlib.resources
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from reference import bundled_zone, datetime_to_micros, micros_to_datetime, reference_analytics
from strategies import assert_matches_reference, output_as_dict
from usage_analytics import ModelUsageAnalyticsInput, NodeUsageAnalyticsReducer
from zones import offset_changes

ZONES = importlib.resources.files("tzdata").joinpath("zones").read_text().split()
RULE_YEARS = (2100, 9000)
SECOND_US = 1_000_000
#: Around each change: the microsecond before it, itself, and half an hour either side.
AROUND_US = (-1, 0, -1_800 * SECOND_US, 1_800 * SECOND_US)
#: Instants every zone is checked at too (UTC seconds): the starts of 1900, 2026 and 9000.
ANCHORS = (-2_208_988_800, 1_767_225_600, 221_845_392_000)


def _ruled_changes(name: str, year: int) -> list[int]:
    """The UTC seconds of `year` at which the zone's rules change its offset (a scan of
    six-hour steps, each change found to the second)."""
    zone = bundled_zone(name)
    offset = datetime(year, 1, 1, tzinfo=UTC).astimezone(zone).utcoffset
    if offset() == datetime(year, 7, 1, tzinfo=UTC).astimezone(zone).utcoffset():
        return []  # (no summer time that year)
    changes = []
    moment, end, step = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC), 6
    while moment < end:
        after = moment + timedelta(hours=step)
        if after.astimezone(zone).utcoffset() != moment.astimezone(zone).utcoffset():
            low, high = moment, after
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = middle
                else:
                    high = middle
            changes.append(datetime_to_micros(high) // SECOND_US)
        moment = after
    return changes


def _changes(name: str) -> list[int]:
    file = Path(str(importlib.resources.files("tzdata.zoneinfo").joinpath(*name.split("/"))))
    tabled = [second for second, _, _ in offset_changes(file)]
    return tabled + [second for year in RULE_YEARS for second in _ruled_changes(name, year)]


@pytest.mark.parametrize("name", ZONES)
def test_a_zones_days_hours_and_weekdays_around_its_offset_changes(name: str) -> None:
    # (A zone that kept one offset, Etc/GMT+5 or UTC, has only the anchors.)
    changes = [*ANCHORS, *_changes(name)]
    stamps = [second * SECOND_US + around for second in changes for around in AROUND_US]
    request = ModelUsageAnalyticsInput(
        pattern_id="calendar",
        time_window_start=micros_to_datetime(min(stamps)) - timedelta(days=1),
        time_window_end=micros_to_datetime(max(stamps)) + timedelta(days=1),
        time_window_type="custom",
        timezone=name,
        include_trends=False,
        execution_data=[
            {"timestamp": micros_to_datetime(stamp), "agent": str(i % 7)}
            for i, stamp in enumerate(stamps)
        ],
    )
    output = NodeUsageAnalyticsReducer().execute_reduction_sync(request)
    assert output.timezone == name
    assert_matches_reference(output_as_dict(output), reference_analytics(request))
