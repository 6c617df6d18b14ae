"""A text file's cells that are no value of their field, put back into the records of
the groups that hold them.

`arrow_text` reads such a cell (a number "fast", a flag "maybe") as missing and keeps
its text aside. The records of a group holding one are handed to the core as a dict of
lists, the table's columns as Python values with that text in place: the core reads
them row by row as the standard-library reader's records, so each such value is its
record's error (or left out and counted with on_invalid="skip"), as it was when one
such cell sent the whole file to that reader: a dict per record, 17.8 s and 924 MB for
the dashboard of a million-row CSV, against 2.4 s and 398 MB without the cell. Now only
that cell's group is read as Python values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["OddCells"]


@dataclass(frozen=True)
class OddCells:
    """By record field, the text of each of its cells that is no value of the field,
    missing elsewhere (a string array as long as the file's table), and which rows hold
    one (`rows`, a boolean array)."""

    texts: Mapping[str, Any]
    rows: Any

    @classmethod
    def of(cls, pa: Any, texts: Mapping[str, Any]) -> OddCells | None:
        """The odd cells `texts` (`TextTable.odd`); None if there are none."""
        held = None
        for column in texts.values():
            valid = pa.compute.is_valid(column)
            held = valid if held is None else pa.compute.or_(held, valid)
        if held is None:
            return None
        return cls(texts, held.combine_chunks() if hasattr(held, "combine_chunks") else held)

    def held_by(self, pa: Any, indices: Any | None) -> bool:
        """Whether a row of `indices` (row numbers in the file's table, an Arrow array;
        None for every row) holds an odd cell."""
        held = self.rows if indices is None else self.rows.take(indices)
        return bool(pa.compute.any(held).as_py())

    def groups_holding(self, pa: Any, order: Any, codes: Any) -> set[int]:
        """The groups holding an odd cell: `codes` numbers each row's group (null for
        none) where `order` lists the file's rows group by group (`PatternTable`)."""
        held = pa.compute.filter(codes, self.rows.take(order))
        return {code for code in pa.compute.unique(held).to_pylist() if code is not None}

    def records(self, pa: Any, table: Any, indices: Any | None) -> dict[str, list[Any]]:
        """The records of `table`, the rows `indices` of the file's table (None: all of
        them), as a dict of column -> list of values, each odd cell's text in place (as
        the standard-library reader writes it in its record)."""
        columns = {name: table.column(name).to_pylist() for name in table.column_names}
        for name, texts in self.texts.items():
            held = texts if indices is None else texts.take(indices)
            places = pa.compute.indices_nonzero(pa.compute.is_valid(held)).to_pylist()
            values = columns[name]
            for place, text in zip(places, held.drop_null().to_pylist(), strict=True):
                values[place] = text
        return columns
