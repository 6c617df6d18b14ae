"""Hypothesis strategies for the edges the general ones (`strategies.py`) seldom draw.

`strategies.contracts` spreads timestamps over the window and picks bucket widths and
values at random, so a record exactly on a bucket boundary, on a zone's clock change or
on a local midnight, a window of one bucket, tied or extreme execution times, scores of
exactly 0 and 1, or a contract whose records all fail turn up rarely. These draw them on
purpose:

- zones whose clocks change unusually: Europe/London, America/Santiago (its changes at
  local midnight, so a day starts at 01:00), Australia/Lord_Howe (a half-hour shift),
  Pacific/Chatham (a 45-minute offset), UTC;
- windows around one of the zone's clock changes (found in the bundled tz data), of one
  microsecond to some weeks, with bucket widths equal to the window, longer than it,
  dividing it exactly or leaving a remainder of one microsecond;
- timestamps on the window's ends and midpoint, on bucket boundaries, on the recent-use
  limit, on the clock change and on local midnights, each exactly or one microsecond off;
- execution times from a small pool (ties) of extreme values: subnormals, 1e-300,
  1e300, the largest double, zeros of both signs;
- quality scores of exactly 0 and 1 and their neighbours; all successes or all failures.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from reference import US_PER_DAY, US_PER_HOUR, bundled_zone, datetime_to_micros, recent_limit
from strategies import Window, as_contract_datetime, micros_to_utc, thresholds, timestamps
from usage_analytics import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    TimeWindowType,
    TrendThresholds,
)

EDGE_ZONES = [
    "Europe/London",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "UTC",
]
#: The years whose clock changes windows are drawn around.
CHANGE_YEARS = (1995, 2040)

#: Execution times at the ends of the doubles: subnormals, the smallest normal, tiny and
#: huge values whose squares and sums overflow or underflow, zeros of both signs.
EXTREME_TIMES: list[float | int] = [
    0,
    0.0,
    -0.0,
    5e-324,
    1e-320,
    2.2250738585072014e-308,
    1e-300,
    1e-150,
    0.1,
    1.0,
    3.0,
    1e150,
    1.3407807929942596e154,
    1e300,
    8.98846567431158e307,
    1.7976931348623157e308,
    2**53 + 1,
    10**20,
]
#: Quality scores on the range's ends and just inside them.
EDGE_SCORES: list[float | int] = [0, 1, 0.0, -0.0, 1.0, 5e-324, 1e-300, 0.5, 1 - 2**-53]


@functools.cache
def clock_changes(zone_name: str) -> tuple[int, ...]:
    """The instants (epoch microseconds) in CHANGE_YEARS at which `zone_name`'s UTC
    offset changes, from the bundled tz data: found day by day, then to the second (the
    changes of these zones are on whole seconds)."""
    zone = bundled_zone(zone_name)

    def offset(micros: int) -> timedelta | None:
        return micros_to_utc(micros).astimezone(zone).utcoffset()

    first = datetime_to_micros(datetime(CHANGE_YEARS[0], 1, 1, tzinfo=UTC))
    last = datetime_to_micros(datetime(CHANGE_YEARS[1], 12, 31, tzinfo=UTC))
    changes: list[int] = []
    for day in range(first, last, US_PER_DAY):
        if offset(day) == offset(day + US_PER_DAY):
            continue
        low, high = day // 1_000_000, (day + US_PER_DAY) // 1_000_000  # seconds
        before = offset(day)
        while high - low > 1:  # offset(low) == before != offset(high)
            middle = (low + high) // 2
            if offset(middle * 1_000_000) == before:
                low = middle
            else:
                high = middle
        changes.append(high * 1_000_000)
    return tuple(changes)


def local_midnights(zone_name: str, start_us: int, end_us: int) -> list[int]:
    """The instants at which a local calendar day starts in [start_us - 1 day, end_us +
    1 day] (at most 40): where a change skips midnight, the first instant of the day."""
    zone = bundled_zone(zone_name)
    found: list[int] = []
    moment = micros_to_utc(start_us - US_PER_DAY).astimezone(zone)
    day = moment.date()
    while len(found) < 40:
        day += timedelta(days=1)
        # The first instant whose local date is `day`: search the UTC instants around it.
        guess = datetime_to_micros(datetime(day.year, day.month, day.day)) - 14 * US_PER_HOUR
        low, high = guess - 2 * US_PER_HOUR, guess + 30 * US_PER_HOUR
        while high - low > 1:
            middle = (low + high) // 2
            if micros_to_utc(middle).astimezone(zone).date() < day:
                low = middle
            else:
                high = middle
        if high > end_us + US_PER_DAY:
            break
        found.append(high)
    return found


@st.composite
def edge_windows(draw: st.DrawFn, zone_name: str) -> Window:
    """A window around one of the zone's clock changes (or any instant, for UTC), of one
    microsecond to 40 days, the change anywhere in it or just outside."""
    changes = clock_changes(zone_name)
    if changes:
        anchor = draw(st.sampled_from(changes))
    else:
        anchor = datetime_to_micros(datetime(2026, 3, 29, 1, tzinfo=UTC))
    span = draw(
        st.one_of(
            st.sampled_from([1, 2, 3, US_PER_HOUR, US_PER_DAY, US_PER_DAY + 1, 7 * US_PER_DAY]),
            st.integers(1, 40 * US_PER_DAY),
        )
    )
    before = draw(
        st.one_of(st.sampled_from([0, 1, span, span // 2, span + 1]), st.integers(0, span))
    )
    start_us = anchor - before
    end_us = start_us + span
    return Window(
        start=draw(as_contract_datetime(start_us)),
        end=draw(as_contract_datetime(end_us)),
        start_us=start_us,
        end_us=end_us,
        window_type=draw(st.sampled_from(list(TimeWindowType))),
    )


@st.composite
def edge_bucket_widths(draw: st.DrawFn, window: Window) -> timedelta | None:
    """None (the default), or a width giving one bucket (the window's own, or longer), or
    one dividing the window exactly or leaving one microsecond over, or any (<= 200
    buckets)."""
    span = window.width_us
    kind = draw(st.sampled_from(["default", "one", "longer", "divides", "plus_one", "any"]))
    if kind == "default":
        return None
    if kind == "one":
        return timedelta(microseconds=span)
    if kind == "longer":
        return timedelta(microseconds=span + draw(st.integers(1, 10 * US_PER_DAY)))
    count = draw(st.integers(1, 200))
    if kind == "divides" and span % count == 0:
        return timedelta(microseconds=span // count)
    if kind == "plus_one" and span > count:
        return timedelta(microseconds=(span - 1) // count)
    return timedelta(microseconds=max(1, span // count))


def special_instants(
    window: Window, zone_name: str, width_us: int | None, fraction: float
) -> list[int]:
    """Instants on the edges of the window, its buckets, its recent-use limit, the zone's
    clock changes and local midnights: each exactly and one microsecond off."""
    start, end = window.start_us, window.end_us
    span = end - start
    centres = [start, end, start + span // 2, start + (span + 1) // 2]
    centres.append(end - recent_limit(span, fraction))
    if width_us is not None and width_us > 0:
        buckets = max(1, span // width_us)
        centres += [start + k * width_us for k in range(1, min(buckets, 50) + 1)]
        centres += [start + k * width_us for k in range(max(1, buckets - 5), buckets + 1)]
    centres += [c for c in clock_changes(zone_name) if start - US_PER_DAY <= c <= end + US_PER_DAY]
    centres += local_midnights(zone_name, start, end)
    return sorted({c + d for c in centres for d in (-1, 0, 1)})


@st.composite
def edge_contracts(
    draw: st.DrawFn,
    *,
    max_records: int = 30,
    granularity: AnalyticsGranularity | None = None,
) -> ModelUsageAnalyticsInput:
    """A contract whose window, buckets, timestamps and values sit on the edges (module
    docstring); every family on (unless the granularity drawn skips some)."""
    zone_name = draw(st.sampled_from(EDGE_ZONES))
    window = draw(edge_windows(zone_name))
    width = draw(edge_bucket_widths(window))
    trend_thresholds = draw(st.one_of(st.just(TrendThresholds()), thresholds()))
    width_us = None if width is None else width // timedelta(microseconds=1)
    specials = special_instants(window, zone_name, width_us, trend_thresholds.recent_fraction)
    instant = st.one_of(
        st.sampled_from(specials),
        st.integers(window.start_us, window.end_us),
    )
    time_pool = draw(st.lists(st.sampled_from(EXTREME_TIMES), min_size=1, max_size=3))
    outcome = draw(st.sampled_from(["mixed", "all_failures", "all_successes"]))
    size = draw(st.one_of(st.just(1), st.integers(0, max_records)))
    records: list[dict[str, Any]] = []
    for _ in range(size):
        record: dict[str, Any] = {"timestamp": draw(timestamps(draw(instant)))}
        if outcome == "mixed":
            record["success"] = draw(st.booleans())
        elif outcome == "all_successes":
            record["success"] = True
        elif draw(st.booleans()):  # a failure: False, or absent (which counts as one)
            record["success"] = False
        if draw(st.integers(0, 5)) != 0:
            record["execution_time_ms"] = draw(st.sampled_from(time_pool))
        if draw(st.booleans()):
            record["quality_score"] = draw(st.sampled_from(EDGE_SCORES))
        record["agent"] = draw(st.sampled_from(["a", "b", "c"]))
        record["timeout"] = draw(st.booleans())
        record["quality_gates_passed"] = draw(st.booleans())
        records.append(record)
    return ModelUsageAnalyticsInput(
        pattern_id="edges",
        time_window_start=window.start,
        time_window_end=window.end,
        time_window_type=window.window_type,
        granularity=granularity or draw(st.sampled_from(list(AnalyticsGranularity))),
        include_predictions=draw(st.booleans()),
        execution_data=records,
        timezone=zone_name,
        bucket_width=width,
        trend_thresholds=trend_thresholds,
    )
