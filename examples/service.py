"""A web service over SQLite: the analytics of a pattern, and a dashboard, on request.

    pip install 'usage-analytics[service]'
    usage-analytics demo                       # writes usage-analytics-demo.sqlite here
    uvicorn --app-dir examples service:app     # USAGE_ANALYTICS_DB picks another file
    curl 'localhost:8000/patterns/code-review-assistant/analytics?window=7d'
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
- `POST /analytics`: the analytics of the records the body holds, which is the library's
  input contract as JSON (`pattern_id`, `time_window_start`, `time_window_end`,
  `execution_data`: a list of records, and any option); nothing is stored.
- `GET /health`: `{"status": "ok"}`, from the event loop (its latency is the loop's).

Every 200 has the schema the OpenAPI document states: a pattern's analytics are
`to_dict()`'s document (`AnalyticsDocument`: the library's output models, a number past
the largest double as null), the dashboard `DashboardDocument`. The service writes them
itself (a `JSONResponse` of `to_dict()`), not through FastAPI's validation of a
`response_model`: that about doubled the time of an answer of a long time series
(100,000 trend buckets: 4.5 s, against 2.4 s; BENCHMARKS.md, helper-237), and refused
the null of a number past the largest double (a 500). Tests check the two agree.

Every 422 has FastAPI's form (the OpenAPI schema's): a list of errors, each naming where
(`loc`: the query parameter, or the path to the value in the body), why (`msg`, the
library's words for its refusals) and the value given, as the request's JSON has it
(`input`; none for a missing field). The library's refusals of a body's records or
options (`InvalidRecordError`, a `UsageAnalyticsError` of no subclass) are 422s. What is
not the request's fault is not a 422 (the client need not change its request): memory
running short is a 503 with `Retry-After` (the library's `MemoryError`), the library's
own fault (`InternalError`), a missing optional dependency (`MissingDependencyError`),
any other error, and the library refusing the database's own records, are 500s; each
with a `Problem` body.

Everything is async: the SQLite source and store do their blocking work on worker
threads, and the reducer moves large inputs off the event loop. A client that
disconnects has its reductions cancelled (`unless_gone`). A JSON body is parsed on the
event loop, holding the GIL (a worker thread would hold it as long): a body of 100,000
records (15 MB) holds the loop for a few hundred milliseconds (BENCHMARKS.md,
helper-230); send more records in several requests.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar
from uuid import UUID

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, WithJsonSchema
from pydantic_core import to_jsonable_python
from usage_analytics import (
    AnalyticsGranularity,
    ContextDistribution,
    DataQuality,
    HealthFinding,
    InternalError,
    InvalidRecordError,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    NodeUsageAnalyticsReducer,
    PerformanceMetrics,
    SuccessMetrics,
    TimeWindowType,
    TrendAnalysis,
    UsageAnalyticsError,
    UsageFrequencyMetrics,
    UsageTrendType,
)
from usage_analytics.cli.dates import date_alone, parse_end
from usage_analytics.dashboard import dashboard_document, dashboard_rows
from usage_analytics.extras import MissingDependencyError
from usage_analytics.sources import (
    Fetched,
    SourceError,
    SourceUnavailableError,
    SQLiteSource,
    UnknownPatternError,
)
from usage_analytics.store import SQLiteAnalyticsStore
from usage_analytics.window_bounds import numeric_window_bound

T = TypeVar("T")
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

#: A window's text, as the OpenAPI schema states it and `parse_window` reads it: 1 to
#: 999,999 of a unit (leading zeros allowed), ASCII digits and blanks around. (A refusal
#: was an `HTTPException` whose `detail` was a string, where the schema FastAPI writes for a
#: 422 promises a list of errors, each naming its field: clients generated from the schema,
#: and schemathesis, read those 422s as the service breaking its own contract.)
WINDOW_PATTERN = r"^[ \t\n\r\f\v]*0*([1-9][0-9]{0,5})[ \t\n\r\f\v]*([mhdw])[ \t\n\r\f\v]*$"


def parse_window(text: str) -> timedelta:
    """A window's length; a ValueError for other text (FastAPI's 422 naming `window`)."""
    found = re.fullmatch(WINDOW_PATTERN, text)
    if found is None:
        raise ValueError(f"window must be a number and a unit (m, h, d, w), got {text!r}")
    return int(found.group(1)) * _UNITS[found.group(2)]


def _window_text(text: str) -> str:
    parse_window(text)
    return text


Window = Annotated[
    str,
    Query(description="length of the window: 90m, 24h, 7d, 4w"),
    AfterValidator(_window_text),
    WithJsonSchema({"type": "string", "pattern": WINDOW_PATTERN}),
]


def pattern_id_text(text: str) -> str:
    """The id stripped, as the CLI's --pattern and the sources' ids are (" <uuid>" named
    the pattern's records, but its result kept the padded text as its id, and was stored
    under the UUID, where every later request was served it); a blank one refused (the
    sources call blank ids no pattern: their records, then a 500)."""
    if not text.strip():
        raise ValueError("pattern_id must not be blank")
    return text.strip()


PatternId = Annotated[str, AfterValidator(pattern_id_text)]


def refusal(field: str, value: Any, message: str) -> RequestValidationError:
    """A 422 as FastAPI's own are (its OpenAPI schema's): a list of errors naming the
    query parameter `field`, the value given and why."""
    error = {"type": "value_error", "loc": ("query", field), "msg": message, "input": value}
    return RequestValidationError([error])


def refusal_document(error: RequestValidationError) -> list[dict[str, Any]]:
    """FastAPI's 422 body, but JSON whatever the values refused, and short:

    - Python's JSON reader takes NaN and Infinity, which FastAPI then wrote back in the
      error's `input` with a JSON writer that refuses them: a 500 (`"execution_data":
      NaN`, a threshold of NaN, a window bound of Infinity). They are the strings
      pydantic's JSON writes for them here (as the library's outputs do).
    - A missing field's `input` was the object lacking it, the whole body for a field of
      the contract: 14 MB written back for a body of 100,000 records without its
      `pattern_id`. It is left out (`loc` names the field), and a list longer than
      `SHOWN_ITEMS` in an input is shown as its first items and how many there are.
    - An error's cause (`ctx`) is its message, where FastAPI wrote an empty object.
    """
    errors = []
    for item in error.errors():
        item = dict(item)
        if item.get("type") == "missing":
            item.pop("input", None)
        errors.append(jsonable_encoder(_shown(item), custom_encoder={Exception: str}))
    return errors


#: The items of a list that a 422's `input` shows (then "... (N items in all)").
SHOWN_ITEMS = 3


def _shown(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list):
        shown = [_shown(item) for item in value[:SHOWN_ITEMS]]
        return shown if len(value) <= SHOWN_ITEMS else [*shown, f"... ({len(value):,} in all)"]
    return value


class ClientGone(Exception):
    """The client disconnected before its answer was ready (`unless_gone`)."""


async def unless_gone(request: Request, work: Awaitable[T]) -> T:
    """`work`'s result, but `work` cancelled, and `ClientGone` raised, as soon as the
    client disconnects. ASGI servers do not cancel a request's task when its client goes
    (uvicorn tells the app only through `receive`): a client that gave up on a reduction
    of a million trend buckets left it burning a core for its whole length, then its
    answer was thrown away. Cancelled, the library's reduction stops at its next chunk
    (`NodeUsageAnalyticsReducer`: a worker thread's; a small input's, run inline, is
    over before anyone could leave)."""
    task = asyncio.ensure_future(work)
    gone = asyncio.Event()

    async def watch() -> None:
        # (The body is read already: what comes next is the end of the client.)
        try:
            while (await request.receive())["type"] != "http.disconnect":
                pass
        except Exception:  # (a server that cannot tell: the work goes on to its end)
            return
        gone.set()
        task.cancel()

    watcher = asyncio.ensure_future(watch())
    try:
        return await task
    except asyncio.CancelledError:
        if gone.is_set():
            raise ClientGone from None
        raise  # (the request's own task cancelled: the server stopping)
    finally:
        watcher.cancel()


def record_refusal(error: InvalidRecordError, records: Any) -> RequestValidationError:
    """The library's refusal of a record as a 422 of FastAPI's form: `loc` the path to
    the value in the body, `msg` the library's message (record, field, value, reason,
    and how many more are bad), `input` the value as the client sent it (`sent_value`),
    left out where the record lacks the field, as FastAPI leaves out a missing field's."""
    loc, found, value = sent_value(records, error.index, error.field)
    refused: dict[str, Any] = {"type": "invalid_record", "loc": loc, "msg": str(error)}
    if found:
        refused["input"] = value
    return RequestValidationError([refused])


def sent_value(records: Any, index: int, field: str) -> tuple[tuple[Any, ...], bool, Any]:
    """Where the refused value is in the body's `execution_data` (`loc`), whether it is
    there, and the value: as JSON gave it, so a client reads back the 422's `input` as
    the value it sent. (It was the library's repr of the value: "'yesterday'" in quotes
    for the string yesterday, "-1" for the number, "{'a': 1}" for an object, "<missing>"
    for none.) A list of records is `[index][field]`, a dict of columns
    `[field][index]`; a record that is not an object is itself the value."""
    body = ("body", "execution_data")
    if isinstance(records, dict):
        column = records.get(field)
        if isinstance(column, list) and 0 <= index < len(column):
            return (*body, field, index), True, column[index]
        return (*body, field, index), False, None
    record = records[index] if isinstance(records, list) and 0 <= index < len(records) else None
    if not isinstance(record, dict):  # (`[5]`: the library's field is "record")
        return (*body, index), isinstance(records, list), record
    return (*body, index, field), field in record, record.get(field)


#: A date-time whose offset's "+" a URL's query turned into a space ("...12:00:00 05:30").
_SPACED_OFFSET = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(:\d\d(\.\d+)?)? \d\d(:?\d\d)?")


def end_bound(value: Any) -> Any:
    """`end` as given, but a date alone as the end of that day (the next day's 00:00 UTC),
    as the command's --end reads one: it was that day's first instant, which left the
    day out of its window. A number is refused, as the library's window bounds refuse its
    text: FastAPI read `end=2026`, a year, as 2,026 seconds after the epoch, and analysed
    a week of 1969."""
    value = numeric_window_bound(value)
    if isinstance(value, str) and _SPACED_OFFSET.fullmatch(value):
        # (pydantic said "unexpected extra characters at the end of the input".)
        raise ValueError(
            f"{value!r} ends in a space and an offset: a '+' in a URL's query string is a "
            "space; write it as %2B (end=2026-03-01T12:00:00%2B05:30)"
        )
    if isinstance(value, str) and date_alone(value) is not None:
        return parse_end(value)
    return value


End = Annotated[
    datetime | None,
    Query(description="end of the window, ISO-8601; a date alone includes that day (default: now)"),
    BeforeValidator(end_bound),
    # (A date alone is taken too, which the schema of a datetime did not say.)
    WithJsonSchema({"anyOf": [{"type": "string", "format": f} for f in ("date-time", "date")]}),
]


class Problem(BaseModel):
    """The body of a 404, 500 or 503: what went wrong, in the library's words."""

    detail: str


#: A 503's `Retry-After` (seconds) when memory ran short: other requests' reductions
#: hold it, and free it when they end (a reduction takes seconds at most).
RETRY_AFTER_SECONDS = 5

#: The answers other than 200 and 422 that every endpoint reducing records may give, for
#: the OpenAPI schema (clients did not expect what it did not list).
FAILURE_ANSWERS: dict[int | str, dict[str, Any]] = {
    500: {
        "model": Problem,
        "description": "the service's own failure (the library's `InternalError`, a missing "
        "optional dependency, any other error)",
    },
    503: {
        "model": Problem,
        "description": "memory ran short (with Retry-After): the same request may succeed later",
        "headers": {
            "Retry-After": {
                "description": "seconds to wait before asking again (when memory ran short)",
                "schema": {"type": "integer"},
            }
        },
    },
}

#: The endpoints reading the database add its failures to those answers.
SOURCE_ANSWERS: dict[int | str, dict[str, Any]] = {
    500: {
        "model": Problem,
        "description": f"{FAILURE_ANSWERS[500]['description']}, or the database could not be "
        "read, or the library refused its records",
    },
    503: {
        **FAILURE_ANSWERS[503],
        "description": "the database file is missing, or memory ran short (with Retry-After)",
    },
}


class TimeWindowDocument(BaseModel):
    """`to_dict()`'s `time_window`."""

    start: datetime
    end: datetime
    type: TimeWindowType
    granularity: AnalyticsGranularity
    timezone: str


class SummaryDocument(BaseModel):
    """`to_dict()`'s `summary`."""

    total_data_points: int
    analytics_quality_score: float
    computation_time_ms: float
    computed_at: datetime


class AnalyticsDocument(BaseModel):
    """A pattern's analytics as the service writes them (`ModelUsageAnalyticsOutput.
    to_dict()`): the library's output models, grouped. Its schema is the 200's in the
    OpenAPI document; the service does not validate its answers through it (see the
    module's docstring)."""

    pattern_id: UUID | str
    correlation_id: UUID
    time_window: TimeWindowDocument
    usage_metrics: UsageFrequencyMetrics
    success_metrics: SuccessMetrics
    performance_metrics: PerformanceMetrics | None
    trend_analysis: TrendAnalysis | None
    context_distribution: ContextDistribution | None
    summary: SummaryDocument
    data_quality: DataQuality


class DashboardWindow(BaseModel):
    start: datetime
    end: datetime


class DashboardPattern(BaseModel):
    """A pattern's row of the dashboard (`dashboard.dashboard_document`)."""

    name: str
    pattern_id: str
    total_executions: int
    invalid_records: int
    success_rate: float | None = Field(description="null without runs")
    p95_execution_time_ms: float | None = Field(description="null without timed runs")
    trend_type: UsageTrendType | None
    worst_finding: HealthFinding | None
    findings: int = Field(description="how many health findings the pattern has")


class DashboardDocument(BaseModel):
    window: DashboardWindow
    records_without_pattern_id: int
    patterns: list[DashboardPattern] = Field(description="worst first")


#: The JSON schema the library's models give a number that can pass the largest double
#: (`contracts.OverflowingFloat`: "Infinity" in their own JSON), and what `to_dict()` and
#: the dashboard write for one instead: null (`contracts.json_safe`).
_OVERFLOWING = [{"type": "number"}, {"enum": ["Infinity", "-Infinity", "NaN"]}]
_AS_WRITTEN = [{"type": "number"}, {"type": "null"}]


def _numbers_as_written(schema: Any) -> Any:
    """`schema` with each number that can pass the largest double stated as the service
    writes it (null past it), not as the library's models' own JSON does."""
    if isinstance(schema, dict):
        if schema.get("anyOf") == _OVERFLOWING:
            return {**schema, "anyOf": _AS_WRITTEN}
        return {key: _numbers_as_written(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_numbers_as_written(item) for item in schema]
    return schema


def window_kind(length: timedelta) -> TimeWindowType:
    return next((kind for limit, kind in _KINDS if length == limit), TimeWindowType.CUSTOM)


def create_app(
    database: Path = DATABASE,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FastAPI:
    """The service over the SQLite file `database`; `now` is the clock (for tests)."""
    app = FastAPI(title="usage-analytics example service")

    def openapi() -> dict[str, Any]:
        # (FastAPI's, made once as its own is, with the numbers as the service writes them.)
        if app.openapi_schema is None:
            app.openapi_schema = _numbers_as_written(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    source = SQLiteSource(database)
    store = SQLiteAnalyticsStore(database)
    reducer = NodeUsageAnalyticsReducer()

    def bounds(window: str, given: datetime | None) -> tuple[datetime, datetime]:
        length, end = parse_window(window), given
        if end is None:
            end = now().astimezone(UTC).replace(second=0, microsecond=0)
        elif end.tzinfo is None:
            end = end.replace(tzinfo=UTC)
        try:
            return (end - length).astimezone(UTC), end.astimezone(UTC)
        except OverflowError:  # (datetimes stop at the years 1 and 9999)
            field, value = ("window", window) if given is None else ("end", given)
            message = f"a window of {window!r} ending {end.isoformat()} is out of range"
            raise refusal(field, value, message) from None

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
    @app.get(
        "/patterns/{pattern_id:path}/analytics",
        response_model=AnalyticsDocument,
        responses={**SOURCE_ANSWERS, 404: {"model": Problem, "description": "no such pattern"}},
    )
    async def pattern_analytics(
        pattern_id: PatternId, request: Request, window: Window = "7d", end: End = None
    ) -> Any:
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
        result = await unless_gone(request, analyse(fetched, start, stop))
        await store.save(result)
        return JSONResponse(result.to_dict(), headers={"X-Analytics-From": "computed"})

    @app.get("/dashboard", response_model=DashboardDocument, responses=SOURCE_ANSWERS)
    async def dashboard(request: Request, window: Window = "7d", end: End = None) -> Any:
        start, stop = bounds(window, end)
        groups = await source.fetch_all(start, stop)
        unattributed = await source.unattributed()
        analyses = asyncio.gather(*(analyse(group, start, stop) for group in groups))
        results = await unless_gone(request, analyses)
        await store.save_many(results)
        # The health rules of every pattern, on a worker thread: over thousands of
        # patterns they are a fraction of a second that the event loop would wait.
        patterns = await asyncio.to_thread(
            lambda: dashboard_document(dashboard_rows([(str(r.pattern_id), r) for r in results]))
        )
        return JSONResponse(
            {
                # The bounds as the analytics' JSON writes them ("...Z"), and the command
                # line's dashboard: `isoformat` wrote "+00:00", another text of one window.
                "window": {"start": to_jsonable_python(start), "end": to_jsonable_python(stop)},
                "records_without_pattern_id": unattributed.count,
                "patterns": patterns,
            }
        )

    # (FastAPI's 400 for a body that is not UTF-8 text: "There was an error parsing the
    # body"; JSON that is not valid is a 422 naming where.)
    @app.post(
        "/analytics",
        response_model=AnalyticsDocument,
        responses={
            **FAILURE_ANSWERS,
            400: {"model": Problem, "description": "the body is not UTF-8 text"},
        },
    )
    async def analytics_of_records(contract: ModelUsageAnalyticsInput, request: Request) -> Any:
        """The analytics of the records the body holds: the library's input contract as
        JSON (`execution_data` a list of records). A bad record is a 422 naming it, its
        field, its value and why (`on_invalid="skip"` in the body reports it instead)."""
        try:
            result = await unless_gone(request, reducer.execute_reduction(contract))
        except InvalidRecordError as error:
            raise record_refusal(error, contract.execution_data) from None
        except (InternalError, MissingDependencyError):
            raise  # (the service's failures, not the request's: 500s)
        except UsageAnalyticsError as error:  # (a refusal of the request, in its words)
            # (No `input`: the body as a whole, which it was null for, no value sent.)
            raise RequestValidationError(
                [{"type": "value_error", "loc": ("body",), "msg": str(error)}]
            ) from None
        return JSONResponse(result.to_dict())

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Answered on the event loop: slow while a reduction holds the loop."""
        return {"status": "ok"}

    @app.exception_handler(RequestValidationError)
    async def refused(request: Any, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": refusal_document(error)}, status_code=422)

    @app.exception_handler(ClientGone)
    async def gone(request: Any, error: ClientGone) -> Response:
        return Response(status_code=499)  # (nginx's "client closed request": nobody reads it)

    @app.exception_handler(SourceUnavailableError)
    async def unavailable(request: Any, error: SourceUnavailableError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=503)

    @app.exception_handler(SourceError)
    async def unreadable(request: Any, error: SourceError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=500)

    # (Found by the error's class and its bases in turn, the nearest first: the handlers
    # above take the sources' errors, `SourceError` being a `UsageAnalyticsError`.)
    @app.exception_handler(UsageAnalyticsError)
    async def failed(request: Any, error: UsageAnalyticsError) -> JSONResponse:
        # The library's own fault, a missing dependency, or a refusal of the database's
        # records (which the client did not send; `POST /analytics` makes a refusal of
        # its body a 422 first).
        return JSONResponse({"detail": str(error)}, status_code=500)

    @app.exception_handler(MemoryError)
    async def short_of_memory(request: Any, error: MemoryError) -> JSONResponse:
        # (The library raises Python's `MemoryError` where memory runs short, in its core
        # or reading a file; the request may succeed once other reductions end.)
        detail = str(error) or "out of memory"
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        return JSONResponse({"detail": detail}, status_code=503, headers=headers)

    @app.exception_handler(Exception)
    async def broken(request: Any, error: Exception) -> JSONResponse:
        # Starlette's own answer was a text/plain "Internal Server Error", not the schema's
        # `Problem`. The error's words stay in the server's log (Starlette logs it, and
        # raises it again for the server to), not in the answer: they may name its insides.
        return JSONResponse({"detail": "internal server error"}, status_code=500)

    return app


app = create_app()
