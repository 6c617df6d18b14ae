"""The benches' one way to time a call and print the times (imported by the scripts here).

A call's wall time is `time.perf_counter`'s; its CPU time `time.process_time`'s: this
process's, every thread's, the steadier figure on a shared machine (the Rust core's
threads count in it). A repeated call is reported as its least and median, in one format:
`12 / 15 ms` (least / median).

Freeing a call's result: `repeated` drops each result inside its timing (as `call()`
written as a statement does), so the cost of freeing it counts; `timed` returns the
result, so the caller frees it outside the timing (as a command frees its output at exit).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

T = TypeVar("T")

Unit = Literal["s", "ms", "us"]
_SCALES: dict[Unit, float] = {"s": 1.0, "ms": 1e3, "us": 1e6}


@dataclass(frozen=True, order=True)
class Took:
    """One timed call's seconds: `wall` (perf_counter) and `cpu` (process_time). Ordered
    by wall, then CPU: `min` of a list is the fastest call."""

    wall: float
    cpu: float


def timed(call: Callable[[], T]) -> tuple[Took, T]:
    """`call()` once, timed, and its result (freed by the caller, outside the timing)."""
    began, began_cpu = time.perf_counter(), time.process_time()
    result = call()
    return Took(time.perf_counter() - began, time.process_time() - began_cpu), result


def repeated(call: Callable[[], object], calls: int, *, warm_ups: int = 0) -> list[Took]:
    """`calls` timed calls of `call`, after `warm_ups` untimed ones (first calls pay for
    imports, caches and allocations the later ones find done)."""
    for _ in range(warm_ups):
        call()
    taken = []
    for _ in range(calls):
        began, began_cpu = time.perf_counter(), time.process_time()
        call()  # (its result dropped here, inside the timing)
        taken.append(Took(time.perf_counter() - began, time.process_time() - began_cpu))
    return taken


def interleaved(calls: Mapping[str, Callable[[], object]], rounds: int) -> dict[str, list[Took]]:
    """`rounds` rounds of each of `calls` timed once in turn (as `repeated`, no warm-up):
    the machine's drift over the run falls on every contender alike."""
    taken: dict[str, list[Took]] = {name: [] for name in calls}
    for _ in range(rounds):
        for name, call in calls.items():
            taken[name] += repeated(call, 1)
    return taken


async def timed_awaited(call: Callable[[], Awaitable[T]]) -> tuple[Took, T]:
    """`await call()` once, timed, and its result (freed by the caller, as `timed`'s)."""
    began, began_cpu = time.perf_counter(), time.process_time()
    result = await call()
    return Took(time.perf_counter() - began, time.process_time() - began_cpu), result


async def repeated_awaited(call: Callable[[], Awaitable[object]], calls: int) -> list[Took]:
    """`calls` timed awaits of `call()`, as `repeated` (the event loop's other work
    meanwhile counts too)."""
    taken = []
    for _ in range(calls):
        began, began_cpu = time.perf_counter(), time.process_time()
        await call()  # (its result dropped here, inside the timing)
        taken.append(Took(time.perf_counter() - began, time.process_time() - began_cpu))
    return taken


def wall_seconds(call: Callable[[], object], calls: int, *, warm_ups: int = 0) -> list[float]:
    """The wall seconds of `repeated(call, calls, warm_ups=warm_ups)`."""
    return walls(repeated(call, calls, warm_ups=warm_ups))


def least_ms(call: Callable[[], object], calls: int) -> float:
    """The least wall milliseconds of `calls` calls of `call` (no warm-up)."""
    return min(wall_seconds(call, calls)) * 1e3


def walls(taken: Sequence[Took]) -> list[float]:
    return [took.wall for took in taken]


def cpus(taken: Sequence[Took]) -> list[float]:
    return [took.cpu for took in taken]


def least_each(taken: Sequence[Took]) -> Took:
    """The least wall seconds and the least CPU seconds (of the same call or not)."""
    return Took(min(walls(taken)), min(cpus(taken)))


def least_median(seconds: Sequence[float], unit: Unit = "ms", digits: int = 0) -> str:
    """`least / median unit` of `seconds`, e.g. `12 / 15 ms`."""
    scale = _SCALES[unit]
    least, median = min(seconds) * scale, statistics.median(seconds) * scale
    return f"{least:.{digits}f} / {median:.{digits}f} {unit}"


def wall_and_cpu(taken: Sequence[Took], unit: Unit = "ms", digits: int = 0) -> str:
    """`wall 12 / 15 ms, CPU 11 / 14 ms`: least / median of each."""
    return (
        f"wall {least_median(walls(taken), unit, digits)}, "
        f"CPU {least_median(cpus(taken), unit, digits)}"
    )


def median_ratio(theirs: Sequence[float], ours: Sequence[float]) -> float:
    """Their median over ours: above 1, ours is faster."""
    return statistics.median(theirs) / statistics.median(ours)


def raced(
    label: str, ours: tuple[str, Sequence[float]], theirs: tuple[str, Sequence[float]]
) -> str:
    """`label: ours 12 / 15 ms, theirs 30 / 31 ms, x2.07`: two contenders' least and
    median wall milliseconds, and their median over ours."""
    (our_name, our_seconds), (their_name, their_seconds) = ours, theirs
    return (
        f"{label}: {our_name} {least_median(our_seconds)}, "
        f"{their_name} {least_median(their_seconds)}, "
        f"x{median_ratio(their_seconds, our_seconds):.2f}"
    )
