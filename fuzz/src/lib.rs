//! What the fuzz targets share: framing a fuzzed payload as the core frames one, so that
//! libFuzzer's mutations reach the decoder rather than dying at the checksum.

use std::ops::RangeInclusive;

use _core::accumulator::{Accumulator, Families};
use _core::batch_rolling::BatchRolling;
use _core::buckets::Window;
use _core::civil::MICROS_PER_DAY;
use _core::ingest::IngestReport;
use _core::metrics::Thresholds;
use _core::rolling::Rolling;
use _core::state::State;
use _core::wire::{
    BATCH_ROLLING_VERSION, FORMAT_VERSION, OLDEST_BATCH_ROLLING_VERSION, OLDEST_FORMAT_VERSION, OLDEST_ROLLING_VERSION,
    ROLLING_VERSION,
};
use _core::zone::Zone;

/// Bytes before a frame's payload: magic (4), version (2), CRC-32 of the payload (4).
pub const HEADER: usize = 10;

/// A week's window in UTC with every family: the settings of the seeds' smallest states.
fn template() -> Accumulator {
    let window = Window::new(0, 7 * MICROS_PER_DAY, "weekly", None).expect("a window");
    Accumulator::new(
        window,
        Zone::get("UTC").expect("UTC"),
        Families::ALL,
        Thresholds::default(),
    )
}

/// A serialized kind's frame: its magic and the format versions its reader accepts. A
/// target frames its payload under any of them (its input's first byte chooses), so that
/// every version's payload is fuzzed: a state's 8 and a monitor's 2 hold their samples'
/// locations after the rest, which payloads framed as 7 or 1 never reach.
pub struct Format {
    magic: [u8; 4],
    versions: RangeInclusive<u16>,
}

impl Format {
    /// A serialized state's (its magic taken from an empty state's bytes).
    pub fn state() -> Format {
        let bytes = _core::wire::to_bytes(&State::new(template(), false), b"").expect("an empty state");
        Format::of(&bytes, OLDEST_FORMAT_VERSION..=FORMAT_VERSION)
    }

    /// A serialized rolling monitor's.
    pub fn rolling() -> Format {
        let rolling = Rolling::new(template(), MICROS_PER_DAY, 4).expect("a monitor");
        let serialized =
            _core::wire::serialize_rolling(&rolling, &IngestReport::default(), b"").expect("an empty monitor");
        let mut bytes = vec![0; serialized.byte_len()];
        serialized.write_into(&mut bytes).expect("written");
        Format::of(&bytes, OLDEST_ROLLING_VERSION..=ROLLING_VERSION)
    }

    /// A serialized batch rolling monitor's.
    pub fn batch_rolling() -> Format {
        let monitor = BatchRolling::new(Rolling::new(template(), MICROS_PER_DAY, 4).expect("a monitor"));
        let bytes =
            _core::wire::serialize_batch_rolling(&monitor, &IngestReport::default(), b"").expect("an empty monitor");
        Format::of(&bytes, OLDEST_BATCH_ROLLING_VERSION..=BATCH_ROLLING_VERSION)
    }

    fn of(bytes: &[u8], versions: RangeInclusive<u16>) -> Format {
        let magic = bytes[..4].try_into().expect("a header");
        assert!(
            versions.contains(&version_of(bytes)),
            "an empty one is written under a version its reader accepts"
        );
        Format { magic, versions }
    }

    /// The version `choice` picks: the oldest read plus `choice`, modulo the number read.
    pub fn version(&self, choice: u8) -> u16 {
        let (oldest, newest) = (*self.versions.start(), *self.versions.end());
        oldest + u16::from(choice) % (newest - oldest + 1)
    }

    /// `payload` framed under the version `choice` picks, with its right checksum.
    pub fn framed(&self, choice: u8, payload: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(HEADER + payload.len());
        bytes.extend_from_slice(&self.magic);
        bytes.extend_from_slice(&self.version(choice).to_le_bytes());
        bytes.extend_from_slice(&crc32(payload).to_le_bytes());
        bytes.extend_from_slice(payload);
        bytes
    }

    /// A fuzz input framed: its first byte chooses the version, the rest is the payload
    /// (None: an empty input).
    pub fn framed_input(&self, data: &[u8]) -> Option<Vec<u8>> {
        let (&choice, payload) = data.split_first()?;
        Some(self.framed(choice, payload))
    }
}

/// The format version framed `bytes` are stamped with.
pub fn version_of(bytes: &[u8]) -> u16 {
    u16::from_le_bytes([bytes[4], bytes[5]])
}

/// CRC-32 (IEEE, as zlib): bitwise, since a fuzz input is small and this crate should not
/// need the core's own dependency to frame its inputs.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
