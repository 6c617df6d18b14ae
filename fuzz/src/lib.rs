//! What the fuzz targets share: framing a fuzzed payload as the core frames one, so that
//! libFuzzer's mutations reach the decoder rather than dying at the checksum.

use _core::accumulator::{Accumulator, Families};
use _core::buckets::Window;
use _core::civil::MICROS_PER_DAY;
use _core::ingest::IngestReport;
use _core::metrics::Thresholds;
use _core::rolling::Rolling;
use _core::state::State;
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

/// The magic and version of a serialized state, as the core writes them now (taken from
/// an empty state's bytes, so that a new format version needs no change here).
pub fn state_magic_and_version() -> [u8; 6] {
    let bytes = _core::wire::to_bytes(&State::new(template(), false), b"").expect("an empty state");
    bytes[..6].try_into().expect("a header")
}

/// The magic and version of a serialized rolling monitor, as the core writes them now.
pub fn rolling_magic_and_version() -> [u8; 6] {
    let rolling = Rolling::new(template(), MICROS_PER_DAY, 4).expect("a monitor");
    let serialized = _core::wire::serialize_rolling(&rolling, &IngestReport::default(), b"").expect("an empty monitor");
    let mut bytes = vec![0; serialized.byte_len()];
    serialized.write_into(&mut bytes).expect("written");
    bytes[..6].try_into().expect("a header")
}

/// `payload` framed under `magic_and_version` with its right checksum.
pub fn framed(magic_and_version: &[u8; 6], payload: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER + payload.len());
    bytes.extend_from_slice(magic_and_version);
    bytes.extend_from_slice(&crc32(payload).to_le_bytes());
    bytes.extend_from_slice(payload);
    bytes
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
