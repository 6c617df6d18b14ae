"""Many patterns' records (a source's `fetch_all`) analysed by one batch reduction.

One call per pattern costs about 0.3 ms of fixed work, which at 10,000 patterns (a
dashboard over a busy database) is seconds; `execute_batch_reduction` groups one table
and reduces the groups in parallel. Its results are those of the single calls (tested),
with three differences that `reduce_patterns` hides or chooses:

- an invalid record in raise mode: the batch's error names the record by its row in the
  one table; the patterns are then reduced one by one, which names the pattern and its
  record. (Skipped records are counted and described by their pattern in a batch as in
  a single call, so skip mode stays in the batch.)
- patterns without records (a database hands over only the window's) get a result
  without a reduction: the empty one, made once;
- a result's `pattern_id` is the one a single call's contract gives (a UUID-shaped id
  becomes a UUID); `computation_time_ms` is the whole batch's, and the results share
  one `correlation_id`.

Groups outside the source's one table (a file's patterns holding values of another type
than their column's, handed over as Python values) are reduced one by one beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from usage_analytics.cli.common import Nameless, reduce_all
from usage_analytics.contracts import (
    AnalyticsRequest,
    ModelUsageAnalyticsBatchInput,
    ModelUsageAnalyticsInput,
    ModelUsageAnalyticsOutput,
    normalize_pattern_id,
)
from usage_analytics.errors import InternalError, UsageAnalyticsError, internal_error
from usage_analytics.progress import Progress
from usage_analytics.reducer import NodeUsageAnalyticsReducer
from usage_analytics.sources import Fetched
from usage_analytics.sources.arrow import with_group_ids

#: The request's settings a batch takes from a pattern's contract.
_SETTINGS = tuple(
    name
    for name in AnalyticsRequest.model_fields
    if name not in ("execution_data", "correlation_id")
)


async def reduce_patterns(
    groups: Sequence[Fetched],
    contract_for: Callable[[Fetched], ModelUsageAnalyticsInput],
    where: str,
    progress: Progress,
    columns: Mapping[str, str] | None = None,
    nameless: Nameless | None = None,
) -> list[ModelUsageAnalyticsOutput]:
    """The analytics of each group, as `reduce_all` of `contract_for(group)` per group
    (and `nameless`) gives them (see the module for what differs), by one batch
    reduction where the groups are Arrow tables of one schema."""
    table, batched = _one_table(groups)
    if table is not None:
        # (The settings of a batched group's contract: those of every group, without
        # making an unbatched one's records, Python values, for nothing.)
        first = contract_for(next(group for group in groups if id(group) in batched))
        batch = ModelUsageAnalyticsBatchInput(
            **{name: getattr(first, name) for name in _SETTINGS}, execution_data=table
        )
        total = len(groups)
        label = f"analysing {total:,} pattern{'s' if total != 1 else ''}"
        async with progress.step(label):
            try:
                output = await NodeUsageAnalyticsReducer().execute_batch_reduction(batch)
            except InternalError:  # (a fault of ours: shown, not hidden by the retry)
                raise
            except UsageAnalyticsError:
                output = None  # one by one, which names the pattern and its record
        progress.bar(label, total, total)
        progress.clear()
        if output is not None:
            results, empty = output.results, _empty_result(groups, contract_for)
            reduced = await _reduced_apart(
                [group for group in groups if group.count and id(group) not in batched],
                contract_for,
                where,
                progress,
                columns,
                name_patterns=len(groups) > 1,
                nameless=nameless,
            )
            return [
                reduced[id(group)]
                if id(group) in reduced
                else _as_single(results.get(group.pattern_id) if group.count else empty, group)
                for group in groups
            ]
    contracts = [contract_for(group) for group in groups]
    return await reduce_all(contracts, groups, where, progress, columns, nameless=nameless)


async def _reduced_apart(
    apart: Sequence[Fetched],
    contract_for: Callable[[Fetched], ModelUsageAnalyticsInput],
    where: str,
    progress: Progress,
    columns: Mapping[str, str] | None,
    *,
    name_patterns: bool,
    nameless: Nameless | None,
) -> dict[int, ModelUsageAnalyticsOutput]:
    """The results of the groups left out of the batch's table, by the group's `id`."""
    if not apart:
        return {}
    contracts = [contract_for(group) for group in apart]
    results = await reduce_all(
        contracts, apart, where, progress, columns, name_patterns=name_patterns, nameless=nameless
    )
    return {id(group): result for group, result in zip(apart, results, strict=True)}


def _one_table(groups: Sequence[Fetched]) -> tuple[Any | None, set[int]]:
    """The records of groups in one Arrow table, its `pattern_id` column holding each
    record's group (dictionary-encoded), and those groups (by `id`): the source's own
    (`Fetched.together`), shared by the groups whose records are all of its rows, the
    others reduced on their own (a file's groups with cells that are no value of their
    field, dicts of lists), else every group's table concatenated; None unless every
    group with records holds an Arrow table and they have one schema
    (`_common_schema`)."""
    filled = [group for group in groups if group.count]
    if not filled:
        return None, set()
    try:
        import pyarrow as pa
    except ImportError:
        return None, set()
    # Groups of one table (a file's): those sharing it, when their records are its rows.
    together = next((group.together for group in filled if group.together is not None), None)
    shared = [group for group in filled if group.together is together]
    if together is not None and sum(group.count for group in shared) == together.num_rows:
        return _combined(pa, together), {id(group) for group in shared}
    # (Read one by one, stopping at the first that is no table: a group's data may be made
    # when read, and a file's groups of odd cells, dicts of lists, were all built here
    # for nothing, then again for their contracts.)
    tables = []
    for group in filled:
        data = group.data
        if not isinstance(data, pa.Table):
            return None, set()
        tables.append(data)
    schema = _common_schema(pa, tables)
    if schema is None:
        return None, set()
    tables = [table if table.schema.equals(schema) else table.cast(schema) for table in tables]
    table = with_group_ids(
        pa,
        _combined(pa, pa.concat_tables(tables)),
        [group.pattern_id for group in filled],
        [table.num_rows for table in tables],
    )
    return table, {id(group) for group in filled}


def _combined(pa: Any, table: Any) -> Any:
    """`table` in one chunk per column (thousands of small chunks would each cost the core
    a batch), or as it is where a column cannot be one chunk (strings past 2 GiB)."""
    try:
        return table.combine_chunks()
    except MemoryError:  # (pyarrow's is an ArrowException too)
        raise
    except pa.ArrowException:
        return table


def _common_schema(pa: Any, tables: Sequence[Any]) -> Any | None:
    """The schema all `tables` take: each column's one type, where a column is of the
    null type in some tables (all its values missing: a database's rows are typed group
    by group); None if the tables name other columns or a column has two other types."""
    schemas = list({table.schema: None for table in tables})  # distinct, in order
    names = schemas[0].names
    if any(schema.names != names for schema in schemas):
        return None
    fields = []
    for name in names:
        kinds = {schema.field(name).type for schema in schemas} - {pa.null()}
        if len(kinds) > 1:
            return None
        fields.append(pa.field(name, kinds.pop() if kinds else pa.null()))
    return pa.schema(fields)


def _empty_result(
    groups: Sequence[Fetched], contract_for: Callable[[Fetched], ModelUsageAnalyticsInput]
) -> ModelUsageAnalyticsOutput | None:
    """The result of a pattern without records (None when every group has some)."""
    empty = next((group for group in groups if not group.count), None)
    if empty is None:
        return None
    return NodeUsageAnalyticsReducer().execute_reduction_sync(contract_for(empty))


def _as_single(
    result: ModelUsageAnalyticsOutput | None, group: Fetched
) -> ModelUsageAnalyticsOutput:
    """`result` with the `pattern_id` a single call's contract would give `group`."""
    if result is None:  # (every group with records is in the batch's table)
        raise internal_error(f"no batch result for pattern {group.pattern_id!r}")
    wanted = normalize_pattern_id(group.pattern_id)
    if result.pattern_id == wanted and type(result.pattern_id) is type(wanted):
        return result
    return result.model_copy(update={"pattern_id": wanted})
