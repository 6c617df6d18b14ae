//! `wire::from_bytes` on any payload, framed with its right checksum: never a panic, and a
//! state it loads is written back as bytes that load to the same state (written again,
//! the same bytes), with the same meta bytes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use usage_analytics_fuzz::{framed, state_magic_and_version};

static HEADER: OnceLock<[u8; 6]> = OnceLock::new();

fuzz_target!(|payload: &[u8]| {
    let bytes = framed(HEADER.get_or_init(state_magic_and_version), payload);
    let Ok((state, meta)) = _core::wire::from_bytes(&bytes) else {
        return;
    };
    let written = _core::wire::to_bytes(&state, meta).expect("a loaded state is written");
    let (again, meta_again) = _core::wire::from_bytes(&written).expect("a written state loads");
    assert_eq!(meta_again, meta);
    let rewritten = _core::wire::to_bytes(&again, meta_again).expect("written again");
    assert!(rewritten == written, "a loaded state written twice gave other bytes");
});
