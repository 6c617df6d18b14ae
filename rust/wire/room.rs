//! What decoding, loading and merging serialized states allocates, checked before each
//! step (see `crate::room`): a state too large for the memory left is a `MemoryError`, not
//! an abort.
//!
//! The design is silent on memory; the estimates here are guesses of each step's peak, as
//! `crate::room`'s are. Decoding is the step whose size the bytes set: a decoded pattern
//! (`GroupWire`) takes 824 bytes where it is stored in about 180, and its vector of
//! patterns regrows (twice its size at the peak), as does its vector of names (a `&str`
//! each, counted before: `stored_counts`). A length read from the bytes never
//! allocates by itself: serde caps what a sequence reserves ahead at 1 MiB, and the pattern
//! count used here is bounded by the payload's length.

use std::cell::Cell;

use serde::de::{DeserializeSeed, Deserializer, SeqAccess, Visitor};

use super::*;
use crate::accumulator::ROOM_PER_GROUP;
use crate::room::{count_text, ensure_room, size_text};

/// The pattern count a payload's body declares (`GROUPED`; None for a single accumulator,
/// or bytes the decoding will refuse), read field by field in `StateWire`'s order, its
/// names counted into `names` as they are read, not collected: a name of no bytes is
/// stored in one and takes 16 as a `&str`, so a hostile payload of them (the estimate
/// asked twice its length) decoded to 16 times it and aborted under a memory limit, in
/// this very pass as it collected them. Counted up to where the bytes fail too: the
/// decoding collects those names before it fails.
fn stored_counts(payload: &[u8], names: &Cell<usize>) -> Option<u64> {
    let mut fields = postcard::Deserializer::from_bytes(payload);
    Vec::<u8>::deserialize(&mut fields).ok()?;
    SettingsWire::deserialize(&mut fields).ok()?;
    ReportWire::deserialize(&mut fields).ok()?;
    CountedNames(names).deserialize(&mut fields).ok()?;
    // (`BodyWire`'s variant, then with `GROUPED` the number of patterns.)
    let body = u32::deserialize(&mut fields).ok()?;
    let groups = u64::deserialize(&mut fields).ok()?;
    (body == GROUPED).then_some(groups)
}

/// A sequence of names, counted into its cell, none kept.
struct CountedNames<'c>(&'c Cell<usize>);

impl<'de> DeserializeSeed<'de> for CountedNames<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for CountedNames<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
        formatter.write_str("a sequence of names")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut names: A) -> Result<(), A::Error> {
        while names.next_element::<&'de str>()?.is_some() {
            self.0.set(self.0.get() + 1);
        }
        Ok(())
    }
}

/// `BodyWire::Grouped`'s index, as postcard stores it.
const GROUPED: u32 = 1;
/// Fewest bytes a stored pattern takes (its hour and weekday counts alone take 31).
const MIN_STORED_GROUP: usize = 32;
/// What decoding allocates per byte of payload beside the patterns themselves: their
/// names', counts' and days' vectors. A real state's decode to about their stored size (a
/// few names and counts a pattern, stored in 180 bytes with its fixed parts); twice that
/// here. (A guess, as `crate::room`'s: bytes made of nothing but one-byte counts decode to
/// up to eight times their size, past it, and can still abort under a limit.)
const DECODED_PER_BYTE: usize = 2;
/// A pattern id's share of a `GroupIndex` (its key, map entries and counts).
const INDEX_BYTES_PER_GROUP: usize = 128;

/// Check that decoding `payload` (a checked frame's) will find the memory it takes.
pub(super) fn make_room_to_decode(payload: &[u8]) -> Result<(), CoreError> {
    ensure_room(decoded_bytes(payload), || {
        format!("reading a state of {}", size_text(payload.len()))
    })
}

/// About what decoding `payload` allocates at most (see the module's note).
fn decoded_bytes(payload: &[u8]) -> usize {
    let names = Cell::new(0);
    let groups = match stored_counts(payload, &names) {
        Some(groups) => {
            let most = payload.len() / MIN_STORED_GROUP;
            usize::try_from(groups).map_or(most, |groups| groups.min(most))
        }
        // (A single accumulator, or bytes the decoding itself will refuse.)
        None => 1,
    };
    groups
        .saturating_mul(2 * std::mem::size_of::<GroupWire>())
        .saturating_add(names.get().saturating_mul(2 * std::mem::size_of::<&str>()))
        .saturating_add(payload.len().saturating_mul(DECODED_PER_BYTE))
}

/// The bytes of the arrays a stored accumulator's load copies out of the payload.
pub(super) fn copied_bytes(acc: &AccumulatorWire<'_>) -> usize {
    let packed = [&acc.exact_times, &acc.agent_first_seen, &acc.agent_last_seen];
    packed.iter().map(|p| p.0.len()).fold(0, usize::saturating_add)
}

/// What loading a pattern takes beside what its load copies: its accumulator (in a
/// vector of them), its entry in the index, and its parts (tallies, days, trend buckets),
/// each allocated once at its size: half what `ROOM_PER_GROUP` allows a pattern that grows
/// record by record (a guess; its place in the margin of `crate::room`).
const LOADED_PER_GROUP: usize = std::mem::size_of::<Accumulator>() + ROOM_PER_GROUP / 2 + INDEX_BYTES_PER_GROUP;

/// Check that loading a decoded state (`state_of`) will find the memory it takes.
pub(super) fn make_room_to_load(wire: &StateWire<'_>) -> Result<(), CoreError> {
    let (groups, copied) = match &wire.body {
        BodyWire::One(acc) => (1, copied_bytes(acc)),
        BodyWire::Grouped(groups) => (
            groups.len(),
            groups
                .iter()
                .map(|g| copied_bytes(&g.accumulator))
                .fold(0, usize::saturating_add),
        ),
    };
    let bytes = groups.saturating_mul(LOADED_PER_GROUP).saturating_add(copied);
    ensure_room(bytes, || format!("loading a state of {} patterns", count_text(groups)))
}

/// What one state adds to a merge of serialized states (`merge_grouped`), counted in its
/// first pass: the patterns it lists first, and the arrays its patterns copy.
#[derive(Default, Clone, Copy)]
pub(super) struct MergeShare {
    pub new_patterns: usize,
    pub copied: usize,
}

/// Check that merging a state of `share` into the merged one will find the memory it
/// takes: its new patterns' parts (their accumulators' places are made up front), and its
/// arrays three times (a loaded pattern's copy, and the merged one's regrown vector).
pub(super) fn make_room_to_merge(share: MergeShare, number: usize) -> Result<(), CoreError> {
    let bytes = share
        .new_patterns
        .saturating_mul(ROOM_PER_GROUP / 2)
        .saturating_add(share.copied.saturating_mul(3))
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
        let per_pattern = 2 * std::mem::size_of::<GroupWire>();
        assert!(
            decoded_bytes(&payload) >= 1000 * per_pattern,
            "{}",
            decoded_bytes(&payload)
        );
        // (The real decoding: what the estimate is for.)
        assert!(decode_payload(&payload).is_ok());
    }

    /// Names of no bytes, stored in one byte each, take a `&str` of 16 decoded: counted
    /// at that (the estimate asked twice the payload's length, and its pass collected
    /// them: a hostile state aborted under a memory limit), those before where the bytes
    /// fail too.
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
        let at_least = names * std::mem::size_of::<&str>();
        assert!(decoded_bytes(&payload) >= at_least, "{}", decoded_bytes(&payload));
        payload.extend(body);
        assert!(decoded_bytes(&payload) >= at_least, "{}", decoded_bytes(&payload));
        // (The real decoding: what the estimate is for.)
        assert_eq!(decode_payload(&payload).unwrap().names.len(), names);
    }

    /// A pattern count of 2^64 - 1 read from the bytes asks no more than their length
    /// allows, not an impossible amount (nor is anything allocated by it).
    #[test]
    fn a_hostile_pattern_count_asks_what_the_payload_could_hold() {
        let mut payload = grouped_payload(0);
        // (An empty batch state ends with its body: variant 1, length 0.)
        assert_eq!(payload[payload.len() - 2..], [1, 0]);
        payload.pop();
        payload.extend([0xff; 9].iter().chain(&[0x01]));
        let most = payload.len() / MIN_STORED_GROUP * 2 * std::mem::size_of::<GroupWire>();
        assert!(decoded_bytes(&payload) <= most + payload.len() * DECODED_PER_BYTE);
        assert!(make_room_to_decode(&payload).is_ok());
        assert!(matches!(decode_payload(&payload), Err(CoreError::InvalidInput(_))));
    }
}
