//! The codes of one slice's distinct strings, for plain (not dictionary-encoded) string
//! columns, where every row is a lookup of its string.
//!
//! A map keyed by strings hashes the bytes and then confirms a hit with `memcmp`, a library
//! call: together 45% of reading a 10M-row table of plain strings. A string of at most 32
//! bytes - nearly every context, agent, project and many file paths - is instead identified
//! by its length and four 8-byte words (`Packed`): read from where the string starts and
//! masked to its length by a table of masks, without a branch on the length (rows of
//! different lengths alternate at random). Its lookup hashes with two wide multiplies and
//! one for the length, and compares five integers. The table (`ShortTable`) is an index of 2-byte entry numbers,
//! at most 1/16 full, over the entries themselves, stored densely: a few thousand strings'
//! lookups stay in the first-level cache, and a string is nearly always in its home slot,
//! so the hot loop does not branch into probing (`speed::code_all_speed`: 8.0 ns a row of
//! the benchmark's 204 file paths against 13.8 ns for the half-full table of whole entries
//! this replaced, and 14-15 ns for a string-keyed FxHashMap). Longer strings use a string
//! map. Each table keeps at most `limit` strings: past that (values that hardly repeat)
//! lookups that miss go straight to `code_of`.

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

impl Packed {
    /// The string of `data[start..end]`, if at most 32 bytes long.
    #[inline(always)]
    fn of(data: &[u8], start: usize, end: usize) -> Option<Packed> {
        let len = end - start;
        let mask = MASKS.get(len)?;
        let word = |bytes: &[u8], i: usize| u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().expect("8 bytes"));
        let words = match data.get(start..start + MAX_PACKED) {
            // 32 bytes are there (the rest belong to later strings): masked, not branched.
            Some(window) => std::array::from_fn(|i| word(window, i) & mask[i]),
            // The buffer's last strings: copied.
            None => {
                let mut padded = [0u8; MAX_PACKED];
                padded[..len].copy_from_slice(&data[start..end]);
                std::array::from_fn(|i| word(&padded, i))
            }
        };
        Some(Packed { words, len: len as u64 })
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

/// Open addressing with linear probing over an index of entry numbers (0: a free slot,
/// n: `entries[n - 1]`), kept at most 1/16 full.
struct ShortTable {
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
    fn new() -> Self {
        ShortTable {
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
        (key.hash(&self.seeds) >> self.shift) as usize
    }

    /// The code of `key` if it is in its home slot (nearly every lookup ends there).
    #[inline(always)]
    fn at_home(&self, key: &Packed) -> Option<u32> {
        let number = self.index[self.home(key)] as usize;
        match self.entries.get(number.wrapping_sub(1)) {
            Some((found, code)) if found.same(key) => Some(*code),
            _ => None,
        }
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
    long: FxHashMap<&'a str, u32>,
    limit: usize,
}

impl<'a> StringCodes<'a> {
    pub fn new(limit: usize) -> Self {
        StringCodes {
            short: ShortTable::new(),
            long: FxHashMap::default(),
            limit: limit.min(MAX_ENTRIES),
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
        let (offsets, data) = (strings.value_offsets(), strings.value_data());
        let rows = codes.iter_mut().zip(offsets.windows(2)).enumerate();
        // (Two loops: without nulls, the hot one has no bitmap to test.)
        match strings.nulls().filter(|n| n.null_count() > 0) {
            None => {
                for (row, (code, bounds)) in rows {
                    *code = self.code_row(strings, row, data, bounds, &mut code_of);
                }
            }
            Some(nulls) => {
                for (row, (code, bounds)) in rows {
                    *code = match nulls.is_null(row) {
                        true => missing,
                        false => self.code_row(strings, row, data, bounds, &mut code_of),
                    };
                }
            }
        }
    }

    /// The code of the string at `row` (`bounds`: its offsets): inline when it is a short
    /// string in its home slot, which nearly every row is.
    #[inline(always)]
    fn code_row<O: OffsetSizeTrait>(
        &mut self,
        strings: &'a GenericStringArray<O>,
        row: usize,
        data: &[u8],
        bounds: &[O],
        code_of: &mut impl FnMut(&str) -> u32,
    ) -> u32 {
        let (start, end) = (bounds[0].as_usize(), bounds[1].as_usize());
        if let Some(code) = Packed::of(data, start, end).and_then(|key| self.short.at_home(&key)) {
            return code;
        }
        self.code_row_elsewhere(strings, row, data, start, end, code_of)
    }

    /// `code_row` of a string that is long, new, or out of its home slot. (Out of line:
    /// the hot loop keeps its registers; the key is packed again, cheaply.)
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
        assert!(mean < 1.5, "{mean} probes per lookup");
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
        let mut table = ShortTable {
            seeds: first_seeds,
            ..ShortTable::new()
        };
        let first = packed("agent-alpha");
        let second = (0..10_000)
            .map(|i| packed(&format!("agent-{i}")))
            .find(|key| table.home(key) == table.home(&first))
            .expect("some name shares the first's home slot among 10,000");
        insert_all(&mut table, &[first, second]);
        assert_ne!(table.seeds, first_seeds);
        assert_eq!(table.at_home(&first), Some(0));
        assert_eq!(table.at_home(&second), Some(1));
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
        for base in 0..100u64 {
            let seeds = std::array::from_fn(|i| base.wrapping_mul(0x2545_f491_4f6c_dd1d).rotate_left(i as u32 * 16));
            let hashes: std::collections::HashSet<u64> = texts.iter().map(|t| packed(t).hash(&seeds)).collect();
            assert_eq!(hashes.len(), texts.len(), "seeds {base}");
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
        for n in [2, 4, 6, 8] {
            for base in 0..2_000u64 {
                let mut table = ShortTable {
                    seeds: std::array::from_fn(|i| base.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ i as u64),
                    ..ShortTable::new()
                };
                insert_all(&mut table, &names[..n]);
                for (code, key) in names[..n].iter().enumerate() {
                    assert_eq!(table.at_home(key), Some(code as u32), "{n} strings, seeds {base}");
                }
            }
        }
    }

    #[test]
    fn codes_stay_right_past_the_entries_an_index_can_name() {
        let texts: Vec<String> = (0..MAX_ENTRIES + 5_000).map(|i| format!("s{i}")).collect();
        let rows: Vec<&str> = texts.iter().chain(texts.iter().rev()).map(String::as_str).collect();
        let array = StringArray::from(rows.clone());
        let mut codes = vec![0; rows.len()];
        let code_of = |text: &str| text[1..].parse::<u32>().unwrap();
        StringCodes::new(usize::MAX).code_all(&array, &mut codes, u32::MAX, code_of);
        let expected: Vec<u32> = rows.iter().map(|text| code_of(text)).collect();
        assert!(codes == expected);
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
    use arrow_array::StringArray;

    /// Not a test: the time `code_all` takes per row of a 10M-row column of the columnar
    /// benchmark's 204 file paths or 6 agent names (drawn uniformly), in 65,536-row slices
    /// as the Arrow reader codes them, against a string-keyed map (FxHashMap). Run with
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
        let mut state: u64 = 1;
        let mut draw = |k: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % k as u64) as usize
        };
        let (n, slice_rows) = (10_000_000, 65_536);
        let pools: [(&str, Vec<&str>); 2] = [
            ("paths", paths.iter().map(String::as_str).collect()),
            ("agents", agents.to_vec()),
        ];
        for (name, pool) in pools {
            let array = StringArray::from((0..n).map(|_| pool[draw(pool.len())]).collect::<Vec<_>>());
            let mut codes = vec![0u32; slice_rows];
            let mut best = [f64::MAX; 2];
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
                        if variant == 0 {
                            StringCodes::new(4096).code_all(&slice, codes, u32::MAX, code_of);
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
            let [ours, map] = best.map(|b| b * 1e9 / n as f64);
            println!("{name}: code_all {ours:.2} ns/row, FxHashMap {map:.2} ns/row (best of 7)");
        }
    }
}
