//! Many patterns in one call: rows carry a group (pattern) code; each group has its own
//! accumulator. Chunks are split by group with a counting sort (their small string columns
//! and flags counted for every group in one pass instead: `group_counts`), and the groups
//! are finalized in parallel (rayon) with the GIL released.

use rayon::prelude::*;

use std::collections::VecDeque;
use std::sync::OnceLock;

use crate::accumulator::{Accumulator, Families, ROOM_PER_GROUP, ROOM_PER_POINT};
use crate::buckets::MAX_BUCKETS;
use crate::calendar::RunTable;
use crate::columns::Columns;
use crate::error::CoreError;
use crate::group_counts::GroupCounts;
use crate::held_times::{ByGroup, HeldTimes};
use crate::ingest::{IngestReport, InvalidSample, MAX_SAMPLES};
use crate::metrics::Analytics;
use crate::room::{count_text, ensure_room, try_grow, try_grow_exact};
use crate::seeded_map::SeededMap;

/// What `make_room` counts for a chunk (see `room`; generous: a check that asks for too
/// much only fails sooner, with memory nearly gone). Per row: the chunk in group order
/// (instant, time, score, flags, four string codes) and its slot, when the scratch grows.
const SCRATCH_PER_ROW: usize = 48;
/// Per row of every chunk: its held execution time, or its place in its group's buffer
/// of times (regrown), and the counted tables' cells.
const ADDED_PER_ROW: usize = 32;
/// Per group of a chunk: its start and next slot, its counts.
const SCRATCH_PER_GROUP: usize = 64;
/// Per group a chunk adds first: its day and bucket counts, tallies, agents' spans.
const GROWTH_PER_GROUP: usize = ROOM_PER_GROUP;
/// Per group finalized, beside its accumulator and result: its strings and maps.
const FINALIZE_PER_GROUP: usize = 1024;
/// Per held run of a group's times: its place in the by-group order.
const HELD_RUN_BYTES: usize = 24;

/// The group code of a row whose pattern id is missing or invalid (the row is invalid and
/// belongs to no pattern).
pub const NO_GROUP: u32 = u32::MAX;

/// Whether a text pattern id is blank: empty, or only white space as Python's `str.strip()`
/// sees it (Unicode's White_Space and U+001C..U+001F). Such an id names no pattern: a
/// single call's contract refuses it, and the sources leave its records unattributed.
pub fn is_blank(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// Why a blank text pattern id is an invalid record (both readers say it alike).
pub const BLANK_ID: &str = "must not be empty or blank";

/// A pattern id as given: text, an integer or a UUID (16 bytes).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum GroupKey {
    Text(Box<str>),
    Int(i64),
    Uuid([u8; 16]),
}

/// Dense codes for the pattern ids met so far, with each group's ingest counts: its
/// records (valid or not), those outside the window, and the invalid ones with the first
/// few described, indexed by their position among the group's records. These are the
/// counts a single call over the group's records reports (a record whose pattern id is
/// itself bad belongs to no group: only the whole input's report counts it). One map per
/// kind of id, so that a lookup by a borrowed text (every row of a plain string column)
/// allocates nothing.
///
/// The maps hash with a seed drawn per process (foldhash): the ids come from callers and
/// from serialized states, and with FxHash (no seed, an invertible multiply for an int)
/// ids chosen to collide made every lookup a walk of one probe chain (128k such ids took
/// 20 s to load, 0.4 s in order).
#[derive(Clone, Debug, Default)]
pub struct GroupIndex {
    keys: Vec<GroupKey>,
    texts: SeededMap<Box<str>, u32>,
    ints: SeededMap<i64, u32>,
    uuids: SeededMap<[u8; 16], u32>,
    received: Vec<u64>,
    outside: Vec<u64>,
    invalid: Vec<u64>,
    samples: Vec<Vec<InvalidSample>>,
    /// Set when a new id found no memory (see `room`): every new id then gets `NO_GROUP`
    /// (no pattern, nothing allocated) and the reader fails the call with `check_memory`.
    out_of_memory: bool,
}

/// A pattern id's share of the index (its key, map entry and counts), for the message.
const BYTES_PER_ID: usize = 96;

#[cfg(test)]
thread_local! {
    /// Tests only: how many more new ids this thread's indexes find memory for (None: as
    /// many as the allocator gives). See `with_room_for_ids`.
    static IDS_WITH_ROOM: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// Tests only: run `f` as if memory were left for `ids` more new pattern ids on this
/// thread, then none: a new id past them finds no memory, as when its allocation fails
/// (an index at capacity under an address-space limit), wherever the index is in `f`.
#[cfg(test)]
pub fn with_room_for_ids<T>(ids: usize, f: impl FnOnce() -> T) -> T {
    IDS_WITH_ROOM.set(Some(ids));
    let out = f();
    IDS_WITH_ROOM.set(None);
    out
}

/// Whether memory is left for `ids` more new ids (tests: `with_room_for_ids`), taking it
/// if `take`. Always so outside tests.
#[inline]
fn room_for_ids(ids: usize, take: bool) -> bool {
    #[cfg(test)]
    if let Some(left) = IDS_WITH_ROOM.get() {
        if ids > left {
            return false;
        }
        if take {
            IDS_WITH_ROOM.set(Some(left - ids));
        }
    }
    let _ = (ids, take);
    true
}

/// Room for one more item in `vec`, grown as `push` would but fallibly.
fn room_for_one<T>(vec: &mut Vec<T>) -> bool {
    vec.len() < vec.capacity() || vec.try_reserve(vec.len().max(16)).is_ok()
}

/// Room for one more entry in `map`, grown as `insert` would but fallibly.
fn map_room_for_one<K: std::hash::Hash + Eq, V>(map: &mut SeededMap<K, V>) -> bool {
    map.len() < map.capacity() || map.try_reserve(map.len().max(16)).is_ok()
}

impl GroupIndex {
    /// `OutOfMemory` once an id found no memory: the codes given since are not patterns.
    pub fn check_memory(&self) -> Result<(), CoreError> {
        if !self.out_of_memory {
            return Ok(());
        }
        let ids = self.keys.len();
        Err(CoreError::OutOfMemory(format!(
            "could not allocate {} for the ids of more than {} patterns",
            crate::room::size_text(ids.saturating_mul(BYTES_PER_ID)),
            count_text(ids)
        )))
    }

    /// Act as if an id had found no memory (for tests of what follows).
    #[cfg(test)]
    pub fn starve(&mut self) {
        self.out_of_memory = true;
    }

    pub fn code(&mut self, key: &GroupKey) -> u32 {
        match key {
            GroupKey::Text(text) => self.code_text(text),
            GroupKey::Int(n) => self.code_int(*n),
            GroupKey::Uuid(bytes) => self.code_uuid(*bytes),
        }
    }

    /// The code of `key` if it was met (the code `code` would give it), adding nothing.
    pub fn find(&self, key: &GroupKey) -> Option<u32> {
        match key {
            GroupKey::Text(text) => self.texts.get(&**text).copied().or_else(|| {
                int_text(text)
                    .and_then(|n| self.ints.get(&n).copied())
                    .or_else(|| uuid_text(text).and_then(|bytes| self.uuids.get(&bytes).copied()))
            }),
            GroupKey::Int(n) => self.ints.get(n).copied(),
            GroupKey::Uuid(bytes) => self.uuids.get(bytes).copied(),
        }
    }

    #[inline]
    pub fn code_text(&mut self, text: &str) -> u32 {
        if let Some(&code) = self.texts.get(text) {
            return code;
        }
        if !self.room_in_texts() {
            return NO_GROUP;
        }
        let code = self.code_new_text(text);
        if code != NO_GROUP {
            self.texts.insert(text.into(), code);
        }
        code
    }

    #[cold]
    fn room_in_texts(&mut self) -> bool {
        self.out_of_memory |= !map_room_for_one(&mut self.texts);
        !self.out_of_memory
    }

    /// A text not met before names the pattern of the int or UUID it spells, if it
    /// spells one (an output writes an int id as its text, and a single call's contract
    /// reads a UUID-shaped id as the UUID: two forms would otherwise be two patterns with
    /// one output id); else a new pattern. Whichever form comes first is the key.
    #[cold]
    fn code_new_text(&mut self, text: &str) -> u32 {
        let key = GroupKey::Text(text.into());
        if let Some(n) = int_text(text) {
            return self.code_int_as(n, key);
        }
        if let Some(bytes) = uuid_text(text) {
            return self.code_uuid_as(bytes, key);
        }
        self.push(key)
    }

    #[inline]
    pub fn code_int(&mut self, n: i64) -> u32 {
        self.code_int_as(n, GroupKey::Int(n))
    }

    #[inline]
    fn code_int_as(&mut self, n: i64, key: GroupKey) -> u32 {
        if let Some(&code) = self.ints.get(&n) {
            return code;
        }
        if !map_room_for_one(&mut self.ints) {
            self.out_of_memory = true;
            return NO_GROUP;
        }
        let code = self.push(key);
        if code != NO_GROUP {
            self.ints.insert(n, code);
        }
        code
    }

    #[inline]
    pub fn code_uuid(&mut self, bytes: [u8; 16]) -> u32 {
        self.code_uuid_as(bytes, GroupKey::Uuid(bytes))
    }

    #[inline]
    fn code_uuid_as(&mut self, bytes: [u8; 16], key: GroupKey) -> u32 {
        if let Some(&code) = self.uuids.get(&bytes) {
            return code;
        }
        if !map_room_for_one(&mut self.uuids) {
            self.out_of_memory = true;
            return NO_GROUP;
        }
        let code = self.push(key);
        if code != NO_GROUP {
            self.uuids.insert(bytes, code);
        }
        code
    }

    /// A new pattern's code; `NO_GROUP` (and `out_of_memory` set) when there is no memory
    /// for it.
    fn push(&mut self, key: GroupKey) -> u32 {
        if self.out_of_memory || (self.keys.len() == self.keys.capacity() && !self.grow()) {
            return NO_GROUP;
        }
        if !room_for_ids(1, true) {
            self.out_of_memory = true;
            return NO_GROUP;
        }
        let code = self.keys.len() as u32;
        self.keys.push(key);
        self.received.push(0);
        self.outside.push(0);
        self.invalid.push(0);
        self.samples.push(Vec::new());
        code
    }

    /// Room for another id in every per-pattern vector (they grow together), or false.
    #[cold]
    fn grow(&mut self) -> bool {
        self.out_of_memory |= !(room_for_one(&mut self.keys)
            && room_for_one(&mut self.received)
            && room_for_one(&mut self.outside)
            && room_for_one(&mut self.invalid)
            && room_for_one(&mut self.samples));
        !self.out_of_memory
    }

    /// Make room for every id of `keys` that `code` would add, with its map entries, in
    /// one go: `code` of those keys then grows nothing, so it cannot fail (nor set
    /// `out_of_memory`). It still copies each new text (a `Box<str>` for the map, and one
    /// for `keys` when it is a new id): small blocks, which under a limit come from the
    /// allocator's reserve (`rust/reserve.rs`) as every small block does. For a caller
    /// that must fail before it changes anything (`BatchRolling::take`). Returns how many
    /// new ids `keys` holds at most. Out of memory (or after an id found none), an error,
    /// and nothing but capacity changed.
    pub fn reserve_for(&mut self, keys: &[GroupKey]) -> Result<usize, CoreError> {
        self.check_memory()?;
        // As `code` goes: a text not met is a new text entry, and names the int or UUID
        // it spells (a new id if that is new) or a new id of its own.
        let (mut ids, mut texts, mut ints, mut uuids) = (0usize, 0usize, 0usize, 0usize);
        for key in keys {
            let (new_int, new_uuid) = match key {
                GroupKey::Int(n) => (!self.ints.contains_key(n), false),
                GroupKey::Uuid(bytes) => (false, !self.uuids.contains_key(bytes)),
                GroupKey::Text(text) if self.texts.contains_key(&**text) => (false, false),
                GroupKey::Text(text) => {
                    texts += 1;
                    if let Some(n) = int_text(text) {
                        (!self.ints.contains_key(&n), false)
                    } else if let Some(bytes) = uuid_text(text) {
                        (false, !self.uuids.contains_key(&bytes))
                    } else {
                        ids += 1;
                        (false, false)
                    }
                }
            };
            ints += usize::from(new_int);
            uuids += usize::from(new_uuid);
            ids += usize::from(new_int || new_uuid);
        }
        let len = self.keys.len().saturating_add(ids);
        let what = || format!("the ids of {} more patterns", count_text(ids));
        try_grow(&mut self.keys, len, what)?;
        try_grow(&mut self.received, len, what)?;
        try_grow(&mut self.outside, len, what)?;
        try_grow(&mut self.invalid, len, what)?;
        try_grow(&mut self.samples, len, what)?;
        let maps = self.texts.try_reserve(texts).is_ok()
            && self.ints.try_reserve(ints).is_ok()
            && self.uuids.try_reserve(uuids).is_ok();
        if !maps || !room_for_ids(ids, false) {
            return Err(CoreError::OutOfMemory(format!(
                "could not allocate {} for {}",
                crate::room::size_text(ids.saturating_mul(BYTES_PER_ID)),
                what()
            )));
        }
        Ok(ids)
    }

    /// Forget the ids whose entry in `new_codes` (one per id) is `NO_GROUP`, with their
    /// counts, and give each other id its entry as its code (the kept ids in their order,
    /// densely: 0, 1, 2...). In place: nothing is allocated, so nothing can fail, for a
    /// caller that forgets after its changes (`BatchRolling::take`). (The index keeps its
    /// capacity, as a `Vec` keeps its own after `retain`.)
    pub fn retain_codes(&mut self, new_codes: &[u32]) {
        debug_assert_eq!(new_codes.len(), self.keys.len());
        fn renumber<K>(map: &mut SeededMap<K, u32>, new_codes: &[u32]) {
            map.retain(|_, code| {
                *code = new_codes[*code as usize];
                *code != NO_GROUP
            });
        }
        renumber(&mut self.texts, new_codes);
        renumber(&mut self.ints, new_codes);
        renumber(&mut self.uuids, new_codes);
        fn retain<T>(items: &mut Vec<T>, new_codes: &[u32]) {
            let mut codes = new_codes.iter();
            items.retain(|_| codes.next().is_some_and(|&code| code != NO_GROUP));
        }
        retain(&mut self.keys, new_codes);
        retain(&mut self.received, new_codes);
        retain(&mut self.outside, new_codes);
        retain(&mut self.invalid, new_codes);
        retain(&mut self.samples, new_codes);
    }

    /// Count a record of group `code`: its position among the group's records.
    #[inline]
    pub fn count_record(&mut self, code: u32) -> usize {
        let received = &mut self.received[code as usize];
        *received += 1;
        (*received - 1) as usize
    }

    /// Count a record of each group in `codes` (none `NO_GROUP`).
    pub fn count_records(&mut self, codes: &[u32]) {
        for &code in codes {
            self.received[code as usize] += 1;
        }
    }

    /// Count a valid record of group `code` outside the window (counted by `count_record`).
    pub fn count_outside(&mut self, code: u32) {
        self.outside[code as usize] += 1;
    }

    /// Count an invalid record of group `code` (counted by `count_record`), described by
    /// `sample` (indexed within the group) while the group has fewer than `MAX_SAMPLES`.
    pub fn count_invalid(&mut self, code: u32, sample: impl FnOnce() -> InvalidSample) {
        self.invalid[code as usize] += 1;
        let samples = &mut self.samples[code as usize];
        if samples.len() < MAX_SAMPLES {
            samples.push(sample());
        }
    }

    /// Whether an invalid record of group `code` would be described.
    pub fn wants_sample(&self, code: u32) -> bool {
        self.samples[code as usize].len() < MAX_SAMPLES
    }

    /// Add `report` (another reading's counts of the pattern) to group `code`'s.
    pub fn add_report(&mut self, code: u32, report: &IngestReport) {
        let code = code as usize;
        self.received[code] += report.received as u64;
        self.outside[code] += report.outside_window as u64;
        self.invalid[code] += report.invalid as u64;
        let room = MAX_SAMPLES.saturating_sub(self.samples[code].len());
        self.samples[code].extend(report.samples.iter().take(room).cloned());
    }

    pub fn keys(&self) -> &[GroupKey] {
        &self.keys
    }

    /// Group `code`'s ingest counts, as a single call over its records reports them.
    pub fn report(&self, code: usize) -> IngestReport {
        IngestReport {
            received: self.received[code] as usize,
            outside_window: self.outside[code] as usize,
            invalid: self.invalid[code] as usize,
            samples: self.samples[code].clone(),
            integer_times: None,
        }
    }
}

/// The i64 whose decimal text `text` is, exactly (no sign, zeros or spaces added).
fn int_text(text: &str) -> Option<i64> {
    let n: i64 = text.parse().ok()?;
    (n.to_string() == text).then_some(n)
}

/// The UUID (its 16 bytes, as Python's `UUID.bytes`) that `text` spells in a form
/// systems write: 32 hex digits, or hyphenated 8-4-4-4-12, either case, optionally in
/// braces or after `urn:uuid:`.
fn uuid_text(text: &str) -> Option<[u8; 16]> {
    let lower = text.to_ascii_lowercase();
    let mut rest = lower.strip_prefix("urn:uuid:").unwrap_or(&lower);
    if let Some(inner) = rest.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        rest = inner;
    }
    let hex: String = match rest.len() {
        32 => rest.to_owned(),
        36 if [8, 13, 18, 23].iter().all(|&i| rest.as_bytes()[i] == b'-') => rest.replace('-', ""),
        _ => return None,
    };
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let value = u128::from_str_radix(&hex, 16).ok()?;
    Some(value.to_be_bytes())
}

/// Groups one task adds in turn (prefetching ahead, see `GroupedAccumulators::add`): enough
/// for a batch's 10,000 patterns to share out well over the cores.
const GROUPS_PER_TASK: usize = 64;

/// One accumulator per group, created from a template as groups appear.
#[derive(Clone)]
pub struct GroupedAccumulators {
    template: Accumulator,
    accumulators: Vec<Accumulator>,
    /// Scratch for the counting sort: per group, where its rows start in group order;
    /// per row, its place in group order.
    starts: Vec<u32>,
    slots: Vec<u32>,
    /// Scratch: the chunk's rows in group order (row data only: the codes still refer to
    /// the chunk's dictionaries), so that each group's rows are contiguous; but for the
    /// columns counted for every group in one pass (`counts`).
    sorted: Columns,
    counts: GroupCounts,
    /// `for_one_call` only: each chunk's execution times in group order, handed to the
    /// groups when they are finalized or merged.
    held_times: Option<HeldTimes>,
    /// The window's runs, made at the first chunk: a pattern's rows of a chunk are mostly
    /// each in a run of their own.
    runs: OnceLock<Option<RunTable>>,
}

impl GroupedAccumulators {
    pub fn new(template: Accumulator) -> Self {
        GroupedAccumulators {
            template,
            accumulators: Vec::new(),
            starts: Vec::new(),
            slots: Vec::new(),
            sorted: Columns::default(),
            counts: GroupCounts::default(),
            held_times: None,
            runs: OnceLock::new(),
        }
    }

    /// For a reduction finalized once (a batch call) that keeps every execution time:
    /// the times are held per chunk and each group's are stored at the end, in one
    /// allocation of their size. Added chunk by chunk, each group's buffer would grow (and
    /// be copied, and its old allocation freed) about ten times; with thousands of groups
    /// that cost as much as all the other per-record work (18 of 46 ns per record). The
    /// groups get the same values in the same order, so the same bits. (Streaming states,
    /// with a budget of about a thousand times, gained nothing measurable from holding.)
    pub fn for_one_call(template: Accumulator) -> Self {
        let keeps_all = template.families.performance && template.durations.budget() == usize::MAX;
        GroupedAccumulators {
            held_times: keeps_all.then(HeldTimes::default),
            ..GroupedAccumulators::new(template)
        }
    }

    /// Check that `add(columns)` will find the memory it takes (see `room`), and make the
    /// accumulators of the groups it meets first (the largest allocation of a batch of
    /// many patterns), failing rather than aborting.
    pub fn make_room(&mut self, columns: &Columns) -> Result<(), CoreError> {
        let bytes = self.prepare(columns)?;
        ensure_room(bytes, || format!("grouping {} records", count_text(columns.len())))
    }

    /// `make_room`'s allocation, returning what remains to check: at most what `add`
    /// allocates beside it.
    pub fn prepare(&mut self, columns: &Columns) -> Result<usize, CoreError> {
        // (The max of the codes themselves, which vectorizes: this runs on the calling
        // thread between two parallel steps, once per pass of a million rows.)
        let needed = columns.group.iter().copied().max().map_or(0, |g| g as usize + 1);
        let new_groups = needed.saturating_sub(self.accumulators.len());
        // (Grown as `grow_to` grew them: a list's chunks of 4,096 records can each add a
        // few patterns.)
        try_grow(&mut self.accumulators, needed, || {
            format!("the accumulators of {} patterns", count_text(needed))
        })?;
        let rows = columns.len();
        // The scratch (kept from chunk to chunk) grows only for a longer chunk; the held
        // times are a new buffer each chunk; each new group makes its parts (the others'
        // grow by their rows).
        let new_scratch = rows.saturating_sub(self.slots.capacity());
        let bytes = new_scratch
            .saturating_mul(SCRATCH_PER_ROW)
            .saturating_add(rows.saturating_mul(ADDED_PER_ROW))
            .saturating_add(needed.saturating_mul(SCRATCH_PER_GROUP))
            .saturating_add(new_groups.min(rows).saturating_mul(GROWTH_PER_GROUP));
        Ok(bytes)
    }

    /// Add a chunk whose `columns.group` holds each row's group code.
    pub fn add(&mut self, columns: &Columns) {
        columns.assert_coded();
        let groups = &columns.group;
        let needed = groups.iter().map(|&g| g as usize + 1).max().unwrap_or(0);
        self.grow_to(needed);
        if self.starts.len() < needed + 1 {
            self.starts.resize(needed + 1, 0);
        }
        // Counting sort of the rows by group: counts, prefix sums, placement.
        let starts = &mut self.starts[..needed + 1];
        starts.fill(0);
        for &g in groups {
            starts[g as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        self.slots.clear();
        let mut next: Vec<u32> = starts[..needed].to_vec();
        self.slots.extend(groups.iter().map(|&g| {
            let slot = next[g as usize];
            next[g as usize] += 1;
            slot
        }));
        // Reorder the rows once, column by column, rather than gathering them group by
        // group inside the kernels; meanwhile count the small string columns and the
        // flags of every group in one pass. (The agents are placed when their spans are
        // wanted: the trend family reads them with their rows' instants.)
        let families = self.template.families;
        let wanted = [true, !families.trends, families.distribution, families.distribution];
        let counted = GroupCounts::plan(columns, needed, wanted);
        let (sorted, counts, slots) = (&mut self.sorted, &mut self.counts, &self.slots);
        crate::pool::install(|| {
            rayon::join(
                || sorted.scatter(columns, slots, counted),
                || counts.count(columns, needed, counted),
            )
        });
        let holding = match &mut self.held_times {
            Some(held) => {
                held.hold(self.sorted.execution_time_ms.take_vec(), starts);
                true
            }
            None => false,
        };
        // Groups are independent: add them on all cores (each group's rows stay in order,
        // so the result does not depend on the threads).
        let template = &self.template;
        let runs = self
            .runs
            .get_or_init(|| RunTable::new(&template.window, &template.zone, template.families.trends))
            .as_ref();
        let (sorted, counts) = (&self.sorted, &self.counts);
        let counted = counts.counted();
        let starts = &*starts;
        let rows_of = |group: usize| starts[group] as usize..starts[group + 1] as usize;
        crate::pool::install(|| {
            self.accumulators[..needed]
                .par_chunks_mut(GROUPS_PER_TASK)
                .enumerate()
                .for_each(|(task, accumulators)| {
                    let first_group = task * GROUPS_PER_TASK;
                    for i in 0..accumulators.len() {
                        // Each accumulator's lines are asked for two groups ahead, and the
                        // counts they point to and its rows one ahead, while a group's hundred
                        // or so rows are added (BENCHMARKS.md, session 29: 1-5% of the
                        // reading in four races).
                        if let Some(ahead) = accumulators.get(i + 2) {
                            ahead.prefetch_own();
                        }
                        if let Some(next) = accumulators.get(i + 1) {
                            let rows = rows_of(first_group + i + 1);
                            if !rows.is_empty() {
                                let ts = &sorted.timestamp;
                                next.prefetch_parts(ts[rows.start], ts[rows.end - 1]);
                                sorted.prefetch_rows(rows);
                            }
                        }
                        let group = first_group + i;
                        let rows = rows_of(group);
                        if rows.is_empty() {
                            continue;
                        }
                        let acc = &mut accumulators[i];
                        acc.add_group_counts(&counts.of(group), columns);
                        if holding {
                            acc.add_rows_but_times(sorted, columns, rows, runs, counted);
                        } else {
                            acc.add_rows_of(sorted, columns, rows, runs, counted);
                        }
                    }
                });
        });
    }

    /// Free the scratch of `add` (a pass's rows in group order, their slots and counts:
    /// tens of MB after a pass of 2^20 rows). A state that keeps an update's accumulators
    /// (`State::absorb`) adds no more rows to them (each update reads into a fresh
    /// reduction), and finalizing needs none. Kept, sixteen 50-pattern streaming states
    /// updated with 1M records each held 584 MB (100 MB freed), and each `merge` copied
    /// one (BENCHMARKS.md, session 33).
    pub fn release_scratch(&mut self) {
        self.starts = Vec::new();
        self.slots = Vec::new();
        self.sorted = Columns::default();
        self.counts = GroupCounts::default();
    }

    /// Whether `add`'s scratch holds memory (tests).
    #[cfg(test)]
    pub(crate) fn holds_scratch(&self) -> bool {
        self.starts.capacity() + self.slots.capacity() + self.sorted.flags.capacity() > 0
    }

    /// At least `groups` accumulators, the new ones empty. Grown in one step: pushed one
    /// by one, a batch's first chunk of 10,000 patterns moved the accumulators (2.4 KB
    /// each) through five ever larger allocations, each faulted in afresh (allocations of
    /// 8 MiB and more go back to the system when freed, see `allocator`): 10-20 ms of
    /// copies and page faults, alone on one core, before the chunk was added.
    fn grow_to(&mut self, groups: usize) {
        if self.accumulators.len() < groups {
            let template = &self.template;
            // (One reservation for all the new ones.)
            self.accumulators.resize_with(groups, || template.clone());
        }
    }

    /// Store every held execution time in its group (before the groups are read).
    fn store_held_times(&mut self) {
        if let Some(held) = self.held_times.as_mut().filter(|h| !h.is_empty()) {
            let held = std::mem::take(held);
            let by_group = held.by_group();
            crate::pool::install(|| {
                self.accumulators
                    .par_iter_mut()
                    .enumerate()
                    .for_each(|(g, acc)| acc.add_execution_times(by_group.of(g)));
            });
        }
    }

    /// The held times by group (none when nothing is held).
    fn held_by_group(&self) -> Option<ByGroup<'_>> {
        self.held_times
            .as_ref()
            .filter(|h| !h.is_empty())
            .map(HeldTimes::by_group)
    }

    pub fn template(&self) -> &Accumulator {
        &self.template
    }

    /// The accumulator of group `code`, if any of its records was added. (For streaming
    /// states, which hold no times back: see `for_one_call`.)
    pub fn get(&self, code: usize) -> Option<&Accumulator> {
        debug_assert!(self.held_times.as_ref().is_none_or(HeldTimes::is_empty));
        self.accumulators.get(code)
    }

    /// Rebuild from a template and the accumulators of groups 0, 1, ...
    pub fn from_parts(template: Accumulator, accumulators: Vec<Accumulator>) -> Self {
        GroupedAccumulators {
            accumulators,
            ..GroupedAccumulators::new(template)
        }
    }

    /// Fold `other`'s groups (indexed by `other_index`) into these (indexed by `index`),
    /// matching groups by pattern id. Same settings, checked by the caller.
    /// An id that finds no memory ends the merge with `OutOfMemory`, the groups before it
    /// merged (the caller checked the room for all of them first: `State::merge`).
    pub fn merge(
        &mut self,
        index: &mut GroupIndex,
        other: &GroupedAccumulators,
        other_index: &GroupIndex,
    ) -> Result<(), CoreError> {
        self.store_held_times();
        let their_times = other.held_by_group();
        for (code, key) in other_index.keys().iter().enumerate() {
            let mine = index.code(key);
            index.check_memory()?;
            index.add_report(mine, &other_index.report(code));
            if let Some(theirs) = other.accumulators.get(code) {
                while self.accumulators.len() <= mine as usize {
                    self.accumulators.push(self.template.clone());
                }
                let acc = &mut self.accumulators[mine as usize];
                acc.merge(theirs);
                if let Some(times) = &their_times {
                    acc.add_execution_times(times.of(code));
                }
            }
        }
        Ok(())
    }

    /// Finalize every group seen (`groups` of them; a group whose records were all
    /// outside the window or invalid gets the empty analytics), in parallel, with one
    /// `TrendGrid` for all of them.
    pub fn finalize(self, groups: usize) -> Result<Vec<Analytics>, CoreError> {
        let mut all = Vec::with_capacity(groups);
        let mut failed = None;
        self.finalize_in_order(groups, groups, |part| match part {
            Ok(part) => {
                all.extend(part);
                true
            }
            Err(error) => {
                failed = Some(error);
                false
            }
        });
        failed.map_or(Ok(all), Err)
    }

    /// Refuse to finalize `groups` patterns whose time series (COMPREHENSIVE) would hold
    /// more points in all than the longest series of one pattern (`MAX_BUCKETS`): each
    /// point is a bucket of every pattern, records or not, and its output takes about
    /// 600 bytes, so 50 patterns of one-minute buckets over 30 days took 1.3 GB and a
    /// thousand would have taken the machine (the per-pattern cap bounded one call only).
    pub fn check_series_points(&self, groups: usize) -> Result<(), CoreError> {
        let Families {
            trends, time_series, ..
        } = self.template.families;
        let buckets = self.template.window.buckets;
        let points = groups.saturating_mul(buckets);
        if trends && time_series && points > MAX_BUCKETS as usize {
            return Err(CoreError::InvalidOption(format!(
                "a COMPREHENSIVE batch holds a time series point per pattern and bucket: \
                 {groups} patterns x {buckets} buckets = {points} points, more than the \
                 {MAX_BUCKETS} allowed (the most one pattern may have); use a wider \
                 bucket_width, fewer patterns per call, or granularity 'detailed'"
            )));
        }
        Ok(())
    }

    /// `finalize`, handing the results to `sink` in group order, `chunk` groups at a time
    /// (each chunk finalized in parallel), so that a consumer can convert the first ones
    /// while the rest are finalized (`GroupResults`). Stops when `sink` returns false.
    /// Each chunk's accumulators free what they hold as it is finalized; the held times
    /// are freed when the last chunk is. Memory that cannot be had (`room`) is handed to
    /// `sink` as an `OutOfMemory` error, which ends the finalizing.
    pub fn finalize_in_order(
        mut self,
        groups: usize,
        chunk: usize,
        mut sink: impl FnMut(Result<Vec<Analytics>, CoreError>) -> bool,
    ) {
        // (Freed now rather than when the last chunk is: the outputs are built meanwhile.)
        self.release_scratch();
        let grown = try_grow_exact(&mut self.accumulators, groups, || {
            format!("the accumulators of {} patterns", count_text(groups))
        })
        .and_then(|()| {
            let held = self.held_times.as_ref().map_or(0, HeldTimes::runs);
            ensure_room(held.saturating_mul(HELD_RUN_BYTES), || {
                format!("sorting the execution times of {} patterns", count_text(groups))
            })
        });
        if let Err(error) = grown {
            sink(Err(error));
            return;
        }
        self.grow_to(groups);
        let held = self.held_times.take().unwrap_or_default();
        let by_group = held.by_group();
        let grid = self.template.trend_grid();
        let per_group = self.finalize_bytes_per_group();
        // (From a Vec without copying; the front drained chunk by chunk.)
        let mut pending = VecDeque::from(self.accumulators);
        let mut first = 0;
        while !pending.is_empty() {
            let take = chunk.clamp(1, pending.len());
            // Each group's times are copied to select its percentiles.
            let times: usize = (first..first + take).map(|g| by_group.len_of(g)).sum();
            let room = ensure_room(
                take.saturating_mul(per_group)
                    .saturating_add(times.saturating_mul(std::mem::size_of::<f64>())),
                || format!("finalizing {} patterns", count_text(take)),
            );
            if let Err(error) = room {
                sink(Err(error));
                return;
            }
            let part: Vec<Accumulator> = pending.drain(..take).collect();
            let finalized = part.len();
            let results = crate::pool::install(|| {
                part.into_par_iter()
                    .enumerate()
                    .map(|(i, mut acc)| {
                        acc.add_execution_times(by_group.of(first + i));
                        acc.finalize_with(grid.as_ref())
                    })
                    .collect()
            });
            first += finalized;
            if !sink(Ok(results)) {
                return;
            }
        }
    }

    /// What the outputs of the first `groups` patterns will take (`Accumulator::
    /// output_bytes`; a group with no accumulator yet finalizes as the empty template).
    pub fn output_bytes(&self, groups: usize) -> usize {
        (0..groups)
            .map(|g| self.accumulators.get(g).unwrap_or(&self.template).output_bytes())
            .fold(0, usize::saturating_add)
    }

    /// About what these accumulators take (`Accumulator::approx_bytes`), and their held
    /// times.
    pub fn approx_bytes(&self) -> usize {
        let held = self.held_times.as_ref().map_or(0, HeldTimes::bytes);
        self.accumulators
            .iter()
            .map(Accumulator::approx_bytes)
            .fold(held, usize::saturating_add)
    }

    /// At most what finalizing one group allocates beside its execution times' copy: the
    /// accumulator moved out, its result, its time series if asked for.
    fn finalize_bytes_per_group(&self) -> usize {
        let series = if self.template.families.time_series {
            self.template.window.buckets.saturating_mul(ROOM_PER_POINT)
        } else {
            0
        };
        (std::mem::size_of::<Accumulator>() + std::mem::size_of::<Analytics>() + FINALIZE_PER_GROUP)
            .saturating_add(series)
    }

    /// `finalize` without consuming (a streaming state can be finalized again).
    pub fn finalize_copy(&self, groups: usize) -> Result<Vec<Analytics>, CoreError> {
        ensure_room(
            groups
                .saturating_mul(self.finalize_bytes_per_group())
                .saturating_add(self.approx_bytes()),
            || format!("finalizing {} patterns", count_text(groups)),
        )?;
        let held = self.held_by_group();
        let grid = self.template.trend_grid();
        Ok(crate::pool::install(|| {
            (0..groups)
                .into_par_iter()
                .map(|g| {
                    let mut acc = self.accumulators.get(g).unwrap_or(&self.template).clone();
                    if let Some(held) = &held {
                        acc.add_execution_times(held.of(g));
                    }
                    acc.finalize_with(grid.as_ref())
                })
                .collect()
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_ids_are_white_space_as_python_strips_it() {
        for text in ["", " ", "\t\n", "\u{1c}\u{1f}", "\u{3000}\u{a0}"] {
            assert!(is_blank(text), "{text:?}");
        }
        for text in ["p", " p ", "\u{200b}", "-"] {
            assert!(!is_blank(text), "{text:?}");
        }
    }
    use crate::accumulator::Families;
    use crate::buckets::Window;
    use crate::civil::MICROS_PER_DAY;
    use crate::columns::{GATE_FAILED, SUCCESS, TIMEOUT};
    use crate::metrics::Thresholds;
    use crate::zone::Zone;

    fn template() -> Accumulator {
        let window = Window::new(0, 7 * MICROS_PER_DAY, "weekly", None).unwrap();
        Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default())
    }

    /// Rows of (group, timestamp, success, execution time); the other columns vary with
    /// the timestamp, so that a row's values placed apart would change some result.
    fn chunk(rows: &[(u32, i64, bool, f64)]) -> Columns {
        let mut c = Columns::default();
        push_rows(&mut c, rows);
        c
    }

    /// `chunk`'s rows pushed onto `c`, coded with its dictionaries. A row's timeout and
    /// failed-gate flags vary with its timestamp (all eight values of the flags occur).
    fn push_rows(c: &mut Columns, rows: &[(u32, i64, bool, f64)]) {
        for &(group, ts, ok, time) in rows {
            // (Mixed first: the tests' timestamps are multiples of 10 or of 10^8.)
            let mixed = (ts as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 40;
            let pick = |names: &[&'static str]| names[mixed as usize % names.len()];
            let others = [0, TIMEOUT, GATE_FAILED, TIMEOUT | GATE_FAILED][(mixed >> 8) as usize % 4];
            c.group.push(group);
            c.timestamp.push(ts);
            c.flags.push(if ok { SUCCESS | others } else { others });
            c.execution_time_ms.push(time);
            c.quality_score.push((mixed % 97) as f64 / 97.0);
            c.context_type
                .push(c.context_types.code(pick(&["api", "cli", "unknown"])));
            c.agent.push(c.agents.code(pick(&["a", "b"])));
            c.project.push(c.projects.code(pick(&["unknown", "p", "q", "r"])));
            let file = c.file_types.code(pick(&["py", "rs", "md", "toml", "json"]));
            c.file_type.push(if mixed.is_multiple_of(7) {
                crate::columns::NO_FILE
            } else {
                file
            });
        }
    }

    /// The estimate of the outputs counts what finalizing makes: each pattern's breakdown
    /// entries and time series points as `output_bytes_of` counts them on its results,
    /// whichever families are asked for, groups without rows (the template's) included.
    #[test]
    fn output_bytes_count_the_entries_and_points_finalizing_makes() {
        let mut next = crate::test_random::xorshift(250);
        for families in [
            Families::ALL,
            Families {
                time_series: false,
                ..Families::ALL
            },
            Families {
                distribution: false,
                trends: false,
                ..Families::ALL
            },
        ] {
            let mut template = template();
            template.families = families;
            let rows: Vec<(u32, i64, bool, f64)> = (0..1_500)
                .map(|_| {
                    let (group, ts) = (next() % 13, (next() % 7_000) as i64 * 86_400_000);
                    (group as u32, ts, !next().is_multiple_of(3), (next() % 89) as f64)
                })
                .collect();
            let mut grouped = GroupedAccumulators::for_one_call(template);
            grouped.add(&chunk(&rows));
            // (15: the last two groups have no rows.)
            let estimated = grouped.output_bytes(15);
            let results = grouped.finalize(15).unwrap();
            let counted: usize = results.iter().map(crate::group_results::output_bytes_of).sum();
            assert_eq!(estimated, counted, "{families:?}");
            let entries_or_points = results.iter().any(|r| r.distribution.is_some() || r.trend.is_some());
            assert_eq!(
                counted > 15 * crate::group_results::output_bytes(0, 0),
                entries_or_points,
                "{families:?}"
            );
        }
    }

    /// Releasing the scratch frees it and changes nothing else: chunks added afterwards
    /// (the scratch grown again) give the results of an accumulator that kept it.
    #[test]
    fn released_scratch_is_freed_and_changes_no_result() {
        let rows: Vec<(u32, i64, bool, f64)> = (0..2_000u32)
            .map(|i| (i * 7 % 13, i64::from(i) * 150_000_000, i % 3 > 0, f64::from(i % 89)))
            .collect();
        let (first, second) = (chunk(&rows[..1_200]), chunk(&rows[1_200..]));
        for mut kept in [
            GroupedAccumulators::new(template()),
            GroupedAccumulators::for_one_call(template()),
        ] {
            kept.add(&first);
            let mut released = kept.clone();
            released.release_scratch();
            assert!(kept.holds_scratch() && !released.holds_scratch());
            kept.add(&second);
            released.add(&second);
            assert_eq!(released.finalize(13).unwrap(), kept.finalize(13).unwrap());
        }
    }

    /// Chunks sharing their dictionaries, as a reader refills its buffers (the
    /// dictionaries keep their ids and grow), the last one with more contexts than a
    /// table may hold beside the other columns' tables: each group still gets what adding
    /// its rows of each chunk, unplaced and uncounted, gives.
    #[test]
    fn tables_follow_dictionaries_shared_across_chunks_beside_placed_columns() {
        let template = template();
        let rows: Vec<(u32, i64, bool, f64)> = (0..3_000u32)
            .map(|i| (i * 7 % 13, i64::from(i) * 150_000_000, i % 3 > 0, f64::from(i % 89)))
            .collect();
        let mut chunks = vec![chunk(&rows[..1_000])];
        for part in [&rows[1_000..2_000], &rows[2_000..]] {
            let mut next = chunks[chunks.len() - 1].clone();
            next.clear_rows();
            push_rows(&mut next, part);
            chunks.push(next);
        }
        // 900 contexts: 13 groups x 901 cells, past the 8,096 that 1,000 rows may fill.
        let last = &mut chunks[2];
        for (i, code) in last.context_type.iter_mut().enumerate() {
            *code = last.context_types.code(&format!("context-{}", i % 900));
        }
        assert_eq!(GroupCounts::plan(&chunks[1], 13, [true; 4]).strings, [true; 4]);
        assert_eq!(
            GroupCounts::plan(&chunks[2], 13, [true; 4]).strings,
            [false, true, true, true]
        );
        let mut grouped = GroupedAccumulators::for_one_call(template.clone());
        for c in &chunks {
            grouped.add(c);
        }
        let results = grouped.finalize(13).unwrap();
        for g in 0..13u32 {
            let mut alone = template.clone();
            for c in &chunks {
                let mine: Vec<usize> = (0..c.len()).filter(|&r| c.group[r] == g).collect();
                alone.add_rows(c, crate::rows::listed(0..mine.len()).map(|i| mine[i]));
            }
            assert_eq!(results[g as usize], alone.finalize(), "group {g}");
        }
    }

    /// Whatever the families, and whether a chunk's columns are counted for every group in
    /// one pass (few groups) or placed and counted group by group (group codes too high for
    /// the chunk's rows: `GroupCounts::plan` declines), each group gets what it gets alone.
    #[test]
    fn counted_and_placed_columns_give_each_group_its_own_results() {
        let no_trends = Families {
            trends: false,
            ..Families::ALL
        };
        let no_distribution = Families {
            distribution: false,
            ..Families::ALL
        };
        let neither = Families {
            trends: false,
            ..no_distribution
        };
        let window = Window::new(0, 7 * MICROS_PER_DAY, "weekly", None).unwrap();
        for families in [Families::ALL, no_trends, no_distribution, neither] {
            let template = Accumulator::new(window, Zone::get("UTC").unwrap(), families, Thresholds::default());
            for spread in [1, 1_000] {
                // (Groups 0, spread, ..., 12 * spread: with 1,000, the tables would need a
                // few cells for each of 12,001 groups, far more than 60 rows are allowed.)
                let rows: Vec<(u32, i64, bool, f64)> = (0..60u32)
                    .map(|i| {
                        (
                            (i * 7 % 13) * spread,
                            i64::from(i) * 9_000_000_000,
                            i % 4 > 0,
                            f64::from(i),
                        )
                    })
                    .collect();
                let columns = chunk(&rows);
                let needed = 12 * spread as usize + 1;
                let plan = GroupCounts::plan(&columns, needed, [true; 4]);
                assert_eq!(plan.flags, spread == 1, "spread {spread}");
                let mut grouped = GroupedAccumulators::new(template.clone());
                grouped.add(&columns);
                let results = grouped.finalize(needed).unwrap();
                for g in (0..13).map(|g| g * spread) {
                    let mut alone = template.clone();
                    alone.add(&chunk(&rows.iter().copied().filter(|r| r.0 == g).collect::<Vec<_>>()));
                    assert_eq!(
                        results[g as usize],
                        alone.finalize(),
                        "{families:?} spread {spread} group {g}"
                    );
                }
            }
        }
    }

    #[test]
    fn groups_over_several_tasks_equal_separate_accumulators() {
        // 201 groups: tasks of GROUPS_PER_TASK, with groups empty at each task's start
        // and end and next to them (what is prefetched ahead is skipped or absent), and
        // the last group one row at the window's end. Kathmandu, 90-minute buckets.
        let (window, template) = forty_days_in("Asia/Kathmandu");
        let start = window.start;
        let empty = [0u32, 1, 63, 64, 65, 127, 128, 191, 192];
        let mut next = crate::test_random::xorshift(0x2545_f491_4f6c_dd1d);
        let mut rows: Vec<(u32, i64, bool, f64)> = (0..40_000)
            .map(|i| {
                let group = (next() >> 40) as u32 % 200;
                let ts = start + (next() % (window.span as u64 + 1)) as i64;
                (group, ts, i % 3 > 0, f64::from(i % 101))
            })
            .filter(|row| !empty.contains(&row.0))
            .collect();
        rows.push((200, window.end, true, 1.0));
        assert_groups_equal_separate(GroupedAccumulators::new(template.clone()), &template, &rows, 201);
        assert_groups_equal_separate(
            GroupedAccumulators::for_one_call(template.clone()),
            &template,
            &rows,
            201,
        );
    }

    /// 2026-02-20 .. 2026-04-01 in 90-minute buckets, and an accumulator of it in `zone`.
    fn forty_days_in(zone: &str) -> (Window, Accumulator) {
        let start = 1_771_545_600_000_000;
        let window = Window::new(start, start + 40 * MICROS_PER_DAY, "custom", Some(5_400_000_000)).unwrap();
        let zone = Zone::get(zone).unwrap();
        (
            window,
            Accumulator::new(window, zone, Families::ALL, Thresholds::default()),
        )
    }

    /// `rows` added to `grouped` in two chunks give each of `groups` groups the results of
    /// its rows added alone (to a copy of `template`).
    fn assert_groups_equal_separate(
        mut grouped: GroupedAccumulators,
        template: &Accumulator,
        rows: &[(u32, i64, bool, f64)],
        groups: u32,
    ) {
        let half = rows.len() / 2;
        grouped.add(&chunk(&rows[..half]));
        grouped.add(&chunk(&rows[half..]));
        let results = grouped.finalize(groups as usize).unwrap();
        for g in 0..groups {
            let mut alone = template.clone();
            alone.add(&chunk(&rows.iter().copied().filter(|r| r.0 == g).collect::<Vec<_>>()));
            assert_eq!(results[g as usize], alone.finalize(), "group {g}");
        }
    }

    #[test]
    fn groups_equal_separate_accumulators() {
        let rows = [
            (1, 10, true, 5.0),
            (0, 20, false, 7.0),
            (1, 30, true, 9.0),
            (2, 40, true, 1.0),
            (0, 50, true, 3.0),
        ];
        let mut grouped = GroupedAccumulators::new(template());
        grouped.add(&chunk(&rows[..3]));
        grouped.add(&chunk(&rows[3..]));
        let results = grouped.finalize(4).unwrap();
        assert_eq!(results.len(), 4);
        for g in 0..3u32 {
            let mut alone = template();
            let mine: Vec<_> = rows.iter().copied().filter(|r| r.0 == g).collect();
            alone.add(&chunk(&mine));
            assert_eq!(results[g as usize], alone.finalize(), "group {g}");
        }
        assert_eq!(results[3].usage.total_executions, 0);
    }

    #[test]
    fn interleaved_groups_across_a_clock_change_equal_separate_accumulators() {
        // 2026-02-20 .. 2026-04-01 in New York (spring forward on 2026-03-08), in
        // 90-minute buckets; rows in random order over 37 groups, plus the window's ends.
        // (Both sides count instants with the same calendar code: this checks grouping,
        // held times and per-group runs; `calendar`'s tests check the places.)
        let (window, template) = forty_days_in("America/New_York");
        let start = window.start;
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        let mut rows: Vec<(u32, i64, bool, f64)> = (0..30_000)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let ts = start + (x % (window.span as u64 + 1)) as i64;
                ((x >> 40) as u32 % 37, ts, i % 3 > 0, (i % 101) as f64)
            })
            .collect();
        rows.extend([
            (5, start, true, 1.0),
            (5, window.end, true, 2.0),
            (6, window.end, false, 3.0),
        ]);
        assert_groups_equal_separate(GroupedAccumulators::new(template.clone()), &template, &rows, 37);
    }

    /// 5,000 rows over 23 groups (two of them never appear), every seventh time missing.
    fn spread_rows() -> Vec<(u32, i64, bool, f64)> {
        (0..5_000u32)
            .map(|i| {
                let group = (i * 7 + i / 13) % 25 % 23;
                let time = if i % 7 == 3 { f64::NAN } else { f64::from(i % 97) * 1.37 };
                (group, i64::from(i) * 100_000_000, i % 5 > 0, time)
            })
            .collect()
    }

    #[test]
    fn held_times_give_the_same_bits_as_added_times() {
        // Group 23 first appears in the last chunk.
        let mut rows = spread_rows();
        rows.extend((0..50).map(|i| (23, 500_000_000_000 + i * 1_000, true, f64::from(i as u32))));
        let (mut added, mut held) = (
            GroupedAccumulators::new(template()),
            GroupedAccumulators::for_one_call(template()),
        );
        assert!(held.held_times.is_some() && added.held_times.is_none());
        for part in rows.chunks(1_200) {
            added.add(&chunk(part));
            held.add(&chunk(part));
        }
        assert_eq!(held.held_times.as_ref().map(HeldTimes::chunks), Some(5));
        assert_eq!(held.finalize_copy(25).unwrap(), added.finalize_copy(25).unwrap());
        let results = held.finalize(25).unwrap();
        assert_eq!(results, added.finalize(25).unwrap());
        assert_eq!(results[23].performance.as_ref().map(|p| p.sample_count), Some(50));
    }

    #[test]
    fn results_handed_out_in_chunks_are_the_results_in_group_order() {
        let rows = spread_rows();
        let build = || {
            let mut grouped = GroupedAccumulators::for_one_call(template());
            for part in rows.chunks(700) {
                grouped.add(&chunk(part));
            }
            grouped
        };
        // (25 groups: the last two have no records.)
        let expected = build().finalize(25).unwrap();
        for size in [0, 1, 2, 7, 24, 25, 100] {
            let mut parts = Vec::new();
            build().finalize_in_order(25, size, |part| {
                parts.push(part.unwrap());
                true
            });
            let lengths: Vec<usize> = parts.iter().map(Vec::len).collect();
            let whole = size.clamp(1, 25);
            let mut expected_lengths = vec![whole; 25 / whole];
            expected_lengths.extend((25 % whole > 0).then_some(25 % whole));
            assert_eq!(lengths, expected_lengths, "chunks of {size}");
            assert_eq!(
                parts.into_iter().flatten().collect::<Vec<_>>(),
                expected,
                "chunks of {size}"
            );
        }
        let mut chunks = 0;
        build().finalize_in_order(25, 4, |_| {
            chunks += 1;
            false
        });
        assert_eq!(chunks, 1, "a sink that refuses stops the finalizing");
    }

    #[test]
    fn merges_of_states_holding_times_keep_the_record_order() {
        let rows = spread_rows();
        let mut whole = GroupedAccumulators::new(template());
        whole.add(&chunk(&rows));
        let expected = whole.finalize(23).unwrap();
        // Two one-call states of consecutive parts, each in two chunks, merged.
        let (mut first, mut second) = (
            GroupedAccumulators::for_one_call(template()),
            GroupedAccumulators::for_one_call(template()),
        );
        let (mut index, mut other_index) = (GroupIndex::default(), GroupIndex::default());
        for g in 0..23 {
            assert_eq!(index.code_int(g), g as u32);
            assert_eq!(other_index.code_int(g), g as u32);
        }
        first.add(&chunk(&rows[..1_000]));
        first.add(&chunk(&rows[1_000..2_500]));
        second.add(&chunk(&rows[2_500..4_000]));
        second.add(&chunk(&rows[4_000..]));
        first.merge(&mut index, &second, &other_index).unwrap();
        assert_eq!(first.finalize(23).unwrap(), expected);
    }

    #[test]
    fn an_id_in_two_forms_is_one_pattern_keyed_by_the_first() {
        let bytes = 0x0123_4567_89ab_cdef_0123_4567_89ab_cdefu128.to_be_bytes();
        let mut index = GroupIndex::default();
        assert_eq!(index.code_uuid(bytes), 0);
        for spelling in [
            "01234567-89ab-cdef-0123-456789abcdef",
            "0123456789ABCDEF0123456789ABCDEF",
            "{01234567-89AB-cdef-0123-456789abcdef}",
            "urn:uuid:01234567-89ab-cdef-0123-456789abcdef",
            "URN:UUID:01234567-89AB-CDEF-0123-456789ABCDEF",
        ] {
            assert_eq!(index.code_text(spelling), 0, "{spelling}");
        }
        assert_eq!(index.code_text("7"), 1);
        assert_eq!(index.code_int(7), 1);
        assert_eq!(index.keys()[1], GroupKey::Text("7".into()));
        assert_eq!(index.code_int(-12), 2);
        assert_eq!(index.code_text("-12"), 2);
        // Other texts are their own patterns.
        for (text, code) in [("007", 3), ("+7", 4), (" 7", 5), ("0123456789abcdef0123456789abcde", 6)] {
            assert_eq!(index.code_text(text), code, "{text}");
        }
        assert_eq!(index.code_text("{0123456789abcdef0123456789abcdef"), 7);
        assert_eq!(index.keys().len(), 8);
        assert_eq!(int_text("9223372036854775808"), None);
        assert_eq!(uuid_text("01234567-89ab-cdef-0123-456789abcdeg"), None);
        assert_eq!(uuid_text("0123456789ab-cdef-0123-456789abcdef"), None);
    }

    /// A pattern id of one of a few: ints, their texts, UUIDs, their texts, other texts.
    fn random_key(next: &mut impl FnMut() -> u64) -> GroupKey {
        let n = next() % 12;
        let uuid = (u128::from(n) * 0x0123_4567_89ab_cdef_0123).to_be_bytes();
        match next() % 5 {
            0 => GroupKey::Int(n as i64 - 3),
            1 => GroupKey::Text((n as i64 - 3).to_string().into()),
            2 => GroupKey::Uuid(uuid),
            3 => GroupKey::Text(format!("{:032x}", u128::from_be_bytes(uuid)).into()),
            _ => GroupKey::Text(format!("p{n}").into()),
        }
    }

    /// The index's allocations: its vectors' and maps' capacities.
    fn capacities(index: &GroupIndex) -> [usize; 8] {
        [
            index.keys.capacity(),
            index.received.capacity(),
            index.outside.capacity(),
            index.invalid.capacity(),
            index.samples.capacity(),
            index.texts.capacity(),
            index.ints.capacity(),
            index.uuids.capacity(),
        ]
    }

    #[test]
    fn ids_reserved_for_are_coded_without_allocating() {
        let mut next = crate::test_random::xorshift(0x51ab_1e5e_ed00_0001);
        for _ in 0..500 {
            let mut index = GroupIndex::default();
            for _ in 0..next() % 20 {
                index.code(&random_key(&mut next));
            }
            let keys: Vec<GroupKey> = (0..next() % 20).map(|_| random_key(&mut next)).collect();
            let held = index.keys().len();
            let new = index.reserve_for(&keys).unwrap();
            let reserved = capacities(&index);
            let codes: Vec<u32> = with_room_for_ids(new, || keys.iter().map(|key| index.code(key)).collect());
            assert!(index.check_memory().is_ok() && !codes.contains(&NO_GROUP), "{keys:?}");
            assert_eq!(capacities(&index), reserved, "{keys:?}");
            // (At most: two forms of one new id count twice.)
            assert!(index.keys().len() - held <= new, "{keys:?}");
        }
        // No room for the new ids: an error, and nothing coded or marked.
        let mut index = GroupIndex::default();
        index.code_int(1);
        let keys = [GroupKey::Int(1), GroupKey::Int(2)];
        let refused = with_room_for_ids(0, || index.reserve_for(&keys))
            .unwrap_err()
            .to_string();
        assert!(refused.contains("for the ids of 1 more patterns"), "{refused}");
        assert_eq!((index.keys().len(), index.check_memory().is_ok()), (1, true));
        // After an id found no memory, nothing is reserved for.
        index.starve();
        assert!(index.reserve_for(&keys).is_err());
    }

    #[test]
    fn retaining_codes_equals_the_kept_ids_coded_anew() {
        let mut next = crate::test_random::xorshift(0x0dd_c0de5);
        for _ in 0..500 {
            let mut index = GroupIndex::default();
            let spellings: Vec<GroupKey> = (0..next() % 30).map(|_| random_key(&mut next)).collect();
            for key in &spellings {
                let code = index.code(key);
                index.count_record(code);
                if next().is_multiple_of(3) {
                    index.count_invalid(code, || InvalidSample {
                        index: 0,
                        field: "timestamp",
                        value: format!("{key:?}"),
                        reason: "bad".into(),
                        location: None,
                    });
                }
            }
            let mut kept = 0;
            let new_codes: Vec<u32> = (0..index.keys().len())
                .map(|_| {
                    if next().is_multiple_of(3) {
                        return NO_GROUP;
                    }
                    kept += 1;
                    kept - 1
                })
                .collect();
            // The model: the kept ids coded anew, in order, with their counts.
            let mut anew = GroupIndex::default();
            for (code, key) in index.keys().iter().enumerate() {
                if new_codes[code] != NO_GROUP {
                    let mine = anew.code(key);
                    anew.add_report(mine, &index.report(code));
                }
            }
            let mut retained = index.clone();
            retained.retain_codes(&new_codes);
            assert_eq!(retained.keys(), anew.keys());
            for code in 0..anew.keys().len() {
                assert_eq!(retained.report(code), anew.report(code));
            }
            // Every spelling finds its id's new code, or none if it was forgotten.
            for key in &spellings {
                let old = index.find(key).unwrap() as usize;
                let want = Some(new_codes[old]).filter(|&code| code != NO_GROUP);
                assert_eq!(retained.find(key), want, "{key:?}");
                assert_eq!(retained.find(key), anew.find(key), "{key:?}");
            }
        }
    }

    #[test]
    fn index_gives_dense_codes_by_first_appearance() {
        let mut index = GroupIndex::default();
        assert_eq!(index.code(&GroupKey::Text("b".into())), 0);
        assert_eq!(index.code_int(7), 1);
        assert_eq!(index.code_text("b"), 0);
        assert_eq!(index.code(&GroupKey::Int(7)), 1);
        assert_eq!(index.count_record(1), 0);
        index.count_outside(1);
        assert_eq!((index.keys().len(), index.report(1).outside_window), (2, 1));
    }

    #[test]
    fn series_points_are_capped_over_all_patterns_of_a_comprehensive_batch() {
        // 1,000 one-minute buckets: 1,000 patterns fill the cap exactly.
        let window = Window::new(0, 60_000_000_000, "custom", Some(60_000_000)).unwrap();
        let grouped = |families| {
            GroupedAccumulators::new(Accumulator::new(
                window,
                Zone::get("UTC").unwrap(),
                families,
                Thresholds::default(),
            ))
        };
        let comprehensive = grouped(Families::ALL);
        assert!(comprehensive.check_series_points(1_000).is_ok());
        let refused = comprehensive.check_series_points(1_001).unwrap_err().to_string();
        assert!(
            refused.contains("1001 patterns x 1000 buckets = 1001000 points"),
            "{refused}"
        );
        assert!(comprehensive.check_series_points(usize::MAX).is_err(), "no overflow");
        let detailed = grouped(Families {
            time_series: false,
            ..Families::ALL
        });
        assert!(detailed.check_series_points(1_000_000).is_ok());
    }
}
