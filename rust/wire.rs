//! The serialized form of a streaming state, and its validation on load.
//!
//! Frame: `b"UAST"` | format version (u16 LE) | CRC-32 of the payload (u32 LE, the zlib /
//! IEEE polynomial) | payload (postcard encoding of `StateWire`, then, since version 8, of
//! `LocationsWire`). Loading checks the frame,
//! the checksum, that the payload decodes with nothing left over, and then that every part
//! is consistent with the others (lengths, totals, windows, finite sums): malformed bytes
//! give an error, never a panic and never a state that would finalize differently from
//! what was saved. The wire structs are separate from the in-memory ones so that the
//! format stays stable while the accumulator's layout changes.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::accumulator::{Accumulator, DayCounts, Families};
use crate::bucket_counts::BucketCounts;
use crate::buckets::Window;
use crate::civil::MICROS_PER_DAY;
use crate::durations::{Durations, Summary};
use crate::error::CoreError;
use crate::exact_sum::ExactSum;
use crate::group::{is_blank, GroupIndex, GroupKey, GroupedAccumulators};
use crate::ingest::{IngestReport, InvalidSample, FIELDS, MAX_SAMPLES};
use crate::metrics::{ThresholdTuple, Thresholds};
use crate::seeded_map::SeededMap;
use crate::sketch::{Sketch, StoredBins};
use crate::state::{Reduction, State};
use crate::stats::Moments;
use crate::tally::{LoadedNames, Tally};
use crate::zone::Zone;

mod batch_rolling;
mod decoded_size;
mod merge;
mod rolling;
mod room;

// (The versions each format reads are public so that the fuzz targets frame payloads under
// every one of them: `fuzz/src/lib.rs`.)
pub use batch_rolling::{
    batch_rolling_from_bytes, serialize_batch_rolling, BATCH_ROLLING_VERSION, OLDEST_BATCH_ROLLING_VERSION,
};
pub use merge::merge_serialized;
pub use rolling::{rolling_from_bytes, serialize_rolling, OLDEST_ROLLING_VERSION, ROLLING_VERSION};

const MAGIC: &[u8; 4] = b"UAST";
/// 8 since the state's own error samples keep where their records are (`LocationsWire`,
/// after the rest: version 7's payload is a version 8 one without it, and is still read,
/// its samples without locations; a state with none is written as 7, so a version 8
/// payload without them is refused); 7 since a sketch whose span is mostly empty stores
/// only its occupied bins (`BinsWire`); 6: a summary stores its mean's low part
/// (`Moments::mean_low`); 5: execution times and agents' instants stored as bytes
/// (`Packed`) and tally names once per state (`StateWire::names`); 4: a window of many
/// trend buckets stores only the occupied ones; 3: every bucket; 2: batch states without
/// per-pattern ingest counts. No release wrote a version before 7, so no reader of them
/// is kept.
pub const FORMAT_VERSION: u16 = 8;
/// The oldest format version read (`FORMAT_VERSION` 7: what releases wrote before 8).
pub const OLDEST_FORMAT_VERSION: u16 = 7;
const HEADER: usize = 4 + 2 + 4;

// Stored names and arrays are borrowed while writing (from the state) and names and
// packed arrays while reading (from the bytes): a 10,000-pattern state would otherwise
// copy every name and array once more, one allocation each.
#[derive(Serialize, Deserialize)]
struct StateWire<'a> {
    /// Opaque bytes of the Python layer (its settings), covered by the checksum. (Borrowed
    /// from the bytes read, never copied by the core: a hostile state's meta can be as
    /// large as the state.)
    #[serde(borrow)]
    meta: Cow<'a, [u8]>,
    settings: SettingsWire,
    report: ReportWire,
    /// Every name the tallies list, each once: a tally stores its names' indices here (a
    /// 10,000-pattern state lists the same few dozen names in every pattern; loading them
    /// as text took a sixth of loading partition states).
    #[serde(borrow)]
    names: Vec<&'a str>,
    #[serde(borrow)]
    body: BodyWire<'a>,
    /// The locations of `report`'s samples: stored after the rest (`LocationsWire`), read
    /// by `decode_payload`.
    #[serde(skip)]
    locations: Vec<Option<String>>,
}

/// Where each of a state's own error samples' records is (`InvalidSample::location`), in
/// the samples' order, one for each: stored after `StateWire` (version 8) where any sample
/// has one, so that version 7's payloads, which end there, read as they are. (Only the
/// state's own report's: a pattern's samples count among its records, which no location
/// names.)
#[derive(Serialize, Deserialize)]
struct LocationsWire(#[serde(deserialize_with = "kept_locations")] Vec<Option<String>>);

/// The stored locations, no more than one past `MAX_SAMPLES` kept (`located` refuses them
/// all the same), as `kept_samples` keeps samples: a hostile state's million Nones, a byte
/// each, would take 24 MB decoded.
fn kept_locations<'de, D: serde::Deserializer<'de>>(locations: D) -> Result<Vec<Option<String>>, D::Error> {
    struct Kept;
    impl<'de> serde::de::Visitor<'de> for Kept {
        type Value = Vec<Option<String>>;

        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a sequence of error samples' locations")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut items: A) -> Result<Self::Value, A::Error> {
            let mut kept = Vec::new();
            while let Some(location) = items.next_element()? {
                if kept.len() <= MAX_SAMPLES {
                    kept.push(location);
                }
            }
            Ok(kept)
        }
    }
    locations.deserialize_seq(Kept)
}

/// `report` with its samples' stored `locations` (none stored: a version 7 state's, none
/// located); an error unless there is one for each sample.
fn located(mut report: IngestReport, locations: Vec<Option<String>>) -> Result<IngestReport, CoreError> {
    if locations.is_empty() {
        return Ok(report);
    }
    ensure(
        locations.len() == report.samples.len(),
        "its error samples' locations do not match its samples",
    )?;
    for (sample, location) in report.samples.iter_mut().zip(locations) {
        sample.location = location;
    }
    Ok(report)
}

/// The samples' locations stored at the start of `rest` (what follows a payload's main
/// part in a format that stores them: a state's version 8, a monitor's 2) and what follows
/// them. Such a payload always holds them, one at least set: one form of each state, as
/// every other part has (one with no location is written in the version before, whose
/// payload ends with its main part). The checksum covers the payload, not the version, so
/// an older payload whose version was changed to this one reaches here, and is refused.
fn stored_locations(rest: &[u8]) -> Result<(Vec<Option<String>>, &[u8]), CoreError> {
    ensure(!rest.is_empty(), "its error samples' locations are missing")?;
    let (LocationsWire(locations), after) = postcard::take_from_bytes(rest).map_err(corrupt)?;
    ensure(
        locations.iter().any(Option::is_some),
        "its error samples' locations are stored where none has one",
    )?;
    Ok((locations, after))
}

#[derive(Serialize, Deserialize, PartialEq)]
struct SettingsWire {
    start: i64,
    end: i64,
    width: i64,
    timezone: String,
    families: [bool; 5],
    thresholds: ThresholdTuple,
    /// u64::MAX: no limit.
    exact_budget: u64,
    relative_accuracy: f64,
}

#[derive(Serialize, Deserialize)]
struct ReportWire {
    received: u64,
    outside_window: u64,
    invalid: u64,
    #[serde(deserialize_with = "kept_samples")]
    samples: Vec<Sample>,
}

/// An error sample: its record's index, field, value and reason.
type Sample = (u64, String, String, String);

/// A report's samples, no more than one past `MAX_SAMPLES` kept (`report_of` refuses
/// them as "too many error samples" all the same): a sample of no text is stored in four
/// bytes and takes 80 decoded, so a hostile state's millions of them aborted under a
/// memory limit, collected before that check could see them.
fn kept_samples<'de, D: serde::Deserializer<'de>>(samples: D) -> Result<Vec<Sample>, D::Error> {
    struct Kept;
    impl<'de> serde::de::Visitor<'de> for Kept {
        type Value = Vec<Sample>;

        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a sequence of error samples")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut samples: A) -> Result<Vec<Sample>, A::Error> {
            let mut kept = Vec::new();
            while let Some(sample) = samples.next_element()? {
                if kept.len() <= MAX_SAMPLES {
                    kept.push(sample);
                }
            }
            Ok(kept)
        }
    }
    samples.deserialize_seq(Kept)
}

#[derive(Serialize, Deserialize)]
enum BodyWire<'a> {
    #[serde(borrow)]
    One(Box<AccumulatorWire<'a>>),
    #[serde(borrow)]
    Grouped(Vec<GroupWire<'a>>),
}

#[derive(Serialize, Deserialize)]
enum GroupKeyWire<'a> {
    Text(&'a str),
    Int(i64),
    Uuid([u8; 16]),
}

#[derive(Serialize, Deserialize)]
struct GroupWire<'a> {
    #[serde(borrow)]
    key: GroupKeyWire<'a>,
    /// The pattern's own counts (of its records; `GroupIndex`).
    report: ReportWire,
    #[serde(borrow)]
    accumulator: AccumulatorWire<'a>,
}

#[derive(Serialize, Deserialize)]
struct AccumulatorWire<'a> {
    count: u64,
    success: u64,
    timeouts: u64,
    gate_failures: u64,
    /// `ExactSum::parts`: the lowest non-zero digit's index and the digits.
    quality_sum: (u32, Vec<u32>),
    quality_count: u64,
    #[serde(borrow)]
    exact_times: Packed<'a>,
    summary: Option<SummaryWire>,
    #[serde(borrow)]
    bucket_counts: BucketsWire<'a>,
    day_counts: Vec<(i64, u64)>,
    hours: [u64; 24],
    weekdays: [u64; 7],
    latest: Option<i64>,
    #[serde(borrow)]
    contexts: TallyWire<'a>,
    #[serde(borrow)]
    agents: TallyWire<'a>,
    #[serde(borrow)]
    projects: TallyWire<'a>,
    #[serde(borrow)]
    file_types: TallyWire<'a>,
    #[serde(borrow)]
    agent_first_seen: Packed<'a>,
    #[serde(borrow)]
    agent_last_seen: Packed<'a>,
}

/// Numbers of eight bytes (doubles, instants) stored as their little-endian bytes, one
/// byte string: postcard reads it in place, where a sequence costs a decoding call per
/// element and an instant's varint up to nine turns of a loop (loading eight partition
/// states, a third of the time went to their execution times one by one).
#[derive(Serialize, Deserialize)]
struct Packed<'a>(#[serde(with = "serde_bytes", borrow)] Cow<'a, [u8]>);

impl<'a> Packed<'a> {
    /// `values` as stored: their own bytes where those are little-endian, else a copy.
    fn of<T: bytemuck::Pod>(values: &'a [T], bytes: impl Fn(T) -> [u8; 8]) -> Packed<'a> {
        if cfg!(target_endian = "little") {
            Packed(Cow::Borrowed(bytemuck::cast_slice(values)))
        } else {
            Packed(Cow::Owned(values.iter().flat_map(|&v| bytes(v)).collect()))
        }
    }

    fn values<T>(&self, value: impl Fn([u8; 8]) -> T, what: &str) -> Result<Vec<T>, CoreError> {
        let bytes = &self.0;
        ensure(bytes.len().is_multiple_of(8), what)?;
        let eight = |chunk: &[u8]| value(chunk.try_into().expect("chunks of 8"));
        Ok(bytes.chunks_exact(8).map(eight).collect())
    }
}

/// Trend bucket counts as the accumulator keeps them (`BucketCounts`): every bucket's for
/// a window of few buckets, the occupied ones for a window of many (a million at most),
/// which stores only those its records fall in. Either is read for any window.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum BucketsWire<'a> {
    Every(Cow<'a, [u64]>),
    /// (bucket, count > 0) in ascending order of bucket.
    Occupied(Vec<(u32, u64)>),
}

#[derive(Serialize, Deserialize)]
struct SummaryWire {
    count: u64,
    mean: f64,
    mean_low: f64,
    m2: f64,
    min: f64,
    max: f64,
    sum: f64,
    zeros: u64,
    bins: BinsWire,
}

/// A sketch's bins as it keeps them (`Sketch::stored`): every bin from the lowest to the
/// highest occupied one, or, for a mostly empty span, the occupied bins alone (two times of
/// 1e-300 and 1e300 ms: two pairs, not 69,000 bins at 1% or 6.9 million at 1e-4).
#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum BinsWire {
    /// The first bin's key, then every bin's count.
    Every(i32, Vec<u64>),
    /// (key, count > 0) in ascending order of key.
    Occupied(Vec<(i32, u64)>),
}

#[derive(Serialize, Deserialize)]
struct TallyWire<'a> {
    /// Indices into `StateWire::names`.
    names: Vec<u32>,
    counts: Cow<'a, [u64]>,
}

/// The names table of a state being written (`StateWire::names`).
#[derive(Default)]
struct NameTable<'a> {
    names: Vec<&'a str>,
    index: SeededMap<&'a str, u32>,
}

impl<'a> NameTable<'a> {
    fn index(&mut self, name: &'a str) -> u32 {
        *self.index.entry(name).or_insert_with(|| {
            self.names.push(name);
            (self.names.len() - 1) as u32
        })
    }
}

/// A state ready to be written: its size is known first, so that the bytes can be written
/// straight into their final buffer (a 10,000-pattern state is about 30 MB: written into a
/// growing vector, then framed, then copied into a Python `bytes`, it was copied three
/// times more and paged in four times; `to_bytes` of a 28.6 MB state took 148-215 ms,
/// now 105-158).
pub struct Serialized<'a> {
    wire: Located<StateWire<'a>>,
    payload_len: usize,
}

/// A wire form and its report's samples' locations where any has one: without, a version
/// 8 payload is what version 7 wrote (and a state that never met a location writes no
/// more). A rolling monitor's (`rolling::RollingWire`, version 2 over 1) is stored so too.
struct Located<W>(W, Option<LocationsWire>);

impl<W: Serialize> Located<W> {
    /// `wire` and the locations of `samples` (its report's), stored only where one is set.
    fn new(wire: W, samples: &[InvalidSample]) -> Self {
        let locations = samples
            .iter()
            .any(|s| s.location.is_some())
            .then(|| LocationsWire(samples.iter().map(|s| s.location.clone()).collect()));
        Located(wire, locations)
    }
}

impl<W: Serialize> Serialize for Located<W> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeTuple;
        // (postcard writes a tuple's items one after the other, nothing between.)
        let mut items = serializer.serialize_tuple(1 + usize::from(self.1.is_some()))?;
        items.serialize_element(&self.0)?;
        if let Some(locations) = &self.1 {
            items.serialize_element(locations)?;
        }
        items.end()
    }
}

impl Serialized<'_> {
    /// The framed state's length in bytes.
    pub fn byte_len(&self) -> usize {
        HEADER + self.payload_len
    }

    /// Write the framed state into `out`, which is `byte_len()` bytes long. A state no
    /// sample of which has a location is stamped version 7: its payload is exactly what
    /// version 7 wrote, so a release before 8 (a Dask worker not yet upgraded) reads it.
    pub fn write_into(&self, out: &mut [u8]) -> Result<(), CoreError> {
        let version = if self.wire.1.is_some() {
            FORMAT_VERSION
        } else {
            OLDEST_FORMAT_VERSION
        };
        write_framed(&self.wire, self.payload_len, (MAGIC, version, "state"), out)
    }
}

/// Write `wire` (a payload of `payload_len` bytes) framed into `out`, which is
/// `HEADER + payload_len` bytes long: `magic`, `version` and the payload's CRC-32, then the
/// payload (states' and rolling monitors' frames alike; `what` names the kind in errors).
pub(crate) fn write_framed<W: Serialize>(
    wire: &W,
    payload_len: usize,
    (magic, version, what): (&[u8; 4], u16, &str),
    out: &mut [u8],
) -> Result<(), CoreError> {
    if out.len() != HEADER + payload_len {
        return Err(CoreError::Internal(format!(
            "a {}-byte buffer for a {}-byte {what}",
            out.len(),
            HEADER + payload_len
        )));
    }
    let (header, payload) = out.split_at_mut(HEADER);
    let written = postcard::to_slice(wire, payload)
        .map_err(|e| CoreError::Internal(format!("serializing: {e}")))?
        .len();
    if written != payload_len {
        return Err(CoreError::Internal(format!(
            "serialized {written} bytes of a {payload_len}-byte payload"
        )));
    }
    header[..4].copy_from_slice(magic);
    header[4..6].copy_from_slice(&version.to_le_bytes());
    header[6..].copy_from_slice(&crc32fast::hash(payload).to_le_bytes());
    Ok(())
}

/// `state` with the Python layer's `meta` bytes, ready to be written (`Serialized`).
pub fn serialize<'a>(state: &'a State, meta: &'a [u8]) -> Result<Serialized<'a>, CoreError> {
    let mut names = NameTable::default();
    let body = match &state.body {
        Reduction::One(acc) => BodyWire::One(Box::new(accumulator_wire(acc, &mut names))),
        Reduction::Grouped(grouped, index) => BodyWire::Grouped(
            index
                .keys()
                .iter()
                .enumerate()
                .map(|(code, key)| GroupWire {
                    key: match key {
                        GroupKey::Text(t) => GroupKeyWire::Text(t),
                        GroupKey::Int(n) => GroupKeyWire::Int(*n),
                        GroupKey::Uuid(b) => GroupKeyWire::Uuid(*b),
                    },
                    report: report_wire(&index.report(code)),
                    accumulator: accumulator_wire(grouped.get(code).unwrap_or(grouped.template()), &mut names),
                })
                .collect(),
        ),
        Reduction::Rolling(_) | Reduction::BatchRolling(..) => {
            return Err(CoreError::Internal("rolling states are not serialized".into()))
        }
    };
    let wire = StateWire {
        meta: Cow::Borrowed(meta),
        settings: settings_wire(&state.template),
        report: report_wire(&state.report),
        names: names.names,
        body,
        locations: Vec::new(),
    };
    let wire = Located::new(wire, &state.report.samples);
    let payload_len = postcard::serialize_with_flavor(&wire, postcard::ser_flavors::Size::default())
        .map_err(|e| CoreError::Internal(format!("sizing: {e}")))?;
    Ok(Serialized { wire, payload_len })
}

/// Serialize `state` with the Python layer's `meta` bytes.
pub fn to_bytes(state: &State, meta: &[u8]) -> Result<Vec<u8>, CoreError> {
    let serialized = serialize(state, meta)?;
    let mut out = vec![0; serialized.byte_len()];
    serialized.write_into(&mut out)?;
    Ok(out)
}

fn corrupt(why: impl std::fmt::Display) -> CoreError {
    // (A core error's text starts with its own "invalid input: ": said once.)
    let why = why.to_string();
    let why = why.strip_prefix("invalid input: ").unwrap_or(&why);
    let why = why.strip_prefix("corrupt state: ").unwrap_or(why);
    CoreError::InvalidInput(format!("not a valid usage-analytics state: {why}"))
}

fn ensure(ok: bool, why: &str) -> Result<(), CoreError> {
    if ok {
        Ok(())
    } else {
        Err(corrupt(why))
    }
}

/// Load serialized bytes: the state and the Python layer's meta bytes (in `bytes`).
pub fn from_bytes(bytes: &[u8]) -> Result<(State, &[u8]), CoreError> {
    let wire = decode_payload(payload_of(bytes)?)?;
    let meta = meta_of(&wire.meta)?;
    Ok((state_of(wire)?, meta))
}

/// A decoded state's meta bytes, borrowed from the bytes it was decoded from.
fn meta_of<'a>(meta: &Cow<'a, [u8]>) -> Result<&'a [u8], CoreError> {
    match *meta {
        Cow::Borrowed(meta) => Ok(meta),
        Cow::Owned(_) => Err(CoreError::Internal("meta bytes copied in decoding".into())),
    }
}

/// A checked frame's payload and its format version.
#[derive(Clone, Copy)]
pub(crate) struct Payload<'b> {
    bytes: &'b [u8],
    version: u16,
}

impl<'b> Payload<'b> {
    /// A payload of a state none of whose samples has a location, under the version it is
    /// written as (7: a version 8 payload always holds locations; tests').
    #[cfg(test)]
    fn unlocated(bytes: &'b [u8]) -> Self {
        Payload {
            bytes,
            version: OLDEST_FORMAT_VERSION,
        }
    }
}

/// The payload of framed bytes, once their magic, version and checksum are checked.
fn payload_of(bytes: &[u8]) -> Result<Payload<'_>, CoreError> {
    let (payload, version) = framed_payload_of_versions(
        bytes,
        (MAGIC, OLDEST_FORMAT_VERSION..=FORMAT_VERSION, "format"),
        (
            rolling::MAGIC,
            "these bytes hold a RollingUsageAnalytics, not an accumulator",
        ),
    )?;
    Ok(Payload {
        bytes: payload,
        version,
    })
}

/// The payload of `bytes` framed by `write_framed` with `magic` and any of `versions` (a
/// refused version named as `format`'s), once those and the checksum are checked, and the
/// version found; bytes of the other kind of frame (`other_magic`) are refused saying what
/// they hold (`other_kind`). (A state's, a rolling and a batch rolling monitor's: each
/// reads its previous version, whose payload ends before its samples' locations.)
fn framed_payload_of_versions<'b>(
    bytes: &'b [u8],
    (magic, versions, format): (&[u8; 4], std::ops::RangeInclusive<u16>, &str),
    (other_magic, other_kind): (&[u8; 4], &str),
) -> Result<(&'b [u8], u16), CoreError> {
    ensure(bytes.len() >= HEADER, "too short")?;
    if &bytes[..4] == other_magic {
        return Err(corrupt(other_kind));
    }
    ensure(&bytes[..4] == magic, "wrong magic bytes")?;
    let found = u16::from_le_bytes([bytes[4], bytes[5]]);
    if !versions.contains(&found) {
        let (oldest, newest) = (versions.start(), versions.end());
        let read = if oldest == newest {
            format!("version {newest}")
        } else {
            format!("versions {oldest} to {newest}")
        };
        return Err(corrupt(format!(
            "{format} version {found}, this usage-analytics reads {read}"
        )));
    }
    let checksum = u32::from_le_bytes([bytes[6], bytes[7], bytes[8], bytes[9]]);
    let payload = &bytes[HEADER..];
    ensure(
        crc32fast::hash(payload) == checksum,
        "checksum mismatch (truncated or altered)",
    )?;
    Ok((payload, found))
}

/// A checked frame's payload, decoded (borrowing from it), with its samples' locations
/// (version 7's: none).
fn decode_payload(payload: Payload<'_>) -> Result<StateWire<'_>, CoreError> {
    room::make_room_to_decode(payload.bytes)?;
    let (mut wire, mut rest): (StateWire, &[u8]) = postcard::take_from_bytes(payload.bytes).map_err(corrupt)?;
    if payload.version >= 8 {
        // (One form of each state: one with no location is written as version 7.)
        (wire.locations, rest) = stored_locations(rest)?;
    }
    ensure(rest.is_empty(), "trailing bytes after the state")?;
    Ok(wire)
}

/// The state a decoded payload holds, every part checked.
fn state_of(wire: StateWire<'_>) -> Result<State, CoreError> {
    room::make_room_to_load(&wire)?;
    let template = template_of(&wire.settings)?;
    let report = located(report_of(wire.report)?, wire.locations)?;
    ensure(samples_inside(&report), "an error sample is past its records")?;
    let mut names = LoadedNames::with_table(&wire.names).map_err(corrupt)?;
    let body = match wire.body {
        BodyWire::One(acc) => {
            let acc = accumulator_of(&template, *acc, &mut names)?;
            let outside = report.outside_window as u64;
            check_totals(&report, acc.count, outside, 0)?;
            Reduction::One(acc)
        }
        BodyWire::Grouped(groups) => {
            let mut index = GroupIndex::default();
            let mut accumulators = Vec::with_capacity(groups.len().min(1 << 16));
            let mut totals = GroupTotals::default();
            for group in groups {
                let code = code_of(&mut index, &group.key)?;
                // A state lists each pattern once, under one form of its id (`GroupIndex`
                // codes every form of an id as one pattern): an id met before, in this
                // form or another, is no state this code writes.
                ensure(code as usize == accumulators.len(), "a pattern id appears twice")?;
                let (accumulator, group_report) = group_of(&template, group, &mut names)?;
                totals.add(accumulator.count, &group_report)?;
                accumulators.push(accumulator);
                index.add_report(code, &group_report);
            }
            totals.check(&report)?;
            Reduction::Grouped(GroupedAccumulators::from_parts(template.clone(), accumulators), index)
        }
    };
    // (This code's table lists only the names its tallies list.)
    ensure(names.all_listed(), "a name no tally lists")?;
    Ok(State {
        template,
        report,
        body,
        broken: None,
    })
}

/// The code of a stored pattern id (in any of its forms, as `GroupIndex::code`). A blank
/// text names no pattern (a record with one is invalid): no state this code writes has one.
fn code_of(index: &mut GroupIndex, key: &GroupKeyWire<'_>) -> Result<u32, CoreError> {
    let code = match *key {
        GroupKeyWire::Text(text) => {
            ensure(!is_blank(text), "a blank pattern id")?;
            index.code_text(text)
        }
        GroupKeyWire::Int(n) => index.code_int(n),
        GroupKeyWire::Uuid(bytes) => index.code_uuid(bytes),
    };
    index.check_memory()?;
    Ok(code)
}

/// One stored pattern's accumulator and own record counts, checked against each other.
fn group_of(
    template: &Accumulator,
    group: GroupWire<'_>,
    names: &mut LoadedNames,
) -> Result<(Accumulator, IngestReport), CoreError> {
    let accumulator = accumulator_of(template, group.accumulator, names)?;
    let report = report_of(group.report)?;
    ensure(samples_inside(&report), "a pattern's error sample is past its records")?;
    let in_window = report.received.checked_sub(report.outside_window);
    let in_window = in_window.and_then(|n| n.checked_sub(report.invalid));
    ensure(
        in_window == Some(accumulator.count as usize),
        "a pattern's record counts do not add up",
    )?;
    Ok((accumulator, report))
}

/// Whether every error sample of `report` is one of its records.
pub(crate) fn samples_inside(report: &IngestReport) -> bool {
    report.samples.iter().all(|s| s.index < report.received)
}

/// The sums of a state's patterns' counts, to be checked against the whole's.
#[derive(Default)]
struct GroupTotals {
    in_window: u64,
    outside: u64,
    invalid: u64,
}

impl GroupTotals {
    fn add(&mut self, in_window: u64, report: &IngestReport) -> Result<(), CoreError> {
        let add = |total: u64, n: u64| total.checked_add(n).ok_or_else(|| corrupt("counts overflow"));
        self.in_window = add(self.in_window, in_window)?;
        self.outside = add(self.outside, report.outside_window as u64)?;
        self.invalid = add(self.invalid, report.invalid as u64)?;
        Ok(())
    }

    fn check(&self, whole: &IngestReport) -> Result<(), CoreError> {
        check_totals(whole, self.in_window, self.outside, self.invalid)
    }
}

/// A state's record counts (`whole`) against the sums of its accumulators' records in the
/// window, of its patterns' records outside it, and of its patterns' invalid records.
fn check_totals(whole: &IngestReport, in_window: u64, outside: u64, invalid: u64) -> Result<(), CoreError> {
    // (Records whose pattern id is bad are invalid in no pattern.)
    ensure(
        invalid <= whole.invalid as u64,
        "per-pattern invalid counts exceed the whole",
    )?;
    ensure(
        outside == whole.outside_window as u64,
        "per-pattern outside counts do not add up",
    )?;
    let expected = in_window
        .checked_add(outside)
        .and_then(|n| n.checked_add(whole.invalid as u64));
    ensure(expected == Some(whole.received as u64), "record counts do not add up")
}

fn settings_wire(template: &Accumulator) -> SettingsWire {
    let (w, f, t) = (template.window, template.families, template.thresholds);
    let budget = template.durations.budget();
    SettingsWire {
        start: w.start,
        end: w.end,
        width: w.width,
        timezone: template.zone.name().to_owned(),
        families: [f.performance, f.trends, f.distribution, f.time_series, f.predictions],
        thresholds: (
            t.growing_velocity,
            t.declining_velocity,
            t.abandoned_velocity,
            t.abandoned_max_executions,
            t.emerging_max_executions,
            t.min_t_statistic,
            t.recent_fraction,
        ),
        exact_budget: if budget == usize::MAX { u64::MAX } else { budget as u64 },
        relative_accuracy: template.durations.relative_accuracy(),
    }
}

fn template_of(s: &SettingsWire) -> Result<Accumulator, CoreError> {
    let window = Window::new(s.start, s.end, "custom", Some(s.width)).map_err(corrupt)?;
    let zone = Zone::get(&s.timezone).map_err(corrupt)?;
    let [performance, trends, distribution, time_series, predictions] = s.families;
    let families = Families {
        performance,
        trends,
        distribution,
        time_series,
        predictions,
    };
    let t = s.thresholds;
    ensure(
        [t.0, t.1, t.2, t.5, t.6].iter().all(|v| v.is_finite()) && t.5 >= 0.0 && t.6 > 0.0 && t.6 <= 1.0,
        "trend thresholds out of range",
    )?;
    let thresholds = Thresholds::from(t);
    let budget = usize::try_from(s.exact_budget).unwrap_or(usize::MAX);
    let durations = Durations::new(budget, s.relative_accuracy).map_err(corrupt)?;
    Ok(Accumulator::new(window, zone, families, thresholds).with_durations(durations))
}

/// The settings of a template in their stored form: two templates merge iff these agree.
pub fn same_settings(a: &Accumulator, b: &Accumulator) -> bool {
    settings_wire(a) == settings_wire(b)
}

/// Most records a state may hold (2^53: every count stays exact as a float, and no sum of
/// two states' counters can overflow).
pub const MAX_RECORDS: u64 = 1 << 53;

fn report_wire(report: &IngestReport) -> ReportWire {
    ReportWire {
        received: report.received as u64,
        outside_window: report.outside_window as u64,
        invalid: report.invalid as u64,
        samples: report
            .samples
            .iter()
            .map(|s| (s.index as u64, s.field.to_owned(), s.value.clone(), s.reason.clone()))
            .collect(),
    }
}

fn report_of(r: ReportWire) -> Result<IngestReport, CoreError> {
    ensure(r.received <= MAX_RECORDS, "more records than a state can hold")?;
    ensure(r.samples.len() <= MAX_SAMPLES, "too many error samples")?;
    ensure(
        r.samples.len() as u64 <= r.invalid,
        "more error samples than invalid records",
    )?;
    let mut samples = Vec::with_capacity(r.samples.len());
    for (index, field, value, reason) in r.samples {
        let field = FIELDS
            .iter()
            .chain(&["record", "pattern_id"])
            .find(|&&f| f == field)
            .ok_or_else(|| corrupt("an error sample names an unknown field"))?;
        samples.push(InvalidSample {
            index: usize::try_from(index).map_err(corrupt)?,
            field,
            value,
            reason,
            location: None,
        });
    }
    let size = |n: u64| usize::try_from(n).map_err(corrupt);
    Ok(IngestReport {
        received: size(r.received)?,
        outside_window: size(r.outside_window)?,
        invalid: size(r.invalid)?,
        samples,
        integer_times: None,
    })
}

fn tally_wire<'a>(tally: &'a Tally, table: &mut NameTable<'a>) -> TallyWire<'a> {
    let (names, counts) = tally.parts();
    TallyWire {
        names: names.iter().map(|n| table.index(n)).collect(),
        counts: Cow::Borrowed(counts),
    }
}

fn accumulator_wire<'a>(acc: &'a Accumulator, names: &mut NameTable<'a>) -> AccumulatorWire<'a> {
    let (exact, summary) = acc.durations.parts();
    let mut day_counts: Vec<(i64, u64)> = acc.day_counts.iter().collect();
    day_counts.sort_unstable();
    AccumulatorWire {
        count: acc.count,
        success: acc.success,
        timeouts: acc.timeouts,
        gate_failures: acc.gate_failures,
        quality_sum: acc.quality_sum.parts(),
        quality_count: acc.quality_count,
        exact_times: Packed::of(exact, f64::to_le_bytes),
        summary: summary.map(|s| {
            let m = s.moments;
            SummaryWire {
                count: m.count,
                mean: m.mean,
                mean_low: m.mean_low,
                m2: m.m2,
                min: m.min,
                max: m.max,
                sum: m.sum,
                zeros: s.sketch.zeros(),
                bins: match s.sketch.stored() {
                    StoredBins::Every(offset, bins) => BinsWire::Every(offset, bins.to_vec()),
                    StoredBins::Occupied(pairs) => BinsWire::Occupied(pairs),
                },
            }
        }),
        bucket_counts: match acc.bucket_counts.as_dense() {
            Some(every) => BucketsWire::Every(Cow::Borrowed(every)),
            None => BucketsWire::Occupied(
                acc.bucket_counts
                    .occupied()
                    .into_iter()
                    .map(|(bucket, count)| (bucket as u32, count))
                    .collect(),
            ),
        },
        day_counts,
        hours: acc.hours,
        weekdays: acc.weekdays,
        latest: acc.latest,
        contexts: tally_wire(&acc.contexts, names),
        agents: tally_wire(&acc.agents, names),
        projects: tally_wire(&acc.projects, names),
        file_types: tally_wire(&acc.file_types, names),
        agent_first_seen: Packed::of(&acc.agent_first_seen, i64::to_le_bytes),
        agent_last_seen: Packed::of(&acc.agent_last_seen, i64::to_le_bytes),
    }
}

/// The bucket counts stored as `w`, checked against a window of `buckets` buckets.
fn bucket_counts_of(w: BucketsWire<'_>, buckets: usize) -> Result<BucketCounts, CoreError> {
    let mut counts = BucketCounts::new(buckets);
    match w {
        BucketsWire::Every(every) => {
            ensure(every.len() == buckets, "wrong number of trend buckets")?;
            for (bucket, &count) in every.iter().enumerate() {
                counts.add(bucket, count);
            }
        }
        BucketsWire::Occupied(occupied) => {
            ensure(
                occupied.windows(2).all(|pair| pair[0].0 < pair[1].0),
                "trend buckets out of order or twice",
            )?;
            for (bucket, count) in occupied {
                ensure(count > 0, "an empty trend bucket")?;
                ensure((bucket as usize) < buckets, "a trend bucket outside the window")?;
                counts.add(bucket as usize, count);
            }
        }
    }
    Ok(counts)
}

/// Rebuild an accumulator of `template`'s settings, checking every invariant an
/// accumulator built from records keeps.
fn accumulator_of(
    template: &Accumulator,
    w: AccumulatorWire<'_>,
    names: &mut LoadedNames,
) -> Result<Accumulator, CoreError> {
    let families = template.families;
    let window = template.window;
    let n = w.count;
    ensure(
        w.success <= n && w.timeouts <= n && w.gate_failures <= n && w.quality_count <= n,
        "a count exceeds the number of records",
    )?;
    let quality_sum = ExactSum::from_parts(w.quality_sum.0, &w.quality_sum.1)?;
    ensure(
        quality_sum.value() <= w.quality_count as f64,
        "quality score sum out of range",
    )?;
    let sum = |values: &[u64]| values.iter().try_fold(0u64, |a, &c| a.checked_add(c));
    let summary = w
        .summary
        .map(|s| {
            Ok::<_, CoreError>(Summary {
                moments: Moments {
                    count: s.count,
                    mean: s.mean,
                    mean_low: s.mean_low,
                    m2: s.m2,
                    min: s.min,
                    max: s.max,
                    sum: s.sum,
                },
                sketch: match s.bins {
                    BinsWire::Every(offset, bins) => {
                        Sketch::from_parts(template.durations.relative_accuracy(), s.zeros, offset, bins)
                    }
                    BinsWire::Occupied(pairs) => {
                        Sketch::from_occupied(template.durations.relative_accuracy(), s.zeros, pairs)
                    }
                }
                .map_err(corrupt)?,
            })
        })
        .transpose()?;
    let durations = Durations::from_parts(
        template.durations.budget(),
        template.durations.relative_accuracy(),
        w.exact_times.values(f64::from_le_bytes, "execution times cut short")?,
        summary,
    )
    .map_err(corrupt)?;
    ensure(
        if families.performance {
            durations.count() <= n
        } else {
            durations.count() == 0
        },
        "execution times do not match the records",
    )?;
    let bucket_counts = bucket_counts_of(w.bucket_counts, if families.trends { window.buckets } else { 0 })?;
    ensure(
        bucket_counts.total() == Some(if families.trends { n } else { 0 }),
        "trend buckets do not add up",
    )?;
    // Stored in ascending order (`accumulator_wire` sorts them): no day twice.
    ensure(
        w.day_counts.windows(2).all(|pair| pair[0].0 < pair[1].0),
        "days out of order or twice",
    )?;
    let (first_day, last_day) = (
        // (Saturating: a stored window near the ends of the i64 range is refused later.)
        window.start.saturating_sub(MICROS_PER_DAY).div_euclid(MICROS_PER_DAY),
        window.end.saturating_add(MICROS_PER_DAY).div_euclid(MICROS_PER_DAY),
    );
    let mut day_counts = DayCounts::for_window(&window);
    let mut days_total = Some(0u64);
    for &(day, count) in &w.day_counts {
        ensure(count > 0, "an empty day")?;
        ensure((first_day..=last_day).contains(&day), "a day outside the window")?;
        days_total = days_total.and_then(|t| t.checked_add(count));
        day_counts.add(day, count);
    }
    ensure(days_total == Some(n), "daily counts do not add up")?;
    let calendar_total = if families.distribution { Some(n) } else { Some(0) };
    ensure(
        sum(&w.hours) == calendar_total && sum(&w.weekdays) == calendar_total,
        "hour or weekday counts do not add up",
    )?;
    ensure(
        match w.latest {
            None => n == 0,
            Some(latest) => n > 0 && window.contains(latest),
        },
        "latest execution inconsistent",
    )?;
    let mut tally = |t: TallyWire| Tally::from_parts(&t.names, t.counts.into_owned(), names).map_err(corrupt);
    let (contexts, agents) = (tally(w.contexts)?, tally(w.agents)?);
    let (projects, file_types) = (tally(w.projects)?, tally(w.file_types)?);
    ensure(
        contexts.total() == Some(n) && agents.total() == Some(n),
        "context or agent counts do not add up",
    )?;
    if families.distribution {
        ensure(projects.total() == Some(n), "project counts do not add up")?;
        ensure(
            file_types.total().is_some_and(|t| t <= n),
            "file type counts exceed the records",
        )?;
    } else {
        ensure(
            projects.total() == Some(0) && file_types.total() == Some(0),
            "distribution counts without the distribution family",
        )?;
    }
    let agent_count = agents.parts().1.len();
    let agent_first_seen = w
        .agent_first_seen
        .values(i64::from_le_bytes, "agent activity cut short")?;
    let agent_last_seen = w
        .agent_last_seen
        .values(i64::from_le_bytes, "agent activity cut short")?;
    if families.trends {
        ensure(
            agent_first_seen.len() == agent_count && agent_last_seen.len() == agent_count,
            "agent activity does not match the agents",
        )?;
        for ((&first, &last), &count) in agent_first_seen.iter().zip(&agent_last_seen).zip(agents.parts().1) {
            let ok = if count == 0 {
                first == i64::MAX && last == i64::MIN
            } else {
                first <= last && window.contains(first) && window.contains(last)
            };
            ensure(ok, "agent activity out of the window")?;
        }
        let last_seen = agent_last_seen.iter().copied().max();
        ensure(
            n == 0 || last_seen == w.latest,
            "latest execution does not match the agents' activity",
        )?;
    } else {
        ensure(
            agent_first_seen.is_empty() && agent_last_seen.is_empty(),
            "agent activity without the trend family",
        )?;
    }
    // Built field by field rather than from a clone of the template, whose buffers would
    // each be allocated and dropped again (10,000 patterns per state).
    Ok(Accumulator {
        window,
        zone: template.zone.clone(),
        families,
        thresholds: template.thresholds,
        count: n,
        success: w.success,
        timeouts: w.timeouts,
        gate_failures: w.gate_failures,
        quality_sum,
        quality_count: w.quality_count,
        durations,
        bucket_counts,
        day_counts,
        hours: w.hours,
        weekdays: w.weekdays,
        latest: w.latest,
        contexts,
        agents,
        projects,
        file_types,
        agent_first_seen,
        agent_last_seen,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::{Columns, NO_FILE, SUCCESS};

    pub(super) fn template() -> Accumulator {
        let window = Window::new(0, 7 * MICROS_PER_DAY, "weekly", None).unwrap();
        Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default())
    }

    #[test]
    fn packed_numbers_round_trip_bit_for_bit_and_refuse_a_cut_byte_string() {
        let doubles = [0.0, -0.0, 1.5, f64::MAX, f64::from_bits(1), 1e-300];
        let stored = postcard::to_stdvec(&Packed::of(&doubles, f64::to_le_bytes)).unwrap();
        let read: Packed = postcard::from_bytes(&stored).unwrap();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&read.values(f64::from_le_bytes, "").unwrap()), bits(&doubles));
        assert!(matches!(read.0, Cow::Borrowed(_)), "read in place");
        let instants = [i64::MIN, -1, 0, 1, i64::MAX, 1_772_668_800_000_000];
        let stored = postcard::to_stdvec(&Packed::of(&instants, i64::to_le_bytes)).unwrap();
        let read: Packed = postcard::from_bytes(&stored).unwrap();
        assert_eq!(read.values(i64::from_le_bytes, "").unwrap(), instants);
        for len in [1, 7, 9, 47] {
            let cut = Packed(Cow::Owned(vec![0u8; len]));
            assert!(cut.values(i64::from_le_bytes, "cut").is_err(), "{len} bytes");
        }
    }

    /// Three records on days 1, 1 and 4, by agents "a", "b", "a".
    pub(super) fn accumulator() -> Accumulator {
        let mut c = Columns::default();
        for (day, agent) in [(1, "a"), (1, "b"), (4, "a")] {
            c.timestamp.push(day * MICROS_PER_DAY + 5);
            c.flags.push(SUCCESS);
            c.execution_time_ms.push(day as f64);
            c.quality_score.push(f64::NAN);
            c.context_type.push(c.context_types.code("unknown"));
            c.agent.push(c.agents.code(agent));
            c.project.push(c.projects.code("unknown"));
            c.file_type.push(NO_FILE);
        }
        let mut acc = template();
        acc.add(&c);
        acc
    }

    fn wire_of(acc: &Accumulator) -> AccumulatorWire<'_> {
        accumulator_wire(acc, &mut NameTable::default())
    }

    /// The loaded names of the state of `acc` alone.
    fn names_of(acc: &Accumulator) -> LoadedNames {
        let mut table = NameTable::default();
        accumulator_wire(acc, &mut table);
        LoadedNames::with_table(&table.names).unwrap()
    }

    /// Load `w`, stored from `acc` (perhaps altered since).
    fn load(acc: &Accumulator, w: AccumulatorWire<'_>) -> Result<Accumulator, CoreError> {
        accumulator_of(&template(), w, &mut names_of(acc))
    }

    #[test]
    fn an_accumulator_loads_as_it_was_stored() {
        let acc = accumulator();
        let loaded = load(&acc, wire_of(&acc)).unwrap();
        assert_eq!(loaded.finalize(), acc.finalize());
    }

    #[test]
    fn a_state_is_written_in_its_announced_size_and_nowhere_else() {
        let state = State {
            template: template(),
            report: IngestReport {
                received: 3,
                ..IngestReport::default()
            },
            body: Reduction::One(accumulator()),
            broken: None,
        };
        let serialized = serialize(&state, b"meta").unwrap();
        let framed = to_bytes(&state, b"meta").unwrap();
        assert_eq!(framed.len(), serialized.byte_len());
        let (loaded, meta) = from_bytes(&framed).unwrap();
        assert_eq!(meta, b"meta");
        // (Borrowed from the bytes read: a hostile state's meta can be as large as it.)
        assert!(framed.as_ptr_range().contains(&meta.as_ptr()));
        let (Reduction::One(loaded), Reduction::One(acc)) = (loaded.body, &state.body) else {
            panic!("one pattern")
        };
        assert_eq!(loaded.finalize(), acc.clone().finalize());
        // A buffer of another size is refused, not written in part.
        for len in [serialized.byte_len() - 1, serialized.byte_len() + 1] {
            let mut out = vec![7u8; len];
            assert!(serialized.write_into(&mut out).is_err(), "{len}");
            assert!(out.iter().all(|&b| b == 7), "{len}");
        }
    }

    #[test]
    fn a_core_error_of_a_stored_part_is_named_once() {
        let negative = Durations::from_parts(5, 0.01, vec![-1.0], None);
        let bad = negative.map_err(corrupt).unwrap_err().to_string();
        assert!(
            bad.ends_with("corrupt execution times: a value is not a finite number >= 0"),
            "{bad}"
        );
        assert!(
            bad.starts_with("invalid input: not a valid usage-analytics state: "),
            "{bad}"
        );
        assert_eq!(bad.matches("invalid input").count(), 1, "{bad}");
    }

    #[test]
    fn days_out_of_order_or_twice_are_rejected() {
        let acc = accumulator();
        let stored = wire_of(&acc);
        assert_eq!(stored.day_counts, vec![(1, 2), (4, 1)]);
        for days in [vec![(4, 1), (1, 2)], vec![(1, 1), (1, 1), (4, 1)]] {
            let mut w = wire_of(&acc);
            w.day_counts = days;
            assert!(load(&acc, w).is_err());
        }
        let mut w = wire_of(&acc);
        w.day_counts = vec![(1, 1), (2, 1), (4, 1)];
        assert!(load(&acc, w).is_ok(), "another valid set of days");
    }

    #[test]
    fn empty_days_days_outside_the_window_and_overflowing_totals_are_rejected() {
        let acc = accumulator();
        // (The window is days 0-6: its calendar may reach a day either side.)
        for days in [
            vec![(1, 2), (2, 0), (4, 1)],
            vec![(1, 2), (9, 1)],
            vec![(-2, 2), (4, 1)],
            vec![(1, u64::MAX), (4, 4)], // wraps to 3 without checked adds
        ] {
            let mut w = wire_of(&acc);
            w.day_counts = days.clone();
            assert!(load(&acc, w).is_err(), "{days:?}");
        }
        let mut w = wire_of(&acc);
        w.day_counts = vec![(-1, 1), (1, 1), (7, 1)];
        assert!(load(&acc, w).is_ok(), "the days either side of the window");
    }

    #[test]
    fn trend_buckets_must_be_in_the_window_and_add_up_in_either_form() {
        // 6-hour buckets of a week: 28. The records lie in buckets 4, 4 and 16: two of 28
        // occupied, under the eighth that makes the counts dense.
        let acc = accumulator();
        let mut every = vec![0u64; 28];
        (every[4], every[16]) = (2, 1);
        assert_eq!(
            wire_of(&acc).bucket_counts,
            BucketsWire::Occupied(vec![(4, 2), (16, 1)])
        );
        let occupied = |pairs: &[(u32, u64)]| BucketsWire::Occupied(pairs.to_vec());
        let with = |first: u64, last: u64| {
            let mut counts = vec![0u64; 28];
            (counts[0], counts[27]) = (first, last);
            BucketsWire::Every(Cow::Owned(counts))
        };
        for buckets in [
            occupied(&[(16, 1), (4, 2)]),
            occupied(&[(4, 1), (4, 1), (16, 1)]),
            occupied(&[(4, 2), (16, 1), (20, 0)]),
            occupied(&[(4, 2), (28, 1)]),
            occupied(&[(4, 2)]),
            occupied(&[(4, u64::MAX), (16, 4)]), // wraps to 3 without checked adds
            BucketsWire::Every(Cow::Owned(every[..27].to_vec())),
            BucketsWire::Every(Cow::Owned([&every[..], &[0]].concat())),
            with(2, 2),
            with(u64::MAX, 4),
        ] {
            let mut w = wire_of(&acc);
            let shown = format!("{buckets:?}");
            w.bucket_counts = buckets;
            assert!(load(&acc, w).is_err(), "{shown}");
        }
        for buckets in [occupied(&[(0, 1), (27, 2)]), occupied(&[(4, 2), (16, 1)]), with(1, 2)] {
            let mut w = wire_of(&acc);
            w.bucket_counts = buckets;
            assert!(load(&acc, w).is_ok(), "another valid set of buckets");
        }
    }

    #[test]
    fn a_window_of_many_buckets_stores_and_loads_only_the_occupied_ones() {
        // One-minute buckets of 30 days: 43,200, counted sparsely.
        let window = Window::new(0, 30 * MICROS_PER_DAY, "custom", Some(60_000_000)).unwrap();
        let template = Accumulator::new(window, Zone::get("UTC").unwrap(), Families::ALL, Thresholds::default());
        let mut acc = template.clone();
        let mut c = Columns::default();
        for minute in [5, 5, 43_199, 20_000] {
            c.timestamp.push(minute * 60_000_000 + 7);
            c.flags.push(SUCCESS);
            c.execution_time_ms.push(1.0);
            c.quality_score.push(f64::NAN);
            c.context_type.push(c.context_types.code("unknown"));
            c.agent.push(c.agents.code("a"));
            c.project.push(c.projects.code("unknown"));
            c.file_type.push(NO_FILE);
        }
        acc.add(&c);
        let stored = wire_of(&acc);
        assert_eq!(
            stored.bucket_counts,
            BucketsWire::Occupied(vec![(5, 2), (20_000, 1), (43_199, 1)])
        );
        let loaded = accumulator_of(&template, stored, &mut names_of(&acc)).unwrap();
        assert_eq!(loaded.bucket_counts, acc.bucket_counts);
        assert_eq!(loaded.finalize(), acc.finalize());
    }

    fn sample(index: usize) -> InvalidSample {
        InvalidSample {
            index,
            field: "timestamp",
            value: "'x'".into(),
            reason: "bad".into(),
            location: None,
        }
    }

    /// A batch state of pattern "p" (the three records of `accumulator`, one more outside
    /// the window and one invalid) and a record of no pattern; `tamper` changes its
    /// pattern's counts before it is written.
    pub(super) fn grouped_bytes(tamper: impl FnOnce(&mut GroupIndex)) -> Vec<u8> {
        let mut index = GroupIndex::default();
        let code = index.code_text("p");
        for _ in 0..5 {
            index.count_record(code);
        }
        index.count_outside(code);
        index.count_invalid(code, || sample(4));
        tamper(&mut index);
        let state = State {
            template: template(),
            report: IngestReport {
                received: 6,
                outside_window: 1,
                invalid: 2,
                samples: vec![sample(4), sample(5)],
                integer_times: None,
            },
            body: Reduction::Grouped(GroupedAccumulators::from_parts(template(), vec![accumulator()]), index),
            broken: None,
        };
        to_bytes(&state, b"").unwrap()
    }

    #[test]
    fn a_patterns_counts_load_and_must_add_up() {
        let (state, _) = from_bytes(&grouped_bytes(|_| {})).unwrap();
        let Reduction::Grouped(_, index) = &state.body else {
            panic!("grouped")
        };
        let report = index.report(0);
        assert_eq!((report.received, report.outside_window, report.invalid), (5, 1, 1));
        assert_eq!(report.samples[0].index, 4);
        type Tamper = fn(&mut GroupIndex);
        let tampered: [(&str, Tamper); 3] = [
            ("a pattern's record counts do not add up", |index| {
                index.count_record(0);
            }),
            ("per-pattern invalid counts exceed the whole", |index| {
                for nth in [5, 6] {
                    index.count_record(0);
                    index.count_invalid(0, || sample(nth));
                }
            }),
            ("a pattern's error sample is past its records", |index| {
                let mut report = index.report(0);
                report.samples[0].index = 5;
                *index = GroupIndex::default();
                let code = index.code_text("p");
                index.add_report(code, &report);
            }),
        ];
        for (why, tamper) in tampered {
            let error = from_bytes(&grouped_bytes(tamper)).err().expect(why).to_string();
            assert!(error.ends_with(why), "{error}");
        }
    }

    #[test]
    fn a_pattern_listed_twice_in_two_forms_is_rejected() {
        // Merging such entries would sum their counts unchecked (a wrap past u64::MAX
        // with thousands of spellings of one UUID); no state this code writes has them.
        let text = "ffffffff-ffff-ffff-ffff-ffffffffffff";
        let bytes = grouped_bytes(|_| {});
        let payload = &bytes[HEADER..];
        let (mut wire, _): (StateWire, _) = postcard::take_from_bytes(payload).unwrap();
        let (again, _): (StateWire, _) = postcard::take_from_bytes(payload).unwrap();
        let (BodyWire::Grouped(groups), BodyWire::Grouped(copies)) = (&mut wire.body, again.body) else {
            panic!("grouped")
        };
        groups[0].key = GroupKeyWire::Uuid([0xff; 16]);
        let mut copy = copies.into_iter().next().unwrap();
        copy.key = GroupKeyWire::Text(text);
        groups.push(copy);
        let framed = framed_anew(&bytes, &postcard::to_stdvec(&wire).unwrap());
        rejected_by_every_reader(&framed, &bytes, "a pattern id appears twice");
    }

    /// `bytes` (a state's) with its decoded payload changed by `tamper`, framed anew.
    fn reframed(bytes: &[u8], tamper: impl FnOnce(&mut StateWire<'_>)) -> Vec<u8> {
        let (mut wire, _): (StateWire, _) = postcard::take_from_bytes(&bytes[HEADER..]).unwrap();
        tamper(&mut wire);
        framed_anew(bytes, &postcard::to_stdvec(&wire).unwrap())
    }

    /// `payload` under the magic and version of `bytes` (any framed state or monitor),
    /// with its own checksum: a tampered payload that reaches the decoder.
    pub(super) fn framed_anew(bytes: &[u8], payload: &[u8]) -> Vec<u8> {
        let mut framed = bytes[..HEADER - 4].to_vec();
        framed.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        framed.extend_from_slice(payload);
        framed
    }

    /// `grouped_bytes`' state with its own samples located as `locations` says.
    fn located_bytes(locations: [Option<&str>; 2]) -> Vec<u8> {
        let (mut state, _) = from_bytes(&grouped_bytes(|_| {})).unwrap();
        for (sample, location) in state.report.samples.iter_mut().zip(locations) {
            sample.location = location.map(str::to_owned);
        }
        to_bytes(&state, b"").unwrap()
    }

    fn locations_of(state: &State) -> Vec<Option<&str>> {
        state.report.samples.iter().map(|s| s.location.as_deref()).collect()
    }

    #[test]
    fn samples_locations_are_stored_after_the_rest_and_load() {
        let plain = grouped_bytes(|_| {});
        for locations in [[Some("index label 'b'"), None], [None, Some("index label 7")]] {
            let bytes = located_bytes(locations);
            assert_eq!(bytes[4..6], FORMAT_VERSION.to_le_bytes());
            // Version 7's payload, then the locations.
            assert_eq!(bytes[HEADER..plain.len()], plain[HEADER..]);
            let (state, _) = from_bytes(&bytes).unwrap();
            assert_eq!(locations_of(&state), locations);
            let (merged, _) = merge_serialized(&[&bytes[..], &plain[..]]).unwrap();
            assert_eq!(locations_of(&merged), [&locations[..], &[None, None]].concat());
            // The pass counting what decoding takes reads them too, their text counted.
            let counted = |bytes: &[u8]| decoded_size::decoded_size(&bytes[HEADER..]).unwrap().bytes();
            let text: usize = locations.iter().flatten().map(|l| l.len()).sum();
            let held = 2 * std::mem::size_of::<Option<String>>() + text;
            assert!(counted(&bytes) >= counted(&plain) + held);
        }
        // None located: nothing stored after the rest.
        assert_eq!(located_bytes([None, None]), plain);
    }

    #[test]
    fn version_7_states_load_with_samples_of_no_location() {
        let bytes = grouped_bytes(|_| {});
        let mut seven = bytes.clone();
        seven[4..6].copy_from_slice(&7u16.to_le_bytes());
        let (state, _) = from_bytes(&seven).unwrap();
        assert_eq!(locations_of(&state), [None, None]);
        assert_eq!(state.report, from_bytes(&bytes).unwrap().0.report);
        let located = located_bytes([None, Some("x")]);
        let (merged, _) = merge_serialized(&[&seven[..], &located[..]]).unwrap();
        assert_eq!(locations_of(&merged), [None, None, None, Some("x")]);
        // Version 7 had nothing after the rest; versions 6 and 9 are not read.
        let mut located = located_bytes([Some("x"), None]);
        located[4..6].copy_from_slice(&7u16.to_le_bytes());
        assert!(error_of_load(&located).ends_with("trailing bytes after the state"));
        for version in [6u16, 9] {
            let mut other = bytes.clone();
            other[4..6].copy_from_slice(&version.to_le_bytes());
            let refused = error_of_load(&other);
            let expected = format!("format version {version}, this usage-analytics reads versions 7 to 8");
            assert!(refused.ends_with(&expected), "{refused}");
        }
    }

    #[test]
    fn locations_must_be_one_for_each_sample() {
        let bytes = located_bytes([Some("x"), None]);
        let (wire, _): (StateWire, _) = postcard::take_from_bytes(&bytes[HEADER..]).unwrap();
        misplaced_locations_are_refused(&bytes, &postcard::to_stdvec(&wire).unwrap(), error_of_load);
    }

    /// Each form of the locations stored after a payload's main part that no writer makes
    /// is refused by `error_of` (a loader's error, or a panic where it loads), the bytes
    /// framed anew from `bytes` (a state's or a monitor's, of two error samples, the first
    /// located) with `rest` (its payload's main part, decoded and encoded again) and each
    /// form after it. (A state's, a rolling and a batch rolling monitor's tests run them,
    /// each over its own bytes.) Returns those whose locations do not decode, framed.
    pub(super) fn misplaced_locations_are_refused(
        bytes: &[u8],
        rest: &[u8],
        error_of: impl Fn(&[u8]) -> String,
    ) -> Vec<Vec<u8>> {
        let stored = |locations: Vec<Option<String>>| postcard::to_stdvec(&LocationsWire(locations)).unwrap();
        let x = || Some("x".to_owned());
        let mismatched = "its error samples' locations do not match its samples";
        let unset = "its error samples' locations are stored where none has one";
        let mut cases = vec![
            (stored(vec![x()]), mismatched.to_owned()),
            (stored(vec![x(), None, None]), mismatched.to_owned()),
            (stored(vec![x(); 9]), mismatched.to_owned()),
            (stored(vec![]), unset.to_owned()),
            (stored(vec![None, None]), unset.to_owned()),
            // (Nothing: the older version's payload, which the newer always follows with them.)
            (vec![], "its error samples' locations are missing".to_owned()),
        ];
        // A hostile list of a million locations is read and refused without keeping them.
        let mut million = postcard::to_stdvec(&1_000_000u32).unwrap();
        for _ in 0..1_000_000 {
            million.extend([1, 0]); // (Some(""))
        }
        cases.push((million, mismatched.to_owned()));
        // A location of text that is not UTF-8 (two of them, the first 0xff), and a list cut
        // short: refused with the decoding's error, not read past the end.
        let undecodable = [
            (vec![2, 1, 1, 0xff, 0], postcard::Error::DeserializeBadUtf8),
            (vec![2, 1], postcard::Error::DeserializeUnexpectedEnd),
        ];
        cases.extend(
            undecodable
                .iter()
                .map(|(after, error)| (after.clone(), error.to_string())),
        );
        for (after, why) in &cases {
            let refused = error_of(&framed_anew(bytes, &[rest, after.as_slice()].concat()));
            assert!(refused.starts_with("invalid input: not a valid usage-analytics state: "));
            assert!(refused.ends_with(why), "{why}: {refused}");
        }
        let framed = |(after, _): &(Vec<u8>, _)| framed_anew(bytes, &[rest, after.as_slice()].concat());
        undecodable.iter().map(framed).collect()
    }

    #[test]
    fn a_version_7_state_stamped_8_is_refused() {
        // A state with no location is written as version 7, its payload unchanged (one form
        // of each state); version 8 always stores them after the rest. The checksum covers
        // the payload, not the version: such a payload stamped 8 loaded, as a state of no
        // location.
        let states = [
            grouped_bytes(|_| {}),
            to_bytes(&State::new(template(), false), b"meta").unwrap(),
        ];
        for bytes in states {
            assert_eq!(bytes[4..6], OLDEST_FORMAT_VERSION.to_le_bytes());
            let mut eight = bytes.clone();
            eight[4..6].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
            rejected_by_every_reader(&eight, &bytes, "its error samples' locations are missing");
        }
    }

    fn error_of_load(bytes: &[u8]) -> String {
        from_bytes(bytes).err().expect("refused").to_string()
    }

    #[test]
    fn a_blank_pattern_id_and_a_sample_past_the_whole_are_rejected() {
        // Both loaded (found by fuzzing): a blank id, which names no pattern, gave a result
        // under ''; a sample of the whole report at record 10^15 of 6 was reported as such.
        let bytes = grouped_bytes(|_| {});
        let blank = reframed(&bytes, |wire| {
            if let BodyWire::Grouped(groups) = &mut wire.body {
                groups[0].key = GroupKeyWire::Text(" \u{2003}");
            }
        });
        rejected_by_every_reader(&blank, &bytes, "a blank pattern id");
        let far = reframed(&bytes, |wire| wire.report.samples[0].0 = 1_000_000_000_000_000);
        rejected_by_every_reader(&far, &bytes, "an error sample is past its records");
    }

    #[test]
    fn a_window_at_the_ends_of_the_range_is_refused_without_overflow() {
        // (A debug build panicked computing the days around it.)
        let bytes = grouped_bytes(|_| {});
        for (start, end) in [(i64::MIN + 1, 0), (0, i64::MAX - 1)] {
            let tampered = reframed(&bytes, |wire| (wire.settings.start, wire.settings.end) = (start, end));
            assert!(from_bytes(&tampered).is_err());
            assert!(merge_serialized(&[&tampered, &tampered]).is_err());
        }
    }

    #[test]
    fn states_merged_from_bytes_hold_at_most_max_records() {
        // States of `received` invalid records and no pattern, of either kind.
        let records = |received: u64, grouped: bool| {
            let mut state = State::new(template(), grouped);
            state.report.received = received as usize;
            state.report.invalid = received as usize;
            to_bytes(&state, b"").unwrap()
        };
        for grouped in [false, true] {
            let (none, one) = (records(0, grouped), records(1, grouped));
            let (half, all) = (records(MAX_RECORDS / 2, grouped), records(MAX_RECORDS, grouped));
            for blobs in [vec![&half[..], &half], vec![&all[..], &none], vec![&none[..], &all]] {
                let (state, _) = merge_serialized(&blobs).unwrap();
                assert_eq!(state.report.received as u64, MAX_RECORDS);
            }
            for blobs in [vec![&half[..], &half, &one], vec![&all[..], &one], vec![&one[..], &all]] {
                let error = merge_serialized(&blobs).err().expect("past the limit").to_string();
                assert!(error.ends_with(&format!("more than {MAX_RECORDS} records")), "{error}");
            }
        }
    }

    /// `tampered` is rejected for `why` by `from_bytes` and by `merge_serialized`, alone
    /// and merged with the good state it was made of, on either side.
    fn rejected_by_every_reader(tampered: &[u8], good: &[u8], why: &str) {
        let error = from_bytes(tampered).err().expect("rejected").to_string();
        assert!(error.ends_with(why), "{error}");
        for blobs in [vec![tampered], vec![good, tampered], vec![tampered, good]] {
            let error = merge_serialized(&blobs).err().expect("rejected").to_string();
            assert!(error.ends_with(why), "{error}");
        }
        assert!(from_bytes(good).is_ok() && merge_serialized(&[good, good]).is_ok());
    }

    #[test]
    fn a_state_stores_each_name_once_and_loads_its_tallies_by_index() {
        // Two patterns listing the same agents ("a", "b") and context ("unknown").
        let mut index = GroupIndex::default();
        for id in ["p", "q"] {
            let code = index.code_text(id);
            for _ in 0..3 {
                index.count_record(code);
            }
        }
        let state = State {
            template: template(),
            report: IngestReport {
                received: 6,
                ..IngestReport::default()
            },
            body: Reduction::Grouped(
                GroupedAccumulators::from_parts(template(), vec![accumulator(), accumulator()]),
                index,
            ),
            broken: None,
        };
        let bytes = to_bytes(&state, b"").unwrap();
        let (wire, _): (StateWire, &[u8]) = postcard::take_from_bytes(&bytes[HEADER..]).unwrap();
        let mut names = wire.names.clone();
        names.sort_unstable();
        assert_eq!(names, ["a", "b", "unknown"]);
        let (loaded, _) = from_bytes(&bytes).unwrap();
        let Reduction::Grouped(groups, _) = &loaded.body else {
            panic!("a batch state")
        };
        for code in 0..2 {
            let (agents, counts) = groups.get(code).unwrap().agents.parts();
            let agents: Vec<&str> = agents.iter().map(|a| a.as_ref()).collect();
            assert_eq!((agents, counts), (vec!["a", "b"], &[2, 1][..]));
        }
    }

    #[test]
    fn a_names_table_with_a_name_no_tally_lists_is_rejected() {
        let bytes = grouped_bytes(|_| {});
        let (mut wire, _): (StateWire, &[u8]) = postcard::take_from_bytes(&bytes[HEADER..]).unwrap();
        wire.names.push("nobody");
        let payload = postcard::to_stdvec(&wire).unwrap();
        let mut tampered = bytes[..HEADER].to_vec();
        tampered[6..].copy_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        tampered.extend(payload);
        rejected_by_every_reader(&tampered, &bytes, "a name no tally lists");
    }

    #[test]
    fn a_tally_listing_a_name_twice_is_rejected() {
        let acc = accumulator();
        let mut w = wire_of(&acc);
        w.agents.names = vec![1, 1];
        assert!(load(&acc, w).is_err());
    }
}
