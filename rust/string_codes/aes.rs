//! A table's lookups by AES rounds, on x86_64 CPUs with AES-NI and AVX2 (detected at run
//! time; the wheel is built for any x86_64). A key's 32 bytes are one vector: read and
//! masked to its length in one load and one `and`, compared with an entry in one `xor`
//! and test, and hashed by two AES rounds on each 16-byte half, keyed by the table's seeds,
//! the halves' results xored (two rounds make every output byte depend on every input
//! byte of the half; the two halves' chains run side by side). Against `Packed::hash` in
//! scalar words, a row of the benchmark's 204 file paths takes 5.8-6.2 ns instead of
//! 7.2-7.5, and one of its 6 agent names 4.0-4.1 instead of 6.1 (`speed::code_all_speed`,
//! best of 7); the 10M-row plain-string call took 636-705 ms of user CPU instead of
//! 780-805 (profiling builds alternated, three processes each; measured with the earlier
//! form below, whose speed test figures were the same).
//!
//! As with the folded multiplies, colliding strings cannot be searched offline: the
//! rounds' keys are the process's secret seeds, and the length is added times an odd
//! multiplier from the seeds (strings alike but for trailing NULs differ only there). An
//! earlier form ran one round on the first half and then xored in the second: a change to
//! one byte of the first half changed one column by a multiple of a single unknown byte,
//! which four bytes of the second half could cancel for every key, so 8,192 crafted
//! strings fell into 256 hashes whatever the seeds (a reviewer's test, kept as
//! `crafted_strings_do_not_share_hashes_whatever_the_seeds`). After two rounds a one-byte
//! change reaches all 16 bytes through S-boxes with keyed inputs: nothing an attacker
//! writes into the other half cancels it without the keys.

use std::arch::x86_64::{
    __m128i, __m256i, _mm256_and_si256, _mm256_castsi256_si128, _mm256_extracti128_si256, _mm256_loadu_si256,
    _mm256_testz_si256, _mm256_xor_si256, _mm_aesenc_si128, _mm_cvtsi128_si64, _mm_set_epi64x, _mm_xor_si128,
};

use arrow_array::OffsetSizeTrait;

use super::{Packed, ShortTable, MAX_PACKED};

/// Whether this CPU has what `hash` and `code_run` use.
pub(super) fn available() -> bool {
    std::is_x86_feature_detected!("aes") && std::is_x86_feature_detected!("avx2")
}

/// Per length 0..=32, the mask that keeps a string's bytes of a 32-byte vector.
static BYTE_MASKS: [[u8; MAX_PACKED]; MAX_PACKED + 1] = byte_masks();

const fn byte_masks() -> [[u8; MAX_PACKED]; MAX_PACKED + 1] {
    let mut masks = [[0u8; MAX_PACKED]; MAX_PACKED + 1];
    let mut len = 0;
    while len <= MAX_PACKED {
        let mut i = 0;
        while i < len {
            masks[len][i] = 0xff;
            i += 1;
        }
        len += 1;
    }
    masks
}

/// The round keys and length multiplier of `seeds`.
#[derive(Clone, Copy)]
struct Keys {
    first: __m128i,
    second: __m128i,
    length: u64,
}

#[target_feature(enable = "aes,avx2")]
fn keys(seeds: &[u64; 4]) -> Keys {
    Keys {
        first: _mm_set_epi64x(seeds[1] as i64, seeds[0] as i64),
        second: _mm_set_epi64x(seeds[3] as i64, seeds[2] as i64),
        length: seeds[0].rotate_left(32) | 1,
    }
}

/// The hash of a key's `words` (its bytes, zero past its end) and `len`.
#[target_feature(enable = "aes,avx2")]
#[inline]
fn mix(words: __m256i, len: u64, keys: Keys) -> u64 {
    let front = _mm256_castsi256_si128(words);
    let back = _mm256_extracti128_si256::<1>(words);
    let front = _mm_aesenc_si128(
        _mm_aesenc_si128(_mm_xor_si128(front, keys.first), keys.second),
        keys.first,
    );
    let back = _mm_aesenc_si128(
        _mm_aesenc_si128(_mm_xor_si128(back, keys.second), keys.first),
        keys.second,
    );
    (_mm_cvtsi128_si64(_mm_xor_si128(front, back)) as u64).wrapping_add(len.wrapping_mul(keys.length))
}

/// `key`'s words as one vector.
#[target_feature(enable = "aes,avx2")]
#[inline]
fn vector(key: &Packed) -> __m256i {
    // SAFETY: the four words are 32 readable bytes (an unaligned load).
    unsafe { _mm256_loadu_si256(key.words.as_ptr().cast()) }
}

/// `key`'s hash under `seeds` (what the table places it by).
#[target_feature(enable = "aes,avx2")]
pub(super) fn hash(key: &Packed, seeds: &[u64; 4]) -> u64 {
    mix(vector(key), key.len, keys(seeds))
}

/// `ShortTable::code_run` by these hashes (the table's keys were placed by `hash`).
#[target_feature(enable = "aes,avx2")]
pub(super) fn code_run<O: OffsetSizeTrait>(
    table: &ShortTable,
    offsets: &[O],
    data: &[u8],
    codes: &mut [u32],
    from: usize,
    valid: impl Fn(usize) -> bool,
) -> usize {
    let keys = keys(&table.seeds);
    let offsets = &offsets[..codes.len() + 1];
    for row in from..codes.len() {
        let (start, end) = (offsets[row].as_usize(), offsets[row + 1].as_usize());
        let len = end.wrapping_sub(start);
        let (Some(mask), Some(window)) = (BYTE_MASKS.get(len), data.get(start..start.wrapping_add(MAX_PACKED))) else {
            return row;
        };
        if !valid(row) {
            return row;
        }
        // SAFETY: both are 32 readable bytes (unaligned loads).
        let words = unsafe {
            _mm256_and_si256(
                _mm256_loadu_si256(window.as_ptr().cast()),
                _mm256_loadu_si256(mask.as_ptr().cast()),
            )
        };
        let slot = (mix(words, len as u64, keys) >> table.shift) as usize;
        let number = table.index[slot] as usize;
        let Some((entry, code)) = table.entries.get(number.wrapping_sub(1)) else {
            return row;
        };
        let differ = _mm256_xor_si256(words, vector(entry));
        if entry.len != len as u64 || _mm256_testz_si256(differ, differ) == 0 {
            return row;
        }
        codes[row] = *code;
    }
    codes.len()
}
