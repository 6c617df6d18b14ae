//! What decoding a payload allocates, counted by a first pass over it that reads the same
//! layout (`StateWire`'s, field by field, each field of the same stored type) and keeps
//! nothing: names and packed arrays borrow from the bytes, and every sequence is read
//! item by item and only counted. Bytes this pass refuses are refused with its error, which
//! is the decoding's: both read the same layout and fail at the same byte.
//!
//! An upper bound, not a guess: a hostile state's lists decode to many times their stored
//! size (a day of the daily counts is stored in two bytes and decodes to 16; a digit of the
//! quality sum or a tally's name index in one, to 4), and the estimate this replaced (twice
//! the payload's length beside its patterns) let such states abort the process under a
//! memory limit (`tests/test_out_of_memory_states.py`).
//!
//! The shapes here mirror the wire structs of `wire.rs`: a change there needs its mirror
//! here, or valid states are refused by this pass (every round trip of the tests fails).

use std::marker::PhantomData;
use std::mem::size_of;

use serde::de::{Deserialize, Deserializer, SeqAccess, Visitor};

use super::{AccumulatorWire, GroupKeyWire, GroupWire, Packed};
use crate::ingest::MAX_SAMPLES;
use crate::metrics::ThresholdTuple;

/// What serde reserves ahead for a sequence of the length the bytes state (its
/// `size_hint::cautious`): more is grown to as the items come.
const RESERVED_AHEAD: usize = 1 << 20;

/// The address space decoding takes: what the decoded vectors and strings hold, and what
/// the allocator keeps mapped of the buffers they grew through (jemalloc keeps the address
/// space of what it frees, and an address-space limit counts it).
#[derive(Default, Clone, Copy, Debug, PartialEq)]
pub(super) struct DecodedSize(usize);

impl DecodedSize {
    pub fn bytes(self) -> usize {
        self.0
    }

    pub(super) fn add(self, other: DecodedSize) -> DecodedSize {
        DecodedSize(self.0.saturating_add(other.0))
    }

    /// A vector of `len` items of `size` bytes, decoded as serde decodes a sequence: its
    /// length reserved up to `RESERVED_AHEAD`, then doubled as items are pushed. It ends
    /// under twice its length, and the buffers it grew through, under that again, stay
    /// mapped: four times its items. (Counted at its peak alone, three times, a list of
    /// 5M days, 80 MB, passed the check with 256 MB to spare and aborted: 128 MB asked for
    /// with 64 MB held and 63 MB freed on the way.)
    pub(super) fn vector(len: usize, size: usize) -> DecodedSize {
        let bytes = len.saturating_mul(size);
        if bytes <= RESERVED_AHEAD {
            DecodedSize(bytes)
        } else {
            DecodedSize(bytes.saturating_mul(4))
        }
    }

    /// A vector of `len` items pushed to from empty (grown to 4, then doubled): its
    /// capacity and the buffers it grew through.
    fn pushed(len: usize, size: usize) -> DecodedSize {
        let capacity = if len == 0 { 0 } else { len.next_power_of_two().max(4) };
        DecodedSize(capacity.saturating_mul(2).saturating_mul(size))
    }

    /// One allocation of `bytes` (a string, a box).
    pub(super) fn exact(bytes: usize) -> DecodedSize {
        DecodedSize(bytes)
    }
}

/// The most a stored byte decodes to, its share of a vector's growth included: a name of
/// no text is stored in one byte and decodes to a `&str` of 16, and a vector grown by
/// doubling takes up to four times its items (`DecodedSize::vector`), so a list of such
/// names 64 bytes per stored byte, as much as a batch rolling monitor's list of patterns
/// of three bytes each, a `PatternWire` of 48 (`batch_rolling`'s tests); everything else
/// decodes to less (a pattern of 60 bytes at least, to a `GroupWire` of 824; a day's two
/// bytes to 16). Checked by this module's tests against the shapes that come closest.
pub(super) const MOST_PER_STORED_BYTE: usize = 4 * size_of::<&str>();

/// The most any payload of `len` bytes decodes to.
pub(super) fn most_decoded(len: usize) -> usize {
    len.saturating_mul(MOST_PER_STORED_BYTE)
        .saturating_add(size_of::<AccumulatorWire>())
}

/// What decoding `payload` (a checked frame's) allocates at most, or the error decoding it
/// gives.
pub(super) fn decoded_size(payload: &[u8]) -> Result<DecodedSize, postcard::Error> {
    let (state, rest): (StateShape, _) = postcard::take_from_bytes(payload)?;
    Ok(state.size().add(locations_size(rest)?))
}

/// What decoding the samples' locations stored in `rest` (what follows a payload's main
/// part: a state's, a rolling monitor's) allocates at most; nothing where none is stored
/// (an older version's, or no sample located).
pub(super) fn locations_size(rest: &[u8]) -> Result<DecodedSize, postcard::Error> {
    if rest.is_empty() {
        return Ok(DecodedSize::default());
    }
    let (locations, _): (Locations, _) = postcard::take_from_bytes(rest)?;
    Ok(locations.size())
}

/// `LocationsWire`: their number and the bytes of their text.
struct Locations {
    len: usize,
    text: usize,
}

impl Locations {
    fn size(&self) -> DecodedSize {
        // (`kept_locations` keeps no more than one past `MAX_SAMPLES`; every text counted.)
        let kept = self.len.min(MAX_SAMPLES + 1);
        DecodedSize::pushed(kept, size_of::<Option<String>>()).add(DecodedSize::exact(self.text))
    }
}

impl<'de> Deserialize<'de> for Locations {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Counting;
        impl<'de> Visitor<'de> for Counting {
            type Value = Locations;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a sequence of error samples' locations")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Locations, A::Error> {
                let (mut len, mut text) = (0usize, 0usize);
                while let Some(location) = items.next_element::<Option<&'de str>>()? {
                    len += 1;
                    text = text.saturating_add(location.map_or(0, str::len));
                }
                Ok(Locations { len, text })
            }
        }
        deserializer.deserialize_seq(Counting)
    }
}

/// A stored sequence of `T`, read item by item and counted, none kept.
pub(super) struct Listed<T> {
    len: usize,
    items: PhantomData<T>,
}

impl<T> Listed<T> {
    /// Decoded as a vector of `T`.
    pub(super) fn size(&self) -> DecodedSize {
        DecodedSize::vector(self.len, size_of::<T>())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Listed<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Counting<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Counting<T> {
            type Value = Listed<T>;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a sequence")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Listed<T>, A::Error> {
                let mut len = 0usize;
                while items.next_element::<T>()?.is_some() {
                    len += 1;
                }
                Ok(Listed {
                    len,
                    items: PhantomData,
                })
            }
        }
        deserializer.deserialize_seq(Counting(PhantomData))
    }
}

/// `StateWire`.
#[derive(serde::Deserialize)]
struct StateShape<'a> {
    /// (Borrowed by the decoding too: `StateWire::meta`.)
    #[serde(borrow)]
    _meta: &'a [u8],
    #[serde(borrow)]
    settings: SettingsShape<'a>,
    report: ReportShape,
    #[serde(borrow)]
    names: Listed<&'a str>,
    #[serde(borrow)]
    body: BodyShape<'a>,
}

impl StateShape<'_> {
    fn size(&self) -> DecodedSize {
        let body = match &self.body {
            BodyShape::One(acc) => DecodedSize::exact(size_of::<AccumulatorWire>()).add(acc.size()),
            BodyShape::Grouped(groups) => DecodedSize::vector(groups.len, size_of::<GroupWire>()).add(groups.size),
        };
        DecodedSize::exact(self.settings.timezone.len())
            .add(self.report.size())
            .add(self.names.size())
            .add(body)
    }
}

/// `SettingsWire` (its time zone's name decoded as a `String`).
#[derive(serde::Deserialize)]
pub(super) struct SettingsShape<'a> {
    _window: [i64; 3],
    #[serde(borrow)]
    pub(super) timezone: &'a str,
    _families: [bool; 5],
    _thresholds: ThresholdTuple,
    _exact_budget: u64,
    _relative_accuracy: f64,
}

/// `ReportWire`.
#[derive(serde::Deserialize)]
pub(super) struct ReportShape {
    _counts: [u64; 3],
    samples: Samples,
}

impl ReportShape {
    pub(super) fn size(&self) -> DecodedSize {
        // (`kept_samples` keeps no more than one past `MAX_SAMPLES`, each read in turn; the
        // text of every one counted, an upper bound.)
        let kept = self.samples.len.min(MAX_SAMPLES + 1);
        DecodedSize::pushed(kept, size_of::<super::Sample>()).add(DecodedSize::exact(self.samples.text))
    }
}

/// `Sample`, its text borrowed.
type Sample<'a> = (u64, &'a str, &'a str, &'a str);

/// A report's error samples: their number and the bytes of their text.
struct Samples {
    len: usize,
    text: usize,
}

impl<'de> Deserialize<'de> for Samples {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Counting;
        impl<'de> Visitor<'de> for Counting {
            type Value = Samples;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a sequence of error samples")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut samples: A) -> Result<Samples, A::Error> {
                let (mut len, mut text) = (0usize, 0usize);
                while let Some((_, field, value, reason)) = samples.next_element::<Sample<'de>>()? {
                    len += 1;
                    text = text.saturating_add(field.len() + value.len() + reason.len());
                }
                Ok(Samples { len, text })
            }
        }
        deserializer.deserialize_seq(Counting)
    }
}

/// `BodyWire`.
// (One per pass, never in a collection: boxing would only allocate.)
#[allow(clippy::large_enum_variant)]
#[derive(serde::Deserialize)]
enum BodyShape<'a> {
    #[serde(borrow)]
    One(AccumulatorShape<'a>),
    Grouped(Groups),
}

/// A body's patterns, read one at a time: their number and what their parts hold.
struct Groups {
    len: usize,
    size: DecodedSize,
}

impl<'de> Deserialize<'de> for Groups {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Counting;
        impl<'de> Visitor<'de> for Counting {
            type Value = Groups;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a sequence of patterns")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut groups: A) -> Result<Groups, A::Error> {
                let (mut len, mut size) = (0usize, DecodedSize::default());
                while let Some(group) = groups.next_element::<GroupShape<'de>>()? {
                    len += 1;
                    size = size.add(group.report.size()).add(group.accumulator.size());
                }
                Ok(Groups { len, size })
            }
        }
        deserializer.deserialize_seq(Counting)
    }
}

/// `GroupWire`.
#[derive(serde::Deserialize)]
struct GroupShape<'a> {
    /// (Decoded as borrowed text or numbers: nothing allocated.)
    #[serde(borrow)]
    _key: GroupKeyWire<'a>,
    report: ReportShape,
    #[serde(borrow)]
    accumulator: AccumulatorShape<'a>,
}

/// `AccumulatorWire`.
#[derive(serde::Deserialize)]
pub(super) struct AccumulatorShape<'a> {
    /// count, success, timeouts and gate failures.
    _counts: [u64; 4],
    quality_sum: (u32, Listed<u32>),
    _quality_count: u64,
    #[serde(borrow)]
    _exact_times: Packed<'a>,
    summary: Option<SummaryShape>,
    bucket_counts: BucketsShape,
    day_counts: Listed<(i64, u64)>,
    _hours: [u64; 24],
    _weekdays: [u64; 7],
    _latest: Option<i64>,
    /// contexts, agents, projects and file types.
    tallies: [TallyShape; 4],
    /// The agents' first and last instants.
    #[serde(borrow)]
    _agents_seen: [Packed<'a>; 2],
}

impl AccumulatorShape<'_> {
    pub(super) fn size(&self) -> DecodedSize {
        let bins = match &self.summary {
            None => DecodedSize::default(),
            Some(SummaryShape {
                bins: BinsShape::Every(_, bins),
                ..
            }) => bins.size(),
            Some(SummaryShape {
                bins: BinsShape::Occupied(pairs),
                ..
            }) => pairs.size(),
        };
        let buckets = match &self.bucket_counts {
            BucketsShape::Every(every) => every.size(),
            BucketsShape::Occupied(pairs) => pairs.size(),
        };
        let tallies = self.tallies.iter().fold(DecodedSize::default(), |size, tally| {
            size.add(tally.names.size()).add(tally.counts.size())
        });
        self.quality_sum
            .1
            .size()
            .add(bins)
            .add(buckets)
            .add(self.day_counts.size())
            .add(tallies)
    }
}

/// `SummaryWire`.
#[derive(serde::Deserialize)]
struct SummaryShape {
    _count: u64,
    /// mean, its low part, m2, min, max and sum.
    _moments: [f64; 6],
    _zeros: u64,
    bins: BinsShape,
}

/// `BinsWire`.
#[derive(serde::Deserialize)]
#[allow(dead_code)] // (the first bin's key: read, as the decoding reads it, not kept)
enum BinsShape {
    Every(i32, Listed<u64>),
    Occupied(Listed<(i32, u64)>),
}

/// `BucketsWire` (its counts decoded as a vector: a `Cow` of numbers is never borrowed).
#[derive(serde::Deserialize)]
enum BucketsShape {
    Every(Listed<u64>),
    Occupied(Listed<(u32, u64)>),
}

/// `TallyWire`.
#[derive(serde::Deserialize)]
struct TallyShape {
    names: Listed<u32>,
    counts: Listed<u64>,
}

#[cfg(test)]
mod tests {
    use super::super::tests::{accumulator, grouped_bytes, template};
    use super::super::*;
    use super::*;

    /// The payload of a one-pattern state (three records) whose stored accumulator
    /// `tamper` changed.
    fn payload_with(tamper: impl FnOnce(&mut AccumulatorWire<'_>)) -> Vec<u8> {
        let state = State {
            template: template(),
            report: IngestReport {
                received: 3,
                ..IngestReport::default()
            },
            body: Reduction::One(accumulator()),
            broken: None,
        };
        let mut wire = serialize(&state, b"meta").unwrap().wire;
        let BodyWire::One(acc) = &mut wire.0.body else {
            panic!("one pattern")
        };
        tamper(acc);
        postcard::to_stdvec(&wire).unwrap()
    }

    /// What the vectors of a decoded accumulator hold (at their capacities).
    fn held_by(acc: &AccumulatorWire<'_>) -> usize {
        fn cap<T>(items: &Vec<T>) -> usize {
            items.capacity() * size_of::<T>()
        }
        #[allow(clippy::ptr_arg)] // (which of its forms it is)
        fn cow(items: &Cow<'_, [u64]>) -> usize {
            match items {
                Cow::Owned(items) => cap(items),
                Cow::Borrowed(_) => 0,
            }
        }
        let bins = match acc.summary.as_ref().map(|s| &s.bins) {
            Some(BinsWire::Every(_, bins)) => cap(bins),
            Some(BinsWire::Occupied(pairs)) => cap(pairs),
            None => 0,
        };
        let buckets = match &acc.bucket_counts {
            BucketsWire::Every(every) => cow(every),
            BucketsWire::Occupied(pairs) => cap(pairs),
        };
        let tallies = [&acc.contexts, &acc.agents, &acc.projects, &acc.file_types];
        let tallies: usize = tallies.iter().map(|t| cap(&t.names) + cow(&t.counts)).sum();
        cap(&acc.quality_sum.1) + bins + buckets + cap(&acc.day_counts) + tallies
    }

    fn summary(bins: BinsWire) -> Option<SummaryWire> {
        Some(SummaryWire {
            count: 0,
            mean: 0.0,
            mean_low: 0.0,
            m2: 0.0,
            min: 0.0,
            max: 0.0,
            sum: 0.0,
            zeros: 0,
            bins,
        })
    }

    type Tamper = fn(&mut AccumulatorWire<'_>, usize);

    /// Lists of the smallest items, which decode to 4 to 16 times their stored size.
    fn hostile_lists() -> [(&'static str, Tamper); 9] {
        [
            ("days", |acc, n| acc.day_counts = vec![(0, 0); n]),
            ("quality digits", |acc, n| acc.quality_sum.1 = vec![0; n]),
            ("tally names", |acc, n| acc.agents.names = vec![0; n]),
            ("tally counts", |acc, n| acc.projects.counts = Cow::Owned(vec![0; n])),
            ("every bucket", |acc, n| {
                acc.bucket_counts = BucketsWire::Every(Cow::Owned(vec![0; n]))
            }),
            ("occupied buckets", |acc, n| {
                acc.bucket_counts = BucketsWire::Occupied(vec![(0, 0); n])
            }),
            ("every bin", |acc, n| {
                acc.summary = summary(BinsWire::Every(0, vec![0; n]))
            }),
            ("occupied bins", |acc, n| {
                acc.summary = summary(BinsWire::Occupied(vec![(0, 0); n]))
            }),
            ("all of them", |acc, n| {
                acc.day_counts = vec![(0, 0); n];
                acc.quality_sum.1 = vec![0; n];
                acc.file_types.names = vec![0; n];
                acc.summary = summary(BinsWire::Occupied(vec![(0, 0); n]));
            }),
        ]
    }

    /// Each stored list is counted at least at what its decoding holds, its growth past
    /// what serde reserves ahead included (the estimate before asked twice the payload's
    /// length beside the patterns, and such states aborted under a memory limit).
    #[test]
    fn every_list_is_counted_at_least_at_what_its_decoding_holds() {
        let n = 300_000; // (past the 1 MiB serde reserves ahead, for every kind of item)
        for (what, tamper) in hostile_lists() {
            let payload = payload_with(|acc| tamper(acc, n));
            let estimate = decoded_size(&payload).unwrap().bytes();
            // (The real decoding: what the estimate is for.)
            let (wire, _): (StateWire, _) = postcard::take_from_bytes(&payload).unwrap();
            let BodyWire::One(acc) = &wire.body else {
                panic!("one pattern")
            };
            let held = held_by(acc) + size_of::<AccumulatorWire>();
            assert!(held > 2 * payload.len(), "{what}: {held} of {}", payload.len());
            assert!(estimate >= held, "{what}: {estimate} < {held}");
            // (Its growth: the buffers grown through, at most what the lists hold.)
            assert!(estimate <= 4 * held, "{what}: {estimate} for {held}");
        }
    }

    /// `most_decoded`, the check made before any count, bounds the shapes that decode to
    /// most per stored byte: names of no text, patterns of nothing (with error samples of
    /// no text), lists of the smallest items.
    #[test]
    fn no_payload_decodes_to_more_than_the_most_per_stored_byte() {
        let within = |what: &str, payload: &[u8]| {
            let estimate = decoded_size(payload).unwrap().bytes();
            let most = most_decoded(payload.len());
            assert!(estimate <= most, "{what}: {estimate} > {most}");
            // (How close it comes.)
            estimate as f64 / payload.len() as f64
        };
        for (what, tamper) in hostile_lists() {
            within(what, &payload_with(|acc| tamper(acc, 300_000)));
        }
        let state = State::new(template(), true);
        let mut wire = serialize(&state, b"").unwrap().wire;
        wire.0.names = vec![""; 300_000];
        let names = within("names", &postcard::to_stdvec(&wire).unwrap());
        assert!(names > 60.0, "{names} per stored byte");
        let mut state = State::new(template(), true);
        if let Reduction::Grouped(_, index) = &mut state.body {
            for id in 0..20_000 {
                index.code(&GroupKey::Int(id));
            }
        }
        let mut wire = serialize(&state, b"").unwrap().wire;
        within("patterns", &postcard::to_stdvec(&wire).unwrap());
        if let BodyWire::Grouped(groups) = &mut wire.0.body {
            for group in groups {
                group.report.samples = vec![(0, String::new(), String::new(), String::new()); 6];
            }
        }
        within("patterns of six samples", &postcard::to_stdvec(&wire).unwrap());
    }

    #[test]
    fn a_batch_state_is_counted_with_its_patterns_and_names() {
        let bytes = grouped_bytes(|_| {});
        let payload = &bytes[HEADER..];
        let estimate = decoded_size(payload).unwrap().bytes();
        let (wire, _): (StateWire, _) = postcard::take_from_bytes(payload).unwrap();
        let BodyWire::Grouped(groups) = &wire.body else {
            panic!("a batch state")
        };
        let held = groups.capacity() * size_of::<GroupWire>()
            + wire.names.capacity() * size_of::<&str>()
            + groups.iter().map(|g| held_by(&g.accumulator)).sum::<usize>();
        assert!(estimate >= held, "{estimate} < {held}");
    }

    /// Bytes this pass refuses are refused with the decoding's own error: a pattern count
    /// of 2^64 - 1 stated by a few bytes allocates nothing.
    #[test]
    fn bytes_that_do_not_decode_are_refused_with_the_decodings_error() {
        let bytes = to_bytes(&State::new(template(), true), b"").unwrap();
        let mut payload = bytes[HEADER..].to_vec();
        // (An empty batch state ends with its body: variant 1, no patterns.)
        assert_eq!(payload[payload.len() - 2..], [1, 0]);
        payload.pop();
        payload.extend([0xff; 9].iter().chain(&[0x01]));
        let decoding = postcard::take_from_bytes::<StateWire>(&payload).err().unwrap();
        let refused = decoded_size(&payload).expect_err("refused");
        assert_eq!(refused, decoding);
        assert!(matches!(
            decode_payload(Payload::unlocated(&payload)),
            Err(CoreError::InvalidInput(_))
        ));
    }
}
