//! The serialized form of a rolling monitor (`Rolling` and its cumulative ingest report),
//! and its validation on load: a restarted service takes up its window where it left it.
//!
//! Frame, as a state's (`super`): `b"UARW"` | format version (u16 LE) | CRC-32 of the
//! payload (u32 LE) | payload (postcard encoding of `RollingWire`, then, since version 2,
//! of its report's samples' locations: `super::LocationsWire`). The buckets are stored
//! as a state's accumulators are (`AccumulatorWire`, names once in a table), each under
//! its bucket's index. Loading checks the frame, the checksum, that the payload decodes
//! with nothing left over, every bucket as a state's accumulator is checked against its
//! bucket's window, and the monitor's own invariants (the buckets in the kept range, the
//! newest holding records, the counts adding up): malformed bytes are an error, never a
//! panic and never a monitor whose snapshots differ from the saved one's.
//!
//! Versions (the design is silent; the choice here): a monitor loads under any library
//! version that reads its format version, and another format version is refused, naming
//! both; the fallback is the one before this format existed, replaying the last window
//! from where the records are kept. The buckets are stored in the accumulators' form, so
//! a new `FORMAT_VERSION` of states is a new `ROLLING_VERSION` too (a test pins the pair).
//! Version 2 stores the cumulative report's samples' locations after the rest, as a
//! state's version 8 does: version 1's monitors still load (their samples without
//! locations), and a monitor none of whose samples has one is written as version 1, its
//! payload unchanged, so a release before 2 reads it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::decoded_size::{
    locations_size, most_decoded, AccumulatorShape, DecodedSize, Listed, ReportShape, SettingsShape,
};
use super::room::{loaded_bytes, names_bytes};
use super::{
    accumulator_of, accumulator_wire, corrupt, ensure, framed_payload_of_versions, located, report_of, report_wire,
    samples_inside, settings_wire, stored_locations, template_of, write_framed, AccumulatorWire, Located, NameTable,
    ReportWire, SettingsWire, HEADER,
};
use crate::accumulator::Accumulator;
use crate::buckets::{Window, FIRST_INSTANT, LAST_INSTANT};
use crate::error::CoreError;
use crate::ingest::IngestReport;
use crate::rolling::{Rolling, BUCKETS_PER_CHECK};
use crate::room::{count_text, ensure_room, size_text, RoomAsItGoes};
use crate::tally::LoadedNames;

pub(super) const MAGIC: &[u8; 4] = b"UARW";
/// 2 since the cumulative report's error samples keep where their records are (stored
/// after the rest, where one has any: version 1's payload is a version 2 one without
/// them, and a version 2 payload always holds them); 1: the first (its buckets in the accumulators' `FORMAT_VERSION` 7, as 2's).
pub const ROLLING_VERSION: u16 = 2;
/// The oldest rolling version read (1: what releases wrote before 2).
pub const OLDEST_ROLLING_VERSION: u16 = 1;

#[derive(Serialize, Deserialize)]
struct RollingWire<'a> {
    /// Opaque bytes of the Python layer (its settings), covered by the checksum.
    #[serde(borrow)]
    meta: Cow<'a, [u8]>,
    /// The buckets' template (its window is a placeholder: each bucket has its own).
    settings: SettingsWire,
    /// The buckets' width in microseconds, and their number in a window.
    width: i64,
    buckets: u64,
    /// The newest bucket a record fell in (None: no record yet).
    newest: Option<i64>,
    /// Records taken into buckets (`Rolling::rows`: the room an add asks for).
    rows: u64,
    /// Every record added so far (cumulative, as snapshots report it).
    report: ReportWire,
    #[serde(borrow)]
    names: Vec<&'a str>,
    /// In ascending order of index.
    #[serde(borrow)]
    ring: Vec<BucketWire<'a>>,
    /// The locations of `report`'s samples: stored after the rest (version 2), read by
    /// `decode_payload`.
    #[serde(skip)]
    locations: Vec<Option<String>>,
}

#[derive(Serialize, Deserialize)]
struct BucketWire<'a> {
    /// floor(start / width).
    key: i64,
    #[serde(borrow)]
    accumulator: AccumulatorWire<'a>,
}

/// A monitor ready to be written, its size known first (as `super::Serialized`): the
/// bytes are written straight into their final buffer, which the caller allocates where
/// running short of memory is an error, not an abort.
pub struct RollingSerialized<'a> {
    wire: Located<RollingWire<'a>>,
    payload_len: usize,
}

impl RollingSerialized<'_> {
    /// The framed monitor's length in bytes.
    pub fn byte_len(&self) -> usize {
        HEADER + self.payload_len
    }

    /// Write the framed monitor into `out`, which is `byte_len()` bytes long. A monitor
    /// no sample of which has a location is stamped version 1: its payload is exactly
    /// what version 1 wrote, so a release before 2 reads it (as `super::Serialized`'s).
    pub fn write_into(&self, out: &mut [u8]) -> Result<(), CoreError> {
        let version = if self.wire.1.is_some() {
            ROLLING_VERSION
        } else {
            OLDEST_ROLLING_VERSION
        };
        write_framed(&self.wire, self.payload_len, (MAGIC, version, "monitor"), out)
    }
}

/// `rolling` and its cumulative `report` with the Python layer's `meta` bytes, ready to be
/// written (`RollingSerialized`).
pub fn serialize_rolling<'a>(
    rolling: &'a Rolling,
    report: &IngestReport,
    meta: &'a [u8],
) -> Result<RollingSerialized<'a>, CoreError> {
    let mut names = NameTable::default();
    let ring = rolling
        .ring
        .iter()
        .map(|(&key, acc)| BucketWire {
            key,
            accumulator: accumulator_wire(acc, &mut names),
        })
        .collect();
    let wire = RollingWire {
        meta: Cow::Borrowed(meta),
        settings: settings_wire(&rolling.template),
        width: rolling.width,
        buckets: rolling.buckets as u64,
        newest: rolling.newest,
        rows: rolling.rows as u64,
        report: report_wire(report),
        names: names.names,
        ring,
        locations: Vec::new(),
    };
    let wire = Located::new(wire, &report.samples);
    let payload_len = postcard::serialize_with_flavor(&wire, postcard::ser_flavors::Size::default())
        .map_err(|e| CoreError::Internal(format!("sizing: {e}")))?;
    Ok(RollingSerialized { wire, payload_len })
}

/// Serialize `rolling` and its `report` with the Python layer's `meta` bytes.
#[cfg(test)]
pub fn rolling_to_bytes(rolling: &Rolling, report: &IngestReport, meta: &[u8]) -> Result<Vec<u8>, CoreError> {
    let serialized = serialize_rolling(rolling, report, meta)?;
    let mut out = vec![0; serialized.byte_len()];
    serialized.write_into(&mut out)?;
    Ok(out)
}

/// Load serialized bytes: the monitor, its cumulative report and the Python layer's meta
/// bytes (in `bytes`).
pub fn rolling_from_bytes(bytes: &[u8]) -> Result<(Rolling, IngestReport, &[u8]), CoreError> {
    let (payload, version) = payload_of(bytes)?;
    make_room_to_decode(payload)?;
    let (mut wire, mut rest): (RollingWire, &[u8]) = postcard::take_from_bytes(payload).map_err(corrupt)?;
    if version >= 2 {
        // (One form of each monitor: one with no location is written as version 1.)
        (wire.locations, rest) = stored_locations(rest)?;
    }
    ensure(rest.is_empty(), "trailing bytes after the state")?;
    let meta = match wire.meta {
        Cow::Borrowed(meta) => meta,
        Cow::Owned(_) => return Err(CoreError::Internal("meta bytes copied in decoding".into())),
    };
    let (rolling, report) = rolling_of(wire)?;
    Ok((rolling, report, meta))
}

/// About what loading the one-pattern monitor framed in `bytes` takes, counted by a pass
/// that keeps nothing (a batch monitor's check of all its patterns before it loads any):
/// its buckets as loaded (`LOADED_PER_BUCKET`) and their decoded parts.
pub(super) fn room_to_load(bytes: &[u8]) -> Result<usize, CoreError> {
    let (payload, _) = payload_of(bytes)?;
    let (shape, rest): (RollingShape, _) = postcard::take_from_bytes(payload).map_err(corrupt)?;
    let located = locations_size(rest).map_err(corrupt)?.bytes();
    Ok(shape
        .ring
        .len
        .saturating_mul(LOADED_PER_BUCKET)
        .saturating_add(shape.decoded_bytes())
        .saturating_add(located))
}

/// The payload of framed bytes, once their magic, version and checksum are checked, and
/// its version.
fn payload_of(bytes: &[u8]) -> Result<(&[u8], u16), CoreError> {
    framed_payload_of_versions(
        bytes,
        (MAGIC, OLDEST_ROLLING_VERSION..=ROLLING_VERSION, "rolling format"),
        (
            super::MAGIC,
            "these bytes hold a UsageAccumulator or BatchUsageAccumulator, not a RollingUsageAnalytics",
        ),
    )
}

/// The monitor a decoded payload holds, every part checked.
fn rolling_of(wire: RollingWire<'_>) -> Result<(Rolling, IngestReport), CoreError> {
    make_room_to_load(&wire)?;
    let template = template_of(&wire.settings)?;
    // (Any width makes a bucket's window of instants in the civil range without overflow.)
    ensure(
        wire.width > 0 && wire.width <= LAST_INSTANT - FIRST_INSTANT,
        "bucket width out of range",
    )?;
    let buckets = usize::try_from(wire.buckets).map_err(corrupt)?;
    let mut rolling = Rolling::new(template, wire.width, buckets).map_err(corrupt)?;
    let report = located(report_of(wire.report)?, wire.locations)?;
    ensure(samples_inside(&report), "an error sample is past its records")?;
    let rows = usize::try_from(wire.rows).map_err(corrupt)?;
    // Every record received is invalid, left out when it was added, or taken into a
    // bucket (some of which have been dropped since).
    let added = report.received.checked_sub(report.invalid);
    let added = added.and_then(|n| n.checked_sub(report.outside_window));
    ensure(added == Some(rows), "record counts do not add up")?;
    rolling.newest = wire.newest;
    rolling.rows = rows;
    let civil = (
        FIRST_INSTANT.div_euclid(wire.width),
        LAST_INSTANT.div_euclid(wire.width),
    );
    if let Some(newest) = wire.newest {
        ensure(
            (civil.0..=civil.1).contains(&newest),
            "the newest bucket is out of range",
        )?;
    }
    // (The newest bucket holds the record that made it the newest; every bucket older
    // than the kept range was dropped.)
    let kept = rolling.oldest_kept().map(|oldest| oldest.max(civil.0)..=civil.1);
    ensure(
        wire.ring.last().map(|bucket| bucket.key) == wire.newest,
        "the newest bucket is not the last one stored",
    )?;
    ensure(
        wire.ring.windows(2).all(|pair| pair[0].key < pair[1].key),
        "buckets out of order or twice",
    )?;
    let mut names = LoadedNames::with_table(&wire.names).map_err(corrupt)?;
    let mut ring = BTreeMap::new();
    let mut held = 0u64;
    // (Room checked as the buckets are loaded too, as an add's are made: `make_room_to_load`
    // checked the whole monitor's first, but what jemalloc maps runs ahead of estimates.)
    let stored = wire.ring.len();
    let room = RoomAsItGoes::new(BUCKETS_PER_CHECK, LOADED_PER_BUCKET);
    for bucket in wire.ring {
        room.one_more(|| format!("loading a rolling monitor of {} buckets", count_text(stored)))?;
        ensure(
            kept.as_ref().is_some_and(|kept| kept.contains(&bucket.key)),
            "a bucket outside the kept range",
        )?;
        let start = bucket.key * wire.width;
        let window = Window::new(start, start + wire.width, "custom", Some(wire.width)).map_err(corrupt)?;
        let mut template = rolling.template.clone();
        template.rebase(window);
        let acc = accumulator_of(&template, bucket.accumulator, &mut names)?;
        ensure(acc.count > 0, "an empty bucket")?;
        held = held.checked_add(acc.count).ok_or_else(|| corrupt("counts overflow"))?;
        ring.insert(bucket.key, Box::new(acc));
    }
    ensure(held <= rows as u64, "the buckets hold more records than were added")?;
    ensure(names.all_listed(), "a name no tally lists")?;
    rolling.ring = ring;
    Ok((rolling, report))
}

/// What loading a bucket takes beside `loaded_bytes`: its boxed accumulator, parts and
/// share of the map's nodes. Measured as the address space the load maps after its check
/// (`strace` of the child's `mmap`s, the checks' own probes left out: BENCHMARKS.md,
/// helper-250): 1.0 to 1.5 KB a bucket of one record, `loaded_bytes`' 264 included, for
/// 20,000 to 100,000 buckets; this asks 1.9 KB with them. (Until session 61 this was an
/// add's new bucket, 3.3 KB, from a measured peak of 6.7-6.9 KB a bucket whose
/// `VmPeak` held the check's own probe: a 50,000-bucket monitor whose load took 216 MB
/// was refused below 350 MB of headroom.) The room is checked again as the buckets are
/// loaded, as an add's are made (`RoomAsItGoes`).
const LOADED_PER_BUCKET: usize = std::mem::size_of::<Accumulator>() + 512;

/// Check that decoding `payload` will find the memory it takes (as a state's: the most
/// any payload of its length decodes to, else what this one does, counted by a pass).
fn make_room_to_decode(payload: &[u8]) -> Result<(), CoreError> {
    let what = || format!("reading a rolling monitor of {}", size_text(payload.len()));
    if ensure_room(most_decoded(payload.len()), what).is_ok() {
        return Ok(());
    }
    let (shape, rest): (RollingShape, _) = postcard::take_from_bytes(payload).map_err(corrupt)?;
    let located = locations_size(rest).map_err(corrupt)?.bytes();
    ensure_room(shape.decoded_bytes().saturating_add(located), what)
}

/// Check that loading a decoded monitor will find the memory it takes.
fn make_room_to_load(wire: &RollingWire<'_>) -> Result<(), CoreError> {
    let loaded = wire
        .ring
        .iter()
        .map(|bucket| loaded_bytes(&bucket.accumulator))
        .fold(0, usize::saturating_add);
    let bytes = wire
        .ring
        .len()
        .saturating_mul(LOADED_PER_BUCKET)
        .saturating_add(loaded)
        .saturating_add(names_bytes(&wire.names));
    ensure_room(bytes, || {
        format!("loading a rolling monitor of {} buckets", count_text(wire.ring.len()))
    })
}

/// `RollingWire`, read as `decoded_size` reads a state: every list counted, none kept.
#[derive(Deserialize)]
struct RollingShape<'a> {
    #[serde(borrow)]
    _meta: &'a [u8],
    #[serde(borrow)]
    settings: SettingsShape<'a>,
    /// width, buckets.
    _sizes: (i64, u64),
    _newest: Option<i64>,
    _rows: u64,
    report: ReportShape,
    #[serde(borrow)]
    names: Listed<&'a str>,
    ring: Buckets,
}

impl RollingShape<'_> {
    fn decoded_bytes(&self) -> usize {
        DecodedSize::exact(self.settings.timezone.len())
            .add(self.report.size())
            .add(self.names.size())
            .add(DecodedSize::vector(self.ring.len, std::mem::size_of::<BucketWire>()))
            .add(self.ring.size)
            .bytes()
    }
}

/// A monitor's buckets, read one at a time: their number and what their parts hold.
struct Buckets {
    len: usize,
    size: DecodedSize,
}

impl<'de> Deserialize<'de> for Buckets {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Counting;
        impl<'de> serde::de::Visitor<'de> for Counting {
            type Value = Buckets;

            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("a sequence of buckets")
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut buckets: A) -> Result<Buckets, A::Error> {
                let (mut len, mut size) = (0usize, DecodedSize::default());
                while let Some((_, accumulator)) = buckets.next_element::<(i64, AccumulatorShape<'de>)>()? {
                    len += 1;
                    size = size.add(accumulator.size());
                }
                Ok(Buckets { len, size })
            }
        }
        deserializer.deserialize_seq(Counting)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::MICROS_PER_HOUR;
    use crate::rolling::tests::{columns, template};
    use crate::wire::tests::{framed_anew, misplaced_locations_are_refused};

    const H: i64 = MICROS_PER_HOUR;

    /// A monitor of 3 hourly buckets that took in `instants`, and its report.
    fn monitor(instants: &[i64]) -> (Rolling, IngestReport) {
        let window = Window::new(0, H, "custom", Some(H)).unwrap();
        let mut rolling = Rolling::new(template(window), H, 3).unwrap();
        let mut update = rolling.fresh();
        update.add(&columns(instants)).unwrap();
        rolling.merge_owned(update);
        let report = IngestReport {
            received: instants.len(),
            ..IngestReport::default()
        };
        (rolling, report)
    }

    /// `bytes` (a monitor's) with its decoded payload changed by `tamper`, framed anew.
    fn reframed(bytes: &[u8], tamper: impl FnOnce(&mut RollingWire<'_>)) -> Vec<u8> {
        let (mut wire, _): (RollingWire, _) = postcard::take_from_bytes(&bytes[HEADER..]).unwrap();
        tamper(&mut wire);
        framed_anew(bytes, &postcard::to_stdvec(&wire).unwrap())
    }

    fn error_of(bytes: &[u8]) -> String {
        rolling_from_bytes(bytes).err().expect("refused").to_string()
    }

    #[test]
    fn the_rolling_version_follows_the_accumulators_version() {
        // The buckets are stored as `FORMAT_VERSION` 7's accumulators: a new version of
        // those is a new `ROLLING_VERSION` too (then update this pair). Version 8 added
        // only a state's samples' locations, after the rest: its accumulators are 7's.
        // (Rolling version 2 added the monitor's own samples' locations, after its rest.)
        assert_eq!((super::super::FORMAT_VERSION, ROLLING_VERSION), (8, 2));
    }

    #[test]
    fn a_monitor_loads_as_it_was_stored() {
        let (rolling, report) = monitor(&[0, 5, H + 7, 4 * H + 1]);
        let bytes = rolling_to_bytes(&rolling, &report, b"meta").unwrap();
        let (loaded, loaded_report, meta) = rolling_from_bytes(&bytes).unwrap();
        assert_eq!(meta, b"meta");
        assert_eq!(loaded_report.received, 4);
        assert_eq!((loaded.newest, loaded.rows), (rolling.newest, rolling.rows));
        assert_eq!(loaded.ring.keys().collect::<Vec<_>>(), vec![&0, &1, &4]);
        for now in [2 * H, 4 * H, 5 * H, 6 * H] {
            let (a, wa) = rolling.snapshot(now).unwrap();
            let (b, wb) = loaded.snapshot(now).unwrap();
            assert_eq!((a, wa), (b, wb));
        }
    }

    #[test]
    fn an_accumulators_bytes_are_named_as_such() {
        let bytes = super::super::tests::grouped_bytes(|_| {});
        let error = error_of(&bytes);
        assert!(error.ends_with("not a RollingUsageAnalytics"), "{error}");
    }

    #[test]
    fn another_version_is_refused_naming_both() {
        let (rolling, report) = monitor(&[0]);
        let mut bytes = rolling_to_bytes(&rolling, &report, b"").unwrap();
        for version in [0u16, 3] {
            bytes[4..6].copy_from_slice(&version.to_le_bytes());
            let error = error_of(&bytes);
            let expected = format!("rolling format version {version}, this usage-analytics reads versions 1 to 2");
            assert!(error.ends_with(&expected), "{error}");
        }
    }

    #[test]
    fn inconsistent_monitors_are_refused() {
        let (rolling, report) = monitor(&[0, 5, H + 7, 4 * H + 1]);
        let bytes = rolling_to_bytes(&rolling, &report, b"").unwrap();
        type Tamper = fn(&mut RollingWire<'_>);
        let tampered: [(&str, Tamper); 9] = [
            ("the newest bucket is not the last one stored", |w| w.newest = Some(5)),
            ("the newest bucket is not the last one stored", |w| w.newest = None),
            ("the newest bucket is not the last one stored", |w| {
                w.ring.pop();
            }),
            ("a bucket outside the kept range", |w| w.ring[0].key = -2),
            ("buckets out of order or twice", |w| w.ring[0].key = 4),
            ("record counts do not add up", |w| w.rows = 3),
            ("record counts do not add up", |w| w.report.received = 5),
            ("the newest bucket is out of range", |w| {
                w.newest = Some(LAST_INSTANT / H + 1);
                w.ring[2].key = LAST_INSTANT / H + 1;
            }),
            ("a rolling window holds 1 to 100000 buckets, got 0", |w| w.buckets = 0),
        ];
        for (why, tamper) in tampered {
            let error = error_of(&reframed(&bytes, tamper));
            assert!(error.ends_with(why), "{why}: {error}");
        }
        // A bucket's records outside its own window (each bucket is checked against it).
        let error = error_of(&reframed(&bytes, |w| w.ring[1].key = 2));
        assert!(error.ends_with("latest execution inconsistent"), "{error}");
        assert!(rolling_from_bytes(&reframed(&bytes, |_| {})).is_ok());
    }

    /// `monitor(&[0, 5])` with two skipped records of its first add, their samples
    /// located as `locations` says.
    fn located_monitor(locations: [Option<&str>; 2]) -> (Rolling, IngestReport) {
        let (rolling, mut report) = monitor(&[0, 5]);
        report.received += 2;
        report.invalid += 2;
        for (index, location) in (2..).zip(locations) {
            report.samples.push(crate::ingest::InvalidSample {
                index,
                field: "execution_time_ms",
                value: "-1.0".into(),
                reason: "must be >= 0".into(),
                location: location.map(str::to_owned),
            });
        }
        (rolling, report)
    }

    fn located_bytes(locations: [Option<&str>; 2]) -> Vec<u8> {
        let (rolling, report) = located_monitor(locations);
        rolling_to_bytes(&rolling, &report, b"meta").unwrap()
    }

    fn locations_of(report: &IngestReport) -> Vec<Option<&str>> {
        report.samples.iter().map(|s| s.location.as_deref()).collect()
    }

    #[test]
    fn samples_locations_are_stored_after_the_rest_and_load() {
        let plain = located_bytes([None, None]);
        // None located: version 1's payload, stamped 1 (a release before 2 reads it).
        assert_eq!(plain[4..6], OLDEST_ROLLING_VERSION.to_le_bytes());
        for locations in [[Some("index label 'b'"), None], [None, Some("index label 7")]] {
            let bytes = located_bytes(locations);
            assert_eq!(bytes[4..6], ROLLING_VERSION.to_le_bytes());
            // Version 1's payload, then the locations.
            assert_eq!(bytes[HEADER..plain.len()], plain[HEADER..]);
            let (loaded, report, meta) = rolling_from_bytes(&bytes).unwrap();
            assert_eq!((locations_of(&report), meta), (locations.to_vec(), &b"meta"[..]));
            assert_eq!(
                loaded.snapshot(H).unwrap(),
                located_monitor(locations).0.snapshot(H).unwrap()
            );
            // Saved again, the same bytes; the room asked to load counts their text.
            assert_eq!(rolling_to_bytes(&loaded, &report, b"meta").unwrap(), bytes);
            let text: usize = locations.iter().flatten().map(|l| l.len()).sum();
            assert!(room_to_load(&bytes).unwrap() >= room_to_load(&plain).unwrap() + text);
        }
    }

    #[test]
    fn version_1_monitors_load_with_samples_of_no_location() {
        let plain = located_bytes([None, None]);
        let (_, report, _) = rolling_from_bytes(&plain).unwrap();
        assert_eq!(locations_of(&report), [None, None]);
        // Stamped 2, a payload without locations is refused: one form of each monitor
        // (a raw change of the version, which the checksum does not cover, is caught).
        let mut two = plain.clone();
        two[4..6].copy_from_slice(&2u16.to_le_bytes());
        assert!(error_of(&two).ends_with("its error samples' locations are missing"));
        // Version 1 had nothing after the rest.
        let mut located = located_bytes([Some("x"), None]);
        located[4..6].copy_from_slice(&1u16.to_le_bytes());
        assert!(error_of(&located).ends_with("trailing bytes after the state"));
    }

    #[test]
    fn locations_must_be_one_for_each_sample() {
        let bytes = located_bytes([Some("x"), None]);
        let (wire, _): (RollingWire, _) = postcard::take_from_bytes(&bytes[HEADER..]).unwrap();
        let rest = postcard::to_stdvec(&wire).unwrap();
        let undecodable = misplaced_locations_are_refused(&bytes, &rest, error_of);
        // (The pass counting a batch monitor's patterns refuses those that do not decode too.)
        for framed in undecodable {
            assert!(room_to_load(&framed).is_err());
        }
    }

    #[test]
    fn the_pass_counting_a_monitors_decoding_reads_its_layout() {
        // (Run only where memory is short: a mismatch would refuse valid monitors there.)
        let (rolling, mut report) = monitor(&[0, 5, H + 7, 4 * H + 1]);
        report.received += 1;
        report.invalid += 1;
        report.samples.push(crate::ingest::InvalidSample {
            index: 4,
            field: "timestamp",
            value: "'x'".into(),
            reason: "bad".into(),
            location: None,
        });
        let bytes = rolling_to_bytes(&rolling, &report, b"meta").unwrap();
        let (shape, rest): (RollingShape, _) = postcard::take_from_bytes(&bytes[HEADER..]).unwrap();
        assert!(rest.is_empty());
        assert!(shape.decoded_bytes() >= 3 * std::mem::size_of::<BucketWire>());
        assert_eq!(shape.ring.len, 3);
        assert!(rolling_from_bytes(&bytes).is_ok());
    }

    #[test]
    fn a_bucket_decodes_to_no_more_than_the_most_per_stored_byte() {
        // The check before decoding (`most_decoded`) bounds a state's bytes; a monitor's
        // bucket stored in the fewest bytes (an empty accumulator's) must decode within it.
        let (rolling, _) = monitor(&[]);
        let empty = BucketWire {
            key: 0,
            accumulator: accumulator_wire(&rolling.template, &mut NameTable::default()),
        };
        let stored = postcard::to_stdvec(&empty).unwrap().len();
        let decoded = 4 * std::mem::size_of::<BucketWire>();
        assert!(
            decoded <= stored * super::super::decoded_size::MOST_PER_STORED_BYTE,
            "{decoded} {stored}"
        );
    }
}
