"""`loop_ticks.ticks_while`, the tests' check that an awaited call left the event loop
free: it must tell a call run on a worker thread from one that blocks the loop, and hand
back what the call gave."""

from __future__ import annotations

import asyncio
import time

from loop_ticks import ticks_while


async def test_a_call_on_a_worker_thread_lets_the_ticker_step() -> None:
    result, ticks = await ticks_while(lambda: asyncio.to_thread(time.sleep, 0.05))
    assert result is None
    assert ticks >= 3


async def test_a_call_that_blocks_the_loop_gives_no_ticks() -> None:
    async def blocking() -> str:
        time.sleep(0.05)
        return "done"

    assert await ticks_while(blocking) == ("done", 0)
