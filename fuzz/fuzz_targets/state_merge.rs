//! `wire::merge_serialized` of two fuzzed payloads, each framed with its right checksum
//! under a version the reader accepts (the input's first byte chooses: its low bit the
//! first payload's, the next bit the second's; so a state of located samples meets one
//! of none), the next two bytes saying where the first payload ends: never a panic, and it
//! refuses exactly what loading both and merging them refuses, and where both merge, to
//! the same report (samples and their locations). Merging one state alone gives the state
//! `from_bytes` loads, byte for byte once written.
#![no_main]

use std::sync::OnceLock;

use _core::wire::{from_bytes, merge_serialized, to_bytes};
use libfuzzer_sys::fuzz_target;
use usage_analytics_fuzz::Format;

static FORMAT: OnceLock<Format> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let format = FORMAT.get_or_init(Format::state);
    let Some((&[choice, high, low], rest)) = data.split_first_chunk::<3>() else {
        return;
    };
    let cut = (usize::from(high) << 8 | usize::from(low)).min(rest.len());
    let (a, b) = (
        format.framed(choice, &rest[..cut]),
        format.framed(choice >> 1, &rest[cut..]),
    );

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
    match (&both, &loaded_then_merged) {
        // (Not the bodies byte for byte: a pattern's moments may differ by rounding,
        // `wire::merge`'s module doc.)
        (Ok((merged, _)), Ok(loaded)) => assert_eq!(
            merged.report, loaded.report,
            "merge_serialized's report differs from from_bytes and merge's"
        ),
        (Err(_), Err(_)) => {}
        _ => panic!(
            "merge_serialized: {:?}; from_bytes and merge: {:?}",
            both.as_ref().err(),
            loaded_then_merged.as_ref().err()
        ),
    }
});
