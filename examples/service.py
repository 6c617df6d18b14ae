"""A web service over SQLite: the analytics of a pattern, and a dashboard, on request.

    pip install 'usage-analytics[service]'
    usage-analytics demo                       # writes usage-analytics-demo.sqlite here
    uvicorn --app-dir examples service:app     # USAGE_ANALYTICS_DB picks another file
    curl 'localhost:8000/patterns/375d8680-2360-5bbf-a42a-43b7a103a8d3/analytics?window=7d'
    curl 'localhost:8000/dashboard?window=30d'

Endpoints (windows: a number and a unit, `90m`, `24h`, `7d`, `4w`; they end now, to
the minute, or at `end`: ISO-8601, UTC without an offset; a date alone includes that
day, as the command's --end does):

- `GET /patterns/{pattern_id}/analytics?window=7d[&end=ISO]`: the pattern's analytics
  over the window, as JSON (`to_dict()`). A result already
  stored for that pattern and window, with the service's settings (its window type,
  DETAILED, UTC), is served from the store (the `pattern_analytics` table of the same
  file); otherwise the records are fetched from `pattern_executions`,
  reduced, stored and served. The `X-Analytics-From` header says which (`store` or
  `computed`). 404 for a pattern without records, 422 for a malformed window or a
  blank pattern id. The id may hold slashes (`/patterns/team/checkout/analytics`).
- `GET /dashboard?window=7d[&end=ISO]`: every pattern, worst first: executions, success
  rate, p95, trend and the worst health finding (the command line's dashboard as JSON).
  The patterns are reduced concurrently on one shared reducer and their results stored.

Everything is async: the SQLite source and store do their blocking work on worker
threads, and the reducer moves large inputs off the event loop.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query
from fastapi.responses import JSONResponse
from pydantic import BeforeValidator
from pydantic_core import to_jsonable_python
from usage_analytics import (
    AnalyticsGranularity,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    TimeWindowType,
)
from usage_analytics.cli.dates import date_alone, parse_end
from usage_analytics.dashboard import dashboard_document, dashboard_rows
from usage_analytics.sources import (
    Fetched,
    SourceError,
    SourceUnavailableError,
    SQLiteSource,
    UnknownPatternError,
)
from usage_analytics.store import SQLiteAnalyticsStore
from usage_analytics.window_bounds import numeric_window_bound

DATABASE = Path(os.environ.get("USAGE_ANALYTICS_DB", "usage-analytics-demo.sqlite"))
_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
          "w": timedelta(weeks=1)}  # fmt: skip
#: The window type that fits a window's length (it sets the trend bucket width).
_KINDS = [
    (timedelta(hours=1), TimeWindowType.HOURLY),
    (timedelta(days=1), TimeWindowType.DAILY),
    (timedelta(weeks=1), TimeWindowType.WEEKLY),
    (timedelta(days=31), TimeWindowType.MONTHLY),
    (timedelta(days=92), TimeWindowType.QUARTERLY),
    (timedelta(days=366), TimeWindowType.YEARLY),
]

Window = Annotated[str, Query(description="length of the window: 90m, 24h, 7d, 4w")]


def end_bound(value: Any) -> Any:
    """`end` as given, but a date alone as the end of that day (the next day's 00:00 UTC),
    as the command's --end reads one: it was that day's first instant, which left the
    day out of its window. A number is refused, as the library's window bounds refuse its
    text: FastAPI read `end=2026`, a year, as 2,026 seconds after the epoch, and analysed
    a week of 1969."""
    value = numeric_window_bound(value)
    if isinstance(value, str) and date_alone(value) is not None:
        return parse_end(value)
    return value


End = Annotated[
    datetime | None,
    Query(description="end of the window, ISO-8601; a date alone includes that day (default: now)"),
    BeforeValidator(end_bound),
]


def parse_window(text: str) -> timedelta:
    found = re.fullmatch(r"\s*(\d{1,6})\s*([mhdw])\s*", text)
    if found is None or int(found.group(1)) == 0:
        raise HTTPException(422, f"window must be a number and a unit (m, h, d, w), got {text!r}")
    return int(found.group(1)) * _UNITS[found.group(2)]


def window_kind(length: timedelta) -> TimeWindowType:
    return next((kind for limit, kind in _KINDS if length == limit), TimeWindowType.CUSTOM)


def create_app(
    database: Path = DATABASE,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FastAPI:
    """The service over the SQLite file `database`; `now` is the clock (for tests)."""
    app = FastAPI(title="usage-analytics example service")
    source = SQLiteSource(database)
    store = SQLiteAnalyticsStore(database)
    reducer = NodeUsageAnalyticsReducer()

    def bounds(window: str, end: datetime | None) -> tuple[datetime, datetime]:
        length = parse_window(window)
        if end is None:
            end = now().astimezone(UTC).replace(second=0, microsecond=0)
        elif end.tzinfo is None:
            end = end.replace(tzinfo=UTC)
        try:
            return (end - length).astimezone(UTC), end.astimezone(UTC)
        except OverflowError:  # (datetimes stop at the years 1 and 9999)
            raise HTTPException(
                422, f"a window of {window} ending {end.isoformat()} is out of range"
            ) from None

    async def analyse(
        fetched: Fetched, start: datetime, end: datetime
    ) -> ModelUsageAnalyticsOutput:
        return await reducer.execute_reduction(
            ModelUsageAnalyticsInput(
                pattern_id=fetched.pattern_id,
                time_window_start=start,
                time_window_end=end,
                time_window_type=window_kind(end - start),
                granularity=AnalyticsGranularity.DETAILED,
                execution_data=fetched.data,
                on_invalid="skip",  # a service reports bad records, it does not fail
            )
        )

    # (`:path`: a pattern id may hold a slash, "team/checkout", which the dashboard lists;
    # the router decodes %2F before matching, so without it no URL reached that pattern.)
    @app.get("/patterns/{pattern_id:path}/analytics")
    async def pattern_analytics(pattern_id: str, window: Window = "7d", end: End = None) -> Any:
        # Stripped, as the CLI's --pattern and the sources' ids are: " <uuid>" named the
        # pattern's records, but its result kept the padded text as its id, and was stored
        # under the UUID, where every later request was served it.
        pattern_id = pattern_id.strip()
        if not pattern_id:  # (the sources call blank ids no pattern: their records, a 500)
            raise HTTPException(422, "pattern_id must not be blank")
        start, stop = bounds(window, end)
        if not database.exists():  # (the store would create it, empty, to look)
            raise SourceUnavailableError(f"{database}: no such file")
        # Its own settings (`analyse`) selected: another program's newer result of the
        # window (the CLI's --tz, --window-type, a comprehensive report) hid its own.
        stored = await store.get(
            pattern_id,
            start,
            stop,
            window_type=window_kind(stop - start),
            granularity=AnalyticsGranularity.DETAILED,
            timezone="UTC",
        )
        if stored is not None:
            return JSONResponse(stored.to_dict(), headers={"X-Analytics-From": "store"})
        try:
            fetched = await source.fetch(pattern_id, start, stop)
        except UnknownPatternError as error:
            raise HTTPException(404, str(error)) from None
        result = await analyse(fetched, start, stop)
        await store.save(result)
        return JSONResponse(result.to_dict(), headers={"X-Analytics-From": "computed"})

    @app.get("/dashboard")
    async def dashboard(window: Window = "7d", end: End = None) -> Any:
        start, stop = bounds(window, end)
        groups = await source.fetch_all(start, stop)
        unattributed = await source.unattributed()
        results = await asyncio.gather(*(analyse(group, start, stop) for group in groups))
        await store.save_many(results)
        # The health rules of every pattern, on a worker thread: over thousands of
        # patterns they are a fraction of a second that the event loop would wait.
        patterns = await asyncio.to_thread(
            lambda: dashboard_document(dashboard_rows([(str(r.pattern_id), r) for r in results]))
        )
        return {
            # The bounds as the analytics' JSON writes them ("...Z"), and the command
            # line's dashboard: `isoformat` wrote "+00:00", another text of one window.
            "window": {"start": to_jsonable_python(start), "end": to_jsonable_python(stop)},
            "records_without_pattern_id": unattributed.count,
            "patterns": patterns,
        }

    @app.exception_handler(SourceUnavailableError)
    async def unavailable(request: Any, error: SourceUnavailableError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=503)

    @app.exception_handler(SourceError)
    async def unreadable(request: Any, error: SourceError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=500)

    return app


app = create_app()
