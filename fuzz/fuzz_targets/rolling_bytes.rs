//! `wire::rolling_from_bytes` on any payload, framed under any version it reads (the
//! input's first byte chooses) with its right checksum: never a panic; a monitor it loads
//! is written back under the version it was read from (2 exactly where a sample has a
//! location, as a version 2 payload that loads holds), as bytes that load and write again
//! the same, and takes a snapshot at its newest bucket (or refuses with an error).
#![no_main]

use std::sync::OnceLock;

use _core::ingest::IngestReport;
use _core::rolling::Rolling;
use _core::wire::{rolling_from_bytes, serialize_rolling};
use libfuzzer_sys::fuzz_target;
use usage_analytics_fuzz::{version_of, Format};

static FORMAT: OnceLock<Format> = OnceLock::new();

fn written(rolling: &Rolling, report: &IngestReport, meta: &[u8]) -> Vec<u8> {
    let serialized = serialize_rolling(rolling, report, meta).expect("a loaded monitor is written");
    let mut bytes = vec![0; serialized.byte_len()];
    serialized.write_into(&mut bytes).expect("written");
    bytes
}

fuzz_target!(|data: &[u8]| {
    let Some(bytes) = FORMAT.get_or_init(Format::rolling).framed_input(data) else {
        return;
    };
    let Ok((rolling, report, meta)) = rolling_from_bytes(&bytes) else {
        return;
    };
    let once = written(&rolling, &report, meta);
    assert_eq!(
        version_of(&once),
        version_of(&bytes),
        "a loaded monitor is written under another version"
    );
    let (again, report_again, meta_again) = rolling_from_bytes(&once).expect("a written monitor loads");
    assert_eq!(report_again, report);
    assert_eq!(meta_again, meta);
    assert!(
        written(&again, &report_again, meta_again) == once,
        "a loaded monitor written twice gave other bytes"
    );
    if let Some(newest) = rolling.newest_start() {
        let _ = rolling.snapshot(newest);
    }
});
