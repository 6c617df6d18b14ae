//! `wire::merge_serialized` of two fuzzed payloads (the first byte's low bits and the
//! next say where the first ends), each framed with its right checksum: never a panic,
//! and it refuses exactly what loading both and merging them refuses. Merging one state
//! alone gives the state `from_bytes` loads, byte for byte once written.
#![no_main]

use std::sync::OnceLock;

use _core::wire::{from_bytes, merge_serialized, to_bytes};
use libfuzzer_sys::fuzz_target;
use usage_analytics_fuzz::{framed, state_magic_and_version};

static HEADER: OnceLock<[u8; 6]> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let header = HEADER.get_or_init(state_magic_and_version);
    let Some((&[high, low], rest)) = data.split_first_chunk::<2>().map(|(h, r)| (h, r)) else {
        return;
    };
    let cut = (usize::from(high) << 8 | usize::from(low)).min(rest.len());
    let (a, b) = (framed(header, &rest[..cut]), framed(header, &rest[cut..]));

    let alone = merge_serialized(&[&a]);
    match (&alone, from_bytes(&a)) {
        (Ok((merged, metas)), Ok((loaded, meta))) => {
            assert_eq!(metas.as_slice(), &[meta]);
            let merged = to_bytes(merged, meta).expect("written");
            assert!(
                merged == to_bytes(&loaded, meta).expect("written"),
                "one state merged differs from it loaded"
            );
        }
        (Err(_), Err(_)) => {}
        (merged, loaded) => panic!(
            "merging one state alone: {:?}; loading it: {:?}",
            merged.as_ref().err(),
            loaded.err()
        ),
    }

    let both = merge_serialized(&[&a, &b]);
    let loaded_then_merged = from_bytes(&a).and_then(|(mut first, _)| {
        let (second, _) = from_bytes(&b)?;
        first.merge(&second)?;
        Ok(first)
    });
    assert_eq!(
        both.is_ok(),
        loaded_then_merged.is_ok(),
        "merge_serialized: {:?}; from_bytes and merge: {:?}",
        both.as_ref().err(),
        loaded_then_merged.as_ref().err()
    );
});
