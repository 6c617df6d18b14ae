//! The serialized form of a batch rolling monitor (`BatchRolling` and its cumulative
//! ingest report), and its validation on load.
//!
//! Frame, as a state's (`super`): `b"UARB"` | format version (u16 LE) | CRC-32 of the
//! payload (u32 LE) | payload (postcard encoding of `BatchRollingWire`, then, since
//! version 2, of its report's samples' locations: `super::LocationsWire`). The monitor's
//! settings and each pattern's window are stored as one-pattern monitors are
//! (`super::rolling`, each a frame of its own with its pattern's counts as its report),
//! so loading checks every one of them as `RollingUsageAnalytics.from_bytes` does, then
//! the batch's own invariants: each pattern id once, every pattern of the same settings,
//! holding a bucket and none below the kept range, and the patterns' counts within the
//! monitor's. Malformed bytes are an error, never a panic; bytes whose decoding the memory
//! left cannot hold are a `MemoryError`, checked before decoding as a state's are
//! (`make_room_to_decode`).
//!
//! Versions: as a one-pattern monitor's (another format version is refused, naming
//! both); the patterns' frames are of `ROLLING_VERSION`, so a new one of those is a new
//! `BATCH_ROLLING_VERSION` too. Version 2 stores the monitor's own samples' locations
//! after the rest (a pattern's samples name none, as `execute_batch_reduction`'s: its
//! frame is written as rolling version 1, and one holding locations is refused); a
//! monitor none of whose samples has one is written as version 1, which releases before
//! 2 read, and version 1 is read.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::decoded_size::{locations_size, most_decoded, Listed, ReportShape};
use super::rolling::{rolling_from_bytes, room_to_load, serialize_rolling};
use super::{code_of, corrupt, ensure, framed_payload_of_versions, located, report_of, report_wire};
use super::{same_settings, samples_inside, stored_locations, GroupKeyWire, Located, ReportWire, HEADER};
use crate::batch_rolling::{BatchRolling, BYTES_PER_PATTERN};
use crate::error::CoreError;
use crate::group::GroupKey;
use crate::ingest::IngestReport;
use crate::rolling::Rolling;
use crate::room::{count_text, ensure_room, size_text};

pub(super) const MAGIC: &[u8; 4] = b"UARB";
/// 2 since the monitor's own error samples keep where their records are (stored after
/// the rest where one has any); 1: the first (its patterns' windows in the rolling
/// format's version 1, as 2's are: a pattern's samples have no location).
pub const BATCH_ROLLING_VERSION: u16 = 2;
/// The oldest batch rolling version read (1: what releases wrote before 2).
pub const OLDEST_BATCH_ROLLING_VERSION: u16 = 1;

#[derive(Serialize, Deserialize)]
struct BatchRollingWire<'a> {
    /// Opaque bytes of the Python layer (its settings), covered by the checksum.
    #[serde(borrow)]
    meta: Cow<'a, [u8]>,
    /// Every record added so far (cumulative, as snapshots report it).
    report: ReportWire,
    /// The settings: an empty one-pattern monitor's frame.
    #[serde(borrow)]
    base: Cow<'a, [u8]>,
    #[serde(borrow)]
    patterns: Vec<PatternWire<'a>>,
    /// The locations of `report`'s samples: stored after the rest (version 2).
    #[serde(skip)]
    locations: Vec<Option<String>>,
}

#[derive(Serialize, Deserialize)]
struct PatternWire<'a> {
    #[serde(borrow)]
    key: GroupKeyWire<'a>,
    /// The pattern's window and its own counts: a one-pattern monitor's frame.
    #[serde(borrow)]
    monitor: Cow<'a, [u8]>,
}

/// `monitor` and its cumulative `report` with the Python layer's `meta` bytes, framed.
pub fn serialize_batch_rolling(
    monitor: &BatchRolling,
    report: &IngestReport,
    meta: &[u8],
) -> Result<Vec<u8>, CoreError> {
    // (The settings alone: the kept range follows from the patterns' newest buckets.)
    let base = framed_rolling(&monitor.base.empty_like(), &IngestReport::default())?;
    let mut patterns = Vec::with_capacity(monitor.patterns.len());
    for (code, (key, rolling)) in monitor.index.keys().iter().zip(&monitor.patterns).enumerate() {
        let key = match key {
            GroupKey::Text(text) => GroupKeyWire::Text(text),
            GroupKey::Int(n) => GroupKeyWire::Int(*n),
            GroupKey::Uuid(bytes) => GroupKeyWire::Uuid(*bytes),
        };
        let framed = framed_rolling(rolling, &monitor.index.report(code))?;
        patterns.push(PatternWire {
            key,
            monitor: Cow::Owned(framed),
        });
    }
    let wire = BatchRollingWire {
        meta: Cow::Borrowed(meta),
        report: report_wire(report),
        base: Cow::Owned(base),
        patterns,
        locations: Vec::new(),
    };
    let wire = Located::new(wire, &report.samples);
    // (Stamped as `rolling::RollingSerialized` stamps its frames: version 1 where no sample
    // is located, its payload what version 1 wrote.)
    let version = if wire.1.is_some() {
        BATCH_ROLLING_VERSION
    } else {
        OLDEST_BATCH_ROLLING_VERSION
    };
    let payload_len = postcard::serialize_with_flavor(&wire, postcard::ser_flavors::Size::default())
        .map_err(|e| CoreError::Internal(format!("sizing: {e}")))?;
    ensure_room(payload_len.saturating_add(HEADER), || {
        format!("saving a monitor of {} patterns", count_text(monitor.patterns.len()))
    })?;
    let mut out = vec![0; HEADER + payload_len];
    super::write_framed(&wire, payload_len, (MAGIC, version, "monitor"), &mut out)?;
    Ok(out)
}

/// One pattern's window (or the settings' empty one) as a one-pattern monitor's frame.
fn framed_rolling(rolling: &Rolling, report: &IngestReport) -> Result<Vec<u8>, CoreError> {
    let serialized = serialize_rolling(rolling, report, b"")?;
    ensure_room(serialized.byte_len(), || "saving a pattern's window".into())?;
    let mut out = vec![0; serialized.byte_len()];
    serialized.write_into(&mut out)?;
    Ok(out)
}

/// Check that loading every pattern will find the memory it takes, before any is loaded
/// (each pattern's load checks its own room again as it goes): a monitor too large for
/// the memory left fails at once, naming itself, not part way through its patterns.
fn make_room_to_load(patterns: &[PatternWire<'_>]) -> Result<(), CoreError> {
    let mut bytes = patterns.len().saturating_mul(BYTES_PER_PATTERN);
    for pattern in patterns {
        bytes = bytes.saturating_add(room_to_load(&pattern.monitor)?);
    }
    ensure_room(bytes, || {
        format!(
            "loading a batch rolling monitor of {} patterns",
            count_text(patterns.len())
        )
    })
}

/// Check that decoding `payload` will find the memory it takes, before anything is
/// decoded (as a state's and a one-pattern monitor's: the most any payload of its length
/// decodes to, else what this one does, counted by a pass that keeps nothing). The frames
/// and ids are borrowed, but the list of patterns is not: a pattern stored in three bytes
/// (an id of one byte, an empty frame) decodes to a `PatternWire` of 48, and a hostile
/// list of millions of them, grown by doubling, aborted the process under an address-space
/// limit before any check (`tests/test_batch_rolling_decode_room.py`); so did a sample's
/// text, copied into a `String`.
fn make_room_to_decode(payload: &[u8]) -> Result<(), CoreError> {
    let what = || format!("reading a batch rolling monitor of {}", size_text(payload.len()));
    if ensure_room(most_decoded(payload.len()), what).is_ok() {
        return Ok(());
    }
    let (shape, rest): (BatchRollingShape, _) = postcard::take_from_bytes(payload).map_err(corrupt)?;
    let located = locations_size(rest).map_err(corrupt)?.bytes();
    ensure_room(shape.decoded_bytes().saturating_add(located), what)
}

/// `BatchRollingWire`, read as `decoded_size` reads a state: every list counted, none kept.
#[derive(Deserialize)]
struct BatchRollingShape<'a> {
    #[serde(borrow)]
    _meta: &'a [u8],
    report: ReportShape,
    #[serde(borrow)]
    _base: &'a [u8],
    /// (Each pattern read as the decoding reads it, its id and frame borrowed: nothing
    /// allocated, and bytes the decoding refuses are refused here with its error.)
    #[serde(borrow)]
    patterns: Listed<PatternWire<'a>>,
}

impl BatchRollingShape<'_> {
    fn decoded_bytes(&self) -> usize {
        self.report.size().add(self.patterns.size()).bytes()
    }
}

/// Load serialized bytes: the monitor, its cumulative report and the Python layer's meta
/// bytes (in `bytes`).
pub fn batch_rolling_from_bytes(bytes: &[u8]) -> Result<(BatchRolling, IngestReport, &[u8]), CoreError> {
    let (payload, version) = framed_payload_of_versions(
        bytes,
        (
            MAGIC,
            OLDEST_BATCH_ROLLING_VERSION..=BATCH_ROLLING_VERSION,
            "batch rolling format",
        ),
        (
            super::rolling::MAGIC,
            "these bytes hold a RollingUsageAnalytics, not a BatchRollingUsageAnalytics",
        ),
    )?;
    make_room_to_decode(payload)?;
    // (Each pattern's frame is borrowed, not copied: the decoded form holds its place.)
    let (mut wire, mut rest): (BatchRollingWire, &[u8]) = postcard::take_from_bytes(payload).map_err(corrupt)?;
    if version >= 2 {
        // (One form of each monitor: one with no location is written as version 1.)
        (wire.locations, rest) = stored_locations(rest)?;
    }
    ensure(rest.is_empty(), "trailing bytes after the state")?;
    let (Cow::Borrowed(meta), Cow::Borrowed(base)) = (wire.meta, wire.base) else {
        return Err(CoreError::Internal("bytes copied in decoding".into()));
    };
    let report = located(report_of(wire.report)?, wire.locations)?;
    ensure(samples_inside(&report), "an error sample is past its records")?;
    let (base, base_report, _) = rolling_from_bytes(base)?;
    ensure(
        base.ring.is_empty() && base.newest.is_none() && base_report.received == 0,
        "the settings' window holds records",
    )?;
    make_room_to_load(&wire.patterns)?;
    let mut monitor = BatchRolling::new(base);
    let mut totals = IngestReport::default();
    for pattern in wire.patterns {
        let code = code_of(&mut monitor.index, &pattern.key)?;
        // (One form of each id, as a batch state's: `super::state_of`.)
        ensure(code as usize == monitor.patterns.len(), "a pattern id appears twice")?;
        let Cow::Borrowed(framed) = pattern.monitor else {
            return Err(CoreError::Internal("bytes copied in decoding".into()));
        };
        let (rolling, counts, _) = rolling_from_bytes(framed)?;
        let base = &monitor.base;
        ensure(
            same_settings(&rolling.template, &base.template)
                && rolling.width == base.width
                && rolling.buckets == base.buckets,
            "a pattern's settings differ from the monitor's",
        )?;
        ensure(!rolling.ring.is_empty(), "a pattern without buckets")?;
        ensure(
            counts.samples.iter().all(|sample| sample.location.is_none()),
            "a pattern's error samples are located",
        )?;
        let add = |a: usize, b: usize| a.checked_add(b).ok_or_else(|| corrupt("counts overflow"));
        totals.received = add(totals.received, counts.received)?;
        totals.invalid = add(totals.invalid, counts.invalid)?;
        totals.outside_window = add(totals.outside_window, counts.outside_window)?;
        monitor.index.add_report(code, &counts);
        if let Some(newest) = rolling.newest {
            monitor.base.newest = Some(monitor.base.newest.map_or(newest, |n| n.max(newest)));
        }
        monitor.patterns.push(rolling);
    }
    // (A forgotten pattern's counts stay in the monitor's alone.)
    ensure(
        totals.received <= report.received
            && totals.invalid <= report.invalid
            && totals.received - totals.invalid <= report.received - report.invalid,
        "the patterns' counts exceed the monitor's",
    )?;
    if let Some(oldest) = monitor.base.oldest_kept() {
        ensure(
            monitor
                .patterns
                .iter()
                .all(|rolling| rolling.ring.first_key_value().is_some_and(|(&key, _)| key >= oldest)),
            "a bucket older than the kept range",
        )?;
    }
    Ok((monitor, report, meta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buckets::Window;
    use crate::civil::MICROS_PER_HOUR;
    use crate::group::GroupIndex;
    use crate::ingest::InvalidSample;
    use crate::rolling::tests::template;
    use crate::wire::tests::misplaced_locations_are_refused;

    const H: i64 = MICROS_PER_HOUR;

    fn sample(index: usize, location: Option<&str>) -> InvalidSample {
        InvalidSample {
            index,
            field: "pattern_id",
            value: "<missing>".into(),
            reason: "required".into(),
            location: location.map(str::to_owned),
        }
    }

    /// A monitor of no pattern whose adds skipped two records (no pattern id), their
    /// samples located as `locations` says.
    fn located_bytes(locations: [Option<&str>; 2]) -> Vec<u8> {
        let window = Window::new(0, H, "custom", Some(H)).unwrap();
        let monitor = BatchRolling::new(Rolling::new(template(window), H, 3).unwrap());
        let report = IngestReport {
            received: 2,
            invalid: 2,
            samples: vec![sample(0, locations[0]), sample(1, locations[1])],
            ..IngestReport::default()
        };
        serialize_batch_rolling(&monitor, &report, b"meta").unwrap()
    }

    fn locations_of(bytes: &[u8]) -> Vec<Option<String>> {
        let (_, report, _) = batch_rolling_from_bytes(bytes).unwrap();
        report.samples.into_iter().map(|s| s.location).collect()
    }

    #[test]
    fn the_monitors_samples_locations_are_stored_after_the_rest() {
        let plain = located_bytes([None, None]);
        assert_eq!(plain[4..6], OLDEST_BATCH_ROLLING_VERSION.to_le_bytes());
        assert_eq!(locations_of(&plain), [None, None]);
        let bytes = located_bytes([None, Some("index label 'b'")]);
        assert_eq!(bytes[4..6], BATCH_ROLLING_VERSION.to_le_bytes());
        assert_eq!(bytes[HEADER..plain.len()], plain[HEADER..]);
        assert_eq!(locations_of(&bytes), [None, Some("index label 'b'".to_owned())]);
        // Version 2 always has them (one form of each monitor).
        let mut two = plain.clone();
        two[4..6].copy_from_slice(&2u16.to_le_bytes());
        let error = batch_rolling_from_bytes(&two).err().unwrap().to_string();
        assert!(error.ends_with("its error samples' locations are missing"), "{error}");
        // Version 1 had nothing after the rest; 0 and 3 are not read.
        let mut one = bytes.clone();
        one[4..6].copy_from_slice(&1u16.to_le_bytes());
        let error = batch_rolling_from_bytes(&one).err().unwrap().to_string();
        assert!(error.ends_with("trailing bytes after the state"), "{error}");
        for version in [0u16, 3] {
            one[4..6].copy_from_slice(&version.to_le_bytes());
            let error = batch_rolling_from_bytes(&one).err().unwrap().to_string();
            let expected = format!("version {version}, this usage-analytics reads versions 1 to 2");
            assert!(error.ends_with(&expected), "{error}");
        }
    }

    #[test]
    fn locations_must_be_one_for_each_sample() {
        let bytes = located_bytes([Some("x"), None]);
        let (wire, _): (BatchRollingWire, _) = postcard::take_from_bytes(&bytes[HEADER..]).unwrap();
        let rest = postcard::to_stdvec(&wire).unwrap();
        misplaced_locations_are_refused(&bytes, &rest, error_of);
    }

    fn error_of(bytes: &[u8]) -> String {
        batch_rolling_from_bytes(bytes).err().expect("refused").to_string()
    }

    #[test]
    fn a_patterns_located_samples_are_refused() {
        // (A pattern's samples count among its own records, which no location names: a
        // pattern's frame holding locations is no monitor's.)
        let window = Window::new(0, H, "custom", Some(H)).unwrap();
        let mut monitor = BatchRolling::new(Rolling::new(template(window), H, 3).unwrap());
        let code = monitor.index.code(&GroupKey::Int(7));
        let mut rolling = monitor.base.empty_like();
        rolling.add(&crate::rolling::tests::columns(&[0])).unwrap();
        monitor.patterns.push(rolling);
        let mut report = IngestReport {
            received: 2,
            invalid: 1,
            samples: vec![sample(1, Some("index label 'b'"))],
            ..IngestReport::default()
        };
        monitor.index.add_report(code, &report);
        let bytes = serialize_batch_rolling(&monitor, &report, b"").unwrap();
        let error = batch_rolling_from_bytes(&bytes).err().unwrap().to_string();
        assert!(error.ends_with("a pattern's error samples are located"), "{error}");
        // Its samples without locations: loaded, the monitor's own located.
        report.samples[0].location = None;
        let mut monitor = BatchRolling {
            index: GroupIndex::default(),
            ..monitor
        };
        let code = monitor.index.code(&GroupKey::Int(7));
        monitor.index.add_report(code, &report);
        report.samples[0].location = Some("index label 'b'".into());
        let bytes = serialize_batch_rolling(&monitor, &report, b"").unwrap();
        assert_eq!(locations_of(&bytes), [Some("index label 'b'".to_owned())]);
    }

    /// A batch monitor's payload of `patterns` patterns stored in the fewest bytes (an id
    /// of one byte, an empty frame) and `samples` error samples of `text` bytes of value
    /// each: a list that decodes to the most a stored byte can, and text copied out.
    fn hostile_payload(patterns: usize, samples: usize, text: usize) -> Vec<u8> {
        let value = "v".repeat(text);
        let wire = BatchRollingWire {
            meta: Cow::Borrowed(b""),
            report: ReportWire {
                received: samples as u64,
                outside_window: 0,
                invalid: samples as u64,
                samples: (0..samples as u64)
                    .map(|index| (index, String::new(), value.clone(), String::new()))
                    .collect(),
            },
            base: Cow::Borrowed(b""),
            patterns: (0..patterns)
                .map(|_| PatternWire {
                    key: GroupKeyWire::Int(0),
                    monitor: Cow::Borrowed(b""),
                })
                .collect(),
            locations: Vec::new(),
        };
        postcard::to_stdvec(&wire).unwrap()
    }

    #[test]
    fn the_pass_counting_a_monitors_decoding_counts_at_least_what_it_holds() {
        // (300,000 patterns: past the 1 MiB serde reserves ahead, the list grown by doubling.)
        for (patterns, samples, text) in [(300_000, 0, 0), (3, 2, 1 << 20), (300_000, 100, 1000)] {
            let payload = hostile_payload(patterns, samples, text);
            let (shape, rest): (BatchRollingShape, _) = postcard::take_from_bytes(&payload).unwrap();
            assert!(rest.is_empty());
            let counted = shape.decoded_bytes();
            // (The real decoding, which the count is for.)
            let (wire, _): (BatchRollingWire, _) = postcard::take_from_bytes(&payload).unwrap();
            let samples = &wire.report.samples;
            let text: usize = samples
                .iter()
                .map(|(_, f, v, r)| f.capacity() + v.capacity() + r.capacity())
                .sum();
            let held = wire.patterns.capacity() * std::mem::size_of::<PatternWire>()
                + samples.capacity() * std::mem::size_of::<super::super::Sample>()
                + text;
            assert!(counted >= held, "{patterns} patterns: {counted} < {held}");
            // The check made before any count (`most_decoded`) bounds it: a pattern of three
            // stored bytes is the most a stored byte decodes to, with a name of no text.
            assert!(counted <= most_decoded(payload.len()), "{counted} of {}", payload.len());
        }
    }

    #[test]
    fn the_pass_counting_a_monitors_decoding_reads_its_layout() {
        // (Run only where memory is short: a mismatch would refuse valid monitors there.)
        let window = Window::new(0, H, "custom", Some(H)).unwrap();
        let mut monitor = BatchRolling::new(Rolling::new(template(window), H, 3).unwrap());
        let report = IngestReport {
            received: 4,
            invalid: 2,
            samples: vec![sample(2, Some("index label 'b'")), sample(3, None)],
            ..IngestReport::default()
        };
        for id in [7, 8] {
            let code = monitor.index.code(&GroupKey::Int(id));
            let mut rolling = monitor.base.empty_like();
            rolling.add(&crate::rolling::tests::columns(&[0])).unwrap();
            monitor.patterns.push(rolling);
            let counts = IngestReport {
                received: 1,
                ..IngestReport::default()
            };
            monitor.index.add_report(code, &counts);
        }
        let bytes = serialize_batch_rolling(&monitor, &report, b"meta").unwrap();
        let (shape, rest): (BatchRollingShape, _) = postcard::take_from_bytes(&bytes[HEADER..]).unwrap();
        let two = super::super::decoded_size::DecodedSize::vector(2, std::mem::size_of::<PatternWire>());
        assert_eq!(shape.patterns.size(), two);
        assert!(locations_size(rest).unwrap().bytes() > 0);
        let (wire, _): (BatchRollingWire, _) = postcard::take_from_bytes(&bytes[HEADER..]).unwrap();
        let held = wire.patterns.capacity() * std::mem::size_of::<PatternWire>();
        assert!(shape.decoded_bytes() >= held + report.samples.len() * std::mem::size_of::<super::super::Sample>());
        assert!(batch_rolling_from_bytes(&bytes).is_ok());
    }

    #[test]
    fn a_hostile_number_of_patterns_is_refused_by_the_count_as_by_the_decoding() {
        // 2^64 - 1 patterns stated by ten bytes, three of them there: nothing allocated for
        // them, the same error from the pass as from the decoding.
        let mut payload = hostile_payload(0, 0, 0);
        assert_eq!(payload.pop(), Some(0)); // (the patterns' number, last)
        payload.extend([0xff; 9].iter().chain(&[0x01]));
        payload.extend([1, 0, 0].repeat(3));
        let decoding = postcard::take_from_bytes::<BatchRollingWire>(&payload).err().unwrap();
        let counting = postcard::take_from_bytes::<BatchRollingShape>(&payload).err().unwrap();
        assert_eq!(counting, decoding);
        let framed = [
            &b"UARB"[..],
            &1u16.to_le_bytes(),
            &crc32fast::hash(&payload).to_le_bytes(),
            &payload,
        ]
        .concat();
        assert!(error_of(&framed).starts_with("invalid input: not a valid usage-analytics state: "));
    }
}
