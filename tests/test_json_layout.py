"""The CLI's JSON text: compact from `json`'s C encoder, laid out by the core
(`_core.indent_json`), byte for byte what `json.dumps(json_safe(doc), indent=N)` writes."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from usage_analytics import _core
from usage_analytics.cli.output import View, _json, json_text
from usage_analytics.contracts import json_safe

# Text that looks like the layout's own tokens: brackets, separators, quotes, escapes and
# the bare names of non-finite numbers, which inside strings must stay as they are.
TRICKY_TEXT = st.text(
    st.sampled_from(list('{}[],:"\\ \n\tNaNInfinity-é€😀\x00\x1f\u2028\udcff')) | st.characters(),
    max_size=12,
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | TRICKY_TEXT
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY_TEXT, inner, max_size=4),
    max_leaves=30,
)


def python_layout(document: Any, indent: int, ensure_ascii: bool) -> str:
    """The former encoding of the CLI's reports: pure Python's indenting encoder."""
    safe = json_safe(document)
    return json.dumps(safe, indent=indent, ensure_ascii=ensure_ascii, allow_nan=False)


@given(DOCUMENTS, st.integers(min_value=0, max_value=4), st.booleans())
def test_layout_equals_pythons_indenting_encoder(
    document: Any, indent: int, ensure_ascii: bool
) -> None:
    text = json_text(document, indent=indent, ensure_ascii=ensure_ascii)
    assert text == python_layout(document, indent, ensure_ascii)


@pytest.mark.parametrize("ensure_ascii", [True, False])
def test_a_lone_surrogate_is_kept_as_json_keeps_it(ensure_ascii: bool) -> None:
    # A Python string may hold one, and `json.dumps` keeps it raw without `ensure_ascii`:
    # the core, which takes UTF-8, refused such text before it took bytes.
    document = {"\ud800": ["a\udcffb", math.nan]}
    text = json_text(document, ensure_ascii=ensure_ascii)
    assert text == python_layout(document, 2, ensure_ascii)
    assert ("\\udcff" in text) is ensure_ascii


@pytest.mark.parametrize("unicode", [True, False])
def test_the_reports_json_is_the_former_text(unicode: bool) -> None:
    document = {
        "window": {"start": "2026-03-01T00:00:00+00:00", "type": "custom"},
        "patterns": [
            {"name": 'checkout, "v2": [eu]', "p95": math.nan, "rate": 0.25, "ratio": math.inf},
            {"name": "café ☕", "findings": [], "worst": {}, "values": [1e-05, -math.inf, 1e16]},
        ],
        "invalid_records": 0,
    }
    view = View([], None, "UTC", 80, unicode)
    text = _json(document, view)
    assert text == python_layout(document, 2, ensure_ascii=not unicode)
    assert '"p95": null' in text
    assert '"values": [\n        1e-05,\n        null,\n        1e+16\n      ]' in text


@pytest.mark.parametrize(
    ("compact", "reason"),
    [
        ('["open', "a string is not closed"),
        ('["escaped end\\"]', "a string is not closed"),
        ("[1", "a bracket is not closed"),
        ("1]", "a bracket closes nothing"),
        ("[1, 2]", "whitespace between tokens: not compact JSON"),
    ],
)
def test_text_not_compact_json_is_refused(compact: str, reason: str) -> None:
    with pytest.raises(ValueError, match=f"^{reason}$"):
        _core.indent_json(compact.encode(), 2)


@pytest.mark.parametrize("indent", [1025, 2**40, 2**64 - 1])
def test_an_indent_past_the_limit_is_refused_not_allocated(indent: int) -> None:
    # (Laid out, 2**40 spaces a level asked for a terabyte: a failed allocation ends the
    # process.)
    with pytest.raises(ValueError, match="is past the 1024 spaces a level may have"):
        _core.indent_json(b"[1]", indent)
