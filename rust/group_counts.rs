//! A grouped chunk's small string columns and its flags, counted for every group in one
//! pass over the rows as they come, rather than placed in group order and counted group by
//! group.
//!
//! A batch's chunk is reordered by group (`Columns::scatter`): with thousands of groups
//! each value placed is a write to a cache line of its own, 2.5-4 ns a value and column,
//! and each group then counts its ~100 rows per column in lanes it zeroes first. A column
//! whose chunk dictionary has a few names is instead counted into a table of (group, code)
//! cells: one pass reading the group and code columns in order, an increment of a cell in a
//! table small enough to stay in the core's cache. The flags likewise, a cell per value of
//! their bits. A standalone test (2^20 rows over 10,000 groups, one thread, 15 runs):
//! placing the flags and four code columns and counting them group by group 18-44 ms
//! (median 30), counting them into tables 10-21 ms (median 15; BENCHMARKS.md, session 28).
//! Past `MAX_CELLS` (many groups, or large dictionaries) a table would outgrow the cache:
//! such a column is placed and counted by group as before.

use crate::columns::{Columns, Counted, GATE_FAILED, SUCCESS, TIMEOUT};

/// A table holds at most this many cells (1 MiB of u32 counts: within a core's L2), and at
/// most `CELLS_PER_ROW` per row of the chunk plus `MIN_CELLS` (zeroing and folding it must
/// not cost more than its rows; a small chunk may still fill a few thousand cells).
const MAX_CELLS: usize = 1 << 18;
const CELLS_PER_ROW: usize = 4;
const MIN_CELLS: usize = 4096;

/// Rows per (group, code) of one string column: `stride` cells a group, the last one for
/// the codes past the dictionary (NO_FILE), never read.
#[derive(Clone, Debug, Default)]
struct CodeTable {
    names: usize,
    stride: usize,
    cells: Vec<u32>,
}

/// The counts of one grouped chunk (`count`), reused from chunk to chunk.
#[derive(Clone, Debug, Default)]
pub struct GroupCounts {
    /// Per string column (context, agent, project, file type), when counted here.
    strings: [Option<CodeTable>; 4],
    /// Per group: rows per value of the flags' three bits, when counted here.
    flags: Option<Vec<[u32; FLAG_VALUES]>>,
    /// What the chunk last counted had counted here (`plan`).
    counted: Counted,
    /// Scratch kept for the next chunk.
    spare_tables: Vec<Vec<u32>>,
    spare_flags: Vec<[u32; FLAG_VALUES]>,
}

/// The values of a row's flags (SUCCESS | TIMEOUT | GATE_FAILED). A group's rows are
/// counted per value, one increment a row: three counts a row, one per bit, took 3.4-4.3
/// ms per 2^20 rows over 10,000 groups against 2.3-2.6 ms (a standalone test).
const FLAG_VALUES: usize = 8;
const _: () = assert!((SUCCESS | TIMEOUT | GATE_FAILED) as usize == FLAG_VALUES - 1);

/// One group's counts of a chunk: the string columns' rows per chunk code (as long as the
/// chunk's dictionary) and the flags, for what was counted.
pub struct GroupRow<'a> {
    pub strings: [Option<&'a [u32]>; 4],
    pub flags: Option<[u32; 3]>,
}

impl GroupCounts {
    /// Which of `columns` (rows of groups below `groups`) are worth counting here: the
    /// string columns `wanted` whose tables fit, and the flags when theirs does.
    pub fn plan(columns: &Columns, groups: usize, wanted: [bool; 4]) -> Counted {
        let rows = columns.len();
        // (Cells are u32: a chunk of 2^32 rows or more, which no reader makes, is not
        // counted here.)
        let cap = MAX_CELLS.min(CELLS_PER_ROW * rows + MIN_CELLS);
        let fits = |per_group: usize| rows <= u32::MAX as usize && groups.saturating_mul(per_group) <= cap;
        let dictionaries = [
            &columns.context_types,
            &columns.agents,
            &columns.projects,
            &columns.file_types,
        ];
        Counted {
            strings: std::array::from_fn(|k| wanted[k] && fits(dictionaries[k].len() + 1)),
            flags: fits(FLAG_VALUES),
        }
    }

    /// Count `columns`' rows (their groups in `columns.group`, all below `groups`) for
    /// what `plan` chose, on all cores (a column a task).
    pub fn count(&mut self, columns: &Columns, groups: usize, plan: Counted) {
        self.recycle();
        self.counted = plan;
        let codes = [
            (&columns.context_type, columns.context_types.len()),
            (&columns.agent, columns.agents.len()),
            (&columns.project, columns.projects.len()),
            (&columns.file_type, columns.file_types.len()),
        ];
        let group = &columns.group[..];
        let mut tables: [Option<CodeTable>; 4] = std::array::from_fn(|k| {
            plan.strings[k].then(|| {
                let stride = codes[k].1 + 1;
                let mut cells = self.spare_tables.pop().unwrap_or_default();
                cells.clear();
                cells.resize(groups * stride, 0);
                CodeTable {
                    names: codes[k].1,
                    stride,
                    cells,
                }
            })
        });
        let mut flags = plan.flags.then(|| {
            let mut flags = std::mem::take(&mut self.spare_flags);
            flags.clear();
            flags.resize(groups, [0; FLAG_VALUES]);
            flags
        });
        crate::pool::install(|| {
            rayon::scope(|s| {
                for (table, (column, _)) in tables.iter_mut().zip(codes) {
                    if let Some(table) = table {
                        s.spawn(move |_| count_codes(table, group, column));
                    }
                }
                if let Some(flags) = flags.as_mut() {
                    s.spawn(|_| count_flags(flags, group, &columns.flags));
                }
            });
        });
        self.strings = tables;
        self.flags = flags;
    }

    /// What the chunk last counted had counted here: the columns its groups' rows are
    /// added without (`Accumulator::add_rows_of`).
    pub fn counted(&self) -> Counted {
        self.counted
    }

    /// Group `group`'s counts of the chunk last counted.
    pub fn of(&self, group: usize) -> GroupRow<'_> {
        GroupRow {
            strings: self.strings.each_ref().map(|table| {
                table.as_ref().map(|t| {
                    let start = group * t.stride;
                    &t.cells[start..start + t.names]
                })
            }),
            flags: self.flags.as_ref().map(|flags| {
                let mut counts = [0; 3];
                for (value, &rows) in flags[group].iter().enumerate() {
                    for (count, flag) in counts.iter_mut().zip([SUCCESS, TIMEOUT, GATE_FAILED]) {
                        if value as u8 & flag != 0 {
                            *count += rows;
                        }
                    }
                }
                counts
            }),
        }
    }

    /// Keep the last chunk's buffers for the next.
    fn recycle(&mut self) {
        for table in self.strings.iter_mut().filter_map(Option::take) {
            self.spare_tables.push(table.cells);
        }
        if let Some(flags) = self.flags.take() {
            self.spare_flags = flags;
        }
    }
}

fn count_codes(table: &mut CodeTable, group: &[u32], codes: &[u32]) {
    assert_eq!(group.len(), codes.len(), "a column's rows and the groups' differ");
    let (names, stride) = (table.names, table.stride);
    for (&g, &code) in group.iter().zip(codes) {
        // (NO_FILE and any code past the dictionary land in the unread last cell.)
        table.cells[g as usize * stride + (code as usize).min(names)] += 1;
    }
}

fn count_flags(counts: &mut [[u32; FLAG_VALUES]], group: &[u32], flags: &[u8]) {
    assert_eq!(group.len(), flags.len(), "a column's rows and the groups' differ");
    for (&g, &f) in group.iter().zip(flags) {
        counts[g as usize][usize::from(f & (SUCCESS | TIMEOUT | GATE_FAILED))] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::NO_FILE;

    /// Rows of (group, context, file type, flags); file type NO_FILE for some.
    fn chunk(rows: &[(u32, &'static str, Option<&'static str>, u8)]) -> Columns {
        let mut c = Columns::default();
        for &(group, context, file, flags) in rows {
            c.group.push(group);
            c.timestamp.push(0);
            c.flags.push(flags);
            c.execution_time_ms.push(1.0);
            c.quality_score.push(0.5);
            c.context_type.push(c.context_types.code(context));
            c.agent.push(c.agents.code("a"));
            c.project.push(c.projects.code("p"));
            c.file_type.push(file.map_or(NO_FILE, |f| c.file_types.code(f)));
        }
        c
    }

    #[test]
    fn each_group_counts_its_own_rows() {
        let rows = [
            (2, "api", Some("py"), SUCCESS),
            (0, "cli", None, TIMEOUT | GATE_FAILED),
            (2, "api", Some("rs"), SUCCESS | GATE_FAILED),
            (2, "cli", None, 0),
            (0, "cli", Some("py"), SUCCESS),
        ];
        let columns = chunk(&rows);
        let plan = GroupCounts::plan(&columns, 4, [true, false, true, true]);
        assert_eq!(plan.strings, [true, false, true, true]);
        assert!(plan.flags);
        let mut counts = GroupCounts::default();
        // Twice: the second chunk reuses the first one's buffers and must not add to them.
        for _ in 0..2 {
            counts.count(&columns, 4, plan);
            let two = counts.of(2);
            assert_eq!(two.strings[0], Some(&[2, 1][..]), "api, cli");
            assert_eq!(two.strings[1], None);
            assert_eq!(two.strings[2], Some(&[3][..]));
            assert_eq!(two.strings[3], Some(&[1, 1][..]), "py, rs; the NO_FILE row not counted");
            assert_eq!(two.flags, Some([2, 0, 1]));
            let zero = counts.of(0);
            assert_eq!(zero.strings[0], Some(&[0, 2][..]));
            assert_eq!(zero.strings[3], Some(&[1, 0][..]));
            assert_eq!(zero.flags, Some([1, 1, 1]));
            for empty in [1, 3] {
                assert_eq!(counts.of(empty).strings[0], Some(&[0, 0][..]));
                assert_eq!(counts.of(empty).flags, Some([0; 3]));
            }
        }
    }

    #[test]
    fn tables_past_the_cells_allowed_are_not_planned() {
        // 3 rows allow MIN_CELLS + 12 = 4,108 cells. A table has a cell per name and group
        // and one more per group: 4 a group for the three contexts, 2 for the one agent
        // and project, 1 for no file type; the flags take 8.
        let columns = chunk(&[(0, "a", None, 0), (1, "b", None, 0), (1, "c", None, 0)]);
        let small = GroupCounts::plan(&columns, 500, [true; 4]);
        assert_eq!(small.strings, [true, true, true, true]);
        assert!(small.flags);
        let large = GroupCounts::plan(&columns, 2_000, [true; 4]);
        assert_eq!(large.strings, [false, true, true, true], "contexts: 8,000 cells");
        assert!(!large.flags, "16,000 cells");
        let huge = GroupCounts::plan(&columns, MAX_CELLS, [true; 4]);
        assert_eq!((huge.strings, huge.flags), ([false; 4], false));
    }
}
