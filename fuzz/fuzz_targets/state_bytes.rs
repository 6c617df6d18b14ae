//! `wire::from_bytes` on any payload, framed under any version it reads (the input's
//! first byte chooses) with its right checksum: never a panic, and a state it loads is
//! written back under the version it was read from (`Serialized::write_into` writes 8
//! exactly where a sample has a location, and a version 8 payload that loads holds one),
//! as bytes that load to the same state (written again, the same bytes), with the same
//! meta bytes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use usage_analytics_fuzz::{version_of, Format};

static FORMAT: OnceLock<Format> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some(bytes) = FORMAT.get_or_init(Format::state).framed_input(data) else {
        return;
    };
    let Ok((state, meta)) = _core::wire::from_bytes(&bytes) else {
        return;
    };
    let written = _core::wire::to_bytes(&state, meta).expect("a loaded state is written");
    assert_eq!(
        version_of(&written),
        version_of(&bytes),
        "a loaded state is written under another version"
    );
    let (again, meta_again) = _core::wire::from_bytes(&written).expect("a written state loads");
    assert_eq!(meta_again, meta);
    assert_eq!(again.report, state.report, "a written state loads another report");
    let rewritten = _core::wire::to_bytes(&again, meta_again).expect("written again");
    assert!(rewritten == written, "a loaded state written twice gave other bytes");
});
