"""`benches/timing.py`, the benches' one timing helper: what it counts (warm-ups not; a
result's freeing inside `repeated`, outside `timed`) and the format the benches print.
Timed against a fake clock that only the calls move, so nothing here depends on the
machine's speed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from example_scripts import load_script
from hypothesis import given
from hypothesis import strategies as st

BENCHES = Path(__file__).resolve().parent.parent / "benches"


@pytest.fixture(scope="module")
def timing() -> ModuleType:
    return load_script("bench_timing", BENCHES / "timing.py")


class FakeClock:
    """`time`'s two clocks, moved only by `spend`: wall by `wall`, CPU by half of it."""

    def __init__(self) -> None:
        self.now = 0.0

    def spend(self, seconds: float) -> None:
        self.now += seconds

    def perf_counter(self) -> float:
        return self.now

    def process_time(self) -> float:
        return self.now / 2


@pytest.fixture
def clock(timing: ModuleType, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(timing, "time", fake)
    return fake


class Costly:
    """A result whose freeing takes `seconds` of the fake clock."""

    def __init__(self, clock: FakeClock, seconds: float) -> None:
        self.clock, self.seconds = clock, seconds

    def __del__(self) -> None:
        self.clock.spend(self.seconds)


def test_repeated_times_each_call_after_untimed_warm_ups(
    timing: ModuleType, clock: FakeClock
) -> None:
    spent = iter([100.0, 200.0, 1.0, 2.0, 3.0])  # (the first two: the warm-ups)
    calls = []

    def call() -> None:
        calls.append(1)
        clock.spend(next(spent))

    taken = timing.repeated(call, 3, warm_ups=2)
    assert len(calls) == 5
    assert timing.walls(taken) == [1.0, 2.0, 3.0]
    assert timing.cpus(taken) == [0.5, 1.0, 1.5]


def test_repeated_counts_freeing_each_result(timing: ModuleType, clock: FakeClock) -> None:
    def call() -> Costly:
        clock.spend(1.0)
        return Costly(clock, 10.0)

    assert timing.walls(timing.repeated(call, 2)) == [11.0, 11.0]
    assert timing.wall_seconds(call, 2, warm_ups=1) == [11.0, 11.0]


def test_interleaved_times_each_contender_once_a_round_in_turn(
    timing: ModuleType, clock: FakeClock
) -> None:
    order: list[str] = []

    def contender(name: str, seconds: float) -> Callable[[], None]:
        def call() -> None:
            order.append(name)
            clock.spend(seconds)

        return call

    taken = timing.interleaved({"a": contender("a", 1.0), "b": contender("b", 2.0)}, 3)
    assert order == ["a", "b"] * 3
    assert {name: timing.walls(each) for name, each in taken.items()} == {
        "a": [1.0, 1.0, 1.0],
        "b": [2.0, 2.0, 2.0],
    }


def test_least_ms_is_the_least_wall_in_milliseconds(timing: ModuleType, clock: FakeClock) -> None:
    spent = iter([0.003, 0.001, 0.002])
    assert timing.least_ms(lambda: clock.spend(next(spent)), 3) == pytest.approx(1.0)


def test_least_each_takes_each_clock_least_apart(timing: ModuleType) -> None:
    took = timing.Took
    least = timing.least_each([took(1.0, 0.9), took(2.0, 0.1), took(3.0, 0.5)])
    assert least == took(1.0, 0.1)


def test_timed_returns_the_result_freed_outside_its_timing(
    timing: ModuleType, clock: FakeClock
) -> None:
    def call() -> Costly:
        clock.spend(1.0)
        return Costly(clock, 10.0)

    took, result = timing.timed(call)
    assert (took.wall, took.cpu) == (1.0, 0.5)
    assert isinstance(result, Costly)
    del result
    assert clock.now == 11.0  # (freed here, after the timing)


def test_repeated_awaited_times_each_await(timing: ModuleType, clock: FakeClock) -> None:
    spent = iter([1.0, 4.0])

    async def call() -> Costly:
        await asyncio.sleep(0)
        clock.spend(next(spent))
        return Costly(clock, 10.0)

    taken = asyncio.run(timing.repeated_awaited(call, 2))
    assert timing.walls(taken) == [11.0, 14.0]


def test_timed_awaited_returns_the_result_freed_outside_its_timing(
    timing: ModuleType, clock: FakeClock
) -> None:
    async def call() -> Costly:
        await asyncio.sleep(0)
        clock.spend(1.0)
        return Costly(clock, 10.0)

    took, result = asyncio.run(timing.timed_awaited(call))
    assert (took.wall, took.cpu) == (1.0, 0.5)
    assert isinstance(result, Costly)
    del result
    assert clock.now == 11.0  # (freed here, after the timing)


def test_took_least_is_the_least_wall_then_cpu(timing: ModuleType) -> None:
    took = timing.Took
    runs = [took(2.0, 0.1), took(1.0, 0.9), took(1.0, 0.5), took(3.0, 0.0)]
    assert min(runs) == took(1.0, 0.5)
    assert max(runs) == took(3.0, 0.0)


seconds_lists = st.lists(
    st.floats(min_value=1e-7, max_value=1e4, allow_nan=False), min_size=1, max_size=9
)


def model_median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


@given(
    seconds=seconds_lists,
    unit=st.sampled_from([("s", 1.0), ("ms", 1e3), ("us", 1e6)]),
    digits=st.integers(0, 4),
)
def test_least_median_is_least_then_median_in_the_unit(
    timing: ModuleType, seconds: list[float], unit: tuple[str, float], digits: int
) -> None:
    name, scale = unit
    least, median = min(seconds) * scale, model_median(seconds) * scale
    expected = f"{least:.{digits}f} / {median:.{digits}f} {name}"
    assert timing.least_median(seconds, name, digits) == expected


def test_least_median_defaults_to_whole_milliseconds(timing: ModuleType) -> None:
    assert timing.least_median([0.0154, 0.0121, 0.0302]) == "12 / 15 ms"
    assert timing.least_median([0.5, 0.25], "s", 3) == "0.250 / 0.375 s"


def test_wall_and_cpu_prints_least_and_median_of_each(timing: ModuleType) -> None:
    took = timing.Took
    taken = [took(0.030, 0.020), took(0.010, 0.012), took(0.020, 0.016)]
    assert timing.wall_and_cpu(taken) == "wall 10 / 20 ms, CPU 12 / 16 ms"


@given(ours=seconds_lists, theirs=seconds_lists)
def test_raced_prints_both_and_their_median_over_ours(
    timing: ModuleType, ours: list[float], theirs: list[float]
) -> None:
    ratio = model_median(theirs) / model_median(ours)
    assert timing.raced("case", ("ours", ours), ("pyarrow", theirs)) == (
        f"case: ours {min(ours) * 1e3:.0f} / {model_median(ours) * 1e3:.0f} ms, "
        f"pyarrow {min(theirs) * 1e3:.0f} / {model_median(theirs) * 1e3:.0f} ms, "
        f"x{ratio:.2f}"
    )


def test_raced_names_the_faster_by_a_ratio_above_one(timing: ModuleType) -> None:
    line = timing.raced("x", ("ours", [0.010, 0.012, 0.011]), ("theirs", [0.030, 0.033, 0.031]))
    assert line == "x: ours 10 / 11 ms, theirs 30 / 31 ms, x2.82"
