//! `wire::batch_rolling_from_bytes` on any payload, framed under any version it reads (the
//! input's first byte chooses) with its right checksum: never a panic; a monitor it loads
//! is written back under the version it was read from (2 exactly where one of its own
//! samples has a location, as a version 2 payload that loads holds), as bytes that load
//! to the same report and meta and write again the same, and takes a snapshot at its
//! newest bucket (or refuses with an error).
#![no_main]

use std::sync::OnceLock;

use _core::wire::{batch_rolling_from_bytes, serialize_batch_rolling};
use libfuzzer_sys::fuzz_target;
use usage_analytics_fuzz::{version_of, Format};

static FORMAT: OnceLock<Format> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some(bytes) = FORMAT.get_or_init(Format::batch_rolling).framed_input(data) else {
        return;
    };
    let Ok((monitor, report, meta)) = batch_rolling_from_bytes(&bytes) else {
        return;
    };
    let once = serialize_batch_rolling(&monitor, &report, meta).expect("a loaded monitor is written");
    assert_eq!(
        version_of(&once),
        version_of(&bytes),
        "a loaded monitor is written under another version"
    );
    let (again, report_again, meta_again) = batch_rolling_from_bytes(&once).expect("a written monitor loads");
    assert_eq!(report_again, report);
    assert_eq!(meta_again, meta);
    assert!(
        serialize_batch_rolling(&again, &report_again, meta_again).expect("written again") == once,
        "a loaded monitor written twice gave other bytes"
    );
    if let Some(newest) = monitor.newest_start() {
        let _ = monitor.snapshot(newest);
    }
});
