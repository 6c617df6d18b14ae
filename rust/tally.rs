//! Counts per distinct string (context, agent, project, file type), mergeable by name.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::columns::{Dictionary, NO_FILE};
use crate::error::CoreError;
use crate::prefetch::prefetch;

/// Dictionaries with fewer names than this are counted in lanes (`Tally::add_column`), when
/// a call has at least `LANE_MIN_ROWS` rows (zeroing the 1 KB of lanes costs about as much
/// as that many rows; a batch adds about 100 rows per pattern and pass). The
/// lanes count in u32, so a call with 2^32 rows or more (none has: chunks are at most
/// 2^20) takes the row-by-row path.
const LANE_NAMES: usize = 64;
pub(crate) const LANE_MIN_ROWS: usize = 64;

/// Counts per distinct string, keyed by the accumulator's own dictionary so that states
/// built from different inputs merge by name. A tally lists only the names its rows have:
/// a batch's thousands of patterns share each chunk's dictionaries, and listing every name
/// of a dictionary of thousands in every pattern's tally took memory in their product
/// (4,000 patterns and as many agents: 1.6 GB).
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub(crate) names: Dictionary,
    counts: Vec<u64>,
    /// Made when the tally first counts codes (a chunk's or another tally's): a batch's
    /// accumulators hold four tallies each and a loaded state's tallies are mostly only
    /// read, so inline translations took 704 of an accumulator's 2,368 bytes.
    translations: Option<Box<Translations>>,
}

#[derive(Clone, Debug, Default)]
struct Translations {
    /// Codes of the last dictionary seen (by id) in the tally's codes, mapped as rows
    /// count them: a stream of chunks sharing one dictionary maps each name once, not once
    /// per chunk.
    current: Translation,
    /// The translation of the dictionary seen before it: readers that fill two chunk
    /// buffers in turn alternate between two dictionaries.
    previous: Translation,
}

/// A translation is a table by code (one load per row) when the dictionary has at most
/// this many names, or when the tally has mapped at least one in `DENSE_SHARE` of them;
/// otherwise a map holding only the codes mapped. Memory is so at most `2 * DENSE_SHARE`
/// table slots per name the tally lists, and a one-pattern reduction, which meets most
/// names of its dictionaries, keeps the table's speed.
const DENSE_CODES: usize = 64;
const DENSE_SHARE: usize = 8;
const UNMAPPED: u32 = u32::MAX;

/// Codes of one dictionary (`id`) in a tally's codes, for the codes counted so far.
#[derive(Clone, Debug, Default)]
pub struct Translation {
    id: u64,
    /// The dictionary's length when last followed.
    len: usize,
    /// Codes mapped so far.
    mapped: usize,
    /// Whether `dense` (`len` slots, UNMAPPED where none) holds the mapping, or `sparse`.
    is_dense: bool,
    dense: Vec<u32>,
    sparse: FxHashMap<u32, u32>,
}

impl Translation {
    /// Follow `dict` (the same dictionary, perhaps grown, or another: then start over).
    fn follow(&mut self, dict: &Dictionary) {
        if self.id != dict.id() {
            *self = Translation {
                id: dict.id(),
                dense: std::mem::take(&mut self.dense),
                sparse: std::mem::take(&mut self.sparse),
                ..Translation::default()
            };
            self.dense.clear();
            self.sparse.clear();
        }
        self.len = dict.len();
        self.choose_layout();
    }

    /// Switch between the table and the map when the rule (see `DENSE_CODES`) says so; a
    /// table turns back into a map only below half that share, so that a dictionary
    /// growing while its names are mapped does not flip the layout back and forth.
    fn choose_layout(&mut self) {
        let share = if self.is_dense { 2 * DENSE_SHARE } else { DENSE_SHARE };
        let dense = self.len <= DENSE_CODES || self.mapped * share >= self.len;
        if dense && !self.is_dense {
            self.dense.clear();
            self.dense.resize(self.len, UNMAPPED);
            for (&code, &mine) in &self.sparse {
                self.dense[code as usize] = mine;
            }
            self.sparse.clear();
        } else if !dense && self.is_dense {
            let mapped = self.dense.iter().enumerate().filter(|(_, &mine)| mine != UNMAPPED);
            self.sparse.extend(mapped.map(|(code, &mine)| (code as u32, mine)));
            self.dense.clear();
        } else if dense {
            self.dense.resize(self.len, UNMAPPED);
        }
        self.is_dense = dense;
    }

    /// The tally's code for the dictionary's `code`, if that code was counted.
    #[inline]
    pub(crate) fn get(&self, code: usize) -> Option<u32> {
        if self.is_dense {
            self.dense.get(code).copied().filter(|&mine| mine != UNMAPPED)
        } else {
            self.sparse.get(&(code as u32)).copied()
        }
    }

    /// Map `code` (not mapped yet) to `mine`.
    fn set(&mut self, code: usize, mine: u32) {
        if self.is_dense {
            self.dense[code] = mine;
        } else {
            self.sparse.insert(code as u32, mine);
        }
        self.mapped += 1;
        if !self.is_dense && self.mapped * DENSE_SHARE >= self.len {
            self.choose_layout();
        }
    }
}

impl Tally {
    /// Free the translations (rebuilt when rows are next counted).
    pub(crate) fn release_translations(&mut self) {
        self.translations = None;
    }

    #[cfg(test)]
    pub(crate) fn holds_translations(&self) -> bool {
        self.translations.is_some()
    }

    /// Follow `dict`'s codes (see `Translation`).
    fn translate(&mut self, dict: &Dictionary) {
        let translations = self.translations.get_or_insert_with(Box::default);
        if translations.current.id != dict.id() {
            let Translations { current, previous } = &mut **translations;
            std::mem::swap(current, previous);
        }
        translations.current.follow(dict);
    }

    /// The codes of the dictionary last followed (`translate`), if any was.
    pub(crate) fn translation(&self) -> Option<&Translation> {
        self.translations.as_ref().map(|t| &t.current)
    }

    /// Take the current translation out (leaving an empty one) to read it while this tally
    /// is borrowed otherwise; `restore_translation` puts it back.
    pub(crate) fn take_translation(&mut self) -> Translation {
        self.translations
            .as_mut()
            .map(|t| std::mem::take(&mut t.current))
            .unwrap_or_default()
    }

    /// Put back what `take_translation` took.
    pub(crate) fn restore_translation(&mut self, translation: Translation) {
        if let Some(translations) = self.translations.as_mut() {
            translations.current = translation;
        }
    }

    /// This tally's code for `dict`'s `code`, listing its name when first counted. Only
    /// after `translate(dict)`, which made the translations (the check costs a predicted
    /// branch and spares an `expect`).
    #[inline]
    fn mine(&mut self, dict: &Dictionary, code: usize) -> usize {
        let translations = self.translations.get_or_insert_with(Box::default);
        match translations.current.get(code) {
            Some(mine) => mine as usize,
            None => {
                let mine = self.names.code_shared(&dict.names()[code]);
                translations.current.set(code, mine);
                self.counts.resize(self.names.len(), 0);
                mine as usize
            }
        }
    }

    /// Count `rows` of a chunk's `codes` (of `dict`). Returns how many distinct codes the
    /// rows have, when the lanes tell it (few names, enough rows).
    pub(crate) fn add_column(
        &mut self,
        codes: &[u32],
        rows: impl Iterator<Item = usize>,
        dict: &Dictionary,
    ) -> Option<usize> {
        self.translate(dict);
        let (least, most) = rows.size_hint();
        let lanes_fit = most.is_some_and(|n| n <= u32::MAX as usize);
        if dict.len() < LANE_NAMES && least >= LANE_MIN_ROWS && lanes_fit {
            // Count by the chunk's own codes in four interleaved lanes, then translate each
            // code once: consecutive equal codes (skewed columns are full of them) do not
            // wait on each other's stores, and no row loads its translation.
            let mut lanes = [[0u32; LANE_NAMES]; 4];
            // NO_FILE (u32::MAX) lands in the last slot, which is never read.
            let slot = |code: u32| (code as usize).min(LANE_NAMES - 1);
            let mut rows = rows.map(|r| codes[r]);
            let [a, b, c, d] = &mut lanes;
            while let Some(code) = rows.next() {
                a[slot(code)] += 1;
                let Some(code) = rows.next() else { break };
                b[slot(code)] += 1;
                let Some(code) = rows.next() else { break };
                c[slot(code)] += 1;
                let Some(code) = rows.next() else { break };
                d[slot(code)] += 1;
            }
            let mut distinct = 0;
            for code in 0..dict.len() {
                let count = lanes.iter().map(|lane| u64::from(lane[code])).sum::<u64>();
                if count > 0 {
                    let mine = self.mine(dict, code);
                    self.counts[mine] += count;
                    distinct += 1;
                }
            }
            Some(distinct)
        } else {
            for code in rows.map(|r| codes[r]) {
                if code != NO_FILE {
                    let mine = self.mine(dict, code as usize);
                    self.counts[mine] += 1;
                }
            }
            None
        }
    }

    /// Ask for the lines of the counts and the translation (a hint).
    pub(crate) fn prefetch(&self) {
        prefetch(self.counts.as_ptr());
        if let Some(translations) = &self.translations {
            prefetch(translations.current.dense.as_ptr());
        }
    }

    /// Add `counts`: rows per code of `dict` (no longer than it).
    pub(crate) fn add_counts<C: Copy + Into<u64>>(&mut self, counts: &[C], dict: &Dictionary) {
        debug_assert!(counts.len() <= dict.len(), "counts of codes the dictionary lacks");
        self.translate(dict);
        for (code, &count) in counts.iter().enumerate().take(dict.len()) {
            let count: u64 = count.into();
            if count > 0 {
                let mine = self.mine(dict, code);
                self.counts[mine] += count;
            }
        }
    }

    pub(crate) fn merge(&mut self, other: &Tally) {
        self.merge_each(other, |_, _| {});
    }

    /// Add `other`'s counts by name, calling `each(their code, my code)` for every name it
    /// counts. Name by name, with no translation: another tally's dictionary is its own,
    /// met once (merging a Dask node's states made 40,000 translations per state).
    pub(crate) fn merge_each(&mut self, other: &Tally, mut each: impl FnMut(usize, usize)) {
        for (theirs, (name, &count)) in other.names.names().iter().zip(&other.counts).enumerate() {
            if count > 0 {
                let mine = self.names.code_shared(name) as usize;
                if mine >= self.counts.len() {
                    self.counts.resize(self.names.len(), 0);
                }
                self.counts[mine] += count;
                each(theirs, mine);
            }
        }
    }

    /// Values that occur, most frequent first, ties by name.
    pub(crate) fn ranked(&self) -> Vec<(Arc<str>, u64)> {
        let mut out: Vec<(Arc<str>, u64)> = self
            .names
            .names()
            .iter()
            .zip(&self.counts)
            .filter(|(_, &c)| c > 0)
            .map(|(n, &c)| (n.clone(), c))
            .collect();
        out.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }

    pub(crate) fn distinct(&self) -> u64 {
        self.counts.iter().filter(|&&c| c > 0).count() as u64
    }

    /// The stored form: names and their counts, in code order.
    pub fn parts(&self) -> (&[Arc<str>], &[u64]) {
        (self.names.names(), &self.counts)
    }

    /// Rebuild from stored parts (distinct names, by their indices in the state's table
    /// `loaded`, one count each).
    pub fn from_parts(names: &[u32], counts: Vec<u64>, loaded: &mut LoadedNames) -> Result<Tally, CoreError> {
        if names.len() != counts.len() {
            return Err(CoreError::InvalidInput(
                "corrupt state: names and counts differ in length".into(),
            ));
        }
        Ok(Tally {
            names: Dictionary::of_distinct(loaded.distinct(names)?),
            counts,
            ..Tally::default()
        })
    }

    pub fn total(&self) -> Option<u64> {
        self.counts.iter().try_fold(0u64, |a, &c| a.checked_add(c))
    }
}

/// The names of a state being loaded (its table: each stored once, shared by all its
/// tallies), and the check that no tally lists a name twice (by the tally that last
/// listed each name, so that no tally builds a table of its own).
#[derive(Default)]
pub struct LoadedNames {
    names: Vec<Arc<str>>,
    /// Per name: the number of the last tally that listed it (0: none).
    last_listed_by: Vec<u64>,
    tallies: u64,
}

impl LoadedNames {
    /// A state's table of names, or an error if it holds one twice.
    pub fn with_table(table: &[&str]) -> Result<LoadedNames, CoreError> {
        let mut seen = Dictionary::default();
        for (i, &name) in table.iter().enumerate() {
            if seen.code(name) as usize != i {
                return Err(CoreError::InvalidInput(format!(
                    "corrupt state: name {name:?} twice in the table"
                )));
            }
        }
        Ok(LoadedNames {
            last_listed_by: vec![0; table.len()],
            names: seen.names().to_vec(),
            tallies: 0,
        })
    }

    /// Whether every name of the table was listed by some tally.
    pub fn all_listed(&self) -> bool {
        self.last_listed_by.iter().all(|&tally| tally > 0)
    }

    /// One tally's names, shared, or an error if it lists one twice or one past the table.
    fn distinct(&mut self, list: &[u32]) -> Result<Vec<Arc<str>>, CoreError> {
        self.tallies += 1;
        let mut shared = Vec::with_capacity(list.len());
        for &code in list {
            let code = code as usize;
            let Some(last) = self.last_listed_by.get_mut(code) else {
                return Err(CoreError::InvalidInput(format!(
                    "corrupt state: name {code} past the table"
                )));
            };
            if *last == self.tallies {
                let name = &self.names[code];
                return Err(CoreError::InvalidInput(format!("corrupt state: name {name:?} twice")));
            }
            *last = self.tallies;
            shared.push(self.names[code].clone());
        }
        Ok(shared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Tally::from_parts` of the tally listing `names` (each in `loaded`'s table).
    fn by_name(names: &[&str], counts: Vec<u64>, loaded: &mut LoadedNames) -> Result<Tally, CoreError> {
        let index = |name: &&str| {
            loaded
                .names
                .iter()
                .position(|n| n.as_ref() == *name)
                .expect("in the table") as u32
        };
        let codes: Vec<u32> = names.iter().map(index).collect();
        Tally::from_parts(&codes, counts, loaded)
    }

    #[test]
    fn stored_tallies_with_a_repeated_name_are_errors() {
        let mut loaded = LoadedNames::with_table(&["a", "b", "c", "d"]).unwrap();
        assert!(by_name(&["a", "c"], vec![1, 1], &mut loaded).is_ok());
        // Names other tallies of the state listed are fine, twice in one tally are not.
        assert!(by_name(&["c", "a", "b"], vec![1, 1, 1], &mut loaded).is_ok());
        assert!(by_name(&["b", "d", "b"], vec![1, 1, 1], &mut loaded).is_err());
        assert!(by_name(&["c", "c"], vec![1, 1], &mut loaded).is_err());
        assert!(by_name(&["a"], vec![1, 1], &mut loaded).is_err());
        // An index past the table, and a table listing a name twice.
        assert!(Tally::from_parts(&[0u32, 4], vec![1, 1], &mut loaded).is_err());
        assert!(LoadedNames::with_table(&["a", "b", "a"]).is_err());
        assert!(LoadedNames::with_table(&[]).is_ok());
    }

    #[test]
    fn a_loaded_tally_is_looked_up_and_merged_by_name() {
        let mut loaded = LoadedNames::with_table(&["v", "w", "x", "y", "z"]).unwrap();
        let stored = by_name(&["x", "y", "z"], vec![1, 2, 3], &mut loaded).unwrap();
        let mut other = by_name(&["z", "w"], vec![10, 20], &mut loaded).unwrap();
        other.merge(&stored);
        other.merge(&stored);
        let mut ranked = other.ranked();
        ranked.sort();
        let expected: Vec<(Arc<str>, u64)> = [("w", 20), ("x", 2), ("y", 4), ("z", 16)]
            .iter()
            .map(|&(n, c)| (n.into(), c))
            .collect();
        assert_eq!(ranked, expected);
        // A third and a fourth dictionary, alternating with the first: each translation is
        // rebuilt in the buffer of an older one, which must not keep its stale codes.
        let third = by_name(&["y", "w", "x", "v"], vec![1, 1, 1, 1], &mut loaded).unwrap();
        let fourth = by_name(&["v"], vec![5], &mut loaded).unwrap();
        for source in [&third, &stored, &fourth, &third] {
            other.merge(source);
        }
        let mut ranked = other.ranked();
        ranked.sort();
        let expected: Vec<(Arc<str>, u64)> = [("v", 7), ("w", 22), ("x", 5), ("y", 8), ("z", 19)]
            .iter()
            .map(|&(n, c)| (n.into(), c))
            .collect();
        assert_eq!(ranked, expected);
        // Looked up (by a scan: a handful of names), codes stay those of the stored order.
        assert_eq!(other.names.code("z"), 0);
        assert_eq!(other.names.code("x"), 2);
        assert_eq!(other.names.code("new"), 5);
    }

    #[test]
    fn tallies_of_many_names_merge_by_name_both_ways() {
        // Past the dictionaries' scanning limit (16 names): loaded, merged and added to.
        let names: Vec<String> = (0..40).map(|i| format!("agent-{i:02}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut loaded = LoadedNames::with_table(&refs).unwrap();
        let wide = by_name(&refs[..30], (1..=30).collect(), &mut loaded).unwrap();
        let reversed: Vec<&str> = refs[10..].iter().rev().copied().collect();
        let narrow = by_name(&reversed, vec![100; 30], &mut loaded).unwrap();
        let expected = |name: &str| {
            let i: u64 = name[6..].parse().unwrap();
            (if i < 30 { i + 1 } else { 0 }) + if i >= 10 { 100 } else { 0 }
        };
        for (mut into, from) in [(wide.clone(), &narrow), (narrow.clone(), &wide)] {
            into.merge(from);
            let counts: Vec<(Arc<str>, u64)> = into.ranked();
            assert_eq!(counts.len(), 40);
            for (name, count) in &counts {
                assert_eq!(*count, expected(name), "{name}");
            }
        }
        // Rows counted through a chunk dictionary of 18 names, 10 of them new.
        let mut chunk = Dictionary::default();
        for name in &refs[22..] {
            chunk.code(name);
        }
        let mut tally = wide.clone();
        let codes: Vec<u32> = (0..chunk.len() as u32).collect();
        tally.add_column(&codes, 0..codes.len(), &chunk);
        let counts: std::collections::HashMap<String, u64> =
            tally.ranked().into_iter().map(|(n, c)| (n.to_string(), c)).collect();
        assert_eq!(counts.len(), 40);
        for (i, name) in names.iter().enumerate() {
            let stored = if i < 30 { i as u64 + 1 } else { 0 };
            assert_eq!(counts[name], stored + u64::from(i >= 22), "{name}");
        }
    }

    #[test]
    fn a_tally_lists_only_the_names_its_rows_have_as_a_dictionary_grows() {
        // One chunk dictionary growing from 10 names (translated by table) past 64 (by
        // map), and rows that use a few of its names at each size, then a second
        // dictionary, then the first again with most of its names (by table again): each
        // tally code maps to the right name, and no unused name is listed.
        let mut chunk = Dictionary::default();
        let mut tally = Tally::default();
        let mut expected: std::collections::HashMap<String, u64> = Default::default();
        let mut count = |tally: &mut Tally, chunk: &Dictionary, codes: Vec<u32>| {
            for &code in &codes {
                *expected.entry(chunk.names()[code as usize].to_string()).or_default() += 1;
            }
            tally.add_column(&codes, 0..codes.len(), chunk);
        };
        for size in [10usize, 64, 65, 200] {
            while chunk.len() < size {
                chunk.code(&format!("name-{}", chunk.len()));
            }
            let used = [size - 1, size / 2, 3];
            // 70 rows: the lane path while the dictionary is small, the row path after.
            let codes: Vec<u32> = (0..70).map(|i| used[i % 3] as u32).collect();
            count(&mut tally, &chunk, codes);
        }
        let mut other = Dictionary::default();
        for name in ["name-3", "elsewhere"] {
            other.code(name);
        }
        count(&mut tally, &other, vec![0, 1, 1]);
        count(&mut tally, &chunk, vec![199, 150]);
        assert!(!tally.translation().unwrap().is_dense, "a few of 200 names: a map");
        // Most names of the dictionary counted: the map turns into a table on the way.
        count(&mut tally, &chunk, (0..60).collect());
        assert!(tally.translation().unwrap().is_dense, "60 of 200 names: a table");
        count(&mut tally, &chunk, vec![199, 7, 120, 180]);
        let counts: std::collections::HashMap<String, u64> =
            tally.ranked().into_iter().map(|(n, c)| (n.to_string(), c)).collect();
        assert_eq!(counts, expected);
        assert_eq!(tally.parts().0.len(), expected.len(), "only counted names are listed");
        // Merged into an empty tally, by name, the same.
        let mut merged = Tally::default();
        merged.merge(&tally);
        assert_eq!(merged.ranked(), tally.ranked());
        assert_eq!(merged.parts().0.len(), expected.len());
    }
}
