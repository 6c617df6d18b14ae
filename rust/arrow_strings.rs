//! String columns of Arrow input: the four string fields (context, agent, project, file
//! path: coded into the chunk's dictionaries) and the pattern id (coded into the batch's
//! group index), in any of Arrow's string layouts, dictionary-encoded or not.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{
    AnyDictionaryArray, Array, ArrayRef, FixedSizeBinaryArray, GenericStringArray, OffsetSizeTrait, StringViewArray,
};
use arrow_buffer::ArrowNativeType;
use arrow_schema::DataType;

use crate::arrow_ingest::{
    all_null, field_name, floats, integers, per_integer_type, unsupported, Slice, AGENT as AGENT_FIELD, FILE_PATH,
    GROUP, SLICE_CACHE,
};
use crate::columns::{file_extension, Dictionary, NO_FILE, UNKNOWN};
use crate::error::CoreError;
use crate::group::{is_blank, GroupIndex, NO_GROUP};
use crate::string_codes::StringCodes;
use crate::wide::wide;

/// Whether every string of `col` lies inside its buffers: offsets that start at or above
/// zero, never decrease and end inside the data (utf8, large_utf8), views that point inside
/// the buffers they name (utf8_view). arrow-rs trusts data imported through the C data
/// interface, and pyarrow's cheap checks pass offsets that decrease, so a malformed array
/// would be read outside its buffers: it is refused instead. Other types pass (a
/// dictionary's values are checked on their own). One pass over the offsets or views.
///
/// What cannot be checked: the C data interface carries no buffer sizes. An imported
/// buffer's length is what the producer's offsets or length fields claim; only a claim no
/// buffer can meet (a negative one, cast to a huge length) is caught here.
pub(crate) fn check_strings(col: &dyn Array, field: usize) -> Result<(), CoreError> {
    fn real(len: usize) -> bool {
        len <= isize::MAX as usize
    }
    fn offsets_inside<O: OffsetSizeTrait>(strings: &GenericStringArray<O>) -> bool {
        // (`values().len()`, not `value_data()`: a slice of a length no buffer can have
        // would itself be undefined behaviour.)
        let (offsets, end) = (strings.value_offsets(), strings.values().len());
        let ends = offsets.first().zip(offsets.last());
        real(end)
            && ends.is_none_or(|(first, last)| first.to_usize().is_some() && last.to_usize().is_some_and(|l| l <= end))
            && offsets
                .windows(2)
                .fold(true, |rising, pair| rising & (pair[0] <= pair[1]))
    }
    fn views_inside(strings: &StringViewArray) -> bool {
        let buffers = strings.data_buffers();
        strings.views().iter().all(|&view| {
            // Bits 0-31: the length; longer than 12 bytes, the string is in buffer
            // (bits 64-95) at offset (bits 96-127).
            let len = view as u32 as usize;
            let (buffer, offset) = ((view >> 64) as u32 as usize, (view >> 96) as u32 as usize);
            let inside = |b: &arrow_buffer::Buffer| real(b.len()) && offset + len <= b.len();
            len <= 12 || buffers.get(buffer).is_some_and(inside)
        })
    }
    let inside = match col.data_type() {
        DataType::Utf8 => offsets_inside(col.as_string::<i32>()),
        DataType::LargeUtf8 => offsets_inside(col.as_string::<i64>()),
        DataType::Utf8View => views_inside(col.as_string_view()),
        _ => true,
    };
    if inside {
        return Ok(());
    }
    Err(CoreError::InvalidInput(format!(
        "column '{}' is malformed Arrow data: its string offsets or views do not fit its buffers",
        field_name(field)
    )))
}

/// `text`, once its bytes are checked to be UTF-8. arrow-rs hands out the strings of data
/// imported through the C data interface unchecked, and pyarrow's cheap checks skip the
/// bytes, but Rust's char functions (`trim`, `chars`) and Python's string conversion read
/// them as UTF-8: invalid bytes made the conversion fail inside PyO3 (a panic) or the
/// process crash. Callers check each distinct string where it is first coded or parsed,
/// before anything else reads it: a check of every row's bytes would cost as much as
/// pyarrow's full validation, more than the reduction.
pub(crate) fn utf8(text: &str, field: usize) -> Result<&str, CoreError> {
    match std::str::from_utf8(text.as_bytes()) {
        Ok(_) => Ok(text),
        Err(e) => Err(not_utf8(text.as_bytes(), e.valid_up_to(), field)),
    }
}

/// The error for a string whose bytes from `at` on are not UTF-8: its first bytes are
/// shown escaped, and where the invalid ones start.
#[cold]
fn not_utf8(bytes: &[u8], at: usize, field: usize) -> CoreError {
    const SHOWN: usize = 64;
    let more = if bytes.len() > SHOWN { "..." } else { "" };
    CoreError::InvalidInput(format!(
        "column '{}' is malformed Arrow data: the string b\"{}{more}\" is not valid UTF-8 (from byte {at})",
        field_name(field),
        bytes[..bytes.len().min(SHOWN)].escape_ascii()
    ))
}

/// Read access to any of Arrow's string layouts, dictionary-encoded or not.
pub(crate) enum StringColumn<'a> {
    Utf8(&'a arrow_array::StringArray),
    LargeUtf8(&'a arrow_array::LargeStringArray),
    View(&'a arrow_array::StringViewArray),
}

impl<'a> StringColumn<'a> {
    pub(crate) fn new(col: &'a dyn Array) -> Option<Self> {
        Some(match col.data_type() {
            DataType::Utf8 => StringColumn::Utf8(col.as_string::<i32>()),
            DataType::LargeUtf8 => StringColumn::LargeUtf8(col.as_string::<i64>()),
            DataType::Utf8View => StringColumn::View(col.as_string_view()),
            _ => return None,
        })
    }

    /// The string at `row`, None when null.
    pub(crate) fn get(&self, row: usize) -> Option<&'a str> {
        match self {
            StringColumn::Utf8(a) => a.is_valid(row).then(|| a.value(row)),
            StringColumn::LargeUtf8(a) => a.is_valid(row).then(|| a.value(row)),
            StringColumn::View(a) => a.is_valid(row).then(|| a.value(row)),
        }
    }
}

pub(crate) fn string_column(
    col: Option<&ArrayRef>,
    field: usize,
    dict: &mut Dictionary,
    codes: &mut [u32],
) -> Result<(), CoreError> {
    let (key, missing) = (key_of(field), missing_code(field, dict));
    let Some(col) = col.filter(|c| !all_null(c)) else {
        codes.fill(missing);
        return Ok(());
    };
    // Each distinct string is checked where it is first coded; the first failure is kept
    // (its rows coded missing meanwhile) and returned once the column is read.
    let mut failure = None;
    let mut code_of = |text: &str| match utf8(text, field) {
        Ok(text) => dict.code(key(text)),
        Err(e) => {
            failure.get_or_insert(e);
            missing
        }
    };
    let expected = "strings (utf8, large_utf8, utf8_view or a dictionary of those)";
    match col.data_type() {
        DataType::Null => codes.fill(missing),
        DataType::Dictionary(_, _) => {
            let any = col.as_any_dictionary();
            let values = StringColumn::new(any.values().as_ref())
                .ok_or_else(|| unsupported(field, col.data_type(), expected))?;
            // Each distinct dictionary value is encoded once, not once per row.
            let translation: Vec<u32> = (0..any.values().len())
                .map(|i| values.get(i).map_or(missing, &mut code_of))
                .collect();
            // (A key to a null value is coded missing by the translation: only null keys
            // need a test per row, and a validity buffer without nulls is none.)
            let null_keys = any.keys().logical_nulls().filter(|n| n.null_count() > 0);
            let beyond = match null_keys {
                // The common case: a load, a clamp and a store per row, no branch. The
                // table's last slot (the length of the values) stands for every key past
                // them, and a row that lands there is noted, not tested for.
                None => {
                    let mut table = translation;
                    table.push(missing);
                    macro_rules! typed {
                        ($t:ty) => {
                            translate_keys(any.keys().as_primitive::<$t>().values(), &table, codes)
                        };
                    }
                    per_integer_type!(any.keys().data_type(), typed, {
                        translate_keys(&any.normalized_keys(), &table, codes)
                    })
                }
                Some(nulls) => {
                    let mut beyond = false;
                    for_each_key(any, |row, k| {
                        codes[row] = match translation.get(k) {
                            _ if nulls.is_null(row) => missing,
                            Some(&code) => code,
                            None => {
                                beyond = true;
                                missing
                            }
                        };
                    });
                    beyond
                }
            };
            if beyond {
                return Err(key_out_of_range(any, field));
            }
        }
        // Values repeat: each distinct value of the slice is coded once (a path is split
        // into its extension then), later rows cost one lookup (`StringCodes`).
        DataType::Utf8 => StringCodes::new(SLICE_CACHE).code_all(col.as_string::<i32>(), codes, missing, code_of),
        DataType::LargeUtf8 => StringCodes::new(SLICE_CACHE).code_all(col.as_string::<i64>(), codes, missing, code_of),
        DataType::Utf8View => StringCodes::new(SLICE_CACHE).code_views(col.as_string_view(), codes, missing, code_of),
        dt => {
            let strings = StringColumn::new(col).ok_or_else(|| unsupported(field, dt, expected))?;
            let mut seen = StringCodes::new(SLICE_CACHE);
            for (row, code) in codes.iter_mut().enumerate() {
                *code = match strings.get(row) {
                    None => missing,
                    Some(text) => seen.code(text, &mut code_of),
                };
            }
        }
    }
    failure.map_or(Ok(()), Err)
}

/// What a string field counts by: a file path its extension, the others their text.
fn key_of(field: usize) -> fn(&str) -> &str {
    if field == FILE_PATH {
        file_extension
    } else {
        |text| text
    }
}

/// The code of a missing value: categories are "unknown"; a missing file path is not
/// counted.
fn missing_code(field: usize, dict: &mut Dictionary) -> u32 {
    if field == FILE_PATH {
        NO_FILE
    } else {
        dict.code(UNKNOWN)
    }
}

/// A dictionary column is counted by key (`count_column`) when its values are at most this
/// many, or at most one per `ROWS_PER_COUNTED_VALUE` rows of the slice: each value is coded
/// once per slice (a hash and, for file paths, an extension), so a dictionary much smaller
/// than the slice costs less counted than coded row by row. (The file paths of a service's
/// logs run to hundreds; coded, they were about a tenth of a one-pattern call's CPU.)
const COUNTED_VALUES: usize = 64;
const ROWS_PER_COUNTED_VALUE: usize = 16;

/// Whether a dictionary of `values` strings over `rows` keys is counted by key.
fn counted_by_key(values: usize, rows: usize) -> bool {
    values <= COUNTED_VALUES.max(rows / ROWS_PER_COUNTED_VALUE)
}

/// The rows per `dict` code of a string column whose codes nobody reads (a one-pattern
/// reduction only counts them), or `None` when the column is not a dictionary of strings
/// without null keys small enough to count (`counted_by_key`): then `string_column` codes
/// it (and reports a bad type). The counts are those of `string_column`'s codes: keys are
/// counted in four interleaved lanes, then each Arrow value is coded once. A key out of
/// range is an error, as there.
pub(crate) fn count_column(
    col: Option<&ArrayRef>,
    field: usize,
    dict: &mut Dictionary,
) -> Result<Option<Vec<u64>>, CoreError> {
    let Some(col) = col.filter(|c| matches!(c.data_type(), DataType::Dictionary(..))) else {
        return Ok(None);
    };
    let any = col.as_any_dictionary();
    let (n, Some(values)) = (any.values().len(), StringColumn::new(any.values().as_ref())) else {
        return Ok(None);
    };
    if any.keys().null_count() > 0 || !counted_by_key(n, any.len()) {
        return Ok(None);
    }
    let rows = count_keys(any, n);
    if rows[n] > 0 {
        return Err(key_out_of_range(any, field));
    }
    let codes = value_codes(&values, n, field, dict)?;
    let mut counts = vec![0u64; dict.len()];
    for (slot, code) in codes.into_iter().enumerate() {
        if code != NO_FILE {
            counts[code as usize] += rows[slot];
        }
    }
    Ok(Some(counts))
}

/// The rows of each key `0..n` of a dictionary array without null keys, and in slot `n`
/// those of every key past the values (or negative). Four rows at a time into four lanes
/// of counts, so that runs of equal keys do not wait on each other's increment; a tiny
/// dictionary's (`count_tiny`) value by value.
fn count_keys(dict: &dyn AnyDictionaryArray, n: usize) -> Vec<u64> {
    if n <= TINY_DICTIONARY {
        macro_rules! tiny {
            ($t:ty) => {
                return count_tiny(dict.keys().as_primitive::<$t>().values(), n)
            };
        }
        per_integer_type!(dict.keys().data_type(), tiny, {});
    }
    let width = n + 1;
    let mut lanes = vec![0u32; 4 * width];
    macro_rules! typed {
        ($t:ty) => {
            count_lanes(dict.keys().as_primitive::<$t>().values(), n, &mut lanes)
        };
    }
    per_integer_type!(dict.keys().data_type(), typed, {
        count_lanes(&dict.normalized_keys(), n, &mut lanes)
    });
    (0..width)
        .map(|slot| (0..4).map(|lane| u64::from(lanes[lane * width + slot])).sum())
        .collect()
}

/// `codes[row] = table[keys[row]]`, where the table's last slot stands for every key past
/// the values (or negative); returns whether any row landed there. A load, a clamp and a
/// store per row, no branch.
///
/// When the table counts up from its first code (the dictionary's values coded in key
/// order after the codes the chunk's dictionary had: its "unknown" first, then these
/// values on their first slice and every later slice of the same values), a code is its
/// key plus the first: no table load.
fn translate_keys<K: KeyIndex>(keys: &[K], table: &[u32], codes: &mut [u32]) -> bool {
    debug_assert_eq!(codes.len(), keys.len(), "a code per key");
    let past = table.len() - 1;
    let mut beyond = false;
    let base = table[0];
    let counts_up = (0..past).all(|i| u64::from(table[i]) == u64::from(base) + i as u64);
    if past > 0 && counts_up {
        for (code, &k) in codes.iter_mut().zip(keys) {
            let k = k.index();
            beyond |= k >= past;
            *code = base.wrapping_add(k as u32);
        }
        return beyond;
    }
    for (code, &k) in codes.iter_mut().zip(keys) {
        let k = k.index().min(past);
        beyond |= k == past;
        *code = table[k];
    }
    beyond
}

/// Each row's group by its dictionary key: `translation` holds each key's group so far
/// (NO_GROUP until the key's first row; its last slot stands for every key past the
/// values), and `first_use(translation, row, key)` is called for a row whose key has no
/// group yet, in row order (so that patterns are numbered as rows first use them): a
/// value's first row, and every row of a key past the values or of a value that names
/// no pattern (null or blank), which stay without one.
fn group_codes<K: KeyIndex>(
    keys: &[K],
    translation: &mut [u32],
    group: &mut [u32],
    first_use: &mut impl FnMut(&mut [u32], usize, usize) -> u32,
) {
    let past = translation.len() - 1;
    for (row, (g, &k)) in group.iter_mut().zip(keys).enumerate() {
        let k = k.index().min(past);
        let mut code = translation[k];
        if code == NO_GROUP {
            code = first_use(translation, row, k);
        }
        *g = code; // (an unnamed row has no group)
    }
}

/// A dictionary key as an index: a negative key as a huge one (past any dictionary),
/// without a branch.
trait KeyIndex: Copy {
    fn index(self) -> usize;
}

macro_rules! key_index {
    ($wide:ty => $($t:ty),*) => {$(
        impl KeyIndex for $t {
            #[inline]
            fn index(self) -> usize {
                // (Sign-extended, then read unsigned: -1 is u64::MAX. usize is 64 bits.)
                self as $wide as u64 as usize
            }
        }
    )*};
}
const _: () = assert!(usize::BITS == 64, "keys are read as 64-bit indexes");
key_index!(i64 => i8, i16, i32, i64);
key_index!(u64 => u8, u16, u32, u64, usize);

/// Dictionaries of at most this many values (enum-like columns: context types, projects,
/// a handful of agents) are counted by `count_tiny`.
const TINY_DICTIONARY: usize = 6;
/// Keys per block of `count_tiny`'s passes (16 KB of 32-bit keys, the usual type: a
/// block stays in the L1 cache through its passes).
const TINY_BLOCK: usize = 4096;

/// `count_keys` of a tiny dictionary: one branch-free pass over the keys per value, each
/// key compared as it is, which the compiler vectorizes (eight 32-bit keys an instruction
/// with AVX2: `wide`), where the lanes take a clamp, a load and a store per key (4.75
/// instructions a key, 19 of a 10M-record call's 118 a record over its four string
/// columns). The keys of no value (past the values, or negative) are the rest.
fn count_tiny<K: ArrowNativeType>(keys: &[K], n: usize) -> Vec<u64> {
    debug_assert!(n <= TINY_DICTIONARY);
    let mut counts = vec![0u64; n + 1];
    wide(|| {
        // Blocks that stay in the L1 cache through their passes (and short enough for u32
        // sums, which vectorize).
        for block in keys.chunks(TINY_BLOCK) {
            for (value, count) in counts[..n].iter_mut().enumerate() {
                let value = K::from_usize(value).expect("a tiny dictionary's values fit any key type");
                *count += u64::from(block.iter().map(|&k| u32::from(k == value)).sum::<u32>());
            }
        }
    });
    counts[n] = keys.len() as u64 - counts[..n].iter().sum::<u64>();
    counts
}

/// `count_keys`' loop over one key type: `lanes` holds four lanes of `n + 1` counts.
fn count_lanes<K: KeyIndex>(keys: &[K], n: usize, lanes: &mut [u32]) {
    let slot = |k: K| k.index().min(n);
    let (a, rest) = lanes.split_at_mut(n + 1);
    let (b, rest) = rest.split_at_mut(n + 1);
    let (c, d) = rest.split_at_mut(n + 1);
    let quads = keys.chunks_exact(4);
    for &k in quads.remainder() {
        a[slot(k)] += 1;
    }
    for q in quads {
        a[slot(q[0])] += 1;
        b[slot(q[1])] += 1;
        c[slot(q[2])] += 1;
        d[slot(q[3])] += 1;
    }
}

/// The `dict` code of each of the `n` values of a small dictionary (`count_column`), as
/// `string_column` codes its rows.
fn value_codes(
    values: &StringColumn<'_>,
    n: usize,
    field: usize,
    dict: &mut Dictionary,
) -> Result<Vec<u32>, CoreError> {
    let (key, missing) = (key_of(field), missing_code(field, dict));
    (0..n)
        .map(|i| match values.get(i) {
            None => Ok(missing),
            Some(v) => utf8(v, field).map(|v| dict.code(key(v))),
        })
        .collect()
}

/// Each `dict` code's earliest and latest instant, (i64::MAX, i64::MIN) for a code no row
/// has, among the rows of an agent column `count_column` counted into `counts` (per code):
/// the spans the trend family reads (who was active when), found by key so that no row is
/// coded. `ts` are the rows' timestamps, every row valid. Rows in time order (as logs
/// usually come) are scanned in from both ends until every agent present is met; others
/// take a min and a max per row.
pub(crate) fn agent_spans(
    col: &ArrayRef,
    dict: &mut Dictionary,
    counts: &[u64],
    ts: &[i64],
) -> Result<Vec<(i64, i64)>, CoreError> {
    let any = col.as_any_dictionary();
    debug_assert!(any.keys().null_count() == 0 && ts.len() == any.len());
    let values = StringColumn::new(any.values().as_ref())
        .ok_or_else(|| CoreError::Internal("counted agents that are no dictionary of strings".into()))?;
    // Each key's code, as `count_column` gave it (every value is listed already).
    let codes = value_codes(&values, any.values().len(), AGENT_FIELD, dict)?;
    let mut spans = vec![(i64::MAX, i64::MIN); dict.len()];
    if ts.is_sorted() {
        let present = counts.iter().filter(|&&n| n > 0).count();
        let mut scan = |rows: &mut dyn Iterator<Item = usize>, end: fn(&mut (i64, i64)) -> &mut i64, unset: i64| {
            let mut left = present;
            for row in rows {
                let at = end(&mut spans[codes[key_at(any, row)] as usize]);
                if *at == unset {
                    *at = ts[row];
                    left -= 1;
                    if left == 0 {
                        break;
                    }
                }
            }
        };
        scan(&mut (0..ts.len()), |span| &mut span.0, i64::MAX);
        scan(&mut (0..ts.len()).rev(), |span| &mut span.1, i64::MIN);
    } else {
        for_each_key(any, |row, k| {
            let span = &mut spans[codes[k] as usize];
            span.0 = span.0.min(ts[row]);
            span.1 = span.1.max(ts[row]);
        });
    }
    Ok(spans)
}

/// The error for a dictionary key that indexes no value. arrow-rs does not check the keys
/// of data imported through the C data interface; such data is malformed, and is refused
/// rather than read as missing values.
#[cold]
pub(crate) fn key_out_of_range(dict: &dyn AnyDictionaryArray, field: usize) -> CoreError {
    let n = dict.values().len();
    let nulls = dict.keys().logical_nulls();
    // (u64 keys as they are: `integers` caps them at i64::MAX.)
    let keys: Option<Vec<i128>> = match dict.keys().as_primitive_opt::<UInt64Type>() {
        Some(keys) => Some(keys.values().iter().map(|&k| i128::from(k)).collect()),
        None => integers(dict.keys()).map(|keys| keys.into_iter().map(i128::from).collect()),
    };
    let key = keys.and_then(|keys| {
        let valid = |row: &usize| nulls.as_ref().is_none_or(|nulls| nulls.is_valid(*row));
        (0..keys.len())
            .filter(valid)
            .map(|row| keys[row])
            .find(|&k| k < 0 || k >= n as i128)
    });
    let key = key.map_or_else(|| "a key".to_owned(), |k| format!("key {k}"));
    CoreError::InvalidInput(format!(
        "column '{}' is malformed Arrow data: dictionary {key} is out of range (the dictionary's length is {n})",
        field_name(field)
    ))
}

/// Call `f(row, key)` for every key of a dictionary array, whatever its key type, without
/// materialising the keys (null keys yield whatever their slot holds; callers check nulls).
/// A negative key is a huge one, past any dictionary (`KeyIndex`).
pub(crate) fn for_each_key(dict: &dyn AnyDictionaryArray, mut f: impl FnMut(usize, usize)) {
    macro_rules! keys {
        ($t:ty) => {
            for (row, &k) in dict.keys().as_primitive::<$t>().values().iter().enumerate() {
                f(row, k.index());
            }
        };
    }
    per_integer_type!(dict.keys().data_type(), keys, {
        for (row, k) in dict.normalized_keys().into_iter().enumerate() {
            f(row, k);
        }
    })
}

/// The key at `row` of a dictionary array, whatever its key type (as `for_each_key` gives
/// it: a null key yields whatever its slot holds). One row's key without reading the others:
/// error samples are described one row at a time, up to a few per pattern, and a walk over
/// the keys for each made a batch with bad dictionary-encoded values quadratic.
pub(crate) fn key_at(dict: &dyn AnyDictionaryArray, row: usize) -> usize {
    macro_rules! key {
        ($t:ty) => {
            dict.keys().as_primitive::<$t>().value(row).index()
        };
    }
    per_integer_type!(dict.keys().data_type(), key, dict.normalized_keys()[row])
}

// -- error samples ------------------------------------------------------------------------

/// The values of a dictionary-encoded pattern id column.
enum DictionaryIds<'a> {
    Texts(StringColumn<'a>),
    /// None where the value is null or beyond i64 (no id the list path reads), or, of
    /// float values, NaN or no whole number (`float_ids`).
    Ints(Vec<Option<i64>>),
    /// 16-byte UUIDs: a pandas categorical of `uuid.UUID`s exports its categories as
    /// Arrow's `arrow.uuid` extension type, imported as its storage, as a plain column of
    /// them is (read as UUIDs there too).
    Uuids(&'a FixedSizeBinaryArray),
    /// Values all missing (Arrow's `null` type: `dictionary_encode()` of a column of
    /// nulls, a pandas categorical without categories): no row names a pattern, as in a
    /// plain column of nulls.
    Nulls,
}

impl DictionaryIds<'_> {
    /// The pattern of value `k` (None: no id).
    fn code(&self, k: usize, index: &mut GroupIndex) -> Result<Option<u32>, CoreError> {
        Ok(match self {
            DictionaryIds::Texts(texts) => match texts.get(k).map(|text| utf8(text, GROUP)).transpose()? {
                Some(text) if !is_blank(text) => Some(index.code_text(text)),
                _ => None, // a null or blank id: no pattern
            },
            DictionaryIds::Ints(ints) => ints.get(k).copied().flatten().map(|n| index.code_int(n)),
            DictionaryIds::Uuids(ids) => (k < ids.len() && ids.is_valid(k)).then(|| {
                let bytes: [u8; 16] = ids.value(k).try_into().expect("width 16");
                index.code_uuid(bytes)
            }),
            DictionaryIds::Nulls => None,
        })
    }
}

/// An integer column as ids: None for a null or a u64 beyond i64.
fn int_ids(values: &dyn Array) -> Vec<Option<i64>> {
    let nulls = values.logical_nulls();
    let valid = |i: usize| nulls.as_ref().is_none_or(|n| n.is_valid(i));
    if let Some(unsigned) = values.as_primitive_opt::<UInt64Type>() {
        let ids = unsigned.values().iter().enumerate();
        return ids.map(|(i, &v)| i64::try_from(v).ok().filter(|_| valid(i))).collect();
    }
    let ints = integers(values).unwrap_or_default();
    ints.into_iter()
        .enumerate()
        .map(|(i, v)| valid(i).then_some(v))
        .collect()
}

/// A float column as ids, each value as `group_column` reads a plain column of them
/// (`whole_id`): None for a null, NaN or a float that is no whole number within i64. A
/// dictionary of floats (`dictionary_encode()` of a float column) was refused whole ("has
/// Arrow type Dictionary(Int32, Float64)") where its plain column is read row by row.
fn float_ids(values: &ArrayRef) -> Vec<Option<i64>> {
    let nulls = values.logical_nulls();
    let valid = |i: usize| nulls.as_ref().is_none_or(|n| n.is_valid(i));
    let floats = floats(values).unwrap_or_default();
    floats
        .into_iter()
        .enumerate()
        .map(|(i, x)| whole_id(x).filter(|_| valid(i)))
        .collect()
}

/// The codes of integer ids (`valid` rows only), numbered by first use. Ids spanning at
/// most as many values as there are rows (a batch's ids are usually small consecutive
/// numbers) are coded through a table indexed by id - lowest, one hash lookup per
/// distinct id; others take a lookup per row (with 10,000 patterns, 47 of the 775
/// instructions a row of a Dask partition's state cost in `_core`).
fn code_ints(ints: &[i64], valid: impl Fn(usize) -> bool, index: &mut GroupIndex, codes: &mut [u32]) {
    let (lowest, highest) = ints
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &n| (lo.min(n), hi.max(n)));
    let span = i128::from(highest) - i128::from(lowest) + 1;
    if ints.is_empty() || span > ints.len() as i128 {
        for (row, &n) in ints.iter().enumerate() {
            if valid(row) {
                codes[row] = index.code_int(n);
            }
        }
        return;
    }
    let mut table = vec![NO_GROUP; span as usize];
    for (row, &n) in ints.iter().enumerate() {
        if valid(row) {
            // (lowest <= n <= highest, so the difference is below `span`.)
            let slot = &mut table[n.wrapping_sub(lowest) as u64 as usize];
            if *slot == NO_GROUP {
                *slot = index.code_int(n);
            }
            codes[row] = *slot;
        }
    }
}

/// The int id a float id stands for: a whole number within i64 (None: NaN, infinite,
/// fractional or beyond i64).
pub(crate) fn whole_id(x: f64) -> Option<i64> {
    // (2^63 is exact as a double: the range is [-2^63, 2^63).)
    const BOUND: f64 = 9_223_372_036_854_775_808.0;
    (x.fract() == 0.0 && (-BOUND..BOUND).contains(&x)).then_some(x as i64)
}

pub(crate) fn group_column(col: &ArrayRef, index: &mut GroupIndex, s: &mut Slice) -> Result<(), CoreError> {
    let expected = "strings, integers or 16-byte UUIDs";
    // Rows without a valid id keep NO_GROUP (and are marked invalid).
    // (Refilled in place: a fresh vector per slice was 4 MB of new pages each time.)
    s.group.clear();
    s.group.resize(col.len(), NO_GROUP);
    match col.data_type() {
        DataType::FixedSizeBinary(16) => {
            let ids = col.as_fixed_size_binary();
            for row in 0..col.len() {
                if ids.is_valid(row) {
                    let bytes: [u8; 16] = ids.value(row).try_into().expect("width 16");
                    s.group[row] = index.code_uuid(bytes);
                }
            }
        }
        dt if dt.is_integer() => {
            let nulls = col.logical_nulls();
            // A null's slot holds a placeholder, not an id (the row is marked below).
            let valid = |row: usize| nulls.as_ref().is_none_or(|nulls| nulls.is_valid(row));
            if let Some(unsigned) = col.as_primitive_opt::<UInt64Type>() {
                // Ids are i64 (as the list path reads ints): a larger one is an invalid
                // record, not the id i64::MAX (`integers` would cap it there).
                for (row, &n) in unsigned.values().iter().enumerate() {
                    match i64::try_from(n) {
                        Ok(n) if valid(row) => s.group[row] = index.code_int(n),
                        Ok(_) => {}
                        Err(_) => s.mark(row, GROUP),
                    }
                }
            } else {
                let ints = integers(col).ok_or_else(|| unsupported(GROUP, dt, expected))?;
                code_ints(&ints, valid, index, &mut s.group);
            }
        }
        dt if dt.is_floating() => {
            // numpy and pandas hold int ids with a missing one as floats (NaN missing): a
            // whole number is that int id, as a pandas column of them is read
            // (`float_ids_as_ints`), NaN a missing id, and any other float (1.5, inf,
            // beyond i64) that record's error, as a float is in a list of records (the
            // whole call was refused, "has Arrow type Float64", even in skip mode).
            let values = floats(col).ok_or_else(|| unsupported(GROUP, dt, expected))?;
            let nulls = col.logical_nulls();
            for (row, &x) in values.iter().enumerate() {
                // (A null's slot holds a placeholder, no id: the row is marked below.)
                if nulls.as_ref().is_some_and(|nulls| nulls.is_null(row)) {
                    continue;
                }
                match whole_id(x) {
                    Some(n) => s.group[row] = index.code_int(n),
                    None => s.mark(row, GROUP),
                }
            }
        }
        DataType::Dictionary(_, _) => {
            let any = col.as_any_dictionary();
            // Strings, or integers (a pandas categorical of int ids), UUIDs or nulls.
            let values = match StringColumn::new(any.values().as_ref()) {
                Some(texts) => DictionaryIds::Texts(texts),
                None => match any.values().data_type() {
                    dt if dt.is_integer() => DictionaryIds::Ints(int_ids(any.values().as_ref())),
                    dt if dt.is_floating() => DictionaryIds::Ints(float_ids(any.values())),
                    DataType::FixedSizeBinary(16) => DictionaryIds::Uuids(any.values().as_fixed_size_binary()),
                    DataType::Null => DictionaryIds::Nulls,
                    _ => return Err(unsupported(GROUP, col.data_type(), expected)),
                },
            };
            // Ids are coded as rows first use them, like the list path: a dictionary value
            // no row uses (a sliced table, an unused categorical) is no pattern. The
            // table's last slot stands for every key past the values (`past`).
            const UNSEEN: u32 = NO_GROUP;
            let past = any.values().len();
            let mut translation = vec![UNSEEN; past + 1];
            let nulls = col.logical_nulls().filter(|n| n.null_count() > 0);
            let (mut unnamed, mut beyond, mut failure) = (Vec::new(), false, None);
            // A value's first row (or a key past the values, or an id that names no
            // pattern): once per distinct value but for those.
            let mut first_use = |translation: &mut [u32], row: usize, k: usize| -> u32 {
                let code = if k == past {
                    beyond = true;
                    UNSEEN
                } else {
                    match values.code(k, index) {
                        Ok(Some(code)) => {
                            translation[k] = code;
                            code
                        }
                        Ok(None) => UNSEEN,
                        Err(e) => {
                            failure.get_or_insert(e);
                            UNSEEN
                        }
                    }
                };
                if code == UNSEEN {
                    unnamed.push(row);
                }
                code
            };
            let group = &mut s.group;
            match &nulls {
                // The common case: a load, a clamp and a test per row (typed keys).
                None => {
                    macro_rules! typed {
                        ($t:ty) => {
                            group_codes(
                                any.keys().as_primitive::<$t>().values(),
                                &mut translation,
                                group,
                                &mut first_use,
                            )
                        };
                    }
                    per_integer_type!(any.keys().data_type(), typed, {
                        group_codes(&any.normalized_keys(), &mut translation, group, &mut first_use)
                    })
                }
                Some(nulls) => for_each_key(any, |row, k| {
                    if nulls.is_null(row) {
                        return; // marked below
                    }
                    let k = k.min(past);
                    let mut code = translation[k];
                    if code == UNSEEN {
                        code = first_use(&mut translation, row, k);
                    }
                    group[row] = code; // (UNSEEN is NO_GROUP: an unnamed row has no group)
                }),
            }
            if beyond {
                return Err(key_out_of_range(any, GROUP));
            }
            if let Some(e) = failure {
                return Err(e);
            }
            for row in unnamed {
                s.mark(row, GROUP);
            }
        }
        dt => {
            let strings = StringColumn::new(col).ok_or_else(|| unsupported(GROUP, dt, expected))?;
            let mut last: Option<(&str, u32)> = None;
            for row in 0..col.len() {
                let Some(v) = strings.get(row) else { continue };
                let code = match last {
                    Some((prev, code)) if prev == v => code,
                    _ => {
                        let text = utf8(v, GROUP)?;
                        let code = if is_blank(text) {
                            NO_GROUP
                        } else {
                            index.code_text(text)
                        };
                        last = Some((v, code));
                        code
                    }
                };
                if code == NO_GROUP {
                    s.mark(row, GROUP); // a blank id: no pattern
                } else {
                    s.group[row] = code;
                }
            }
        }
    }
    if let Some(nulls) = col.logical_nulls() {
        for row in nulls.iter().enumerate().filter(|(_, valid)| !valid).map(|(row, _)| row) {
            s.mark(row, GROUP);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictionaries_are_counted_by_key_when_small_or_much_smaller_than_the_slice() {
        assert!(counted_by_key(64, 0) && counted_by_key(64, 1));
        assert!(!counted_by_key(65, 16 * 65 - 1));
        assert!(counted_by_key(65, 16 * 65));
        assert!(counted_by_key(4096, 65_536) && !counted_by_key(4097, 65_536));
    }

    #[test]
    fn keys_are_translated_by_the_table_or_offset_when_it_counts_up() {
        let missing = 9;
        let mut codes = [0u32; 5];
        // Identity: the codes are the keys.
        let identity = [0, 1, 2, missing];
        assert!(!translate_keys(&[2i32, 0, 1, 1, 0], &identity, &mut codes));
        assert_eq!(codes, [2, 0, 1, 1, 0]);
        // Counting up from another code (the chunk's "unknown" coded first): key + base.
        let shifted = [1, 2, 3, missing];
        assert!(!translate_keys(&[2i32, 0, 1, 1, 0], &shifted, &mut codes));
        assert_eq!(codes, [3, 1, 2, 2, 1]);
        // Another table: each key's code.
        let table = [4, 4, 0, missing];
        assert!(!translate_keys(&[2i32, 0, 1, 1, 0], &table, &mut codes));
        assert_eq!(codes, [0, 4, 4, 4, 4]);
        // A key at or past the values, or negative, either way.
        for t in [&identity, &shifted, &table] {
            assert!(translate_keys(&[0i32, 3, 0, 0, 0], t, &mut codes));
            assert!(translate_keys(&[0i8, 0, 0, 0, -1], t, &mut codes));
            assert!(translate_keys(&[0u64, 0, u64::MAX, 0, 0], t, &mut codes));
        }
    }

    #[test]
    fn tiny_dictionaries_count_as_the_lanes_do() {
        use crate::test_random::xorshift;
        use crate::wide::on_baseline;
        // Keys of every width, each value, past the values and negative, in runs and
        // scattered, at lengths around the vectors' 8 to 32 keys and around a block.
        fn check<K: KeyIndex + ArrowNativeType>(name: &str, from: impl Fn(i64) -> K) {
            let mut draw = xorshift(0x853c_49e6_748f_ea9b);
            for n in 1..=TINY_DICTIONARY {
                for len in [
                    0,
                    1,
                    7,
                    8,
                    9,
                    31,
                    32,
                    33,
                    1000,
                    TINY_BLOCK,
                    TINY_BLOCK + 1,
                    3 * TINY_BLOCK - 1,
                ] {
                    let keys: Vec<K> = (0..len)
                        .map(|i| match draw() % 10 {
                            0 => from(-1),
                            1 => from(n as i64),
                            2 => from(100),
                            _ if i % 5 == 0 => from(0),
                            r => from((r % n as u64) as i64),
                        })
                        .collect();
                    let mut lanes = vec![0u32; 4 * (n + 1)];
                    count_lanes(&keys, n, &mut lanes);
                    let want: Vec<u64> = (0..=n)
                        .map(|slot| (0..4).map(|lane| u64::from(lanes[lane * (n + 1) + slot])).sum())
                        .collect();
                    assert_eq!(count_tiny(&keys, n), want, "{name}: {n} values, {len} keys");
                    assert_eq!(on_baseline(|| count_tiny(&keys, n)), want, "{name} (baseline)");
                }
            }
        }
        check("i8", |v| v as i8);
        check("i16", |v| v as i16);
        check("i32", |v| v as i32);
        check("i64", |v| v);
        // (Unsigned: -1 wraps to the largest key, past the values.)
        check("u8", |v| v as u8);
        check("u16", |v| v as u16);
        check("u32", |v| v as u32);
        check("u64", |v| v as u64);
    }

    #[test]
    fn keys_are_counted_per_value_and_negative_ones_as_past_the_values() {
        use arrow_array::{DictionaryArray, Int16Array, Int8Array, StringArray, UInt8Array};
        use std::sync::Arc;
        // 300 values: an i8 key of -1 must not read as value 255 (nor a u8 key of 255 as
        // past them). Lengths not a multiple of four, the remainder counted too.
        let values = Arc::new(StringArray::from_iter_values((0..300).map(|i| format!("v{i}"))));
        let i8_keys = [0i8, 5, -1, 127, 5, -128, 0];
        // SAFETY: out-of-range keys are the point; `count_keys` reads every key.
        let i8s =
            unsafe { DictionaryArray::<Int8Type>::new_unchecked(Int8Array::from(i8_keys.to_vec()), values.clone()) };
        let counts = count_keys(&i8s, 300);
        assert_eq!(
            (counts[0], counts[5], counts[127], counts[255], counts[300]),
            (2, 2, 1, 0, 2)
        );
        let u8s = DictionaryArray::<UInt8Type>::new(UInt8Array::from(vec![255u8, 255, 1]), values.clone());
        let counts = count_keys(&u8s, 300);
        assert_eq!((counts[255], counts[1], counts[300]), (2, 1, 0));
        let i16s = unsafe {
            DictionaryArray::<Int16Type>::new_unchecked(Int16Array::from(vec![-1i16, 299, 300, 7, 7]), values)
        };
        let counts = count_keys(&i16s, 300);
        assert_eq!((counts[299], counts[7], counts[300]), (1, 2, 2));
        assert_eq!(counts.iter().sum::<u64>(), 5);
    }
}
