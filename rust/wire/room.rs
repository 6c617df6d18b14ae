//! What decoding, loading and merging serialized states allocates, checked before each
//! step (see `crate::room`): a state too large for the memory left is a `MemoryError`, not
//! an abort.
//!
//! The design is silent on memory. Decoding is the step whose size the bytes set, and its
//! check is an upper bound (`decoded_size`): the most any payload of its length decodes to
//! (a hostile state's lists decode to up to 16 times their stored size, and more as their
//! vectors grow), or where that much cannot be had, what this one decodes to, counted by a
//! pass over it. Loading and merging are checked with estimates from the
//! decoded state (guesses of each step's peak, as `crate::room`'s are), which count what
//! each stored list becomes besides each pattern's fixed parts: a day or an occupied bucket
//! or bin an entry of a map, a tally's name a shared pointer, a table's name its own
//! allocation and index entries.

use std::sync::Arc;

use super::decoded_size::{decoded_size, most_decoded};
use super::*;
use crate::accumulator::ROOM_PER_GROUP;
use crate::room::{count_text, ensure_room, size_text};
use crate::sketch::{DENSE_SHARE, DENSE_SPAN};

/// A sketch's bin (its count).
const BIN: usize = std::mem::size_of::<u64>();

/// A pattern id's share of a `GroupIndex` (its key, map entries and counts).
const INDEX_BYTES_PER_GROUP: usize = 128;

/// Check that decoding `payload` (a checked frame's) will find the memory it takes; an
/// error for bytes that do not decode (the decoding's own) where memory is short.
pub(super) fn make_room_to_decode(payload: &[u8]) -> Result<(), CoreError> {
    let what = || format!("reading a state of {}", size_text(payload.len()));
    // The pass counting what the payload decodes to costs a fifth of loading a state (and
    // `merge_serialized` decodes each twice): only where the most a payload of its length
    // could decode to cannot be had, as it always can without a memory limit.
    if ensure_room(most_decoded(payload.len()), what).is_ok() {
        return Ok(());
    }
    let decoded = decoded_size(payload).map_err(corrupt)?;
    ensure_room(decoded.bytes(), what)
}

/// A stored list's item once loaded into a map (a day, an occupied trend bucket or sketch
/// bin): an entry of a hash map at its most sparse just after it doubled (17 bytes an
/// entry, at most 2.3 entries of table an entry), with the tables it grew through, which
/// the allocator keeps mapped (under that again), or of a B-tree; rounded up.
const LOADED_PER_ENTRY: usize = 96;
/// A name of a state's table once loaded (`LoadedNames::with_table`), beside its text: its
/// shared allocation's header, its place in two vectors, its entry in the index that finds
/// it twice, its last tally; rounded up.
const LOADED_PER_NAME: usize = 256;

/// The bytes a stored accumulator's load allocates beside its fixed parts: the arrays it
/// copies out of the payload, and what its lists become (their decoded vectors are moved
/// in, or counted by `decoded_size`).
pub(super) fn loaded_bytes(acc: &AccumulatorWire<'_>) -> usize {
    let packed = [&acc.exact_times, &acc.agent_first_seen, &acc.agent_last_seen];
    let copied = packed.iter().map(|p| p.0.len()).fold(0, usize::saturating_add);
    let tallies = [&acc.contexts, &acc.agents, &acc.projects, &acc.file_types];
    let names = tallies.iter().map(|t| t.names.len()).fold(0, usize::saturating_add);
    let buckets = match &acc.bucket_counts {
        BucketsWire::Every(every) => every.len(),
        BucketsWire::Occupied(pairs) => pairs.len(),
    };
    let bins = match acc.summary.as_ref().map(|s| &s.bins) {
        // (Made dense when their span is at most `DENSE_SPAN` bins, or `DENSE_SHARE` a bin.)
        Some(BinsWire::Occupied(pairs)) => pairs
            .len()
            .saturating_mul(LOADED_PER_ENTRY + DENSE_SHARE * BIN)
            .saturating_add(DENSE_SPAN * BIN),
        _ => 0,
    };
    let entries = buckets.saturating_add(acc.day_counts.len());
    copied
        .saturating_add(names.saturating_mul(std::mem::size_of::<Arc<str>>()))
        .saturating_add(entries.saturating_mul(LOADED_PER_ENTRY))
        .saturating_add(bins)
}

/// The bytes a state's table of names takes loaded (`LoadedNames`).
pub(super) fn names_bytes(names: &[&str]) -> usize {
    let text = names.iter().map(|n| n.len()).fold(0, usize::saturating_add);
    names
        .len()
        .saturating_mul(LOADED_PER_NAME)
        .saturating_add(text.saturating_mul(2))
}

/// What loading a pattern takes beside `loaded_bytes`: its accumulator (in a vector of
/// them), its entry in the index, and its fixed parts, each allocated once at its size:
/// half what `ROOM_PER_GROUP` allows a pattern that grows record by record (a guess; its
/// place in the margin of `crate::room`).
const LOADED_PER_GROUP: usize = std::mem::size_of::<Accumulator>() + ROOM_PER_GROUP / 2 + INDEX_BYTES_PER_GROUP;

/// Check that loading a decoded state (`state_of`) will find the memory it takes.
pub(super) fn make_room_to_load(wire: &StateWire<'_>) -> Result<(), CoreError> {
    let (groups, loaded) = match &wire.body {
        BodyWire::One(acc) => (1, loaded_bytes(acc)),
        BodyWire::Grouped(groups) => (
            groups.len(),
            groups
                .iter()
                .map(|g| loaded_bytes(&g.accumulator))
                .fold(0, usize::saturating_add),
        ),
    };
    let bytes = groups
        .saturating_mul(LOADED_PER_GROUP)
        .saturating_add(loaded)
        .saturating_add(names_bytes(&wire.names));
    ensure_room(bytes, || format!("loading a state of {} patterns", count_text(groups)))
}

/// What one state adds to a merge of serialized states (`merge_grouped`), counted in its
/// first pass: the patterns it lists first, what its patterns' loads allocate
/// (`loaded_bytes`) and its table of names.
#[derive(Default, Clone, Copy)]
pub(super) struct MergeShare {
    pub new_patterns: usize,
    pub loaded: usize,
    pub names: usize,
}

/// Check that merging a state of `share` into the merged one will find the memory it
/// takes: its new patterns' parts (their accumulators' places are made up front), what its
/// patterns' loads allocate three times (a loaded pattern's, and the merged one's regrown
/// vectors and maps), and its table of names.
pub(super) fn make_room_to_merge(share: MergeShare, number: usize) -> Result<(), CoreError> {
    let bytes = share
        .new_patterns
        .saturating_mul(ROOM_PER_GROUP / 2)
        .saturating_add(share.loaded.saturating_mul(3))
        .saturating_add(share.names)
        .saturating_add(LOADED_PER_GROUP);
    ensure_room(bytes, || format!("merging state {number}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Thresholds;

    fn grouped_payload(patterns: i64) -> Vec<u8> {
        let window = Window::new(0, MICROS_PER_DAY, "custom", None).unwrap();
        let template = Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default());
        let mut state = State::new(template, true);
        if let Reduction::Grouped(_, index) = &mut state.body {
            for id in 0..patterns {
                index.code(&GroupKey::Int(id));
            }
        }
        to_bytes(&state, b"meta").unwrap()[HEADER..].to_vec()
    }

    #[test]
    fn decoding_is_estimated_from_the_stored_pattern_count() {
        let payload = grouped_payload(1000);
        let estimate = decoded_size(&payload).unwrap().bytes();
        assert!(estimate >= 1000 * std::mem::size_of::<GroupWire>(), "{estimate}");
        // (The real decoding: what the estimate is for.)
        assert!(decode_payload(Payload::unlocated(&payload)).is_ok());
    }

    /// Names of no bytes, stored in one byte each, take a `&str` of 16 decoded: counted
    /// at that (an estimate of twice the payload's length let a hostile state abort under
    /// a memory limit); cut short, they are refused before any is collected.
    #[test]
    fn names_of_no_bytes_are_counted_at_their_decoded_size() {
        let mut payload = grouped_payload(0);
        // (An empty batch state ends with its names and body: none, variant 1, length 0.)
        assert_eq!(payload[payload.len() - 3..], [0, 1, 0]);
        let body = payload.split_off(payload.len() - 2);
        payload.pop();
        let names = 100_000;
        payload.extend([0xa0, 0x8d, 0x06]); // (100,000 as a varint)
        payload.resize(payload.len() + names, 0);
        assert!(decoded_size(&payload).is_err());
        payload.extend(body);
        let estimate = decoded_size(&payload).unwrap().bytes();
        assert!(estimate >= names * std::mem::size_of::<&str>(), "{estimate}");
        // (The real decoding: what the estimate is for.)
        assert_eq!(decode_payload(Payload::unlocated(&payload)).unwrap().names.len(), names);
    }

    /// Two occupied bins 4,000 apart, stored in a few bytes, load as a dense sketch of
    /// 4,001 bins (32 KB, `Sketch::settle`): counted (before, a pattern's load counted only
    /// the arrays it copies, so a state of many such patterns was checked for a fifteenth
    /// of what loading it takes).
    #[test]
    fn occupied_bins_are_counted_at_the_dense_sketch_they_load_as() {
        let pairs = vec![(100, 1), (4100, 1)];
        let sketch = crate::sketch::Sketch::from_occupied(0.01, 0, pairs.clone()).unwrap();
        let crate::sketch::StoredBins::Every(_, bins) = sketch.stored() else {
            panic!("made dense")
        };
        let dense = std::mem::size_of_val(bins);
        assert_eq!(dense, 4001 * BIN);
        let acc = super::super::tests::accumulator();
        let mut wire = accumulator_wire(&acc, &mut NameTable::default());
        let before = loaded_bytes(&wire);
        wire.summary = Some(SummaryWire {
            count: 2,
            mean: 0.0,
            mean_low: 0.0,
            m2: 0.0,
            min: 0.0,
            max: 0.0,
            sum: 0.0,
            zeros: 0,
            bins: BinsWire::Occupied(pairs),
        });
        assert!(loaded_bytes(&wire) - before >= dense, "{}", loaded_bytes(&wire));
    }
}
