//! A rolling monitor of many patterns: records carry a pattern id, and each pattern has its
//! own `Rolling` (its buckets, as the one-pattern monitor keeps them).
//!
//! An add is grouped once: its rows are sorted by pattern (a counting sort of the reader's
//! codes) and each pattern's rows go to its window, the patterns in parallel. A snapshot
//! finalizes every pattern holding a bucket of its window, in parallel.
//!
//! One kept range for all: the `KEPT_WINDOWS` windows of buckets ending with the newest
//! bucket that a record of any pattern fell in, as a one-pattern monitor of all the
//! records keeps. A snapshot whose window reaches below it is an error (as that monitor's
//! is); every other snapshot's row of a pattern equals the snapshot of a one-pattern
//! monitor fed that pattern's records, which keeps at least the same buckets.
//!
//! Memory is bounded by the patterns active in the kept range (the design is silent on a
//! pattern that goes silent; the choice here): after each add, a pattern holding no
//! bucket of the kept range is forgotten, with its counts. Its records have left every
//! window a snapshot can answer, so it has no row of its own; should it come back, it
//! starts anew. A pattern none of whose records were filed (all invalid, or ahead of
//! `max_future`) is forgotten the same way: the whole monitor's counts keep them. (They
//! are forgotten in place: the lists of ids and windows keep their capacity, a slot for
//! each of the most patterns held at once, as a `Vec` does after `retain`; rebuilt
//! smaller, as until session 62, they allocated where an add may no longer fail.)
//!
//! Atomic adds: an update is read into a `BatchRollingUpdate` of its own (its chunks, each
//! one's rows sorted by pattern), and taking it in (`take`) files the rows straight into
//! the monitor's buckets, in two steps. First, with nothing changed, the rows are keyed by
//! bucket, the buckets the monitor lacks are made apart (room counted as they are made,
//! `RoomAsItGoes`), what filing the rest allocates is checked whole (`Filing`), and room
//! is made for the new patterns' ids and windows (`GroupIndex::reserve_for`); out of
//! memory, the add fails there and the monitor is as it was. Then the ids are counted, the
//! new buckets taken in, the rows filed and the patterns left without a bucket forgotten
//! (in place: `GroupIndex::retain_codes`), with no fallible step.
//!
//! Filing straight in gives the buckets a copy-then-merge gave (the update's own buckets,
//! merged in: until session 61, most of an add's time at 10,000 patterns, where it makes a
//! bucket copy per pattern and bucket it touches): counts and sums alike, the execution
//! times appended in the same order. Only where a bucket's times would pass the exact
//! budget does a merge summarize in other blocks than an add; there the rows are read
//! into a bucket of their own and merged, as before.

use rayon::prelude::*;

use crate::accumulator::{Accumulator, ROOM_PER_GROUP};
use crate::buckets::Window;
use crate::columns::Columns;
use crate::error::CoreError;
use crate::group::{GroupIndex, NO_GROUP};
use crate::group_results::{check_output_room, output_bytes_of};
use crate::metrics::Analytics;
use crate::rolling::{Rolling, BUCKETS_PER_CHECK, BYTES_PER_BUCKET, BYTES_PER_ROW, KEPT_WINDOWS, MERGED_PARTS};
use crate::room::{count_text, ensure_room, try_grow, try_grow_exact, RoomAsItGoes};

/// A pattern's share beside its buckets: its window's settings (a template accumulator)
/// and its id's entry in the index.
pub(crate) const BYTES_PER_PATTERN: usize = std::mem::size_of::<Rolling>() + ROOM_PER_GROUP + 128;

/// The monitor: its settings (`base`, whose `newest` is the newest bucket of any pattern
/// and whose ring stays empty), the patterns' ids with their cumulative counts, and their
/// windows by code.
#[derive(Clone)]
pub struct BatchRolling {
    pub(crate) base: Rolling,
    pub(crate) index: GroupIndex,
    pub(crate) patterns: Vec<Rolling>,
}

/// An add's records by pattern (codes of the reader's own index), read before the
/// monitor takes them: its chunks, each with its rows sorted by pattern.
#[derive(Clone)]
pub struct BatchRollingUpdate {
    chunks: Vec<SortedChunk>,
    /// Patterns the chunks' codes reach (codes below this).
    patterns: usize,
    /// The monitor's settings (for `room_to_add`).
    buckets: usize,
    performance: bool,
}

/// A chunk of an add, and its rows by pattern: pattern `g`'s rows, in order, are
/// `order[starts[g]..starts[g + 1]]` (a counting sort of the reader's codes).
#[derive(Clone)]
struct SortedChunk {
    columns: Columns,
    starts: Vec<u32>,
    order: Vec<u32>,
}

impl SortedChunk {
    fn rows(&self, pattern: usize) -> &[u32] {
        match (self.starts.get(pattern), self.starts.get(pattern + 1)) {
            (Some(&start), Some(&end)) => &self.order[start as usize..end as usize],
            _ => &[],
        }
    }
}

/// What a chunk's copy held by an update takes per row: its columns (an instant, flags,
/// two floats, five codes) and its place in the pattern order, with room to spare.
const HELD_PER_ROW: usize = 64;

/// How one pattern's rows of an add go into its window, worked out before anything
/// changes (`Filing::plan`): the rows in the kept range by bucket, the buckets its window
/// lacks (made, not yet held), and what filing them allocates beyond those.
struct Filing {
    /// (bucket index, chunk, row), sorted: by bucket, then in record order.
    keyed: Vec<(i64, u32, u32)>,
    /// The buckets the window lacks, empty, in key order.
    new: Vec<(i64, Box<Accumulator>)>,
    /// The pattern's rows in the add (for `Rolling::rows`), and the newest bucket index
    /// among them: those before the kept range too, as an update's window counted them.
    rows: usize,
    newest: Option<i64>,
    /// What filing allocates beyond the new buckets (their execution times, a held
    /// bucket's regrown ones), for the whole check before filing.
    bytes: usize,
}

impl Filing {
    /// The filing of pattern `pattern`'s rows of `chunks` into `mine` (None: a pattern the
    /// monitor does not hold), leaving out the rows in buckets before `oldest` (the kept
    /// range after the add). New buckets are made of `base`'s settings, counted in `room`.
    fn plan(
        base: &Rolling,
        mine: Option<&Rolling>,
        chunks: &[SortedChunk],
        pattern: usize,
        oldest: i64,
        room: &RoomAsItGoes,
    ) -> Result<Filing, CoreError> {
        let mut filing = Filing {
            keyed: Vec::new(),
            new: Vec::new(),
            rows: 0,
            newest: None,
            bytes: 0,
        };
        for (place, chunk) in chunks.iter().enumerate() {
            let rows = chunk.rows(pattern);
            let timestamps = &chunk.columns.timestamp[..];
            filing.rows += rows.len();
            for &row in rows {
                let key = base.key(timestamps[row as usize]);
                filing.newest = Some(filing.newest.map_or(key, |newest: i64| newest.max(key)));
                if key >= oldest {
                    filing.keyed.push((key, place as u32, row));
                }
            }
        }
        filing.keyed.sort_unstable();
        let records = || chunks.iter().map(|chunk| chunk.columns.len()).sum::<usize>();
        let times = |rows: usize| {
            if base.template.families.performance {
                rows.saturating_mul(16)
            } else {
                0
            }
        };
        for run in filing.keyed.chunk_by(|a, b| a.0 == b.0) {
            let key = run[0].0;
            let grows = match mine.and_then(|rolling| rolling.ring.get(&key)) {
                Some(held) if held.durations.keeps_exactly(run.len()) => {
                    held.durations.growth_bytes(run.len()).saturating_add(MERGED_PARTS)
                }
                // (Read into a bucket of its own, then merged: see `Rolling::file`.)
                Some(held) => BYTES_PER_BUCKET
                    .saturating_add(
                        held.durations
                            .kept_bytes()
                            .saturating_add(times(run.len()))
                            .saturating_mul(2),
                    )
                    .saturating_add(MERGED_PARTS),
                None => {
                    room.one_more(|| format!("new buckets (an add of {} records)", count_text(records())))?;
                    filing.new.push((key, base.new_bucket(key)));
                    times(run.len()).saturating_add(64)
                }
            };
            filing.bytes = filing.bytes.saturating_add(grows);
        }
        Ok(filing)
    }
}

impl Rolling {
    /// File a batch monitor's `filing` of `chunks` (see `Filing::plan`, made of this window
    /// as it still is): its new buckets taken in, its rows added. Nothing here fails: the
    /// room was checked with the plan. A bucket whose execution times would pass the exact
    /// budget takes the rows as a merge of a bucket of their own (as the update's copy was
    /// merged), the only way to the same summary.
    fn file(&mut self, filing: Filing, chunks: &[SortedChunk]) {
        self.rows = self.rows.saturating_add(filing.rows);
        if let Some(newest) = filing.newest {
            self.newest = Some(self.newest.map_or(newest, |mine| mine.max(newest)));
        }
        let mut new = filing.new.into_iter().peekable();
        for run in filing.keyed.chunk_by(|a, b| a.0 == b.0) {
            let key = run[0].0;
            if new.peek().is_some_and(|&(first, _)| first == key) {
                let (_, mut acc) = new.next().expect("peeked");
                add_run(&mut acc, run, chunks);
                acc.release_scratch();
                self.ring.insert(key, acc);
                continue;
            }
            let theirs = match self.ring.get(&key) {
                Some(held) if held.durations.keeps_exactly(run.len()) => None,
                _ => {
                    let mut theirs = self.new_bucket(key);
                    add_run(&mut theirs, run, chunks);
                    Some(theirs)
                }
            };
            let held = self.ring.get_mut(&key).expect("a bucket the plan found held");
            match theirs {
                Some(theirs) => held.merge(&theirs),
                None => {
                    add_run(held, run, chunks);
                    held.release_scratch();
                }
            }
        }
        debug_assert!(new.next().is_none(), "every new bucket filed");
    }
}

/// Add the rows of `run` ((bucket, chunk, row), one bucket's, in record order) to `acc`,
/// a chunk's rows at a time.
fn add_run(acc: &mut Accumulator, run: &[(i64, u32, u32)], chunks: &[SortedChunk]) {
    for part in run.chunk_by(|a, b| a.1 == b.1) {
        let columns = &chunks[part[0].1 as usize].columns;
        acc.add_rows(columns, part.iter().map(|&(_, _, row)| row as usize));
    }
}

/// A snapshot: its window, the patterns holding records in it (an index of their ids and
/// counts, as a batch call's) and their analytics, in the index's order.
pub struct BatchSnapshot {
    pub window: Window,
    pub index: GroupIndex,
    pub analytics: Vec<Analytics>,
}

impl BatchRolling {
    pub fn new(base: Rolling) -> BatchRolling {
        BatchRolling {
            base: base.empty_like(),
            index: GroupIndex::default(),
            patterns: Vec::new(),
        }
    }

    /// An empty update to read an add into.
    pub fn fresh_update(&self) -> BatchRollingUpdate {
        BatchRollingUpdate {
            chunks: Vec::new(),
            patterns: 0,
            buckets: self.base.buckets,
            performance: self.base.template.families.performance,
        }
    }

    /// The oldest instant still retained (see `Rolling::retained_from`).
    pub fn retained_from(&self) -> i64 {
        self.base.retained_from()
    }

    pub fn newest_start(&self) -> Option<i64> {
        self.base.newest_start()
    }

    pub fn retained_buckets(&self) -> usize {
        self.patterns.iter().map(Rolling::retained_buckets).sum()
    }

    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// This monitor's code of the update's pattern `code`, if it holds that pattern.
    fn code_of(&self, index: &GroupIndex, code: usize) -> Option<usize> {
        self.index.find(&index.keys()[code]).map(|mine| mine as usize)
    }

    /// Take in an update read with `fresh_update` (its ids and counts in `index`), then
    /// forget the patterns left with no bucket in the kept range (see the module's note).
    /// Atomic: out of memory, it fails before anything changes (see the module's note).
    pub fn take(&mut self, update: BatchRollingUpdate, index: &GroupIndex) -> Result<(), CoreError> {
        let before = self.base.newest;
        let chunks = &update.chunks;
        // The kept range after the add: rows before it make no bucket (a copy's buckets
        // before it were dropped as it was taken in).
        let newest = chunks
            .iter()
            .flat_map(|chunk| chunk.order.iter().map(|&row| chunk.columns.timestamp[row as usize]))
            .max()
            .map(|ts| self.base.key(ts));
        let after = before.max(newest);
        let oldest = after.map_or(i64::MIN, |newest| newest - KEPT_WINDOWS * self.base.buckets as i64 + 1);
        let codes = index.keys().len().min(update.patterns);
        let mine: Vec<Option<usize>> = (0..codes).map(|code| self.code_of(index, code)).collect();
        let room = RoomAsItGoes::new(BUCKETS_PER_CHECK, BYTES_PER_BUCKET);
        let (base, patterns) = (&self.base, &self.patterns);
        let filings: Vec<Filing> = crate::pool::install(|| {
            (0..codes)
                .into_par_iter()
                .map(|code| Filing::plan(base, mine[code].map(|m| &patterns[m]), chunks, code, oldest, &room))
                .collect::<Result<_, _>>()
        })?;
        // Beside the filings: a new pattern's window and id, and the lists by pattern below
        // (generously: this once covered the index rebuilt when patterns were forgotten).
        let mut bytes = self.index.keys().len().saturating_mul(BYTES_PER_PATTERN / 4);
        for (filing, mine) in filings.iter().zip(&mine) {
            let pattern = if mine.is_some() { 0 } else { BYTES_PER_PATTERN };
            bytes = bytes.saturating_add(filing.bytes).saturating_add(pattern);
        }
        ensure_room(bytes, || {
            format!("taking in the records of {} patterns", count_text(index.keys().len()))
        })?;
        // Room for the new patterns' ids and windows, made before anything changes: the
        // loop below then cannot fail part way. (Until session 62 each id was made and
        // checked in the loop: out of memory there, the patterns before kept their new
        // counts and windows without their rows, a monitor whose bytes did not load.)
        let new = self.index.reserve_for(index.keys())?;
        let after_add = self.patterns.len().saturating_add(new);
        try_grow(&mut self.patterns, after_add, || {
            format!("the windows of {} patterns", count_text(after_add))
        })?;
        // The scratch of the loops below, fallible too (a few bytes a pattern, but for
        // every pattern of the monitor).
        let scratch = || format!("filing the rows of {} patterns", count_text(after_add));
        let mut touched = Vec::new();
        try_grow_exact(&mut touched, index.keys().len(), scratch)?;
        let mut by_window: Vec<Option<Filing>> = Vec::new();
        try_grow_exact(&mut by_window, after_add, scratch)?;
        by_window.resize_with(after_add, || None);
        let mut new_codes = Vec::new();
        try_grow_exact(&mut new_codes, after_add, scratch)?;

        // Nothing has changed so far. The ids and counts, and a window per new pattern:
        for (code, key) in index.keys().iter().enumerate() {
            let mine = self.index.code(key);
            debug_assert!(mine != NO_GROUP && self.index.check_memory().is_ok(), "room made");
            self.index.add_report(mine, &index.report(code));
            let mine = mine as usize;
            if mine == self.patterns.len() {
                self.patterns.push(self.base.empty_like());
            }
            touched.push(mine);
        }
        debug_assert!(self.patterns.len() <= after_add);
        // Then the rows, the patterns in parallel (each filing to its own window).
        by_window.truncate(self.patterns.len());
        for (filing, &mine) in filings.into_iter().zip(&touched) {
            by_window[mine] = Some(filing);
        }
        crate::pool::install(|| {
            self.patterns
                .par_iter_mut()
                .zip(by_window.into_par_iter())
                .for_each(|(rolling, filing)| {
                    if let Some(filing) = filing {
                        rolling.file(filing, chunks);
                    }
                })
        });
        self.base.newest = after;
        if self.base.newest != before {
            for rolling in &mut self.patterns {
                rolling.drop_before(oldest);
            }
            self.forget(|rolling| rolling.ring.is_empty(), &mut new_codes);
        } else if touched.iter().any(|&code| self.patterns[code].ring.is_empty()) {
            self.forget(|rolling| rolling.ring.is_empty(), &mut new_codes);
        }
        Ok(())
    }

    /// Drop the patterns `gone` says are gone, with their ids and counts, the others kept
    /// in order. In place, allocating nothing (`new_codes`, each pattern's code after,
    /// has its room already): `take` forgets after its changes, where nothing may fail.
    fn forget(&mut self, gone: impl Fn(&Rolling) -> bool, new_codes: &mut Vec<u32>) {
        if !self.patterns.iter().any(&gone) {
            return;
        }
        debug_assert!(new_codes.capacity() >= self.patterns.len());
        new_codes.clear();
        let mut kept = 0;
        new_codes.extend(self.patterns.iter().map(|rolling| {
            if gone(rolling) {
                return NO_GROUP;
            }
            kept += 1;
            kept - 1
        }));
        self.index.retain_codes(new_codes);
        let mut codes = new_codes.iter();
        self.patterns
            .retain(|_| codes.next().is_some_and(|&code| code != NO_GROUP));
    }

    /// The rows of the window ending with the bucket holding `now`: each pattern holding a
    /// bucket of it (see the module's note). Nothing changes.
    pub fn snapshot(&self, now: i64) -> Result<BatchSnapshot, CoreError> {
        let (window, keys) = self.base.window_at(now)?;
        let codes: Vec<usize> = (0..self.patterns.len())
            .filter(|&code| self.patterns[code].holds_any(keys.clone()))
            .collect();
        let bytes = codes
            .iter()
            .map(|&code| self.patterns[code].room_to_snapshot(keys.clone()))
            .fold(0usize, usize::saturating_add);
        ensure_room(bytes, || format!("a snapshot of {} patterns", count_text(codes.len())))?;
        let patterns = &self.patterns;
        let analytics: Vec<Analytics> = crate::pool::install(|| {
            codes
                .par_iter()
                .map(|&code| patterns[code].snapshot_of(window, keys.clone()))
                .collect()
        });
        // (Counted on the analytics made: their entries and points are known now.)
        let outputs = analytics.iter().map(output_bytes_of).fold(0, usize::saturating_add);
        check_output_room(codes.len(), outputs)?;
        let mut index = GroupIndex::default();
        for (&code, result) in codes.iter().zip(&analytics) {
            let row = index.code(&self.index.keys()[code]);
            index.check_memory()?;
            let mut report = self.index.report(code);
            let in_window = result.usage.total_executions as usize;
            report.outside_window = report.received.saturating_sub(report.invalid).saturating_sub(in_window);
            index.add_report(row, &report);
        }
        Ok(BatchSnapshot {
            window,
            index,
            analytics,
        })
    }
}

impl BatchRollingUpdate {
    /// Hold a chunk whose `columns.group` holds each row's pattern code, its rows sorted
    /// by pattern; the monitor files them when it takes the update (`BatchRolling::take`).
    pub fn add(&mut self, columns: &Columns) -> Result<(), CoreError> {
        columns.assert_coded();
        let groups = &columns.group;
        let needed = groups
            .iter()
            .filter(|&&g| g != NO_GROUP)
            .map(|&g| g as usize + 1)
            .max()
            .unwrap_or(0);
        self.patterns = self.patterns.max(needed);
        // Counting sort of the rows by pattern, each pattern's rows kept in order.
        let mut starts = vec![0u32; needed + 1];
        for &g in groups.iter().filter(|&&g| g != NO_GROUP) {
            starts[g as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next: Vec<u32> = starts[..needed].to_vec();
        let mut order = vec![0u32; starts[needed] as usize];
        for (row, &g) in groups.iter().enumerate() {
            if g != NO_GROUP {
                order[next[g as usize] as usize] = row as u32;
                next[g as usize] += 1;
            }
        }
        self.chunks.push(SortedChunk {
            columns: columns.clone(),
            starts,
            order,
        });
        Ok(())
    }

    /// At most what `add(columns)` allocates and taking the chunk in makes (see
    /// `Rolling::room_to_add`): the chunk's copy and order, and what filing it makes, a
    /// window per new pattern, a bucket per row at most, each row's key and execution
    /// time. (Counted here, where the rows are read, as when an update made its buckets:
    /// `take` checks again as it makes them.)
    pub fn room_to_add(&self, columns: &Columns) -> usize {
        let rows = columns.len();
        let patterns = columns.group.iter().copied().filter(|&g| g != NO_GROUP).max();
        let new = patterns.map_or(0, |g| (g as usize + 1).saturating_sub(self.patterns));
        let most = KEPT_WINDOWS as usize * self.buckets;
        let buckets = rows.min(self.patterns.saturating_add(new).saturating_mul(most));
        let times = if self.performance {
            rows.saturating_mul(2 * std::mem::size_of::<f64>())
        } else {
            0
        };
        new.saturating_mul(BYTES_PER_PATTERN)
            .saturating_add(buckets.saturating_mul(BYTES_PER_BUCKET))
            .saturating_add(rows.saturating_mul(BYTES_PER_ROW + HELD_PER_ROW + 2 * std::mem::size_of::<u32>()))
            .saturating_add(times)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::MICROS_PER_HOUR;
    use crate::group::{with_room_for_ids, GroupKey};
    use crate::ingest::IngestReport;
    use crate::rolling::tests::{columns, template};

    const H: i64 = MICROS_PER_HOUR;

    fn base() -> Rolling {
        Rolling::new(template(Window::new(0, 1, "custom", Some(1)).unwrap()), H, 3).unwrap()
    }

    /// `instants` of the patterns `ids` (one id per instant), as the reader codes them.
    fn update(monitor: &BatchRolling, instants: &[i64], ids: &[i64]) -> (BatchRollingUpdate, GroupIndex) {
        let mut chunk = columns(instants);
        let mut index = GroupIndex::default();
        chunk.group = ids.iter().map(|&id| index.code(&GroupKey::Int(id))).collect();
        for &code in &chunk.group {
            index.count_record(code);
        }
        let mut update = monitor.fresh_update();
        update.add(&chunk).unwrap();
        (update, index)
    }

    fn add(monitor: &mut BatchRolling, instants: &[i64], ids: &[i64]) {
        let (update, index) = update(monitor, instants, ids);
        monitor.take(update, &index).unwrap();
    }

    #[test]
    fn each_row_equals_a_one_pattern_window_of_its_records() {
        let instants: Vec<i64> = (0..60).map(|i| i * H / 7 + 11).collect();
        let ids: Vec<i64> = (0..60).map(|i| i % 4).collect();
        let mut monitor = BatchRolling::new(base());
        for (chunk, chunk_ids) in instants.chunks(9).zip(ids.chunks(9)) {
            add(&mut monitor, chunk, chunk_ids);
        }
        let now = instants[59];
        let snapshot = monitor.snapshot(now).unwrap();
        assert_eq!(snapshot.analytics.len(), 4);
        for (row, key) in snapshot.index.keys().iter().enumerate() {
            let GroupKey::Int(id) = key else { panic!("an int id") };
            let mine: Vec<i64> = instants
                .iter()
                .zip(&ids)
                .filter(|&(_, i)| i == id)
                .map(|(&ts, _)| ts)
                .collect();
            let mut one = base();
            one.add(&columns(&mine)).unwrap();
            let (want, window) = one.snapshot(now).unwrap();
            let got = &snapshot.analytics[row];
            assert_eq!(window, snapshot.window);
            assert_eq!(
                (&got.usage, &got.trend, &got.distribution),
                (&want.usage, &want.trend, &want.distribution)
            );
            assert_eq!(snapshot.index.report(row).received, mine.len());
        }
    }

    /// Records of the patterns 0 to 3 in one to three chunks (each `(instants, ids)`),
    /// around `clock`: some in the next bucket, some a backlog behind the kept range.
    fn random_add(next: &mut impl FnMut() -> u64, clock: i64) -> Vec<(Vec<i64>, Vec<i64>)> {
        (0..1 + next() % 3)
            .map(|_| {
                let rows = (next() % 12) as usize;
                let instants = (0..rows)
                    .map(|_| clock + H - (next() % (8 * H as u64)) as i64)
                    .collect();
                (instants, (0..rows).map(|_| (next() % 4) as i64).collect())
            })
            .collect()
    }

    #[test]
    fn filing_straight_in_equals_taking_a_copy_of_each_patterns_rows() {
        // The reference: per pattern a one-pattern window taking each add as a copy
        // (`fresh`, a chunk at a time, `merge_owned`), as the batch monitor's adds did
        // until session 61. Budgets that buckets pass (merged summaries), none (0), or
        // never; adds of several chunks; backlogs behind the kept range.
        for budget in [0, 2, 5, 1024] {
            let settings = || {
                let durations = crate::durations::Durations::new(budget, 0.01).unwrap();
                let template = template(Window::new(0, 1, "custom", Some(1)).unwrap()).with_durations(durations);
                Rolling::new(template, H, 3).unwrap()
            };
            let mut next = crate::test_random::xorshift(budget as u64 + 7);
            let mut monitor = BatchRolling::new(settings());
            let mut reference: Vec<Rolling> = (0..4).map(|_| settings()).collect();
            let mut clock = 10 * H;
            for _ in 0..60 {
                let parts = random_add(&mut next, clock);
                clock += (next() % (H as u64)) as i64;
                let mut index = GroupIndex::default();
                let mut update = monitor.fresh_update();
                for (instants, ids) in &parts {
                    let mut chunk = columns(instants);
                    chunk.group = ids.iter().map(|&id| index.code(&GroupKey::Int(id))).collect();
                    for &code in &chunk.group {
                        index.count_record(code);
                    }
                    update.add(&chunk).unwrap();
                }
                monitor.take(update, &index).unwrap();
                for (id, window) in reference.iter_mut().enumerate() {
                    let mut copy = window.fresh();
                    for (instants, ids) in &parts {
                        let floor = window.retained_from().max(monitor.retained_from());
                        let mine: Vec<i64> = instants
                            .iter()
                            .zip(ids)
                            .filter(|&(&ts, &of)| of == id as i64 && ts >= floor)
                            .map(|(&ts, _)| ts)
                            .collect();
                        copy.add(&columns(&mine)).unwrap();
                    }
                    window.make_room_to_merge(&copy).unwrap();
                    window.merge_owned(copy);
                }
                let now = monitor.base.newest.unwrap_or(0) * H;
                let (window, keys) = monitor.base.window_at(now).unwrap();
                for (id, one) in reference.iter().enumerate() {
                    let (want, _) = one.snapshot(now).unwrap();
                    match monitor.index.find(&GroupKey::Int(id as i64)) {
                        Some(code) => {
                            let got = monitor.patterns[code as usize].snapshot_of(window, keys.clone());
                            assert_eq!(
                                (&got.usage, &got.trend, &got.distribution, &got.performance),
                                (&want.usage, &want.trend, &want.distribution, &want.performance),
                                "budget {budget}, pattern {id}"
                            );
                        }
                        None => assert_eq!(want.usage.total_executions, 0),
                    }
                }
                for rolling in &monitor.patterns {
                    assert!(rolling.ring.values().all(|acc| !acc.holds_scratch()));
                    assert!(rolling
                        .ring
                        .keys()
                        .all(|&key| key >= monitor.base.oldest_kept().unwrap()));
                }
            }
        }
    }

    #[test]
    fn a_pattern_left_behind_the_kept_range_is_forgotten() {
        let mut monitor = BatchRolling::new(base());
        add(&mut monitor, &[0, H], &[1, 2]);
        assert_eq!(monitor.pattern_count(), 2);
        // Pattern 2 moves the kept range (6 buckets) past pattern 1's only bucket.
        add(&mut monitor, &[6 * H], &[2]);
        assert_eq!(monitor.pattern_count(), 1);
        assert_eq!(monitor.index.keys(), &[GroupKey::Int(2)]);
        assert_eq!(monitor.index.report(0).received, 2);
        assert_eq!(monitor.retained_buckets(), 2);
        // It comes back anew, its counts from then on.
        add(&mut monitor, &[6 * H + 1], &[1]);
        assert_eq!(monitor.index.report(1).received, 1);
        let snapshot = monitor.snapshot(6 * H).unwrap();
        assert_eq!(snapshot.analytics.len(), 2);
        // A window below the kept range is an error, as a one-pattern monitor's.
        assert!(monitor.snapshot(2 * H).is_err());
    }

    /// The monitor as saved (its bytes, loaded back to check them).
    fn saved(monitor: &BatchRolling) -> Vec<u8> {
        let report = IngestReport {
            received: 1 << 20,
            ..IngestReport::default()
        };
        let bytes = crate::wire::serialize_batch_rolling(monitor, &report, b"").unwrap();
        if let Err(error) = crate::wire::batch_rolling_from_bytes(&bytes) {
            panic!("the saved monitor does not load: {error}");
        }
        bytes
    }

    #[test]
    fn a_take_short_of_memory_for_its_ids_changes_nothing_and_can_be_made_again() {
        // Two held patterns and three new ones, interleaved: the index finds memory for
        // none, one or two of the new ids (failing after 1's counts; after 1's, 3's, 2's).
        let mut monitor = BatchRolling::new(base());
        add(&mut monitor, &[0, H, 2 * H], &[1, 2, 1]);
        let (update, index) = update(&monitor, &[3 * H, 3 * H + 1, 4 * H, 4 * H, 5 * H], &[1, 3, 2, 4, 5]);
        let mut whole = monitor.clone();
        whole.take(update.clone(), &index).unwrap();
        let before = saved(&monitor);
        for room in 0..3 {
            let mut tried = monitor.clone();
            let failed = with_room_for_ids(room, || tried.take(update.clone(), &index)).unwrap_err();
            assert!(matches!(failed, CoreError::OutOfMemory(_)), "{failed}");
            assert_eq!(saved(&tried), before, "room for {room} new ids");
            // Memory back, the add made again gives what it gives at the first try.
            tried.take(update.clone(), &index).unwrap();
            assert_eq!(saved(&tried), saved(&whole), "room for {room} new ids");
        }
    }

    #[test]
    fn forgetting_patterns_makes_no_id() {
        // Pattern 2 moves the kept range past pattern 1's only bucket: 1 is forgotten,
        // where memory is left for no new id.
        let mut monitor = BatchRolling::new(base());
        add(&mut monitor, &[0, H], &[1, 2]);
        let (update, index) = update(&monitor, &[6 * H], &[2]);
        let mut whole = monitor.clone();
        whole.take(update.clone(), &index).unwrap();
        with_room_for_ids(0, || monitor.take(update, &index)).unwrap();
        assert_eq!(monitor.index.keys(), &[GroupKey::Int(2)]);
        assert_eq!(saved(&monitor), saved(&whole));
    }

    #[test]
    fn random_takes_short_of_memory_change_nothing() {
        // Random adds (new patterns, backlogs, patterns forgotten), each first tried with
        // memory for fewer ids than it brings: the failed try leaves the monitor as it was,
        // and the monitor ends as one that never failed.
        let mut next = crate::test_random::xorshift(0x9e37_79b9_7f4a_7c15);
        let (mut monitor, mut never_failed) = (BatchRolling::new(base()), BatchRolling::new(base()));
        let mut clock = 10 * H;
        let mut failures = 0;
        for _ in 0..200 {
            let parts = random_add(&mut next, clock);
            clock += (next() % (2 * H as u64)) as i64;
            let mut index = GroupIndex::default();
            let mut update = monitor.fresh_update();
            for (instants, ids) in &parts {
                let mut chunk = columns(instants);
                // (Ids 0 to 3 shifted as the clock goes: old patterns stop, new ones come.)
                let shift = clock / (4 * H);
                chunk.group = ids.iter().map(|&id| index.code(&GroupKey::Int(id + shift))).collect();
                for &code in &chunk.group {
                    index.count_record(code);
                }
                update.add(&chunk).unwrap();
            }
            let new = index
                .keys()
                .iter()
                .filter(|&key| monitor.index.find(key).is_none())
                .count();
            if new > 0 {
                let before = saved(&monitor);
                let room = (next() % new as u64) as usize;
                let failed = with_room_for_ids(room, || monitor.take(update.clone(), &index));
                assert!(matches!(failed, Err(CoreError::OutOfMemory(_))));
                assert_eq!(saved(&monitor), before);
                failures += 1;
            }
            monitor.take(update.clone(), &index).unwrap();
            never_failed.take(update, &index).unwrap();
            assert_eq!(saved(&monitor), saved(&never_failed));
        }
        assert!(failures > 50, "{failures}");
    }

    #[test]
    fn bytes_round_trip_and_refuse_a_one_pattern_monitor() {
        let mut monitor = BatchRolling::new(base());
        add(&mut monitor, &[0, H, 2 * H, 4 * H], &[1, 2, 1, 3]);
        let report = IngestReport {
            received: 4,
            ..IngestReport::default()
        };
        let bytes = crate::wire::serialize_batch_rolling(&monitor, &report, b"meta").unwrap();
        let (loaded, loaded_report, meta) = crate::wire::batch_rolling_from_bytes(&bytes).unwrap();
        assert_eq!((meta, loaded_report.received), (&b"meta"[..], 4));
        assert_eq!(loaded.index.keys(), monitor.index.keys());
        assert_eq!(loaded.base.newest, monitor.base.newest);
        let (a, b) = (loaded.snapshot(4 * H).unwrap(), monitor.snapshot(4 * H).unwrap());
        assert_eq!(a.analytics.len(), b.analytics.len());
        for (x, y) in a.analytics.iter().zip(&b.analytics) {
            assert_eq!((&x.usage, &x.trend), (&y.usage, &y.trend));
        }
        let empty = base();
        let serialized = crate::wire::serialize_rolling(&empty, &IngestReport::default(), b"").unwrap();
        let mut one = vec![0; serialized.byte_len()];
        serialized.write_into(&mut one).unwrap();
        assert!(crate::wire::batch_rolling_from_bytes(&one).is_err());
        for cut in [0, 10, bytes.len() / 2, bytes.len() - 1] {
            assert!(crate::wire::batch_rolling_from_bytes(&bytes[..cut]).is_err());
        }
    }
}
