"""Whether an awaited call left the event loop free: a ticker task on the same loop,
woken every millisecond, counts its steps while the call is awaited. A call run on the
loop's own thread blocks it, and the ticker does not step at all until it returns."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def ticks_while(call: Callable[[], Awaitable[T]]) -> tuple[T, int]:
    """What awaiting `call()` gives, and how many times the ticker stepped meanwhile
    (`call` made once the ticker has started, so that work it does before it returns
    its awaitable counts too; the ticker's first step, before that, not counted)."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.001)

    ticking = asyncio.create_task(ticker())
    await asyncio.sleep(0)  # let the ticker start
    before = ticks
    try:
        result = await call()
    finally:
        done.set()
        await ticking
    return result, ticks - before
