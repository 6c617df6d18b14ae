//! Compact columns: what every input form is turned into before the kernels run.
//!
//! One row per valid record inside the window. Strings are dictionary-encoded to u32 codes
//! (kernels never see a string); missing numbers are NaN; flags are bits of one byte.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::column_values::ColumnValues;
use crate::prefetch::{prefetch, prefetch_all};
use crate::seeded_map::SeededMap;

/// How many rows ahead `Columns::scatter` fetches the line it will write: enough to have
/// several misses in flight (16 rows ahead gave 3.9 ns a value, 64 and 128 both 2.5 ns).
const SCATTER_AHEAD: usize = 64;

pub const SUCCESS: u8 = 1;
pub const TIMEOUT: u8 = 2;
pub const GATE_FAILED: u8 = 4;

/// Code of a record without a file path (not counted in `by_file_type`).
pub const NO_FILE: u32 = u32::MAX;

pub const UNKNOWN: &str = "unknown";

/// Distinct strings of one column, in order of first appearance. Append-only: a code,
/// once given, always means the same name. Each dictionary has a process-unique `id`, so
/// a consumer can translate its codes incrementally as it grows (see `Tally`).
///
/// Names are shared (`Arc`): a batch has one tally per pattern and column, and copying a
/// name from a chunk's dictionary into each of them (`code_shared`) is then a count
/// increment, not two allocations (profiles of 10,000-pattern states spent a third of
/// their time in the allocator before).
#[derive(Debug)]
pub struct Dictionary {
    id: u64,
    names: Vec<Arc<str>>,
    /// Code by name for `names[..indexed]`, once there are more than `SCANNED_NAMES`. A
    /// dictionary loaded from a state is indexed only when first looked up: most are only
    /// read (merged into another, or finalized), and a 10,000-pattern state has 40,000.
    /// (Seeded: names come from callers, see `seeded_map`.)
    codes: SeededMap<Arc<str>, u32>,
    indexed: usize,
}

static NEXT_DICTIONARY_ID: AtomicU64 = AtomicU64::new(0);

/// Dictionaries of at most this many names are searched by a scan, without an index.
const SCANNED_NAMES: usize = 16;

impl Default for Dictionary {
    fn default() -> Self {
        Dictionary {
            id: NEXT_DICTIONARY_ID.fetch_add(1, Ordering::Relaxed),
            names: Vec::new(),
            codes: SeededMap::default(),
            indexed: 0,
        }
    }
}

impl Clone for Dictionary {
    /// A copy is a new dictionary (new id): the two may grow apart.
    fn clone(&self) -> Self {
        Dictionary {
            names: self.names.clone(),
            codes: self.codes.clone(),
            indexed: self.indexed,
            ..Dictionary::default()
        }
    }
}

impl Dictionary {
    /// Empty, with room for `names` names.
    pub fn with_capacity(names: usize) -> Dictionary {
        let mut dict = Dictionary::default();
        dict.names.reserve(names);
        if names > SCANNED_NAMES {
            dict.codes.reserve(names);
        }
        dict
    }

    /// A dictionary of `names`, which the caller guarantees are distinct.
    pub fn of_distinct(names: Vec<Arc<str>>) -> Dictionary {
        debug_assert_eq!(
            names.iter().collect::<std::collections::HashSet<_>>().len(),
            names.len(),
            "names listed twice"
        );
        Dictionary {
            names,
            ..Dictionary::default()
        }
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// Index the names not indexed yet (see `codes`).
    #[cold]
    fn index_the_rest(&mut self) {
        self.codes.reserve(self.names.len() - self.indexed);
        for (code, name) in self.names.iter().enumerate().skip(self.indexed) {
            self.codes.insert(name.clone(), code as u32);
        }
        self.indexed = self.names.len();
    }

    /// The code of `name` if it is listed: by a scan while the dictionary is small (a
    /// batch's tallies hold a handful of names each, and 40,000 hash tables built, probed
    /// and freed cost more than the scans), else by the index.
    #[inline]
    fn find(&mut self, name: &str) -> Option<u32> {
        if self.names.len() <= SCANNED_NAMES {
            // (A name shared from the same dictionary is the same allocation: no compare.)
            let same = |n: &Arc<str>| n.len() == name.len() && (n.as_ptr() == name.as_ptr() || n.as_ref() == name);
            return self.names.iter().position(same).map(|code| code as u32);
        }
        if self.indexed < self.names.len() {
            self.index_the_rest();
        }
        self.codes.get(name).copied()
    }

    #[inline]
    pub fn code(&mut self, name: &str) -> u32 {
        match self.find(name) {
            Some(code) => code,
            None => self.insert(name.into()),
        }
    }

    /// `code` of a name held by another dictionary, sharing its storage.
    pub fn code_shared(&mut self, name: &Arc<str>) -> u32 {
        match self.find(name) {
            Some(code) => code,
            None => self.insert(name.clone()),
        }
    }

    /// List `name` (not listed yet); indexed once the dictionary outgrows scanning.
    fn insert(&mut self, name: Arc<str>) -> u32 {
        let code = self.names.len();
        if code >= SCANNED_NAMES && self.indexed == code {
            self.codes.insert(name.clone(), code as u32);
            self.indexed += 1;
        }
        self.names.push(name);
        if self.indexed < self.names.len() && self.names.len() > SCANNED_NAMES {
            // The first name past scanning (or a loaded dictionary's first insert).
            self.index_the_rest();
        }
        code as u32
    }

    pub fn names(&self) -> &[Arc<str>] {
        &self.names
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// Which columns of the rows added were counted elsewhere and are not read row by row:
/// the string columns (context, agent, project, file type), counted for a whole
/// one-pattern chunk (`Columns::counted`) or for every group of a grouped one
/// (`GroupCounts`), and the flags (`GroupCounts`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counted {
    pub strings: [bool; 4],
    pub flags: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Columns {
    /// Microseconds since the Unix epoch, UTC.
    pub timestamp: ColumnValues<i64>,
    /// SUCCESS | TIMEOUT | GATE_FAILED bits.
    pub flags: Vec<u8>,
    /// NaN = missing. When shared, exactly an Arrow column's values (float64 without
    /// nulls, bad values or -0.0): a one-call reduction holds that buffer
    /// (`Durations::hold_shared`).
    pub execution_time_ms: ColumnValues<f64>,
    /// NaN = missing.
    pub quality_score: ColumnValues<f64>,
    pub context_type: Vec<u32>,
    pub agent: Vec<u32>,
    pub project: Vec<u32>,
    /// NO_FILE = no file path.
    pub file_type: Vec<u32>,
    /// Group (pattern) code per row; empty unless the input carries pattern ids.
    pub group: Vec<u32>,
    /// Rows per dictionary code of the string columns (context, agent, project, file type,
    /// in that order) that were counted instead of coded, for a reader whose sink adds every
    /// row of a chunk to one accumulator (`arrow_strings::count_column`). A counted column's
    /// codes are left empty. Always all `None` for readers of grouped or rolling state.
    pub counted: [Option<Vec<u64>>; 4],
    /// With the agents counted: each agent code's earliest and latest instant among the
    /// chunk's rows, (i64::MAX, i64::MIN) for a code no row has (`arrow_strings::agent_spans`).
    pub agent_spans: Option<Vec<(i64, i64)>>,
    pub context_types: Dictionary,
    pub agents: Dictionary,
    pub projects: Dictionary,
    pub file_types: Dictionary,
}

impl Columns {
    pub fn with_capacity(rows: usize) -> Columns {
        Columns {
            timestamp: ColumnValues::with_capacity(rows),
            flags: Vec::with_capacity(rows),
            execution_time_ms: ColumnValues::with_capacity(rows),
            quality_score: ColumnValues::with_capacity(rows),
            context_type: Vec::with_capacity(rows),
            agent: Vec::with_capacity(rows),
            project: Vec::with_capacity(rows),
            file_type: Vec::with_capacity(rows),
            ..Columns::default()
        }
    }

    pub fn len(&self) -> usize {
        self.timestamp.len()
    }

    /// These columns' rows become `source`'s rows placed at `slots` (row r at
    /// `slots[r]`; a permutation: the row data only, codes still refer to `source`'s
    /// dictionaries). Placing reads the source in order and writes each group's rows
    /// in turn. A gather (row `order[i]` read into place i) read the source at random
    /// instead: a cache miss per value once a slice's columns outgrow the cache. The
    /// columns are placed in parallel.
    ///
    /// With thousands of groups each write goes to a line the hardware prefetcher did not
    /// see coming (it follows a few dozen streams): a miss per line that the core waited
    /// for, 8-10 ns a value. The line of the row `SCATTER_AHEAD` rows on is fetched while
    /// this one is written, so that the misses overlap: 2.5 ns a value (BENCHMARKS.md,
    /// session 26).
    ///
    /// Columns `counted` for each group elsewhere (`GroupCounts`) are not placed: they are
    /// left empty, so that a read of them fails rather than finds another chunk's rows.
    pub fn scatter(&mut self, source: &Columns, slots: &[u32], counted: Counted) {
        fn place<T: Copy + Default + Send + Sync>(out: &mut Vec<T>, from: &[T], slots: &[u32]) {
            // (A column of another length is a bug; gathered, it failed a bounds check.)
            assert_eq!(from.len(), slots.len(), "a column's rows and the groups' differ");
            // (Every place is written: a buffer already this long is not cleared first.)
            out.resize(from.len(), T::default());
            let ahead = slots.get(SCATTER_AHEAD..).unwrap_or_default();
            let (prefetched, rest) = from.split_at(ahead.len());
            for ((&value, &slot), &next) in prefetched.iter().zip(slots).zip(ahead) {
                prefetch(out.as_ptr().wrapping_add(next as usize));
                out[slot as usize] = value;
            }
            for (&value, &slot) in rest.iter().zip(&slots[ahead.len()..]) {
                out[slot as usize] = value;
            }
        }
        fn place_unless<T: Copy + Default + Send + Sync>(counted: bool, out: &mut Vec<T>, from: &[T], slots: &[u32]) {
            if counted {
                out.clear();
            } else {
                place(out, from, slots);
            }
        }
        let [context, agent, project, file] = counted.strings;
        crate::pool::install(|| {
            rayon::scope(|s| {
                s.spawn(|_| place(self.timestamp.to_overwrite(), &source.timestamp, slots));
                s.spawn(|_| place(self.execution_time_ms.to_overwrite(), &source.execution_time_ms, slots));
                s.spawn(|_| place(self.quality_score.to_overwrite(), &source.quality_score, slots));
                s.spawn(|_| {
                    place_unless(counted.flags, &mut self.flags, &source.flags, slots);
                    place_unless(context, &mut self.context_type, &source.context_type, slots);
                });
                s.spawn(|_| {
                    place_unless(agent, &mut self.agent, &source.agent, slots);
                    place_unless(project, &mut self.project, &source.project, slots);
                    place_unless(file, &mut self.file_type, &source.file_type, slots);
                });
            });
        });
    }

    /// Ask for the cache lines holding `rows` of every column with rows (a hint; see
    /// `prefetch`): a group's rows placed by `scatter` are read next, a few lines of each
    /// column at an address the hardware prefetcher cannot foresee.
    pub fn prefetch_rows(&self, rows: std::ops::Range<usize>) {
        fn lines<T>(column: &[T], rows: &std::ops::Range<usize>) {
            // (A column left empty, counted or held elsewhere, has no rows to ask for.)
            if let Some(values) = column.get(rows.clone()) {
                prefetch_all(values);
            }
        }
        lines(&self.timestamp, &rows);
        lines(&self.execution_time_ms, &rows);
        lines(&self.quality_score, &rows);
        lines(&self.flags, &rows);
        lines(&self.context_type, &rows);
        lines(&self.agent, &rows);
        lines(&self.project, &rows);
        lines(&self.file_type, &rows);
    }

    /// Drop the rows, keep the dictionaries (and the capacity).
    pub fn clear_rows(&mut self) {
        self.timestamp.clear();
        self.flags.clear();
        self.execution_time_ms.clear();
        self.quality_score.clear();
        self.context_type.clear();
        self.agent.clear();
        self.project.clear();
        self.file_type.clear();
        self.group.clear();
        self.counted = Default::default();
        self.agent_spans = None;
    }

    /// The string columns' dictionaries: context, agent, project, file type.
    pub fn dictionaries_mut(&mut self) -> [&mut Dictionary; 4] {
        [
            &mut self.context_types,
            &mut self.agents,
            &mut self.projects,
            &mut self.file_types,
        ]
    }

    /// For readers that spread a chunk's rows over accumulators, which need every row's
    /// string codes: panics if some column was only counted (a bug, never bad input).
    #[track_caller]
    pub fn assert_coded(&self) {
        assert!(
            !self.has_counted(),
            "rows spread over accumulators need their string codes"
        );
    }

    /// Whether some string column was counted rather than coded (see `counted`).
    pub fn has_counted(&self) -> bool {
        self.counted.iter().any(Option::is_some)
    }

    pub fn is_empty(&self) -> bool {
        self.timestamp.is_empty()
    }
}

/// `by_file_type` key of a path: what follows the last dot of its last part (split at
/// `/` or `\`), unless that dot is the part's first character; else "unknown". A name
/// ending in its dot ("notes.", "..") has no extension either: DESIGN.md's "what follows
/// its last dot" would be the empty text, which no reader takes for a file type.
pub fn file_extension(path: &str) -> &str {
    // Bytes, not chars: both separators are ASCII, so a match is a char boundary, and a
    // byte search is several times faster than `rsplit` with a char set.
    let start = path
        .as_bytes()
        .iter()
        .rposition(|&b| b == b'/' || b == b'\\')
        .map_or(0, |i| i + 1);
    let name = &path[start..];
    match name.rfind('.') {
        Some(dot) if dot > 0 && dot + 1 < name.len() => &name[dot + 1..],
        _ => UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_random::xorshift;

    /// Every row lands at its slot in every column, at lengths around the look-ahead (no
    /// prefetched part, a tail only, both), into a buffer longer than the rows (left from
    /// a larger chunk) and into a fresh one.
    #[test]
    fn scatter_places_every_row_of_every_column() {
        let mut next = xorshift(7);
        let mut out = Columns::default();
        for n in [0, 1, SCATTER_AHEAD - 1, SCATTER_AHEAD, SCATTER_AHEAD + 1, 1_000, 3] {
            let mut slots: Vec<u32> = (0..n as u32).collect();
            for i in (1..n).rev() {
                slots.swap(i, next() as usize % (i + 1));
            }
            let value = |r: usize| r as u32 * 3 + 1;
            let source = Columns {
                timestamp: (0..n).map(|r| i64::from(value(r)) - 500).collect(),
                flags: (0..n).map(|r| value(r) as u8).collect(),
                execution_time_ms: (0..n).map(|r| f64::from(value(r)) / 4.0).collect(),
                quality_score: (0..n).map(|r| f64::from(value(r)) / 8.0).collect(),
                context_type: (0..n).map(|r| value(r) + 1).collect(),
                agent: (0..n).map(|r| value(r) + 2).collect(),
                project: (0..n).map(|r| value(r) + 3).collect(),
                file_type: (0..n).map(|r| value(r) + 4).collect(),
                ..Columns::default()
            };
            let mut fresh = Columns::default();
            for placed in [&mut out, &mut fresh] {
                placed.scatter(&source, &slots, Counted::default());
                assert_eq!(placed.len(), n);
                for (r, &slot) in slots.iter().enumerate() {
                    let s = slot as usize;
                    assert_eq!(placed.timestamp[s], source.timestamp[r], "n {n} row {r}");
                    assert_eq!(placed.flags[s], source.flags[r]);
                    assert_eq!(placed.execution_time_ms[s], source.execution_time_ms[r]);
                    assert_eq!(placed.quality_score[s], source.quality_score[r]);
                    assert_eq!(placed.context_type[s], source.context_type[r]);
                    assert_eq!(placed.agent[s], source.agent[r]);
                    assert_eq!(placed.project[s], source.project[r]);
                    assert_eq!(placed.file_type[s], source.file_type[r]);
                }
            }
        }
    }

    #[test]
    fn extensions_follow_design() {
        assert_eq!(file_extension("a.tar.gz"), "gz");
        assert_eq!(file_extension("Makefile"), UNKNOWN);
        assert_eq!(file_extension(".env"), UNKNOWN);
        assert_eq!(file_extension("src/app.d/main.py"), "py");
        assert_eq!(file_extension("C:\\code\\x.PY"), "PY");
        assert_eq!(file_extension("dir.d/Makefile"), UNKNOWN);
        assert_eq!(file_extension("notes."), UNKNOWN);
        assert_eq!(file_extension("dir/.."), UNKNOWN);
        assert_eq!(file_extension("a.b."), UNKNOWN);
        assert_eq!(file_extension(""), UNKNOWN);
    }

    #[test]
    fn codes_stay_the_same_when_a_dictionary_outgrows_scanning() {
        let names: Vec<String> = (0..3 * SCANNED_NAMES).map(|i| format!("name-{i}")).collect();
        let mut d = Dictionary::default();
        for (code, name) in names.iter().enumerate() {
            assert_eq!(d.code(name) as usize, code);
            // Every name so far still has its code, scanned or indexed.
            for (earlier, known) in names[..=code].iter().enumerate().step_by(5) {
                assert_eq!(d.code(known) as usize, earlier, "after {} names", code + 1);
            }
            assert_eq!(d.len(), code + 1);
        }
        for (code, name) in names.iter().enumerate() {
            assert_eq!(d.code(name) as usize, code);
        }
        assert_eq!(d.len(), names.len());
        // Shared names: the same allocation or another one with the same text.
        let mut shared = Dictionary::default();
        for name in d.names()[..SCANNED_NAMES + 2].iter() {
            shared.code_shared(name);
        }
        let copy: Arc<str> = Arc::from(names[3].as_str());
        assert_eq!(shared.code_shared(&copy), 3);
        assert_eq!(
            shared.code_shared(&d.names()[SCANNED_NAMES + 1]) as usize,
            SCANNED_NAMES + 1
        );
        assert_eq!(shared.code("new") as usize, SCANNED_NAMES + 2);
        // Loaded dictionaries, small and large, looked up after loading.
        for len in [SCANNED_NAMES, SCANNED_NAMES + 1] {
            let mut loaded = Dictionary::of_distinct(d.names()[..len].to_vec());
            assert_eq!(loaded.code(&names[len - 1]) as usize, len - 1);
            assert_eq!(loaded.code("another") as usize, len);
            assert_eq!(loaded.code(&names[0]), 0);
        }
    }

    #[test]
    fn copies_grow_apart_across_the_scanning_limit() {
        let name = |i: usize| format!("n{i}");
        let mut first = Dictionary::default();
        for i in 0..SCANNED_NAMES {
            first.code(&name(i));
        }
        let mut second = first.clone();
        assert_ne!(first.id(), second.id());
        for i in SCANNED_NAMES..SCANNED_NAMES + 4 {
            first.code(&name(i));
            second.code(&format!("other{i}"));
        }
        for i in 0..SCANNED_NAMES + 4 {
            assert_eq!(first.code(&name(i)) as usize, i);
        }
        for i in 0..SCANNED_NAMES {
            assert_eq!(second.code(&name(i)) as usize, i);
        }
        assert_eq!(second.code("other17") as usize, SCANNED_NAMES + 1);
        // A loaded dictionary of more names, copied before its first lookup.
        let loaded = Dictionary::of_distinct((0..SCANNED_NAMES + 3).map(|i| Arc::from(name(i))).collect());
        let mut copy = loaded.clone();
        assert_eq!(copy.code(&name(SCANNED_NAMES + 2)) as usize, SCANNED_NAMES + 2);
        assert_eq!(copy.code("late") as usize, SCANNED_NAMES + 3);
        assert_eq!(copy.code(&name(0)), 0);
    }

    #[test]
    fn dictionary_codes_are_stable() {
        let mut d = Dictionary::default();
        assert_eq!(d.code("a"), 0);
        assert_eq!(d.code("b"), 1);
        assert_eq!(d.code("a"), 0);
        assert_eq!(d.names().len(), 2);
    }
}
