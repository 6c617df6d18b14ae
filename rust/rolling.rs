//! Rolling analytics: the last `buckets` buckets of `width`, aligned to the Unix epoch.
//!
//! Each bucket is an accumulator of its own records. A snapshot at `now` covers the
//! `buckets` buckets ending with the one holding `now`: the window [E - buckets * width, E],
//! E the end of that bucket, whose trend buckets are exactly the rolling buckets. Every
//! part of an accumulator but the trend buckets is independent of the window it is
//! finalized in (agents keep their first and last instants), so the snapshot is the merge
//! of the buckets, each one's count going to its trend bucket: the same analytics as one
//! reduction of those records over that window.
//!
//! Memory: at most 2 x `buckets` accumulators. The kept range is the `2 * buckets` buckets
//! ending with the newest one a record fell in, so records up to one window ahead of a
//! snapshot's `now` (clock skew, a fetch racing the snapshot) never push out a bucket that
//! snapshot covers; a snapshot whose window does reach below the kept range is an error,
//! not a silently partial answer. A snapshot reads and moves nothing: one taken while the
//! monitor's clock had jumped ahead (an NTP step, a resumed machine) dropped every bucket
//! that the snapshots of the present needed, and the records of the present that arrived
//! until the clock caught up. (The design is silent on it; a silent pattern keeps its last
//! buckets until its next record, no more than a busy one holds.)
//!
//! Running out of memory (see `room`) is an error, checked before what it would cost:
//! reading an update (`room_to_add`, a chunk's new buckets and their execution times, and
//! again every `BUCKETS_PER_CHECK` buckets as they are made), taking it in
//! (`room_to_merge`) and a snapshot (its merged copy of the window's buckets).
//! The design is silent on it; the choice here: an add is atomic, not a state marked
//! broken as `State` is. Every update is read into a `fresh()` copy, and taking it in
//! (`merge_owned`) is checked whole before anything changes and has no fallible step after,
//! so a `MemoryError` leaves the window as it was, and the add can be made again.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::ops::RangeInclusive;

use crate::accumulator::{Accumulator, ROOM_PER_GROUP, ROOM_PER_POINT};
use crate::buckets::Window;
use crate::columns::Columns;
use crate::error::CoreError;
use crate::metrics::Analytics;
use crate::room::{count_text, ensure_room, RoomAsItGoes};

/// What a new bucket takes beside its execution times: the boxed accumulator, its parts
/// and its share of the map's nodes, as address space (what `RLIMIT_AS` caps), 3.3 KB.
/// Measured (`benches/rolling_bucket_bytes.py`, BENCHMARKS.md, helper-233): an add making
/// 50,000 or 100,000 buckets of one record each mapped 3.3 KB a bucket at its peak (2.75 KB
/// resident), a batch monitor's 3.1 to 3.6 KB (its threads' arenas; 4.4 KB in helper-231's
/// run), a load 3.4 KB beside its decoding's. (Until session 60 this was 2.2 KB, half a
/// pattern's `ROOM_PER_GROUP`: one add of 60,000 such buckets passed its check and aborted
/// with 150 MB to spare.)
pub(crate) const BYTES_PER_BUCKET: usize = std::mem::size_of::<Accumulator>() + ROOM_PER_GROUP + 128;
/// New buckets between two checks of room as an add or a load goes (`RoomAsItGoes`):
/// 3.4 MB by their estimate, well within the margin (`room::MARGIN`) that each check asks
/// for beyond them. (An add of a few buckets makes no check beyond its whole one.)
pub(crate) const BUCKETS_PER_CHECK: usize = 1024;
/// Buckets so few that `room_to_add` counts them without looking at a chunk's span.
const FEW_BUCKETS: usize = 1024;
/// A merge asking no more than this is not checked again: the margin the call checked on
/// entry (`bindings::compute`) covers it. (A monitor's adds of a thousand records each take
/// in a few buckets: a check costs a tenth of the core's share of such an add's time, for
/// room that was checked an instant before.)
const ENTRY_COVERS: usize = 1 << 20;
/// What a bucket's parts grow by when another's are merged into it (a few names more).
pub(crate) const MERGED_PARTS: usize = ROOM_PER_GROUP / 8;
/// What adding a record takes beside a bucket and its execution time: its (bucket, row) in
/// the scratch, doubled as a growing vector is, and an agent's span (`ROOM_PER_ROW`).
pub(crate) const BYTES_PER_ROW: usize = 2 * std::mem::size_of::<(i64, u32)>() + 16;

/// Most buckets a rolling window may have.
pub const MAX_ROLLING_BUCKETS: usize = 100_000;
/// Buckets kept, in windows: the window and one window of lookahead.
pub(crate) const KEPT_WINDOWS: i64 = 2;

/// `template` (empty) over the bucket `window`.
fn empty_bucket(template: &Accumulator, window: Window) -> Box<Accumulator> {
    let mut acc = Box::new(template.clone());
    acc.rebase(window);
    acc
}

#[derive(Clone)]
pub struct Rolling {
    /// Settings of every bucket (its window is replaced per bucket).
    pub(crate) template: Accumulator,
    pub(crate) width: i64,
    pub(crate) buckets: usize,
    /// Bucket index (floor(ts / width)) -> its records. Boxed: the map's nodes have room
    /// for eleven entries, half of them empty in a map grown at one end, and an
    /// accumulator is over a kilobyte.
    pub(crate) ring: BTreeMap<i64, Box<Accumulator>>,
    /// Newest bucket index a record fell in (snapshots move nothing).
    pub(crate) newest: Option<i64>,
    /// Records added (for `room_to_add`: the execution times the buckets hold at most).
    pub(crate) rows: usize,
    /// Scratch: (bucket index, row) of a chunk's rows.
    keyed: Vec<(i64, u32)>,
}

impl Rolling {
    pub fn new(template: Accumulator, width: i64, buckets: usize) -> Result<Rolling, CoreError> {
        if width <= 0 {
            return Err(CoreError::InvalidOption(format!(
                "bucket must be positive, got {width} us"
            )));
        }
        if buckets == 0 || buckets > MAX_ROLLING_BUCKETS {
            return Err(CoreError::InvalidOption(format!(
                "a rolling window holds 1 to {MAX_ROLLING_BUCKETS} buckets, got {buckets}"
            )));
        }
        Ok(Rolling {
            template,
            width,
            buckets,
            ring: BTreeMap::new(),
            newest: None,
            rows: 0,
            keyed: Vec::new(),
        })
    }

    /// An empty copy with the same settings and retained range (to read an update into).
    pub fn fresh(&self) -> Rolling {
        Rolling {
            ring: BTreeMap::new(),
            rows: 0,
            keyed: Vec::new(),
            ..self.clone_settings()
        }
    }

    /// An empty copy with the same settings and no record yet (a batch monitor's new
    /// pattern: its kept range follows its own records).
    pub(crate) fn empty_like(&self) -> Rolling {
        Rolling {
            newest: None,
            ..self.fresh()
        }
    }

    fn clone_settings(&self) -> Rolling {
        Rolling {
            template: self.template.clone(),
            width: self.width,
            buckets: self.buckets,
            ring: BTreeMap::new(),
            newest: self.newest,
            rows: 0,
            keyed: Vec::new(),
        }
    }

    pub fn retained_buckets(&self) -> usize {
        self.ring.len()
    }

    /// Key of the oldest bucket kept.
    pub(crate) fn oldest_kept(&self) -> Option<i64> {
        self.newest
            .map(|newest| newest - KEPT_WINDOWS * self.buckets as i64 + 1)
    }

    /// The start of the newest bucket a record fell in, if any.
    pub fn newest_start(&self) -> Option<i64> {
        self.newest.map(|key| key.saturating_mul(self.width))
    }

    /// The oldest instant still retained: records before it are too old to count.
    pub fn retained_from(&self) -> i64 {
        self.oldest_kept().map_or(i64::MIN, |k| k.saturating_mul(self.width))
    }

    pub(crate) fn key(&self, ts: i64) -> i64 {
        ts.div_euclid(self.width)
    }

    /// The window of bucket `key`. Readers hand over instants in the civil range only
    /// (`Window::from_instant`) and the width is at most a century, so this fits an i64.
    fn bucket_window(&self, key: i64) -> Window {
        let start = key * self.width;
        Window::new(start, start + self.width, "custom", Some(self.width)).expect("a positive width")
    }

    fn bucket(&mut self, key: i64) -> &mut Accumulator {
        let window = self.bucket_window(key);
        let template = &self.template;
        self.ring.entry(key).or_insert_with(|| empty_bucket(template, window))
    }

    /// An empty bucket `key` of these settings, not yet held (a batch monitor's add makes
    /// its new buckets before it files anything: `batch_rolling::Filing`).
    pub(crate) fn new_bucket(&self, key: i64) -> Box<Accumulator> {
        empty_bucket(&self.template, self.bucket_window(key))
    }

    /// Add valid records (any instants at or after `retained_from`). The kept range moves
    /// to the newest of them first, so that the older ones it no longer keeps make no
    /// bucket: a backlog of days in one add made a bucket for each of its seconds (2.5 GB
    /// for a million records), then dropped them all but the last window's. Room is checked
    /// as the buckets are made (`file_keyed`), beyond the chunk's whole check before
    /// (`room_to_add`): out of memory, this copy (an update's, never a monitor's: see the
    /// module's note) is left part filled, for the caller to drop.
    pub fn add(&mut self, columns: &Columns) -> Result<(), CoreError> {
        columns.assert_coded();
        if columns.is_empty() {
            return Ok(());
        }
        self.rows = self.rows.saturating_add(columns.len());
        let newest = self.key(*columns.timestamp.iter().max().expect("not empty"));
        self.advance(newest);
        let oldest = self.oldest_kept().unwrap_or(i64::MIN);
        let first = self.key(columns.timestamp[0]);
        if columns.timestamp.iter().all(|&ts| ts.div_euclid(self.width) == first) {
            if first >= oldest {
                self.bucket(first).add(columns);
            }
            return Ok(());
        }
        let mut keyed = std::mem::take(&mut self.keyed);
        keyed.clear();
        keyed.extend(
            columns
                .timestamp
                .iter()
                .enumerate()
                .map(|(row, &ts)| (self.key(ts), row as u32))
                .filter(|&(key, _)| key >= oldest),
        );
        let room = RoomAsItGoes::new(BUCKETS_PER_CHECK, BYTES_PER_BUCKET);
        let filed = self.file_keyed(columns, &mut keyed, &room);
        self.keyed = keyed;
        filed
    }

    /// File the rows of `keyed` ((bucket index, row) pairs, sorted here) into their
    /// buckets, each bucket not yet held counted in `room` first: `add`'s step. Out of memory, the buckets before are filed and the rest are not.
    fn file_keyed(
        &mut self,
        columns: &Columns,
        keyed: &mut [(i64, u32)],
        room: &RoomAsItGoes,
    ) -> Result<(), CoreError> {
        keyed.sort_unstable();
        for run in keyed.chunk_by(|a, b| a.0 == b.0) {
            if !self.ring.contains_key(&run[0].0) {
                room.one_more(|| format!("new buckets (an add of {} records)", count_text(columns.len())))?;
            }
            self.bucket(run[0].0)
                .add_rows(columns, run.iter().map(|&(_, row)| row as usize));
        }
        Ok(())
    }

    /// Drop the buckets before `oldest` (a batch monitor's kept range moved past them).
    pub(crate) fn drop_before(&mut self, oldest: i64) {
        if self.ring.first_key_value().is_some_and(|(&first, _)| first < oldest) {
            self.ring = self.ring.split_off(&oldest);
        }
    }

    /// At most what `add(columns)` allocates, for `room`'s check before it (no key is
    /// computed: a bound from the chunk's span of instants). Each bucket the chunk can make
    /// (no more than its rows, the buckets its span covers, the kept range), each row's
    /// scratch, and the execution times: a bucket's vector regrows to twice what it holds,
    /// and the buckets hold no more than every record added so far.
    pub fn room_to_add(&self, columns: &Columns) -> usize {
        let rows = columns.len();
        let most = rows.min(KEPT_WINDOWS as usize * self.buckets);
        // (The span is looked at only where the other bounds are large: a monitor's small
        // adds pay no pass over their instants for it.)
        let buckets = if most > FEW_BUCKETS {
            let (first, last) = (columns.timestamp.iter().min(), columns.timestamp.iter().max());
            let span = first
                .zip(last)
                .map(|(&first, &last)| self.key(last).saturating_sub(self.key(first)).saturating_add(1));
            span.and_then(|span| usize::try_from(span).ok())
                .map_or(most, |span| span.min(most))
        } else {
            most
        };
        let times = if self.template.families.performance {
            self.rows
                .saturating_add(rows)
                .saturating_mul(2 * std::mem::size_of::<f64>())
        } else {
            0
        };
        buckets
            .saturating_mul(BYTES_PER_BUCKET)
            .saturating_add(rows.saturating_mul(BYTES_PER_ROW))
            .saturating_add(times)
    }

    /// Check that `merge_owned(other)` will find the memory it takes (see `room`): a
    /// bucket both hold regrows its execution times to twice both's, and its tallies by
    /// the other's few names (`MERGED_PARTS`); one only `other` holds is moved in; the kept
    /// range is split off anew. (A look-up of each of `other`'s buckets, as the merge makes.)
    pub fn make_room_to_merge(&self, other: &Rolling) -> Result<(), CoreError> {
        let bytes = self.bytes_to_merge(other);
        if bytes <= ENTRY_COVERS {
            return Ok(());
        }
        ensure_room(bytes, || format!("taking in {} records", count_text(other.rows)))
    }

    /// What `merge_owned(other)` allocates at most (see `make_room_to_merge`).
    pub(crate) fn bytes_to_merge(&self, other: &Rolling) -> usize {
        let mut bytes = self.ring.len().saturating_mul(std::mem::size_of::<(i64, usize)>() * 2);
        for (key, theirs) in &other.ring {
            let grows = match self.ring.get(key) {
                Some(mine) => {
                    let times = mine
                        .durations
                        .kept_bytes()
                        .saturating_add(theirs.durations.kept_bytes());
                    times.saturating_mul(2).saturating_add(MERGED_PARTS)
                }
                None => 64,
            };
            bytes = bytes.saturating_add(grows);
        }
        bytes
    }

    /// Move the newest bucket forward to `key` (never back) and drop what falls out.
    fn advance(&mut self, key: i64) {
        self.newest = Some(self.newest.map_or(key, |n| n.max(key)));
        if let Some(oldest) = self.oldest_kept() {
            self.ring = self.ring.split_off(&oldest);
        }
    }

    /// Fold an update read into a `fresh()` copy.
    #[cfg(test)]
    pub fn merge(&mut self, other: &Rolling) {
        for (&key, acc) in &other.ring {
            self.bucket(key).merge(acc);
        }
        if let Some(newest) = other.newest {
            self.advance(newest);
        }
    }

    /// Fold an update read into a `fresh()` copy, taking its buckets: one this window has
    /// no bucket for becomes its own, without its reading's scratch (the same counts as a
    /// merge into a new bucket, which copied each one, so that an add of many buckets held
    /// two copies of each). The caller checks its room first (`make_room_to_merge`): no
    /// step here can fail short of the process's memory (see the module's note).
    pub fn merge_owned(&mut self, other: Rolling) {
        self.rows = self.rows.saturating_add(other.rows);
        for (key, mut acc) in other.ring {
            match self.ring.entry(key) {
                Entry::Occupied(mut mine) => mine.get_mut().merge(&acc),
                Entry::Vacant(slot) => {
                    acc.release_scratch();
                    slot.insert(acc);
                }
            }
        }
        if let Some(newest) = other.newest {
            self.advance(newest);
        }
    }

    /// The analytics of the window ending with the bucket holding `now`, and that window.
    /// Nothing changes: the kept range follows the records alone (see the module's note).
    pub fn snapshot(&self, now: i64) -> Result<(Analytics, Window), CoreError> {
        let (window, keys) = self.window_at(now)?;
        self.make_room_to_snapshot(keys.clone())?;
        Ok((self.snapshot_of(window, keys), window))
    }

    /// The window ending with the bucket holding `now` and the keys of its buckets; an
    /// error where it overflows or starts before the oldest bucket kept.
    pub(crate) fn window_at(&self, now: i64) -> Result<(Window, RangeInclusive<i64>), CoreError> {
        let key = self.key(now);
        let span = self.width.checked_mul(self.buckets as i64);
        let end = key.checked_add(1).and_then(|k| k.checked_mul(self.width));
        let start = end.zip(span).and_then(|(e, s)| e.checked_sub(s));
        let (Some(start), Some(end)) = (start, end) else {
            return Err(CoreError::InvalidWindow(format!(
                "the rolling window at {now} us overflows"
            )));
        };
        let window = Window::new(start, end, "custom", Some(self.width))?;
        let oldest = key - self.buckets as i64 + 1;
        if self.oldest_kept().is_some_and(|kept| oldest < kept) {
            return Err(CoreError::InvalidWindow(
                "the window starts before the oldest bucket kept: records more than a window \
                 newer than it moved the kept range past it"
                    .into(),
            ));
        }
        Ok((window, oldest..=key))
    }

    /// The analytics of the buckets `keys` over `window` (from `window_at`; the room
    /// checked by the caller).
    pub(crate) fn snapshot_of(&self, window: Window, keys: RangeInclusive<i64>) -> Analytics {
        let oldest = *keys.start();
        let mut snapshot = self.template.clone();
        snapshot.rebase(window);
        for (&k, acc) in self.ring.range(keys) {
            snapshot.absorb(acc, (k - oldest) as usize);
        }
        snapshot.finalize()
    }

    /// Whether any bucket of `keys` is held.
    pub(crate) fn holds_any(&self, keys: RangeInclusive<i64>) -> bool {
        self.ring.range(keys).next().is_some()
    }
}

impl Rolling {
    /// Check that a snapshot of the buckets in `keys` will find the memory it takes
    /// (`room_to_snapshot`).
    fn make_room_to_snapshot(&self, keys: RangeInclusive<i64>) -> Result<(), CoreError> {
        let bytes = self.room_to_snapshot(keys);
        ensure_room(bytes, || format!("a snapshot of {} buckets", count_text(self.buckets)))
    }

    /// What a snapshot of the buckets in `keys` takes: their merged copy (their execution
    /// times and parts), finalizing it (a copy of its times for the percentiles, and per
    /// trend bucket its counts and time series point), and (a margin since snapshots
    /// stopped moving the kept range) the range split off anew.
    pub(crate) fn room_to_snapshot(&self, keys: RangeInclusive<i64>) -> usize {
        let mut times = 0usize;
        for acc in self.ring.range(keys).map(|(_, acc)| acc) {
            times = times.saturating_add(acc.durations.kept_bytes());
        }
        // (Merged into one vector that regrows as it fills, then copied to finalize.)
        times
            .saturating_mul(3)
            .saturating_add(self.buckets.saturating_mul(ROOM_PER_POINT))
            .saturating_add(self.ring.len().saturating_mul(std::mem::size_of::<(i64, usize)>() * 2))
            .saturating_add(BYTES_PER_BUCKET)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::accumulator::Families;
    use crate::civil::MICROS_PER_HOUR;
    use crate::columns::SUCCESS;
    use crate::metrics::Thresholds;
    use crate::zone::Zone;

    const H: i64 = MICROS_PER_HOUR;

    /// Successful records at `instants` (agents "a" and "b"; also the wire tests').
    pub(crate) fn columns(instants: &[i64]) -> Columns {
        let mut c = Columns::default();
        for &ts in instants {
            c.timestamp.push(ts);
            c.flags.push(SUCCESS);
            c.execution_time_ms.push((ts % 1000) as f64);
            c.quality_score.push(f64::NAN);
            c.context_type.push(c.context_types.code("unknown"));
            c.agent.push(c.agents.code(if ts / H % 5 == 0 { "a" } else { "b" }));
            c.project.push(c.projects.code("unknown"));
            c.file_type.push(crate::columns::NO_FILE);
        }
        c
    }

    pub(crate) fn template(window: Window) -> Accumulator {
        Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default())
    }

    #[test]
    fn snapshot_equals_one_reduction_over_its_window() {
        let instants: Vec<i64> = (0..200).map(|i| i * 7 * H / 10 + 13).collect();
        let mut rolling = Rolling::new(template(Window::new(0, 1, "custom", Some(1)).unwrap()), H, 24).unwrap();
        rolling.add(&columns(&instants[..120])).unwrap();
        rolling.add(&columns(&instants[120..])).unwrap();
        let now = instants[199] + 5;
        let (got, window) = rolling.snapshot(now).unwrap();
        let inside: Vec<i64> = instants
            .iter()
            .copied()
            .filter(|&ts| window.start <= ts && ts < window.end)
            .collect();
        let mut one = template(window);
        one.add(&columns(&inside));
        let want = one.finalize();
        assert_eq!(got.usage, want.usage);
        assert_eq!(got.trend, want.trend);
        assert_eq!(got.distribution, want.distribution);
        assert_eq!(window.end - window.start, 24 * H);
        assert!(rolling.retained_buckets() <= 2 * 24);
    }

    #[test]
    fn taking_an_updates_buckets_equals_merging_them() {
        // Updates that add to buckets the window has and make new ones, in turn.
        let instants: Vec<i64> = (0..300).map(|i| i * 37 * H / 100 + 11).collect();
        let new_rolling = || Rolling::new(template(Window::new(0, 1, "custom", Some(1)).unwrap()), H, 24).unwrap();
        let (mut merged, mut taken) = (new_rolling(), new_rolling());
        for part in instants.chunks(70) {
            let mut update = merged.fresh();
            update.add(&columns(part)).unwrap();
            let copy = update.clone();
            merged.merge(&update);
            taken.merge_owned(copy);
            assert!(taken.ring.values().all(|acc| !acc.holds_scratch()));
            assert_eq!(
                taken.ring.keys().collect::<Vec<_>>(),
                merged.ring.keys().collect::<Vec<_>>()
            );
        }
        let now = instants[299] + 5;
        let (got, window) = taken.snapshot(now).unwrap();
        let (want, same) = merged.snapshot(now).unwrap();
        assert_eq!(window, same);
        assert_eq!(
            (got.usage, got.trend, got.distribution),
            (want.usage, want.trend, want.distribution)
        );
        assert_eq!(got.performance, want.performance);
    }

    #[test]
    fn buckets_older_than_two_windows_are_dropped() {
        let mut rolling = Rolling::new(template(Window::new(0, 1, "custom", Some(1)).unwrap()), H, 3).unwrap();
        rolling.add(&columns(&[0, H, 2 * H, 5 * H, 10 * H])).unwrap();
        assert_eq!(rolling.retained_buckets(), 2);
        assert_eq!(rolling.retained_from(), 5 * H);
    }

    #[test]
    fn a_backlog_in_one_add_keeps_what_adding_it_in_order_keeps() {
        // (Its older buckets are never made now, where they were made and then dropped.)
        let instants: Vec<i64> = (0..2000).map(|i| i * H / 3 + 7).collect();
        let mut whole = Rolling::new(template(Window::new(0, 1, "custom", Some(1)).unwrap()), H, 24).unwrap();
        whole.add(&columns(&instants)).unwrap();
        let mut in_order = Rolling::new(template(Window::new(0, 1, "custom", Some(1)).unwrap()), H, 24).unwrap();
        for chunk in instants.chunks(10) {
            in_order.add(&columns(chunk)).unwrap();
        }
        assert_eq!(whole.retained_buckets(), in_order.retained_buckets());
        assert_eq!(whole.retained_from(), in_order.retained_from());
        let now = instants[1999];
        let (a, _) = whole.snapshot(now).unwrap();
        let (b, _) = in_order.snapshot(now).unwrap();
        assert_eq!((a.usage, a.trend, a.distribution), (b.usage, b.trend, b.distribution));
    }

    #[test]
    fn a_record_ahead_of_now_keeps_the_snapshot_whole() {
        let mut rolling = Rolling::new(template(Window::new(0, 1, "custom", Some(1)).unwrap()), H, 3).unwrap();
        rolling.add(&columns(&[0, H, 2 * H])).unwrap();
        let (before, _) = rolling.snapshot(2 * H).unwrap();
        rolling.add(&columns(&[4 * H])).unwrap();
        let (after, _) = rolling.snapshot(2 * H).unwrap();
        assert_eq!(before.usage, after.usage);
        // A record more than a window ahead makes that snapshot an error, changing nothing.
        rolling.add(&columns(&[9 * H])).unwrap();
        assert!(rolling.snapshot(2 * H).is_err());
        assert_eq!(rolling.retained_buckets(), 2);
    }

    #[test]
    fn a_snapshot_ahead_of_the_records_moves_nothing() {
        let mut rolling = Rolling::new(template(Window::new(0, 1, "custom", Some(1)).unwrap()), H, 3).unwrap();
        rolling.add(&columns(&[0, H, 2 * H])).unwrap();
        let (before, _) = rolling.snapshot(2 * H).unwrap();
        let (ahead, _) = rolling.snapshot(50 * H).unwrap();
        assert_eq!(ahead.usage.total_executions, 0);
        assert_eq!((rolling.retained_buckets(), rolling.retained_from()), (3, -3 * H));
        let (after, _) = rolling.snapshot(2 * H).unwrap();
        assert_eq!(before.usage, after.usage);
    }
}
