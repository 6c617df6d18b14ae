//! Hash maps keyed by what callers send: names (agents, contexts, projects, file types),
//! pattern ids, and the name table of a serialized state.
//!
//! Their hasher is foldhash's, keyed by a seed drawn once per process from the operating
//! system's randomness (through std's `RandomState`, as Python's own str hash is keyed;
//! foldhash's own process seed mixes addresses and the clock). FxHash, which the name maps
//! used before, has no seed that
//! helps: its string hash folds 16-byte chunks by multiplies an attacker can invert, so
//! distinct names can be built to share one hash (helper-92 built billions of printable
//! 65-byte ones, and 32-byte ones). 80,000 such agents made a reduction take 92 s instead
//! of 0.2 s; a state holding 40,000 took 8 s to load or merge.
//!
//! The seed is the process's, not each map's, so that the hasher takes no room: an
//! accumulator holds four name maps, a batch one accumulator per pattern.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::OnceLock;

use foldhash::fast::FoldHasher;
use foldhash::SharedSeed;

/// A hash map whose hasher is seeded at random (see the module).
pub type SeededMap<K, V> = HashMap<K, V, ProcessSeeded>;

/// foldhash keyed by the process's random seed (`process_seed`).
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessSeeded;

impl BuildHasher for ProcessSeeded {
    type Hasher = FoldHasher<'static>;

    #[inline]
    fn build_hasher(&self) -> FoldHasher<'static> {
        FoldHasher::with_seed(0, process_seed())
    }
}

/// The process's seed: 64 bits of the operating system's randomness (std's `RandomState`
/// keys are drawn from it), drawn on first use. A forked child keeps its parent's.
fn process_seed() -> &'static SharedSeed {
    static SEED: OnceLock<SharedSeed> = OnceLock::new();
    SEED.get_or_init(|| SharedSeed::from_u64(RandomState::new().hash_one(0x5EED_u64)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    /// Names built to share one FxHash (helper-92's construction: the third 16-byte chunk
    /// cancels the state the first left, so the 8 bytes after it are free).
    const COLLIDING: [&str; 4] = [
        "7bT?!gb,b.3.WA:U_collide_chunk2_B#&SZFf<(,+O6vHA-tail-of-the-name",
        "7bT?!gb,b.3.WA:U_collide_chunk2_B#&SZFf<n<n%kx5X-tail-of-the-name",
        "7bT?!gb,b.3.WA:U_collide_chunk2_B#&SZFf<rS}bPfYa-tail-of-the-name",
        "7bT?!gb,b.3.WA:U_collide_chunk2_B#&SZFf<C%$O\\IQW-tail-of-the-name",
    ];

    #[test]
    fn the_hasher_takes_no_room() {
        assert_eq!(std::mem::size_of::<ProcessSeeded>(), 0);
    }

    #[test]
    fn the_hasher_is_keyed_by_the_process_seed_not_a_fixed_one() {
        // The same construction keyed by foldhash's fixed seed, or by its own process
        // seed, would hash every name alike; this one hashes none of them alike.
        let fixed = |seed: &'static SharedSeed, name: &str| {
            let mut hasher = FoldHasher::with_seed(0, seed);
            std::hash::Hash::hash(name, &mut hasher);
            std::hash::Hasher::finish(&hasher)
        };
        for name in COLLIDING {
            let ours = ProcessSeeded.hash_one(name);
            assert_ne!(ours, fixed(SharedSeed::global_fixed(), name));
            assert_ne!(ours, fixed(SharedSeed::global_random(), name));
            assert_eq!(ours, fixed(process_seed(), name));
        }
    }

    #[test]
    fn names_built_to_collide_in_fxhash_do_not_collide_here() {
        let fx = rustc_hash::FxBuildHasher;
        let fx_hashes: Vec<u64> = COLLIDING.iter().map(|name| fx.hash_one(name)).collect();
        assert!(fx_hashes.iter().all(|&hash| hash == fx_hashes[0]), "the premise");
        let map: SeededMap<&str, u32> = SeededMap::default();
        let mut seeded: Vec<u64> = COLLIDING.iter().map(|name| map.hasher().hash_one(name)).collect();
        seeded.sort_unstable();
        seeded.dedup();
        assert_eq!(seeded.len(), COLLIDING.len());
    }
}
