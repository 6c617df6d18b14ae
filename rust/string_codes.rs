//! The codes of one slice's distinct strings, for plain (not dictionary-encoded) string
//! columns, where every row is a lookup of its string.
//!
//! A map keyed by strings hashes the bytes and then confirms a hit with `memcmp`, a library
//! call: together 45% of reading a 10M-row table of plain strings. A string of at most 32
//! bytes - nearly every context, agent, project and many file paths - is instead identified
//! by its length and four 8-byte words (`Packed`): read from where the string starts and
//! masked to its length by a table of masks, without a branch on the length (rows of
//! different lengths alternate at random). Its lookup hashes with two AES rounds per half where
//! the CPU has them (`aes`), else with two wide multiplies and one for the length, and
//! compares the key whole. The table (`ShortTable`) is an index of 2-byte entry numbers,
//! at most 1/16 full, over the entries themselves, stored densely: a few thousand strings'
//! lookups stay in the first-level cache, and a string is nearly always in its home slot,
//! so the hot loop (`ShortTable::code_run`) neither probes nor calls: a row that is not at
//! home ends the run and is coded out of line. `speed::code_all_speed`, a row of the
//! benchmark's 204 file paths: 5.8-6.2 ns by AES, 7.2-7.5 by multiplies (8.0 when every row
//! went through a function that could call out), 13.8 for the half-full table of whole
//! entries this replaced, 14-15 for a string-keyed FxHashMap; of its 6 agent names, 4.0-4.1 by
//! AES, 6.1 by multiplies. Longer strings use a string map. Each table keeps at most
//! `limit` strings: past that (values that hardly repeat) lookups that miss go straight to
//! `code_of`.

#[cfg(target_arch = "x86_64")]
mod aes;
mod views;

use arrow_array::{Array, GenericStringArray, OffsetSizeTrait};

use crate::seeded_map::SeededMap;

/// A string of at most 32 bytes: its bytes in four little-endian words, zero past its end,
/// and its length (which tells it from the same bytes followed by NULs).
#[derive(Clone, Copy, Debug)]
struct Packed {
    words: [u64; 4],
    len: u64,
}

const MAX_PACKED: usize = 32;

/// Per length 0..=32, the masks that keep each word's bytes of the string.
static MASKS: [[u64; 4]; MAX_PACKED + 1] = masks();

const fn masks() -> [[u64; 4]; MAX_PACKED + 1] {
    let mut masks = [[0u64; 4]; MAX_PACKED + 1];
    let mut len = 0;
    while len <= MAX_PACKED {
        let mut word = 0;
        while word < 4 {
            let kept_bytes = len.saturating_sub(8 * word);
            masks[len][word] = if kept_bytes >= 8 {
                u64::MAX
            } else {
                (1u64 << (kept_bytes * 8)) - 1
            };
            word += 1;
        }
        len += 1;
    }
    masks
}

/// The `i`th little-endian word of `bytes` (at least `8 * i + 8` long).
#[inline(always)]
fn word(bytes: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes"))
}

impl Packed {
    /// The string of `data[start..end]`, if at most 32 bytes long.
    #[inline(always)]
    fn of(data: &[u8], start: usize, end: usize) -> Option<Packed> {
        // The buffer's last strings, without 32 bytes after their start: copied.
        Packed::within(data, start, end).or_else(|| {
            let len = end - start;
            let mut padded = [0u8; MAX_PACKED];
            padded.get_mut(..len)?.copy_from_slice(&data[start..end]);
            Some(Packed {
                words: std::array::from_fn(|i| word(&padded, i)),
                len: len as u64,
            })
        })
    }

    /// `of` where 32 bytes are there from `start` (the rest belong to later strings):
    /// read and masked to the length, not branched on it.
    #[inline(always)]
    fn within(data: &[u8], start: usize, end: usize) -> Option<Packed> {
        let len = end.wrapping_sub(start);
        let mask = MASKS.get(len)?;
        let window = data.get(start..start.wrapping_add(MAX_PACKED))?;
        Some(Packed {
            words: std::array::from_fn(|i| word(window, i) & mask[i]),
            len: len as u64,
        })
    }

    /// Equality word by word: a derived (array) comparison loads the key as 16-byte vectors
    /// from the 8-byte stores that built it, which stalls store forwarding (a third of the
    /// lookup's time).
    #[inline(always)]
    fn same(&self, other: &Packed) -> bool {
        let [a, b, c, d] = self.words;
        let [e, f, g, h] = other.words;
        (a ^ e) | (b ^ f) | (c ^ g) | (d ^ h) | (self.len ^ other.len) == 0
    }

    /// Folded multiplies (foldhash's mixing step: the 128-bit product's halves xored) of
    /// the words in pairs, added: nonlinear in every word, so changes to two words of a
    /// pair do not cancel as they did when the words were xor-combined first (crafted
    /// columns then piled 4,096 strings on one probe chain), and the two multiplies run in
    /// parallel. (A third fold of the two results cost 1.5 ns a row and placed the
    /// benchmark's strings no better.) The words are first xored with `seeds`, drawn once
    /// per process: strings searched offline to collide (a hunter's 4,096 made reading a
    /// column 1.7-2.5x slower) cannot be found without them. The length is added on its
    /// own, times an odd multiplier drawn from the seeds: xored into the last word, as it
    /// was, it let strings collide whatever the seeds (the same first 24 bytes, then a
    /// last word and length with the same xor: eight such strings made one probe chain
    /// that no new seeds could break, `spread`'s retries included).
    #[inline(always)]
    fn hash(&self, seeds: &[u64; 4]) -> u64 {
        let fold = |x: u64, y: u64| {
            let product = u128::from(x) * u128::from(y);
            (product as u64) ^ ((product >> 64) as u64)
        };
        let [a, b, c, d] = self.words;
        let front = fold(a ^ seeds[0], b ^ seeds[1]);
        let back = fold(c ^ seeds[2], d ^ seeds[3]);
        let length = self.len.wrapping_mul(seeds[0].rotate_left(32) | 1);
        front.wrapping_add(back).wrapping_add(length)
    }
}

/// The process's hash seeds (see `Packed::hash`), from the standard library's random
/// hasher keys. (Where strings are placed never changes a code: codes follow the order in
/// which strings are first met.)
fn process_seeds() -> [u64; 4] {
    static SEEDS: std::sync::OnceLock<[u64; 4]> = std::sync::OnceLock::new();
    *SEEDS.get_or_init(|| {
        use std::hash::{BuildHasher, Hasher};
        let random = std::collections::hash_map::RandomState::new();
        std::array::from_fn(|i| {
            let mut hasher = random.build_hasher();
            hasher.write_usize(i);
            hasher.finish()
        })
    })
}

/// How a table hashes its keys: AES rounds where the CPU has them (`aes`), else the
/// folded multiplies of `Packed::hash`. Both are keyed by the table's seeds; a table's
/// keys all hash one way, chosen when it is made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hasher {
    Fold,
    /// Made only by `Hasher::aes`, where the CPU has AES and AVX2.
    #[cfg(target_arch = "x86_64")]
    Aes,
}

impl Hasher {
    fn best() -> Hasher {
        Hasher::aes().unwrap_or(Hasher::Fold)
    }

    /// The AES hasher, if this CPU can run it.
    fn aes() -> Option<Hasher> {
        #[cfg(target_arch = "x86_64")]
        if aes::available() {
            return Some(Hasher::Aes);
        }
        None
    }
}

/// Open addressing with linear probing over an index of entry numbers (0: a free slot,
/// n: `entries[n - 1]`), kept at most 1/16 full.
struct ShortTable {
    hasher: Hasher,
    seeds: [u64; 4],
    index: Vec<u16>,
    shift: u32,
    entries: Vec<(Packed, u32)>,
}

/// Slots looked at before a lookup gives up (a pile-up of colliding strings: the caller
/// asks `code_of` instead).
const MAX_PROBES: usize = 32;
const FIRST_SLOTS_LOG2: u32 = 6;
/// The index has at least 2^SPARSENESS_LOG2 slots per entry.
const SPARSENESS_LOG2: u32 = 4;
/// The entries an index of u16 numbers can name.
const MAX_ENTRIES: usize = u16::MAX as usize;

/// Where a lookup ended: the key's code, the free slot where it would go, or neither.
enum Found {
    Code(u32),
    FreeSlot(usize),
    PiledUp,
}

impl ShortTable {
    fn new(hasher: Hasher) -> Self {
        ShortTable {
            hasher,
            seeds: process_seeds(),
            index: vec![0; 1 << FIRST_SLOTS_LOG2],
            shift: 64 - FIRST_SLOTS_LOG2,
            entries: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    /// The slot where probing for `key` starts.
    #[inline(always)]
    fn home(&self, key: &Packed) -> usize {
        (self.hash(key) >> self.shift) as usize
    }

    #[inline(always)]
    fn hash(&self, key: &Packed) -> u64 {
        match self.hasher {
            Hasher::Fold => key.hash(&self.seeds),
            // SAFETY: `Hasher::Aes` is only made where the CPU has AES and AVX2.
            #[cfg(target_arch = "x86_64")]
            Hasher::Aes => unsafe { aes::hash(key, &self.seeds) },
        }
    }

    /// The code of `key` if it is in its home slot.
    #[cfg(test)]
    fn at_home(&self, key: &Packed) -> Option<u32> {
        self.code_in(self.home(key), key)
    }

    /// The code of `key` if it is the entry numbered in `slot`.
    #[inline(always)]
    fn code_in(&self, slot: usize, key: &Packed) -> Option<u32> {
        let number = self.index[slot] as usize;
        match self.entries.get(number.wrapping_sub(1)) {
            Some((found, code)) if found.same(key) => Some(*code),
            _ => None,
        }
    }

    /// Code the rows `from..` of a string column (its `offsets` into `data`) while each
    /// is `valid` and a short string in its home slot, which nearly every row is; the
    /// first row that is not, or `codes.len()`. The loop calls nothing, so its keys and
    /// seeds stay in registers (a call for the rare row would have them saved and
    /// reloaded around it on every row).
    #[inline(always)]
    fn code_run<O: OffsetSizeTrait>(
        &self,
        offsets: &[O],
        data: &[u8],
        codes: &mut [u32],
        from: usize,
        valid: impl Fn(usize) -> bool,
    ) -> usize {
        match self.hasher {
            Hasher::Fold => self.code_run_folded(offsets, data, codes, from, valid),
            // SAFETY: as in `home`.
            #[cfg(target_arch = "x86_64")]
            Hasher::Aes => unsafe { aes::code_run(self, offsets, data, codes, from, valid) },
        }
    }

    /// `code_run` by `Packed::hash`.
    fn code_run_folded<O: OffsetSizeTrait>(
        &self,
        offsets: &[O],
        data: &[u8],
        codes: &mut [u32],
        from: usize,
        valid: impl Fn(usize) -> bool,
    ) -> usize {
        let offsets = &offsets[..codes.len() + 1];
        for row in from..codes.len() {
            let (start, end) = (offsets[row].as_usize(), offsets[row + 1].as_usize());
            let Some(key) = Packed::within(data, start, end) else {
                return row;
            };
            if !valid(row) {
                return row;
            }
            let slot = (key.hash(&self.seeds) >> self.shift) as usize;
            let Some(code) = self.code_in(slot, &key) else {
                return row;
            };
            codes[row] = code;
        }
        codes.len()
    }

    /// The code of `key`, or where it would go.
    fn find(&self, key: &Packed) -> Found {
        let mask = self.index.len() - 1;
        let mut at = self.home(key);
        for _ in 0..MAX_PROBES {
            let number = self.index[at] as usize;
            let Some((found, code)) = self.entries.get(number.wrapping_sub(1)) else {
                return Found::FreeSlot(at);
            };
            if found.same(key) {
                return Found::Code(*code);
            }
            at = (at + 1) & mask;
        }
        Found::PiledUp
    }

    /// Put `key` (not in the table) in the free slot `at` that `find` gave.
    fn insert(&mut self, at: usize, key: Packed, code: u32) {
        debug_assert!(self.entries.len() < MAX_ENTRIES);
        self.entries.push((key, code));
        self.index[at] = self.entries.len() as u16;
        if self.entries.len() << SPARSENESS_LOG2 > self.index.len() {
            self.index = vec![0; self.index.len() * 2];
            self.shift -= 1;
            if !self.place_all() {
                self.spread();
            }
        } else if at != self.home(&key) {
            self.spread();
        }
    }

    /// Place every entry again (the index empty); whether each is in its home slot.
    fn place_all(&mut self) -> bool {
        self.index.fill(0);
        let mask = self.index.len() - 1;
        let mut all_home = true;
        for n in 0..self.entries.len() {
            // (A pile-up past MAX_PROBES is placed anyway: `find` stops looking for it,
            // and asks `code_of`, as for a key it never met.)
            let mut at = self.home(&self.entries[n].0);
            all_home &= self.index[at] == 0;
            while self.index[at] != 0 {
                at = (at + 1) & mask;
            }
            self.index[at] = n as u16 + 1;
        }
        all_home
    }

    /// A small table's strings each in its home slot, by new seeds (derived from the
    /// process's: as secret). A string out of its home slot leaves the hot loop for a probe
    /// and a mispredicted branch, and a slice's table is seeded alike in every slice of a
    /// process: in 5 of 8 processes reading the benchmark's plain 10M table, one of its
    /// columns of 4-6 names (contexts, agents, projects) took 186-286 ms to code instead of
    /// about 115 ms, and none did in 8 processes once the tables were re-seeded.
    /// A few tries suffice: n strings in 16n or more slots are all at home with odds about
    /// e^(-n/32), so at most `SPREAD_ENTRIES` strings are spread, at most `RESEEDS` times per
    /// insert (a rebuild costs a few nanoseconds per string). Larger tables keep their few
    /// displaced strings.
    fn spread(&mut self) {
        if self.entries.len() > SPREAD_ENTRIES {
            return;
        }
        for _ in 0..RESEEDS {
            self.seeds = self.seeds.map(|seed| {
                (seed ^ 0x9e37_79b9_7f4a_7c15)
                    .wrapping_mul(0xd6e8_feb8_6659_fd93)
                    .rotate_left(29)
            });
            if self.place_all() {
                return;
            }
        }
    }
}

/// See `ShortTable::spread`.
const SPREAD_ENTRIES: usize = 32;
const RESEEDS: usize = 8;

/// Strings of one slice -> codes (see the module docs).
pub struct StringCodes<'a> {
    short: ShortTable,
    long: SeededMap<&'a str, u32>,
    limit: usize,
}

impl<'a> StringCodes<'a> {
    pub fn new(limit: usize) -> Self {
        StringCodes::with_hasher(limit, Hasher::best())
    }

    fn with_hasher(limit: usize, hasher: Hasher) -> Self {
        StringCodes {
            short: ShortTable::new(hasher),
            long: SeededMap::default(),
            limit: limit.min(MAX_ENTRIES),
        }
    }

    /// Codes of every row of `strings` into `codes` (`missing` for nulls): each string's
    /// code remembered, or `code_of(string)`. Runs of rows found in their home slots are
    /// coded by `ShortTable::code_run`; each row that ends a run (null, long, new, or out
    /// of its home slot) here.
    pub fn code_all<O: OffsetSizeTrait>(
        &mut self,
        strings: &'a GenericStringArray<O>,
        codes: &mut [u32],
        missing: u32,
        mut code_of: impl FnMut(&str) -> u32,
    ) {
        assert_eq!(codes.len(), strings.len(), "one code per row");
        let (offsets, data) = (strings.value_offsets(), strings.value_data());
        let nulls = strings.nulls().filter(|n| n.null_count() > 0);
        let mut row = 0;
        while row < codes.len() {
            // (Without nulls, the run tests no bitmap.)
            row = match nulls {
                None => self.short.code_run(offsets, data, codes, row, |_| true),
                Some(nulls) => self.short.code_run(offsets, data, codes, row, |r| nulls.is_valid(r)),
            };
            let Some(code) = codes.get_mut(row) else {
                break;
            };
            *code = match nulls.is_some_and(|n| n.is_null(row)) {
                true => missing,
                false => {
                    let (start, end) = (offsets[row].as_usize(), offsets[row + 1].as_usize());
                    self.code_row_elsewhere(strings, row, data, start, end, &mut code_of)
                }
            };
            row += 1;
        }
    }

    /// The code of a string that is long, new, or out of its home slot.
    #[inline(never)]
    fn code_row_elsewhere<O: OffsetSizeTrait>(
        &mut self,
        strings: &'a GenericStringArray<O>,
        row: usize,
        data: &[u8],
        start: usize,
        end: usize,
        code_of: &mut impl FnMut(&str) -> u32,
    ) -> u32 {
        let Some(key) = Packed::of(data, start, end) else {
            return self.code(strings.value(row), code_of);
        };
        match self.short.find(&key) {
            Found::Code(code) => code,
            Found::FreeSlot(at) => {
                let code = code_of(strings.value(row));
                if self.short.len() < self.limit {
                    self.short.insert(at, key, code);
                }
                code
            }
            Found::PiledUp => code_of(strings.value(row)),
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

    /// Every hasher this CPU can run (on x86_64 CI machines, both).
    fn hashers() -> Vec<Hasher> {
        std::iter::once(Hasher::Fold).chain(Hasher::aes()).collect()
    }

    /// A table hashing by `hasher` under `seeds`.
    fn table(hasher: Hasher, seeds: [u64; 4]) -> ShortTable {
        ShortTable {
            seeds,
            ..ShortTable::new(hasher)
        }
    }

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
        for (hasher, limit) in hashers().into_iter().flat_map(|h| [(h, usize::MAX), (h, 3)]) {
            let mut codes = vec![0; rows.len()];
            StringCodes::with_hasher(limit, hasher).code_all(&small, &mut codes, u32::MAX, &mut code_of);
            assert_eq!(codes, expected, "utf8, {hasher:?}, limit {limit}");
            let mut codes = vec![0; rows.len()];
            StringCodes::with_hasher(limit, hasher).code_all(&large, &mut codes, u32::MAX, &mut code_of);
            assert_eq!(codes, expected, "large utf8, {hasher:?}, limit {limit}");
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
        for hasher in hashers() {
            assert_few_probes(ShortTable::new(hasher), &texts);
        }
    }

    fn assert_few_probes(mut table: ShortTable, texts: &[String]) {
        for (code, text) in texts.iter().enumerate() {
            let key = Packed::of(text.as_bytes(), 0, text.len()).unwrap();
            let Found::FreeSlot(at) = table.find(&key) else {
                panic!("{text:?}: no room within MAX_PROBES");
            };
            table.insert(at, key, code as u32);
        }
        assert_eq!(table.len(), texts.len());
        let mask = table.index.len() - 1;
        let probes: usize = texts
            .iter()
            .enumerate()
            .map(|(code, text)| {
                let key = Packed::of(text.as_bytes(), 0, text.len()).unwrap();
                assert!(
                    matches!(table.find(&key), Found::Code(c) if c == code as u32),
                    "{text:?}"
                );
                let home = table.home(&key);
                let at = (0..table.index.len())
                    .find(|&at| table.index[at] as usize == code + 1)
                    .expect("indexed");
                1 + ((at + table.index.len() - home) & mask)
            })
            .sum();
        // Linear probing at 1/16 load averages about 1.03 probes per hit.
        let mean = probes as f64 / texts.len() as f64;
        assert!(mean < 1.5, "{:?}: {mean} probes per lookup", table.hasher);
    }

    fn packed(text: &str) -> Packed {
        Packed::of(text.as_bytes(), 0, text.len()).unwrap()
    }

    fn insert_all(table: &mut ShortTable, keys: &[Packed]) {
        for (code, key) in keys.iter().enumerate() {
            let Found::FreeSlot(at) = table.find(key) else {
                panic!("{key:?} found before it was inserted");
            };
            table.insert(at, *key, code as u32);
        }
    }

    #[test]
    fn a_small_table_moves_a_string_sharing_a_home_slot_by_new_seeds() {
        let first_seeds = [1, 2, 3, 4];
        for hasher in hashers() {
            let mut table = table(hasher, first_seeds);
            let first = packed("agent-alpha");
            let second = (0..10_000)
                .map(|i| packed(&format!("agent-{i}")))
                .find(|key| table.home(key) == table.home(&first))
                .expect("some name shares the first's home slot among 10,000");
            insert_all(&mut table, &[first, second]);
            assert_ne!(table.seeds, first_seeds);
            assert_eq!(table.at_home(&first), Some(0), "{hasher:?}");
            assert_eq!(table.at_home(&second), Some(1), "{hasher:?}");
        }
    }

    #[test]
    fn strings_alike_but_for_their_last_word_and_length_hash_apart() {
        // Equal first 24 bytes, then one byte b = 0x40 ^ len and NULs up to len: with the
        // length xored into the last word, all eight hashed alike under any seeds.
        let prefix = "p".repeat(24);
        let texts: Vec<String> = (25..=32u8)
            .map(|len| {
                let mut text = prefix.clone();
                text.push(char::from(0x40 ^ len));
                text.extend(std::iter::repeat_n('\0', usize::from(len) - 25));
                text
            })
            .chain(["x".repeat(24), format!("{}\u{1}", "x".repeat(24))])
            .collect();
        for (hasher, base) in hashers().into_iter().flat_map(|h| (0..100u64).map(move |b| (h, b))) {
            let table = table(
                hasher,
                std::array::from_fn(|i| base.wrapping_mul(0x2545_f491_4f6c_dd1d).rotate_left(i as u32 * 16)),
            );
            let hashes: std::collections::HashSet<u64> = texts.iter().map(|t| table.hash(&packed(t))).collect();
            assert_eq!(hashes.len(), texts.len(), "{hasher:?}, seeds {base}");
        }
    }

    #[test]
    fn crafted_strings_do_not_share_hashes_whatever_the_seeds() {
        // A reviewer's family against an AES hash that ran one round on the first half
        // before xoring in the second: byte 0 takes x, bytes 16-19 (2c, c, c, 3c) in
        // GF(2^8), which cancels the round's change to column 0 whenever S(x ^ key) ^ c
        // agrees. All 8,192 then fell into 256 hashes under any seeds.
        let xtime = |c: u8| (c << 1) ^ if c & 0x80 != 0 { 0x1b } else { 0 };
        let texts: Vec<String> = (0u8..128)
            .flat_map(|x| (0u8..64).map(move |c| (x, c)))
            .map(|(x, c)| {
                let mut bytes = *b"_abcdefghijklmnoPQRSqrstuvwxyz01";
                bytes[0] = x;
                bytes[16..20].copy_from_slice(&[xtime(c), c, c, xtime(c) ^ c]);
                String::from_utf8(bytes.to_vec()).unwrap()
            })
            .collect();
        for (hasher, base) in hashers().into_iter().flat_map(|h| (0..5u64).map(move |b| (h, b))) {
            let table = table(
                hasher,
                std::array::from_fn(|i| base.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (i as u64) << 7),
            );
            let hashes: std::collections::HashSet<u64> = texts.iter().map(|t| table.hash(&packed(t))).collect();
            // 8,192 random 64-bit hashes are all distinct but with odds of about 2^-38.
            assert_eq!(hashes.len(), texts.len(), "{hasher:?}, seeds {base}");
        }
    }

    #[test]
    fn small_tables_end_with_every_string_at_home_whatever_the_seeds() {
        let names: Vec<Packed> = [
            "api",
            "batch",
            "cli",
            "scheduled",
            "webhook",
            "agent-alpha",
            "agent-beta",
            "x",
        ]
        .map(packed)
        .to_vec();
        for (hasher, n) in hashers().into_iter().flat_map(|h| [2, 4, 6, 8].map(|n| (h, n))) {
            for base in 0..2_000u64 {
                let seeds = std::array::from_fn(|i| base.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ i as u64);
                let mut table = table(hasher, seeds);
                insert_all(&mut table, &names[..n]);
                for (code, key) in names[..n].iter().enumerate() {
                    assert_eq!(
                        table.at_home(key),
                        Some(code as u32),
                        "{hasher:?}, {n} strings, seeds {base}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_string_and_it_followed_by_nul_are_told_apart_in_one_home_slot() {
        // Same bytes once masked, so only the length tells them apart.
        let (short, padded) = (packed("x"), packed("x\0"));
        // (A long last string: the others have 32 bytes after them, as the hot loop needs.)
        let last = "a string of forty bytes, for the others".to_owned() + ".";
        let array = StringArray::from(vec!["x", "x\0", "x", "x\0", &last]);
        for hasher in hashers() {
            let seeds = (0..100_000u64)
                .map(|base| std::array::from_fn(|i| base.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ i as u64))
                .find(|&seeds| {
                    let table = table(hasher, seeds);
                    table.home(&short) == table.home(&padded)
                })
                .expect("seeds that share a home slot among 100,000");
            let mut codes = StringCodes {
                short: table(hasher, seeds),
                ..StringCodes::with_hasher(usize::MAX, hasher)
            };
            let mut out = vec![0; 5];
            codes.code_all(&array, &mut out, u32::MAX, |text| text.len() as u32);
            assert_eq!(out, [1, 2, 1, 2, 40], "{hasher:?}");
        }
    }

    #[test]
    fn codes_stay_right_past_the_entries_an_index_can_name() {
        let texts: Vec<String> = (0..MAX_ENTRIES + 5_000).map(|i| format!("s{i}")).collect();
        let rows: Vec<&str> = texts.iter().chain(texts.iter().rev()).map(String::as_str).collect();
        let array = StringArray::from(rows.clone());
        let code_of = |text: &str| text[1..].parse::<u32>().unwrap();
        let expected: Vec<u32> = rows.iter().map(|text| code_of(text)).collect();
        for hasher in hashers() {
            let mut codes = vec![0; rows.len()];
            StringCodes::with_hasher(usize::MAX, hasher).code_all(&array, &mut codes, u32::MAX, code_of);
            assert!(codes == expected, "{hasher:?}");
        }
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

#[cfg(test)]
mod speed {
    use super::*;
    use crate::test_random::xorshift;
    use arrow_array::StringArray;
    use rustc_hash::FxHashMap;

    /// Not a test: the time `code_all` takes per row of a 10M-row column of the columnar
    /// benchmark's 204 file paths or 6 agent names (drawn uniformly), in 65,536-row slices
    /// as the Arrow reader codes them, by each hasher, against a string-keyed map
    /// (FxHashMap). Run with
    /// `cargo test --release --lib string_codes::speed -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn code_all_speed() {
        let ext = ["py", "py", "py", "rs", "ts", "md", "json", "toml"];
        let mut paths: Vec<String> = (0..200)
            .map(|i| format!("src/pkg{}/module_{i}.{}", i % 7, ext[i * 5 % 8]))
            .collect();
        paths.extend(["Makefile", ".env", "docs\\guide.md", "build/app.tar.gz"].map(String::from));
        let agents = [
            "agent-alpha",
            "agent-beta",
            "agent-gamma",
            "agent-delta",
            "agent-epsilon",
            "agent-zeta",
        ];
        let mut next = xorshift(1);
        let mut draw = |k: usize| (next() % k as u64) as usize;
        let (n, slice_rows) = (10_000_000, 65_536);
        let pools: [(&str, Vec<&str>); 2] = [
            ("paths", paths.iter().map(String::as_str).collect()),
            ("agents", agents.to_vec()),
        ];
        for (name, pool) in pools {
            let array = StringArray::from((0..n).map(|_| pool[draw(pool.len())]).collect::<Vec<_>>());
            let mut codes = vec![0u32; slice_rows];
            let hashers: Vec<Hasher> = std::iter::once(Hasher::Fold).chain(Hasher::aes()).collect();
            let mut best = vec![f64::MAX; hashers.len() + 1];
            for _ in 0..7 {
                for (variant, best) in best.iter_mut().enumerate() {
                    let started = std::time::Instant::now();
                    for start in (0..n).step_by(slice_rows) {
                        let slice = array.slice(start, slice_rows.min(n - start));
                        let codes = &mut codes[..slice.len()];
                        let mut names: Vec<String> = Vec::new();
                        let code_of = |text: &str| {
                            names.push(text.to_owned());
                            names.len() as u32 - 1
                        };
                        if let Some(&hasher) = hashers.get(variant) {
                            StringCodes::with_hasher(4096, hasher).code_all(&slice, codes, u32::MAX, code_of);
                        } else {
                            let mut map: FxHashMap<&str, u32> = FxHashMap::default();
                            let mut code_of = code_of;
                            for (code, text) in codes.iter_mut().zip(slice.iter().flatten()) {
                                *code = *map.entry(text).or_insert_with(|| code_of(text));
                            }
                        }
                        std::hint::black_box(&codes);
                    }
                    *best = best.min(started.elapsed().as_secs_f64());
                }
            }
            let ns = |b: f64| b * 1e9 / n as f64;
            for (hasher, best) in hashers.iter().zip(&best) {
                println!("{name}: code_all by {hasher:?} {:.2} ns/row", ns(*best));
            }
            println!("{name}: FxHashMap {:.2} ns/row (best of 7)", ns(best[hashers.len()]));
        }
    }
}
