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
//! `max_future`) is forgotten the same way: the whole monitor's counts keep them.
//!
//! Atomic adds: an update is read into a `BatchRollingUpdate` of its own, and taking it in
//! (`take`) is checked whole for room first, as `Rolling::merge_owned` is.

use rayon::prelude::*;

use crate::accumulator::ROOM_PER_GROUP;
use crate::buckets::Window;
use crate::columns::Columns;
use crate::error::CoreError;
use crate::group::{GroupIndex, NO_GROUP};
use crate::group_results::{check_output_room, output_bytes_of};
use crate::metrics::Analytics;
use crate::rolling::{Rolling, BUCKETS_PER_CHECK, BYTES_PER_BUCKET, BYTES_PER_ROW, KEPT_WINDOWS};
use crate::room::{count_text, ensure_room, RoomAsItGoes};

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
/// monitor takes them.
#[derive(Clone)]
pub struct BatchRollingUpdate {
    template: Rolling,
    /// The monitor's kept range when the add began: older rows make no bucket.
    floor: i64,
    patterns: Vec<Rolling>,
    /// Scratch of the counting sort: per pattern where its rows start; the rows by pattern.
    starts: Vec<u32>,
    order: Vec<u32>,
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
            template: self.base.empty_like(),
            floor: self.base.oldest_kept().unwrap_or(i64::MIN),
            patterns: Vec::new(),
            starts: Vec::new(),
            order: Vec::new(),
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

    /// Check that `take(update, index)` will find the memory it takes: each pattern's
    /// merge (`Rolling::bytes_to_merge`), a new pattern's window and id, and the index
    /// rebuilt when patterns are forgotten.
    pub fn make_room_to_take(&self, update: &BatchRollingUpdate, index: &GroupIndex) -> Result<(), CoreError> {
        let mut bytes = self.index.keys().len().saturating_mul(BYTES_PER_PATTERN / 4);
        for (code, theirs) in update.patterns.iter().enumerate() {
            let grows = match self.code_of(index, code) {
                Some(mine) => self.patterns[mine].bytes_to_merge(theirs),
                None => BYTES_PER_PATTERN.saturating_add(theirs.retained_buckets().saturating_mul(64)),
            };
            bytes = bytes.saturating_add(grows);
        }
        ensure_room(bytes, || {
            format!("taking in the records of {} patterns", count_text(index.keys().len()))
        })
    }

    /// This monitor's code of the update's pattern `code`, if it holds that pattern.
    fn code_of(&self, index: &GroupIndex, code: usize) -> Option<usize> {
        self.index.find(&index.keys()[code]).map(|mine| mine as usize)
    }

    /// Take in an update read with `fresh_update` (its ids and counts in `index`), then
    /// forget the patterns left with no bucket in the kept range (see the module's note).
    pub fn take(&mut self, update: BatchRollingUpdate, index: &GroupIndex) -> Result<(), CoreError> {
        let before = self.base.newest;
        let mut touched = Vec::with_capacity(index.keys().len());
        let mut theirs = update.patterns.into_iter();
        for (code, key) in index.keys().iter().enumerate() {
            let mine = self.index.code(key);
            self.index.check_memory()?;
            self.index.add_report(mine, &index.report(code));
            let mine = mine as usize;
            if mine == self.patterns.len() {
                self.patterns.push(self.base.empty_like());
            }
            if let Some(rolling) = theirs.next() {
                if let Some(newest) = rolling.newest {
                    self.base.newest = Some(self.base.newest.map_or(newest, |n| n.max(newest)));
                }
                self.patterns[mine].merge_owned(rolling);
            }
            touched.push(mine);
        }
        if self.base.newest != before {
            let oldest = self.base.oldest_kept().expect("a record fell in a bucket");
            for rolling in &mut self.patterns {
                rolling.drop_before(oldest);
            }
            self.forget(|rolling| rolling.ring.is_empty());
        } else if touched.iter().any(|&code| self.patterns[code].ring.is_empty()) {
            self.forget(|rolling| rolling.ring.is_empty());
        }
        self.index.check_memory()
    }

    /// Drop the patterns `gone` says are gone, with their ids and counts (the index is
    /// rebuilt in the same order: it has no removal).
    fn forget(&mut self, gone: impl Fn(&Rolling) -> bool) {
        if !self.patterns.iter().any(&gone) {
            return;
        }
        let old = std::mem::take(&mut self.index);
        let patterns = std::mem::take(&mut self.patterns);
        for (code, rolling) in patterns.into_iter().enumerate() {
            if gone(&rolling) {
                continue;
            }
            let kept = self.index.code(&old.keys()[code]);
            self.index.add_report(kept, &old.report(code));
            self.patterns.push(rolling);
        }
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
    /// File a chunk whose `columns.group` holds each row's pattern code. Room is checked
    /// as the buckets are made (`RoomAsItGoes`), beyond the chunk's whole check before
    /// (`room_to_add`): out of memory, the update is left part filled, and the add fails
    /// before the monitor takes anything.
    pub fn add(&mut self, columns: &Columns) -> Result<(), CoreError> {
        columns.assert_coded();
        let groups = &columns.group;
        let needed = groups
            .iter()
            .filter(|&&g| g != NO_GROUP)
            .map(|&g| g as usize + 1)
            .max()
            .unwrap_or(0);
        while self.patterns.len() < needed {
            self.patterns.push(self.template.empty_like());
        }
        // Counting sort of the rows by pattern, each pattern's rows kept in order.
        self.starts.clear();
        self.starts.resize(needed + 1, 0);
        for &g in groups.iter().filter(|&&g| g != NO_GROUP) {
            self.starts[g as usize + 1] += 1;
        }
        for i in 1..self.starts.len() {
            self.starts[i] += self.starts[i - 1];
        }
        let mut next: Vec<u32> = self.starts[..needed].to_vec();
        self.order.clear();
        self.order.resize(self.starts[needed] as usize, 0);
        for (row, &g) in groups.iter().enumerate() {
            if g != NO_GROUP {
                self.order[next[g as usize] as usize] = row as u32;
                next[g as usize] += 1;
            }
        }
        let (starts, order, floor) = (&self.starts, &self.order, self.floor);
        let room = RoomAsItGoes::new(BUCKETS_PER_CHECK, BYTES_PER_BUCKET);
        crate::pool::install(|| {
            self.patterns[..needed]
                .par_iter_mut()
                .enumerate()
                .try_for_each(|(g, rolling)| {
                    let rows = &order[starts[g] as usize..starts[g + 1] as usize];
                    rolling.add_rows(columns, rows, floor, &room)
                })
        })
    }

    /// At most what `add(columns)` allocates (see `Rolling::room_to_add`): a window per
    /// new pattern, a bucket per row at most, each row's scratch and execution time.
    pub fn room_to_add(&self, columns: &Columns) -> usize {
        let rows = columns.len();
        let patterns = columns.group.iter().copied().filter(|&g| g != NO_GROUP).max();
        let new = patterns.map_or(0, |g| (g as usize + 1).saturating_sub(self.patterns.len()));
        let most = KEPT_WINDOWS as usize * self.template.buckets;
        let buckets = rows.min(self.patterns.len().saturating_add(new).saturating_mul(most));
        let times = if self.template.template.families.performance {
            rows.saturating_mul(2 * std::mem::size_of::<f64>())
        } else {
            0
        };
        new.saturating_mul(BYTES_PER_PATTERN)
            .saturating_add(buckets.saturating_mul(BYTES_PER_BUCKET))
            .saturating_add(rows.saturating_mul(BYTES_PER_ROW + 2 * std::mem::size_of::<u32>()))
            .saturating_add(times)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::MICROS_PER_HOUR;
    use crate::group::GroupKey;
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
        monitor.make_room_to_take(&update, &index).unwrap();
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
