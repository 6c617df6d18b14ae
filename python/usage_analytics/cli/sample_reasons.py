"""The invalid-record samples of a result, worded as the command words its errors.

In raise mode the command's error gives the reason of an integer (or float, ...)
timestamp in the command's words (`integer_timestamps.command_reason`: what the column
must hold, ISO-8601 text or a timestamp type). In skip mode the same record was counted
and sampled with the library's words ("must be a datetime, a date, a numpy datetime64 or
an ISO-8601 string, got int (...)"), of values a user of the command never passes: the
table, the JSON document and the HTML page showed them. The samples of every result the
command shows (`common.reduce_all`'s) now carry the command's reason, through the same
`command_reason`, so that a change of how the core marks that reason stays in one place.
The library's callers keep its words. (The design is silent on the command's wording;
this is the command's decision.)"""

from __future__ import annotations

from usage_analytics.cli.integer_timestamps import command_reason
from usage_analytics.contracts import ModelUsageAnalyticsOutput

__all__ = ["worded_for_the_command"]


def worded_for_the_command(result: ModelUsageAnalyticsOutput) -> ModelUsageAnalyticsOutput:
    """`result` with each invalid-record sample's reason as `command_reason` words it;
    `result` itself where none changes (most results: no sample, or none of a
    timestamp of no timestamp type)."""
    quality = result.data_quality
    reasons = [command_reason(sample.field, sample.reason) for sample in quality.error_samples]
    if all(
        reason == sample.reason
        for reason, sample in zip(reasons, quality.error_samples, strict=True)
    ):
        return result
    samples = [
        sample if reason == sample.reason else sample.model_copy(update={"reason": reason})
        for reason, sample in zip(reasons, quality.error_samples, strict=True)
    ]
    worded = quality.model_copy(update={"error_samples": samples})
    return result.model_copy(update={"data_quality": worded})
