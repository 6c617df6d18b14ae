"""Arrow data handed to the core, a stream that nothing has checked passed through a
check of each batch against its declared schema (`_CheckedStream`), and released after
the read."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from usage_analytics.errors import UsageAnalyticsError
from usage_analytics.ingest.libraries import _library


class _CheckedStream:
    """Arrow data for the core, a stream of batches nothing has checked (a pyarrow
    RecordBatchReader, another library's stream) passed on through a check of each batch
    against the schema the stream declared: arrow-rs sizes a batch's buffers by the
    declared types, and a batch of int8 values declared int64 was read past its buffer
    (a crash). An exception raised while a batch is produced reaches the core as an
    error text: the check's own, a KeyboardInterrupt or a SystemExit is kept to be
    raised as itself."""

    def __init__(self, data: Any, kept: list[BaseException], *, whole: bool) -> None:
        self.data = data
        #: Whether the user's object holds all of the data while it is read.
        self.whole = whole
        # (Shared with the batches' generator, which must not hold the stream: the reader
        # holding the generator would make a cycle through C++ that no collection frees,
        # keeping a DuckDB result open.)
        self._kept = kept

    @classmethod
    def of(cls, data: Any, producer: Any) -> _CheckedStream:
        """`data` (a pyarrow reader, table or array) as read from `producer`, the user's
        input: checked unless that is a library's own whole data (a pyarrow table, batch
        or array, a polars or pandas frame, a DuckDB result), consistent by construction
        and read without a Python call per batch (which would wait for the GIL)."""
        frame = _is_frame(producer)
        if _library(data) != "pyarrow":
            return cls(data, [], whole=frame)
        import pyarrow as pa

        # (A table or frame stays alive while it is read: the core may keep references to
        # its buffers, where a stream's batches must be copied from as they pass.)
        whole = frame or (
            _library(producer) == "pyarrow" and not isinstance(producer, pa.RecordBatchReader)
        )
        trusted = whole or _library(producer) == "duckdb"
        if trusted or not isinstance(data, pa.RecordBatchReader):
            return cls(data, [], whole=whole)
        kept: list[BaseException] = []
        checked = pa.RecordBatchReader.from_batches(data.schema, _checked(data, kept))
        return cls(checked, kept, whole=False)

    def close(self, producer: Any) -> None:
        """Release the reader made here from `producer` (the caller's own object stays
        theirs to close)."""
        if self.data is not producer and _library(self.data) == "pyarrow":
            import pyarrow as pa

            if isinstance(self.data, pa.RecordBatchReader):
                self.data.close()

    def raise_kept(self) -> None:
        if self._kept:
            # (Taken out: the list held by the exception's frames would keep it alive.)
            raise self._kept.pop()


def _is_frame(value: object) -> bool:
    """Whether `value` is a polars or pandas DataFrame or Series: data held in memory
    whole. Decided by type, not by library, so that another object of theirs exporting
    a stream (a lazily collected result, say) is read as a stream, its batches copied
    from as they pass rather than all kept alive."""
    return _library(value) in ("polars", "pandas") and type(value).__name__ in (
        "DataFrame",
        "Series",
    )


def _checked(reader: Any, kept: list[BaseException]) -> Iterator[Any]:
    """`reader`'s batches, each checked against its schema; an exception also put in
    `kept` (see `_CheckedStream`)."""
    names, types = reader.schema.names, reader.schema.types
    batches = iter(reader)
    for index in itertools.count():
        try:
            batch = next(batches)
            if batch.schema.names != names or batch.schema.types != types:
                raise UsageAnalyticsError(
                    f"batch {index} of the Arrow stream has the columns "
                    f"{_columns(batch.schema)}, not the declared {_columns(reader.schema)}"
                )
        except StopIteration:
            return
        except BaseException as error:
            # The check's own error, and an interrupt or exit: the producer's errors stay
            # the core's ("reading the Arrow stream failed: ..."), a UsageAnalyticsError.
            if isinstance(error, UsageAnalyticsError) or not isinstance(error, Exception):
                kept.append(error)
            raise
        yield batch


def _columns(schema: Any) -> str:
    return ", ".join(f"{field.name}: {field.type}" for field in schema)
