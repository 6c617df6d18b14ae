"""Whether a PostgreSQL table has so few rows per pattern id that a narrow window's rows
are found faster by one scan of the table than by each id's range of the (pattern_id,
timestamp) index (`PostgresSource.fetch_present`, where no index leads with the
timestamp), and its ids listed faster by one scan than by the index's steps
(`PostgresSource._pattern_ids`).

Each id's range is a step of the ids' walk and a seek (about 30 µs an id); a scan reads
every row (about 0.14 µs a row, parallel): on 1M rows over 10,000 ids the scan took 140
ms and the ranges 305 (BENCHMARKS.md, helper-236), the two even at some 200 rows per id.
The table's statistics tell the shape cheaply: `pg_class.reltuples` (its rows) and
`pg_stats.n_distinct` of the id column (its ids, or minus their share of the rows), as
ANALYZE (or autovacuum) last saw them. Without them (a table never analysed, a view, a
partitioned table's parent, a column the role may not read the statistics of) the ranges
are kept: a scan of a large table of few ids would cost far more than ranges of a small
table of many lose.

Listing the ids alone, a step of the walk (6-20 µs an id, by the load) against a scan
with DISTINCT (0.25-0.6 µs a row): on 1M rows the two were even at some 30 rows per id
(30,000 ids), the steps x0.3 the scan's time at 1,000 ids and x2.4 at 100,000
(BENCHMARKS.md, helper-272).
"""

from __future__ import annotations

from typing import Any

__all__ = ["LIST_BY_SCAN_BELOW_ROWS_PER_ID", "SCAN_BELOW_ROWS_PER_ID", "few_rows_per_id"]

#: Rows per id below which a scan is chosen: under the two plans' even point (about 200
#: measured), so that an estimate a little off does not choose the slower.
SCAN_BELOW_ROWS_PER_ID = 150
#: Rows per id below which the ids are listed by a scan: under the even point (about 30).
LIST_BY_SCAN_BELOW_ROWS_PER_ID = 20

_SHAPE = (
    "SELECT c.reltuples::float8, s.n_distinct::float8 FROM pg_class c "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = c.relname "
    "AND s.attname = $2 AND NOT s.inherited "
    "WHERE c.oid = to_regclass($1) AND c.relkind = 'r'"
)


def few_rows_per_id(
    cursor: Any, table: str, column: str, below: float = SCAN_BELOW_ROWS_PER_ID
) -> bool:
    """Whether the statistics of `table` (qualified, quoted) say it holds fewer than
    `below` rows per distinct value of `column` (its name as stored); False where they
    say nothing."""
    cursor.execute(_SHAPE, (table, column))
    row = cursor.fetchone()
    if row is None or row[0] is None or row[1] is None:
        return False
    rows, distinct = float(row[0]), float(row[1])
    if rows <= 0 or distinct == 0:  # (-1: never analysed; 0: no estimate)
        return False
    ids = distinct if distinct > 0 else -distinct * rows
    return ids > 0 and rows / ids < below
