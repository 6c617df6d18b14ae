"""A realistic, deterministic demo data set: a month of executions of six patterns.

    records = generate_demo_records(datetime.now(UTC), seed=7)   # {name: [record, ...]}

Each pattern tells a different story over the 30 days up to `now`, and the reducer
classifies each as its `expected_trend` (checked by `tests/test_demo_data.py` over many
seeds):

- code-review-assistant    growing: usage climbs from ~6 to ~50 a day, new teams adopt it
- unit-test-generator      stable: steady, busy, healthy
- ci-failure-triage        stable but unhealthy: ~20 % of runs fail, slow, timeouts
- legacy-lint-fixer        declining: fewer runs and more failures every week
- schema-migration-helper  emerging: a handful of runs in the last few days
- xml-config-converter     abandoned: used in the first ten days only

Timestamps follow a working rhythm (busy 9-18 UTC, quiet nights, a quarter of the load
at weekends); execution times are log-normal with occasional outliers, some of which hit
the pattern's timeout. Every record also carries its pattern's `pattern_id` (a stable
UUID, the same for every seed), so the records of all patterns can be written to one file
and analysed with `usage-analytics analyze FILE --pattern ID`. (The `usage-analytics
demo` command writes the names as the ids instead, the ones its table shows.)

The generator uses its own `random.Random`, seeded from `seed` and the pattern name, so
the data depend only on `(now, seed)`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from usage_analytics.contracts import UsageTrendType

__all__ = [
    "DEFAULT_SEED",
    "DEMO_PATTERNS",
    "DEMO_WINDOW",
    "DemoPattern",
    "generate_demo_records",
]


#: The window the demo data cover: the 30 days up to `now`.
DEMO_WINDOW = timedelta(days=30)
DEFAULT_SEED = 7

_NAMESPACE = UUID("5b1f0e62-3c4d-4e8a-9a51-7d0c2f6b8e10")

#: Relative load per UTC hour: quiet nights, a lunch dip, a long tail into the evening.
_HOUR_WEIGHTS = (
    0.04, 0.03, 0.03, 0.03, 0.04, 0.06, 0.12, 0.30,
    0.70, 1.00, 1.00, 0.95, 0.60, 0.90, 1.00, 1.00,
    0.95, 0.80, 0.55, 0.35, 0.22, 0.15, 0.10, 0.06,
)  # fmt: skip
#: Relative load per weekday (0 = Monday).
_WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 0.95, 0.85, 0.25, 0.2)


@dataclass(frozen=True)
class DemoPattern:
    """A demo pattern: its readable name, stable id, and the trend its data show."""

    name: str
    pattern_id: UUID
    expected_trend: UsageTrendType
    description: str


@dataclass(frozen=True)
class _Profile:
    """How one pattern's records are drawn."""

    pattern: DemoPattern
    #: Expected runs on a busy weekday, as a function of the window fraction (0 = start).
    daily_rate: Callable[[float], float]
    #: Error rate as a function of the window fraction.
    error_rate: Callable[[float], float]
    median_ms: float
    sigma: float
    outlier_probability: float
    timeout_ms: float
    quality: float
    contexts: dict[str, float]
    #: Agents in order of adoption; `agents_at(f)` of them are active at fraction f.
    agents: tuple[str, ...]
    agents_at: Callable[[float], int]
    projects: dict[str, float]
    files: tuple[str, ...]
    #: A fixed number of runs spread over the last `fixed_days` days (emerging patterns).
    fixed_count: int = 0
    fixed_days: float = 0.0


def _pattern(name: str, trend: UsageTrendType, description: str) -> DemoPattern:
    return DemoPattern(name, uuid5(_NAMESPACE, name), trend, description)


_AGENTS = (
    "alice",
    "bob",
    "carol",
    "dmitri",
    "erin",
    "farah",
    "gustavo",
    "hana",
    "ines",
    "jamal",
    "kenji",
    "lena",
    "mateo",
    "nadia",
)

_PROFILES: tuple[_Profile, ...] = (
    _Profile(
        pattern=_pattern(
            "code-review-assistant",
            UsageTrendType.GROWING,
            "usage climbs from ~6 to ~50 runs a day as new teams adopt it",
        ),
        daily_rate=lambda f: 6.0 + 44.0 * f,
        error_rate=lambda f: 0.04,
        median_ms=850.0,
        sigma=0.55,
        outlier_probability=0.02,
        timeout_ms=30_000.0,
        quality=0.86,
        contexts={"code_review": 6.0, "refactoring": 1.5, "debugging": 1.0, "security": 0.5},
        agents=_AGENTS[:12],
        agents_at=lambda f: 3 + round(9 * f),
        projects={"checkout-service": 4.0, "web-frontend": 3.0, "payments-api": 2.0, "infra": 1.0},
        files=(
            "src/checkout/cart.py",
            "src/checkout/pricing.py",
            "services/payments/api/handlers.go",
            "services/payments/api/ledger.go",
            "web/src/components/CartSummary.tsx",
            "web/src/hooks/useCheckout.ts",
            "web/src/pages/index.tsx",
            "infra/terraform/main.tf",
            "docs/architecture.md",
        ),
    ),
    _Profile(
        pattern=_pattern(
            "unit-test-generator",
            UsageTrendType.STABLE,
            "steady, busy and healthy",
        ),
        daily_rate=lambda f: 32.0,
        error_rate=lambda f: 0.03,
        median_ms=1_400.0,
        sigma=0.45,
        outlier_probability=0.015,
        timeout_ms=45_000.0,
        quality=0.9,
        contexts={"testing": 8.0, "refactoring": 1.0, "debugging": 1.0},
        agents=_AGENTS[2:10],
        agents_at=lambda f: 8,
        projects={"payments-api": 3.0, "checkout-service": 3.0, "data-pipeline": 2.0},
        files=(
            "tests/test_pricing.py",
            "tests/test_cart.py",
            "services/payments/api/ledger_test.go",
            "pipeline/src/transform.rs",
            "pipeline/src/schema.rs",
            "web/src/hooks/useCheckout.test.ts",
            "src/main/java/com/acme/billing/Invoice.java",
        ),
    ),
    _Profile(
        pattern=_pattern(
            "ci-failure-triage",
            UsageTrendType.STABLE,
            "steady use, but ~20 % of runs fail, many of them on the 20 s timeout",
        ),
        daily_rate=lambda f: 18.0,
        error_rate=lambda f: 0.15,
        median_ms=4_200.0,
        sigma=0.8,
        outlier_probability=0.05,
        timeout_ms=20_000.0,
        quality=0.71,
        contexts={"debugging": 5.0, "ci_pipeline": 4.0, "testing": 1.5},
        agents=("ci-bot", "release-bot", "bob", "erin", "kenji"),
        agents_at=lambda f: 5,
        projects={"infra": 3.0, "data-pipeline": 2.0, "web-frontend": 1.0},
        files=(
            ".github/workflows/ci.yml",
            ".github/workflows/release.yaml",
            "Makefile",
            "Dockerfile",
            "infra/helm/values.yaml",
            "scripts/run_tests.sh",
            "pipeline/build.gradle.kts",
        ),
    ),
    _Profile(
        pattern=_pattern(
            "legacy-lint-fixer",
            UsageTrendType.DECLINING,
            "fewer runs and more failures every week as teams move to the new linter",
        ),
        daily_rate=lambda f: 46.0 - 42.0 * f,
        error_rate=lambda f: 0.05 + 0.12 * f,
        median_ms=600.0,
        sigma=0.5,
        outlier_probability=0.02,
        timeout_ms=15_000.0,
        quality=0.78,
        contexts={"refactoring": 5.0, "code_review": 2.0, "code_style": 2.0},
        agents=_AGENTS[:10],
        agents_at=lambda f: 10 - round(7 * f),
        projects={"legacy-monolith": 6.0, "checkout-service": 2.0, "web-frontend": 1.0},
        files=(
            "legacy/app/models/order.rb",
            "legacy/app/controllers/orders_controller.rb",
            "legacy/lib/tasks/cleanup.rake",
            "legacy/public/js/app.js",
            "legacy/public/css/site.css",
            "src/checkout/cart.py",
            "web/src/legacy/Widget.jsx",
        ),
    ),
    _Profile(
        pattern=_pattern(
            "schema-migration-helper",
            UsageTrendType.EMERGING,
            "new: a handful of runs in the last few days",
        ),
        daily_rate=lambda f: 0.0,
        error_rate=lambda f: 0.1,
        median_ms=2_300.0,
        sigma=0.4,
        outlier_probability=0.0,
        timeout_ms=60_000.0,
        quality=0.82,
        contexts={"database": 3.0, "refactoring": 1.0},
        agents=("farah", "jamal", "lena"),
        agents_at=lambda f: 3,
        projects={"data-pipeline": 2.0, "payments-api": 1.0},
        files=(
            "migrations/0042_add_ledger_index.sql",
            "migrations/0043_split_customer_name.sql",
            "pipeline/src/schema.rs",
            "db/schema.prisma",
        ),
        fixed_count=7,
        fixed_days=4.0,
    ),
    _Profile(
        pattern=_pattern(
            "xml-config-converter",
            UsageTrendType.ABANDONED,
            "used in the first ten days of the month only, then never again",
        ),
        daily_rate=lambda f: 6.0 if f < 1.0 / 3.0 else 0.0,
        error_rate=lambda f: 0.08,
        median_ms=320.0,
        sigma=0.35,
        outlier_probability=0.01,
        timeout_ms=10_000.0,
        quality=0.8,
        contexts={"configuration": 4.0, "refactoring": 1.0},
        agents=("dmitri", "hana", "mateo"),
        agents_at=lambda f: 3,
        projects={"legacy-monolith": 3.0, "infra": 1.0},
        files=(
            "config/app.xml",
            "config/logging.xml",
            "infra/config/settings.yaml",
            "infra/config/feature_flags.json",
            "config/.env",
        ),
    ),
)

#: The demo patterns, in a fixed order.
DEMO_PATTERNS: tuple[DemoPattern, ...] = tuple(profile.pattern for profile in _PROFILES)


def generate_demo_records(
    now: datetime, seed: int = DEFAULT_SEED
) -> dict[str, list[dict[str, Any]]]:
    """The demo records of every pattern over the 30 days up to `now` (naive = UTC).

    Returns `{pattern name: records}` in `DEMO_PATTERNS` order; each pattern's records
    are sorted by time and lie in `[now - DEMO_WINDOW, now]`. Deterministic in
    `(now, seed)`.
    """
    end = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    start = end - DEMO_WINDOW
    return {
        profile.pattern.name: _generate(
            profile,
            start,
            end,
            random.Random(f"usage-analytics-demo:{seed}:{profile.pattern.name}"),
        )
        for profile in _PROFILES
    }


def _generate(
    profile: _Profile, start: datetime, end: datetime, rng: random.Random
) -> list[dict[str, Any]]:
    timestamps = (
        _recent_timestamps(profile, end, rng)
        if profile.fixed_count
        else _cyclic_timestamps(profile, start, end, rng)
    )
    window = (end - start).total_seconds()
    return [
        _record(profile, timestamp, (timestamp - start).total_seconds() / window, rng)
        for timestamp in sorted(timestamps)
    ]


def _cyclic_timestamps(
    profile: _Profile, start: datetime, end: datetime, rng: random.Random
) -> list[datetime]:
    """Poisson counts per calendar day (rate x weekday load), hours by the daily cycle."""
    window = (end - start).total_seconds()
    timestamps: list[datetime] = []
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    while day <= end:
        midday = day + timedelta(hours=12)
        fraction = min(max((midday - start).total_seconds() / window, 0.0), 1.0)
        expected = profile.daily_rate(fraction) * _WEEKDAY_WEIGHTS[day.weekday()]
        for _ in range(_poisson(expected, rng)):
            hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
            timestamp = day + timedelta(hours=hour, seconds=rng.uniform(0.0, 3600.0))
            if start <= timestamp <= end:
                timestamps.append(timestamp)
        if day.date() == date.max:  # (its next day is past the dates Python holds)
            break
        day += timedelta(days=1)
    return timestamps


def _recent_timestamps(profile: _Profile, end: datetime, rng: random.Random) -> list[datetime]:
    """`fixed_count` runs in the last `fixed_days` days, during working hours."""
    timestamps: list[datetime] = []
    while len(timestamps) < profile.fixed_count:
        candidate = end - timedelta(days=rng.uniform(0.0, profile.fixed_days))
        if rng.random() < _HOUR_WEIGHTS[candidate.hour] * _WEEKDAY_WEIGHTS[candidate.weekday()]:
            timestamps.append(candidate)
    return timestamps


def _poisson(mean: float, rng: random.Random) -> int:
    """A Poisson draw: Knuth's product method for small means, normal above 30."""
    if mean <= 0.0:
        return 0
    if mean > 30.0:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _weighted(options: dict[str, float], rng: random.Random) -> str:
    return rng.choices(list(options), weights=list(options.values()))[0]


def _record(
    profile: _Profile, timestamp: datetime, fraction: float, rng: random.Random
) -> dict[str, Any]:
    duration = rng.lognormvariate(math.log(profile.median_ms), profile.sigma)
    if rng.random() < profile.outlier_probability:
        duration *= rng.uniform(4.0, 15.0)
    timeout = duration >= profile.timeout_ms
    success = not timeout and rng.random() >= profile.error_rate(fraction)
    if timeout:
        duration = profile.timeout_ms

    if success:
        score = profile.quality + rng.gauss(0.0, 0.07)
    else:
        score = profile.quality - 0.3 + rng.gauss(0.0, 0.12)
    score = min(max(score, 0.0), 1.0)
    gates_passed = score >= 0.6 or rng.random() < 0.4

    active = max(1, min(len(profile.agents), profile.agents_at(fraction)))
    # Earlier adopters run it more often (a Zipf-like share).
    agent = rng.choices(profile.agents[:active], weights=[1.0 / (i + 1) for i in range(active)])[0]

    record: dict[str, Any] = {
        "pattern_id": str(profile.pattern.pattern_id),
        "timestamp": timestamp,
        "success": success,
        "quality_gates_passed": gates_passed,
        "timeout": timeout,
        "context_type": _weighted(profile.contexts, rng),
        "agent": agent,
        "project": _weighted(profile.projects, rng),
        "file_path": rng.choice(profile.files),
    }
    # Runs that crash early record no time; a few scorers are down now and then.
    if success or rng.random() < 0.8:
        record["execution_time_ms"] = round(duration, 1)
    if rng.random() >= 0.03:
        record["quality_score"] = round(score, 3)
    return record
