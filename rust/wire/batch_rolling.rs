//! The serialized form of a batch rolling monitor (`BatchRolling` and its cumulative
//! ingest report), and its validation on load.
//!
//! Frame, as a state's (`super`): `b"UARB"` | format version (u16 LE) | CRC-32 of the
//! payload (u32 LE) | payload (postcard encoding of `BatchRollingWire`). The monitor's
//! settings and each pattern's window are stored as one-pattern monitors are
//! (`super::rolling`, each a frame of its own with its pattern's counts as its report),
//! so loading checks every one of them as `RollingUsageAnalytics.from_bytes` does, then
//! the batch's own invariants: each pattern id once, every pattern of the same settings,
//! holding a bucket and none below the kept range, and the patterns' counts within the
//! monitor's. Malformed bytes are an error, never a panic.
//!
//! Versions: as a one-pattern monitor's (another format version is refused, naming
//! both); the patterns' frames are of `ROLLING_VERSION`, so a new one of those is a new
//! `BATCH_ROLLING_VERSION` too.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::rolling::{rolling_from_bytes, room_to_load, serialize_rolling};
use super::{code_of, corrupt, ensure, framed_payload, report_of, report_wire, same_settings, samples_inside};
use super::{GroupKeyWire, ReportWire, HEADER};
use crate::batch_rolling::{BatchRolling, BYTES_PER_PATTERN};
use crate::error::CoreError;
use crate::group::GroupKey;
use crate::ingest::IngestReport;
use crate::rolling::Rolling;
use crate::room::{count_text, ensure_room};

pub(super) const MAGIC: &[u8; 4] = b"UARB";
/// 1: the first (its patterns' windows in the rolling format's version 1).
pub const BATCH_ROLLING_VERSION: u16 = 1;

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
    };
    let payload_len = postcard::serialize_with_flavor(&wire, postcard::ser_flavors::Size::default())
        .map_err(|e| CoreError::Internal(format!("sizing: {e}")))?;
    ensure_room(payload_len.saturating_add(HEADER), || {
        format!("saving a monitor of {} patterns", count_text(monitor.patterns.len()))
    })?;
    let mut out = vec![0; HEADER + payload_len];
    super::write_framed(&wire, payload_len, (MAGIC, BATCH_ROLLING_VERSION, "monitor"), &mut out)?;
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

/// Load serialized bytes: the monitor, its cumulative report and the Python layer's meta
/// bytes (in `bytes`).
pub fn batch_rolling_from_bytes(bytes: &[u8]) -> Result<(BatchRolling, IngestReport, &[u8]), CoreError> {
    let payload = framed_payload(
        bytes,
        (MAGIC, BATCH_ROLLING_VERSION, "batch rolling format"),
        (
            super::rolling::MAGIC,
            "these bytes hold a RollingUsageAnalytics, not a BatchRollingUsageAnalytics",
        ),
    )?;
    // (Each pattern's frame is borrowed, not copied: the decoded form holds its place.)
    let (wire, rest): (BatchRollingWire, &[u8]) = postcard::take_from_bytes(payload).map_err(corrupt)?;
    ensure(rest.is_empty(), "trailing bytes after the state")?;
    let (Cow::Borrowed(meta), Cow::Borrowed(base)) = (wire.meta, wire.base) else {
        return Err(CoreError::Internal("bytes copied in decoding".into()));
    };
    let report = report_of(wire.report)?;
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
