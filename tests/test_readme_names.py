"""The library's names that README.md's and examples/README.md's prose gives (in
`backticks`) are ones a reader can import, as the docs say where: a dotted path
(`usage_analytics.html_report.render_html`) resolves, a class the package keeps in a
module of its own rather than at its top (`SourceError`, in `usage_analytics.sources`)
is named once with that module, and a reducer method named (`execute_reduction_sync`)
is the reducer's.

(A service owner told that `SourceError` names a setup's fault tried
`from usage_analytics.errors import SourceError`, the module the README named beside it:
an ImportError.) The code blocks themselves run in `test_readme`.
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType
from typing import get_args

import pytest
import usage_analytics
from markdown_blocks import ROOT
from pydantic import BaseModel
from usage_analytics import ModelUsageAnalyticsOutput, NodeUsageAnalyticsReducer

DOCUMENTS = [ROOT / "README.md", ROOT / "examples" / "README.md"]
TEXT = "\n".join(path.read_text(encoding="utf-8") for path in DOCUMENTS)
#: The leading name of each `backticked` span: `FileSource(path, ...)` -> FileSource.
SPANS = [m[1] for m in re.finditer(r"`([A-Za-z_][\w.]*)[^`\n]*`", TEXT)]

#: The package's modules whose names the docs give a reader to import.
PUBLIC_MODULES = [
    "usage_analytics.errors",
    "usage_analytics.extras",
    "usage_analytics.sources",
    "usage_analytics.store",
    "usage_analytics.dask",
    "usage_analytics.html_report",
    "usage_analytics.health",
]


def resolve(path: str) -> object:
    """The object at a dotted path: its longest importable module, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for part in parts[cut:]:
            found = getattr(found, part)
        return found
    raise ModuleNotFoundError(path)


DOTTED = sorted({span.rstrip(".") for span in SPANS if span.startswith("usage_analytics.")})


def test_the_docs_name_dotted_paths() -> None:
    # (A pattern that stopped matching would check nothing.)
    assert "usage_analytics.html_report.render_html" in DOTTED


@pytest.mark.parametrize("path", DOTTED)
def test_each_dotted_path_the_docs_give_resolves(path: str) -> None:
    try:
        resolve(path)
    except (ImportError, AttributeError) as error:
        pytest.fail(f"the docs name `{path}`, which does not resolve: {error}")


def modules_defining(name: str) -> list[ModuleType]:
    modules = [importlib.import_module(module) for module in PUBLIC_MODULES]
    return [module for module in modules if isinstance(getattr(module, name, None), type)]


def test_a_class_kept_in_a_module_is_named_with_it_once() -> None:
    named = {span.split(".")[0] for span in SPANS if span[:1].isupper()}
    unplaced = []
    for name in sorted(named):
        if hasattr(usage_analytics, name):
            continue  # (`from usage_analytics import Name`)
        homes = [module.__name__ for module in modules_defining(name)]
        if homes and not any(f"{home}.{name}" in TEXT for home in homes):
            unplaced.append(f"{name} (in {' or '.join(homes)})")
    assert unplaced == [], "named but never with the module to import it from"


def test_the_reducer_methods_named_are_the_reducers() -> None:
    methods = {span.split(".")[-1] for span in SPANS if re.search(r"(^|\.)execute_\w+$", span)}
    assert "execute_reduction_sync" in methods  # (how a script without a loop calls it)
    assert [m for m in sorted(methods) if not hasattr(NodeUsageAnalyticsReducer, m)] == []


def test_the_families_tables_names_are_the_outputs() -> None:
    # (`unique_users` counts agents: the table gives the field's name beside its meaning,
    # for a reader who looks for `unique_agents`.)
    rows = [line for line in TEXT.splitlines() if line.startswith("| `")]
    families = {row.split("`")[1]: re.findall(r"`(\w+)`", row.split("|")[2]) for row in rows}
    assert "unique_users" in families["usage_metrics"]
    fields = ModelUsageAnalyticsOutput.model_fields
    assert [family for family in families if family not in fields] == []
    for family, names in families.items():
        annotation = fields[family].annotation  # (`X | None` for the optional families)
        [model] = [
            arg
            for arg in get_args(annotation) or (annotation,)
            if isinstance(arg, type) and issubclass(arg, BaseModel)
        ]
        assert [name for name in names if name not in model.model_fields] == [], family
