"""Example 8: real-time monitoring -- a rolling window, a snapshot every five minutes, alerts.

The replaced system's monitor refetched the last hour of executions from the database
every five minutes and reduced all of it again. With `RollingUsageAnalytics` it sums the
last hour from twelve 5-minute buckets instead: each batch of new executions is `add`ed as it
arrives, and `snapshot(now)` gives the analytics of the last hour (whole buckets, ending
with the one holding `now`) without touching old records again. Memory stays at 24
buckets (the hour and one hour of lookahead for records ahead of a snapshot) however
long it runs.

Three hours of a checkout endpoint are simulated here in well under a second (the clock is
simulated; nothing sleeps): a producer task delivers each minute's executions through an
`asyncio.Queue`, the monitor adds them and takes a snapshot every five minutes, prints a
status line and alerts on health findings (new ones once, and when they clear). Its `now`
is event time, the newest execution seen, so the output is the same on every run; a
service would pass `datetime.now(UTC)`. At 10:30 a payment dependency starts failing
for 20 minutes: the error-rate rules fire, and clear once enough of the failures have
left the hour for the rate to fall back under the limits.

Run:  python examples/08_realtime_monitor.py
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from usage_analytics import RollingUsageAnalytics

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DURATION = timedelta(hours=3)
WINDOW = timedelta(hours=1)
BUCKET = timedelta(minutes=5)
SNAPSHOT_EVERY = 5  # batches (minutes)
MINUTE = timedelta(minutes=1)
BATCH = MINUTE  # the collector delivers a batch a minute

BURST_START = START + timedelta(minutes=90)  # the dependency fails ...
BURST_END = BURST_START + timedelta(minutes=20)  # ... and recovers
NORMAL_FAILURE_RATE = 0.03
BURST_FAILURE_RATE = 0.8
MEAN_GAP_SECONDS = 20.0  # about three executions a minute

CALLERS = ["web-checkout", "mobile-app", "partner-api"]


def generate_executions(seed: int = 8) -> list[dict[str, Any]]:
    """Executions over the three hours in time order: Poisson arrivals, latencies
    log-normal around 100 ms; 3% fail, 80% during the burst. A failed run has no quality
    score."""
    rng = random.Random(seed)
    records = []
    at = START + timedelta(seconds=rng.expovariate(1 / MEAN_GAP_SECONDS))
    while at < START + DURATION:
        burst = BURST_START <= at < BURST_END
        success = rng.random() >= (BURST_FAILURE_RATE if burst else NORMAL_FAILURE_RATE)
        records.append(
            {
                "timestamp": at,
                "success": success,
                "execution_time_ms": round(rng.lognormvariate(4.6, 0.3), 1),
                "quality_score": round(rng.uniform(0.8, 1.0), 3) if success else None,
                "agent": rng.choice(CALLERS),
            }
        )
        at += timedelta(seconds=rng.expovariate(1 / MEAN_GAP_SECONDS))
    return records


def batches(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The executions of each minute, [START + i min, START + (i + 1) min), as the
    collector delivers them (possibly empty)."""
    minutes = DURATION // BATCH
    delivered: list[list[dict[str, Any]]] = [[] for _ in range(minutes)]
    for record in records:
        delivered[(record["timestamp"] - START) // BATCH].append(record)
    return delivered


async def deliver(queue: asyncio.Queue[list[dict[str, Any]] | None]) -> None:
    """The producer: one batch per simulated minute, then None."""
    for batch in batches(generate_executions()):
        await queue.put(batch)
        await asyncio.sleep(0)  # let the monitor run, as a real feed would
    await queue.put(None)


async def main() -> None:
    monitor = RollingUsageAnalytics(
        window=WINDOW,
        bucket=BUCKET,
        pattern_id="checkout-api",
        # Trend rules judge days and weeks, not one hour: the daily report has them.
        include_trends=False,
        # A host whose clock runs ahead (a record stamped 2099) would move the buckets
        # there and stop every snapshot of the present: such records are left out.
        max_future=5 * MINUTE,
    )
    queue: asyncio.Queue[list[dict[str, Any]] | None] = asyncio.Queue(maxsize=4)
    producer = asyncio.create_task(deliver(queue))

    print(
        f"Monitoring checkout-api: the last {WINDOW // MINUTE} minutes in "
        f"{BUCKET // MINUTE}-minute buckets, a snapshot every {SNAPSHOT_EVERY} minutes"
    )
    print()
    active: set[str] = set()
    alerts: list[str] = []
    newest = START  # event time: the newest execution seen is the monitor's clock
    minute = 0
    while (batch := await queue.get()) is not None:
        minute += 1
        # The clock max_future is measured from: the end of the batch's minute here (a
        # service leaves it out, and the wall clock's time is taken).
        monitor.add(batch, now=START + minute * BATCH)
        if batch:
            newest = max(newest, max(record["timestamp"] for record in batch))
        if minute % SNAPSHOT_EVERY:
            continue

        result = monitor.snapshot(newest)
        findings = result.health()
        success = result.success_metrics
        perf = result.performance_metrics
        assert perf is not None  # include_performance defaults to True
        codes = [finding.code for finding in findings]
        state = "ok" if not findings else f"{len(findings)} finding(s)"
        print(
            f"{result.time_window_end:%H:%M}  runs {result.usage_metrics.total_executions:4d}"
            f"  errors {success.error_rate:6.1%}  p95 {perf.p95_execution_time_ms:6.1f} ms"
            f"  {state}"
        )
        for finding in findings:
            if finding.code not in active:
                print(f"        ALERT {finding.severity} {finding.code}: {finding.message}")
                alerts.append(f"{result.time_window_end:%H:%M} {finding.code}")
        for code in sorted(active - set(codes)):
            print(f"        resolved: {code}")
        active = set(codes)

    await producer
    quality = monitor.snapshot(newest).data_quality
    print()
    print(f"Alerts raised:           {len(alerts)} ({', '.join(alerts) or 'none'})")
    print(f"Executions received:     {quality.records_received}")
    print(f"In the last hour:        {quality.records_in_window}")
    print(f"Aged out of the window:  {quality.records_outside_window}")
    print(f"Buckets held:            {monitor.retained_buckets} (2 x window / bucket)")


if __name__ == "__main__":
    asyncio.run(main())
