//! The codes of one slice's distinct strings, for plain (not dictionary-encoded) string
//! columns, where every row is a lookup of its string.
//!
//! A map keyed by strings hashes the bytes and then confirms a hit with `memcmp`, a library
//! call: together 45% of reading a 10M-row table of plain strings. A string of at most 32
//! bytes - nearly every context, agent, project and many file paths - is instead identified
//! by its length and four 8-byte words (`Packed`): read from where the string starts and
//! masked to its length, without a branch on the length (rows of different lengths
//! alternate at random). Its lookup in a small open-addressing table hashes with one
//! multiply and compares five integers. Longer strings use a string map. Each table keeps
//! at most `limit` strings: past that (values that hardly repeat) lookups that miss go
//! straight to `code_of`.

use arrow_array::{Array, GenericStringArray, OffsetSizeTrait};
use rustc_hash::FxHashMap;

/// A string of at most 32 bytes: its bytes in four little-endian words, zero past its end,
/// and its length (which tells it from the same bytes followed by NULs).
#[derive(Clone, Copy, Debug)]
struct Packed {
    words: [u64; 4],
    len: u64,
}

const MAX_PACKED: usize = 32;

impl Packed {
    /// The string of `data[start..end]`, if at most 32 bytes long.
    #[inline]
    fn of(data: &[u8], start: usize, end: usize) -> Option<Packed> {
        let len = end - start;
        if len > MAX_PACKED {
            return None;
        }
        let words = match data.get(start..start + MAX_PACKED) {
            // 32 bytes are there (the rest belong to later strings): masked, not branched.
            Some(window) => std::array::from_fn(|i| {
                let word = u64::from_le_bytes(window[8 * i..8 * i + 8].try_into().expect("8 bytes"));
                let kept_bits = (len.saturating_sub(8 * i)).min(8) * 8;
                word & ((1u128 << kept_bits) - 1) as u64
            }),
            // The buffer's last strings: copied.
            None => {
                let mut padded = [0u8; MAX_PACKED];
                padded[..len].copy_from_slice(&data[start..end]);
                std::array::from_fn(|i| u64::from_le_bytes(padded[8 * i..8 * i + 8].try_into().expect("8 bytes")))
            }
        };
        Some(Packed { words, len: len as u64 })
    }

    /// Equality word by word: a derived (array) comparison loads the key as 16-byte vectors
    /// from the 8-byte stores that built it, which stalls store forwarding (a third of the
    /// lookup's time).
    #[inline]
    fn same(&self, other: &Packed) -> bool {
        let [a, b, c, d] = self.words;
        let [e, f, g, h] = other.words;
        (a ^ e) | (b ^ f) | (c ^ g) | (d ^ h) | (self.len ^ other.len) == 0
    }

    /// Folded multiplies (foldhash's mixing step: the 128-bit product's halves xored) of
    /// the words in pairs, then of the two results: nonlinear in every word, so changes to
    /// two words do not cancel as they did when the words were xor-combined first (crafted
    /// columns then piled 4,096 strings on one probe chain), and the two pairs multiply in
    /// parallel.
    #[inline]
    fn hash(&self) -> u64 {
        let fold = |x: u64, y: u64| {
            let product = u128::from(x) * u128::from(y);
            (product as u64) ^ ((product >> 64) as u64)
        };
        let [a, b, c, d] = self.words;
        let front = fold(a ^ 0x243F_6A88_85A3_08D3, b ^ 0x1319_8A2E_0370_7344);
        let back = fold(c ^ 0xA409_3822_299F_31D0, d ^ 0x082E_FA98_EC4E_6C89);
        fold(front ^ self.len, back ^ 0x4528_21E6_38D0_1377)
    }
}

/// Open addressing, linear probing; slots with `len == EMPTY` are free.
struct ShortTable {
    slots: Vec<(Packed, u32)>,
    shift: u32,
    filled: usize,
}

const EMPTY: u64 = u64::MAX;
/// Slots looked at before a lookup gives up (the table is at most half full: a few suffice).
const MAX_PROBES: usize = 32;
const FIRST_SLOTS_LOG2: u32 = 6;

impl ShortTable {
    fn new() -> Self {
        ShortTable {
            slots: Self::free_slots(1 << FIRST_SLOTS_LOG2),
            shift: 64 - FIRST_SLOTS_LOG2,
            filled: 0,
        }
    }

    fn free_slots(n: usize) -> Vec<(Packed, u32)> {
        vec![
            (
                Packed {
                    words: [0; 4],
                    len: EMPTY
                },
                0
            );
            n
        ]
    }

    /// The slot holding `key`, or the free slot where it would go; None past `MAX_PROBES`
    /// slots (a pile-up of colliding strings: the caller asks `code_of` instead).
    #[inline]
    fn find(&self, key: &Packed) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let mut at = (key.hash() >> self.shift) as usize;
        for _ in 0..MAX_PROBES {
            let (slot, _) = &self.slots[at];
            if slot.len == EMPTY || slot.same(key) {
                return Some(at);
            }
            at = (at + 1) & mask;
        }
        None
    }

    fn insert(&mut self, at: usize, key: Packed, code: u32) {
        self.slots[at] = (key, code);
        self.filled += 1;
        // At most half full: probes stay short.
        if self.filled * 2 > self.slots.len() {
            let bigger = Self::free_slots(self.slots.len() * 2);
            let old = std::mem::replace(&mut self.slots, bigger);
            self.shift -= 1;
            self.filled = 0;
            for (key, code) in old.into_iter().filter(|(key, _)| key.len != EMPTY) {
                // (A key that no longer finds room within MAX_PROBES is dropped: it is
                // asked for again when next met.)
                if let Some(at) = self.find(&key) {
                    self.slots[at] = (key, code);
                    self.filled += 1;
                }
            }
        }
    }
}

/// Strings of one slice -> codes (see the module docs).
pub struct StringCodes<'a> {
    short: ShortTable,
    long: FxHashMap<&'a str, u32>,
    limit: usize,
}

impl<'a> StringCodes<'a> {
    pub fn new(limit: usize) -> Self {
        StringCodes {
            short: ShortTable::new(),
            long: FxHashMap::default(),
            limit,
        }
    }

    /// Codes of every row of `strings` into `codes` (`missing` for nulls): each string's
    /// code remembered, or `code_of(string)`.
    pub fn code_all<O: OffsetSizeTrait>(
        &mut self,
        strings: &'a GenericStringArray<O>,
        codes: &mut [u32],
        missing: u32,
        mut code_of: impl FnMut(&str) -> u32,
    ) {
        let (offsets, data, nulls) = (strings.value_offsets(), strings.value_data(), strings.nulls());
        for (row, (code, bounds)) in codes.iter_mut().zip(offsets.windows(2)).enumerate() {
            if nulls.is_some_and(|n| n.is_null(row)) {
                *code = missing;
                continue;
            }
            let (start, end) = (bounds[0].as_usize(), bounds[1].as_usize());
            *code = match Packed::of(data, start, end) {
                Some(key) => match self.short.find(&key) {
                    Some(at) => match self.short.slots[at] {
                        (found, code) if found.len != EMPTY => code,
                        _ => {
                            let code = code_of(strings.value(row));
                            if self.short.filled < self.limit {
                                self.short.insert(at, key, code);
                            }
                            code
                        }
                    },
                    None => code_of(strings.value(row)),
                },
                None => self.code(strings.value(row), &mut code_of),
            };
        }
    }

    /// The code of `text`, a string of any length (from any kind of string column).
    #[inline]
    pub fn code(&mut self, text: &'a str, code_of: impl FnOnce(&str) -> u32) -> u32 {
        if let Some(&code) = self.long.get(text) {
            return code;
        }
        let code = code_of(text);
        if self.long.len() < self.limit {
            self.long.insert(text, code);
        }
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{LargeStringArray, StringArray};

    /// Every string over a small alphabet up to length 3, and near misses of lengths 4-33
    /// across the word boundaries.
    fn texts() -> Vec<String> {
        let mut texts: Vec<String> = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..3 {
            frontier = frontier
                .iter()
                .flat_map(|t| ["a", "b", "\0"].map(|c| format!("{t}{c}")))
                .collect();
            texts.extend(frontier.iter().cloned());
        }
        for n in 4..=33 {
            let base = "x".repeat(n);
            texts.push(base.clone());
            texts.push(format!("{base}\0"));
            for i in 0..n {
                let mut bytes = base.clone().into_bytes();
                bytes[i] = b'y';
                texts.push(String::from_utf8(bytes).unwrap());
            }
        }
        texts
    }

    #[test]
    fn different_strings_never_pack_alike_wherever_they_lie() {
        let texts = texts();
        // Each string alone (copied: the buffer's end) and amid others (masked).
        let joined: String = texts.concat();
        let mut seen = std::collections::HashMap::new();
        let mut start = 0;
        for text in &texts {
            let end = start + text.len();
            let amid = Packed::of(joined.as_bytes(), start, end);
            let alone = Packed::of(text.as_bytes(), 0, text.len());
            let same = match (amid, alone) {
                (Some(a), Some(b)) => a.same(&b),
                (a, b) => a.is_none() && b.is_none(),
            };
            assert!(same, "{text:?} packs differently where it lies");
            match amid {
                Some(key) => {
                    if let Some(other) = seen.insert((key.words, key.len), text) {
                        panic!("{other:?} and {text:?} pack alike");
                    }
                }
                None => assert!(text.len() > MAX_PACKED, "{text:?}"),
            }
            start = end;
        }
    }

    #[test]
    fn every_row_gets_its_strings_code() {
        let texts = texts();
        let mut rows: Vec<Option<&str>> = Vec::new();
        for (i, text) in texts.iter().enumerate() {
            rows.push(Some(text));
            rows.push(Some(&texts[i / 2])); // repeats
            if i % 7 == 0 {
                rows.push(None);
            }
        }
        let mut names: Vec<String> = Vec::new();
        let mut code_of = |text: &str| match names.iter().position(|n| n == text) {
            Some(i) => i as u32,
            None => {
                names.push(text.to_owned());
                names.len() as u32 - 1
            }
        };
        let expected: Vec<u32> = rows.iter().map(|r| r.map_or(u32::MAX, &mut code_of)).collect();
        let small = StringArray::from(rows.clone());
        let large = LargeStringArray::from(rows.clone());
        for limit in [usize::MAX, 3] {
            let mut codes = vec![0; rows.len()];
            StringCodes::new(limit).code_all(&small, &mut codes, u32::MAX, &mut code_of);
            assert_eq!(codes, expected, "utf8, limit {limit}");
            let mut codes = vec![0; rows.len()];
            StringCodes::new(limit).code_all(&large, &mut codes, u32::MAX, &mut code_of);
            assert_eq!(codes, expected, "large utf8, limit {limit}");
        }
    }

    #[test]
    fn structured_strings_do_not_pile_up_on_one_probe_chain() {
        // Strings whose bytes 0-1 equal bytes 14-15: with the words xor-combined before
        // hashing, all 4,096 hashed alike.
        let alphabet: Vec<char> = ('a'..='z').chain('A'..='Z').chain('0'..='9').collect();
        let texts: Vec<String> = alphabet
            .iter()
            .flat_map(|&a| alphabet.iter().map(move |&b| format!("{a}{b}/module/xy.p{a}{b}")))
            .take(4096)
            .collect();
        let mut table = ShortTable::new();
        for (code, text) in texts.iter().enumerate() {
            let key = Packed::of(text.as_bytes(), 0, text.len()).unwrap();
            let at = table.find(&key).expect("room within MAX_PROBES");
            table.insert(at, key, code as u32);
        }
        assert_eq!(table.filled, texts.len());
        let probes: usize = texts
            .iter()
            .map(|text| {
                let key = Packed::of(text.as_bytes(), 0, text.len()).unwrap();
                let start = (key.hash() >> table.shift) as usize;
                let at = table.find(&key).expect("found");
                1 + ((at + table.slots.len() - start) & (table.slots.len() - 1))
            })
            .sum();
        // Linear probing at half load averages 1.5 probes per hit.
        let mean = probes as f64 / texts.len() as f64;
        assert!(mean < 2.5, "{mean} probes per lookup");
    }

    #[test]
    fn codes_are_remembered_up_to_the_limit() {
        let mut asked = Vec::new();
        let mut codes = StringCodes::new(2);
        let long = "a path longer than thirty-two bytes.py";
        for text in ["api", "cli", "api", "batch", "batch", long, long, "cli"] {
            let code = codes.code(text, |t| {
                asked.push(t.to_owned());
                t.len() as u32
            });
            assert_eq!(code, text.len() as u32);
        }
        // "batch" came when two strings were remembered: looked up each time.
        assert_eq!(asked, ["api", "cli", "batch", "batch", long, long]);
    }
}
