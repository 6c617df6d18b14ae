"""examples/service.py fuzzed through its own OpenAPI schema (schemathesis, in-process
over ASGI): requests the schema allows, and requests it forbids, get no 5xx, answers of
the statuses and shapes the schema states, and 4xx for what it forbids. A short run,
derandomized so that it is the same run each time; `schemathesis run` against the
service under uvicorn explores further (BENCHMARKS.md, helper-230, has the command)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from example_scripts import EXAMPLES, load_script
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance
from source_cases import NOW, PATTERN_IDS, demo_rows
from usage_analytics.sources.sqlite_table import write_executions_sync

# (Made at import: schemathesis's fixture-made schemas fail on pytest 9, "'Function'
# object has no attribute '_nodeid'". Removed when the interpreter exits.)
_DIRECTORY = tempfile.TemporaryDirectory(prefix="fuzzed-service-")
_DATABASE = Path(_DIRECTORY.name) / "usage.sqlite"
write_executions_sync(_DATABASE, demo_rows())
_SERVICE = load_script("example_service", EXAMPLES / "service.py")
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", _SERVICE.create_app(_DATABASE, now=lambda: NOW)
)


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any] | None) -> Any:
    # Half the pattern ids the demo's (a generated one names no pattern: a 404, before
    # anything else is tried).
    if not path_parameters or "pattern_id" not in path_parameters:
        return st.just(path_parameters)
    known = st.sampled_from(PATTERN_IDS).map(lambda pid: {**path_parameters, "pattern_id": pid})
    return st.just(path_parameters) | known


@schema.parametrize()
@settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_service_keeps_its_schema(case: Any) -> None:
    response = case.call()
    # (A window the schema allows can still pass the years 1 to 9999 from its end: a 422
    # naming it, which a schema cannot state; everything else a GET's schema allows is
    # taken. A POST's body is the library's contract, whose schema cannot state its rules
    # across fields, nor a record's, which are JSON of any shape: its 422s are checked for
    # their form, as every answer is.)
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
    positive = not case.meta.generation.mode.is_negative
    if positive and case.method == "GET" and response.status_code == 422:
        [error] = response.json()["detail"]
        assert "is out of range" in error["msg"], response.text
