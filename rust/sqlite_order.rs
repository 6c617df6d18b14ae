//! Rows read in table order, put in the order of an `ORDER BY id, timestamp, rowid`
//! (`sqlite_read::read_columns` with an order).
//!
//! A dashboard's statement ordered by (pattern id, timestamp) walks the (pattern_id,
//! timestamp) index and fetches the table's pages at random, each page once per pattern
//! with rows on it: for two million rows of 20 patterns, reading in that order took 1.5-2
//! times as long as a scan. The rows are read by a scan instead, and sorted here as
//! SQLite's index delivered them: ids in SQLite's order of values (the BINARY collation:
//! NULL, then numbers by value, text and blobs by their bytes), then the other sort
//! columns' values (text by its bytes, integers), which end with the rowid, so that rows
//! of one id and time keep the index's order.

use std::cmp::Ordering;

use rusqlite::types::{Value, ValueRef};
use rustc_hash::FxHashMap;

use crate::sqlite_read::{owned, same_value, Column, Validity};

/// A column of stored pattern ids: each distinct value kept once (in the order first
/// read), and each row's code, its place among them. (Read in table order, an id's rows
/// are scattered: a value per row was two million allocations.)
#[derive(Default)]
pub struct IdCodes {
    pub distinct: Vec<Value>,
    pub codes: Vec<u32>,
    lookup: Lookup,
}

/// The code of each distinct value, by storage class.
#[derive(Default)]
struct Lookup {
    null: Option<u32>,
    integers: FxHashMap<i64, u32>,
    reals: FxHashMap<u64, u32>,
    texts: FxHashMap<Box<[u8]>, u32>,
    blobs: FxHashMap<Box<[u8]>, u32>,
}

impl IdCodes {
    /// Adds a row's id; false for text that is not UTF-8 (the Python path reads it) or
    /// past 2^32 distinct ids.
    pub fn push(&mut self, value: ValueRef<'_>) -> bool {
        // (A row's id is most often the last row's: ordered reads come in runs.)
        if let Some(&last) = self.codes.last() {
            if same_value(&self.distinct[last as usize], value) {
                self.codes.push(last);
                return true;
            }
        }
        let Ok(next) = u32::try_from(self.distinct.len()) else {
            return false;
        };
        let lookup = &mut self.lookup;
        let code = match value {
            ValueRef::Null => *lookup.null.get_or_insert(next),
            ValueRef::Integer(int) => *lookup.integers.entry(int).or_insert(next),
            ValueRef::Real(real) => *lookup.reals.entry(real.to_bits()).or_insert(next),
            ValueRef::Text(bytes) => *lookup.texts.entry(bytes.into()).or_insert(next),
            ValueRef::Blob(bytes) => *lookup.blobs.entry(bytes.into()).or_insert(next),
        };
        if code == next {
            match owned(value) {
                Some(value) => self.distinct.push(value),
                None => return false,
            }
        }
        self.codes.push(code);
        true
    }

    /// The rows as runs of one stored value: (its place in `distinct`, row count).
    pub fn runs(&self) -> Vec<(usize, usize)> {
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for &code in &self.codes {
            match runs.last_mut() {
                Some((last, count)) if *last == code as usize => *count += 1,
                _ => runs.push((code as usize, 1)),
            }
        }
        runs
    }
}

/// Which storage class SQLite orders first: NULL, numbers, text, blobs.
fn class(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Integer(_) | Value::Real(_) => 1,
        Value::Text(_) => 2,
        Value::Blob(_) => 3,
    }
}

/// An integer against a real, exactly, as SQLite compares them (`sqlite3IntFloatCompare`):
/// 2^53 + 1 is above the real 2^53, which `as f64` would round it to.
fn integer_to_real(int: i64, real: f64) -> Ordering {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if real < -TWO_63 {
        return Ordering::Greater;
    }
    if real >= TWO_63 {
        return Ordering::Less;
    }
    // (In range: the real's integer part is an i64, and the integer is compared with it,
    // then as a real with the real's fraction.)
    let whole = real as i64;
    int.cmp(&whole)
        .then_with(|| (int as f64).partial_cmp(&real).unwrap_or(Ordering::Equal))
}

/// Two stored values in SQLite's order under the BINARY collation (7 and 7.0 equal, as
/// 0.0 and -0.0: their rows then go by the other sort columns, as SQLite's did).
pub fn sqlite_cmp(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Real(x), Value::Real(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Value::Integer(x), Value::Real(y)) => integer_to_real(*x, *y),
        (Value::Real(x), Value::Integer(y)) => integer_to_real(*y, *x).reverse(),
        (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Blob(x), Value::Blob(y)) => x.cmp(y),
        _ => class(a).cmp(&class(b)),
    }
}

/// Each distinct value's rank in SQLite's order, values it holds equal sharing one.
fn ranks(distinct: &[Value]) -> Vec<u32> {
    let mut sorted: Vec<usize> = (0..distinct.len()).collect();
    sorted.sort_by(|&a, &b| sqlite_cmp(&distinct[a], &distinct[b]));
    let mut ranks = vec![0; distinct.len()];
    let mut rank = 0;
    for pair in sorted.windows(2) {
        if sqlite_cmp(&distinct[pair[0]], &distinct[pair[1]]).is_ne() {
            rank += 1;
        }
        ranks[pair[1]] = rank;
    }
    ranks
}

/// A sort column after the ids: present text (by its bytes) or integers.
enum SortKey<'a> {
    Text { offsets: &'a [i32], data: &'a [u8] },
    Ints(&'a [i64]),
}

impl<'a> SortKey<'a> {
    /// None for a column whose values this order cannot tell apart as SQLite does (a
    /// missing value, which was NULL or empty text, or reals).
    fn of(column: &'a Column) -> Option<Self> {
        match column {
            Column::Text {
                offsets, data, valid, ..
            } if valid.nulls == 0 => Some(Self::Text { offsets, data }),
            Column::Ints(values, valid) if valid.nulls == 0 => Some(Self::Ints(values)),
            _ => None,
        }
    }

    fn cmp(&self, a: usize, b: usize) -> Ordering {
        match self {
            Self::Text { offsets, data } => {
                let text = |row: usize| &data[offsets[row] as usize..offsets[row + 1] as usize];
                text(a).cmp(text(b))
            }
            Self::Ints(values) => values[a].cmp(&values[b]),
        }
    }
}

/// The rows' order by the columns at `by` (the first a column of ids): row places, or
/// None where a sort column holds values `SortKey` does not order, or past 2^32 rows.
pub fn sorted_rows(columns: &[Column], by: &[usize], count: usize) -> Option<Vec<u32>> {
    let (&first, rest) = by.split_first()?;
    let Column::Ids(ids) = &columns[first] else {
        return None;
    };
    u32::try_from(count).ok()?;
    let keys = rest
        .iter()
        .map(|&place| SortKey::of(&columns[place]))
        .collect::<Option<Vec<_>>>()?;
    // By id first, in one pass (a counting sort: stable, so that each id's rows stay in
    // table order, which is mostly time order, for the sort below to find runs in).
    let rank = ranks(&ids.distinct);
    let groups = rank.iter().max().map_or(0, |&top| top as usize + 1);
    let mut starts = vec![0usize; groups + 1];
    for &code in &ids.codes {
        starts[rank[code as usize] as usize + 1] += 1;
    }
    for group in 0..groups {
        starts[group + 1] += starts[group];
    }
    let mut order = vec![0u32; count];
    let mut next = starts.clone();
    for (row, &code) in ids.codes.iter().enumerate() {
        let group = rank[code as usize] as usize;
        order[next[group]] = row as u32;
        next[group] += 1;
    }
    for group in 0..groups {
        order[starts[group]..starts[group + 1]].sort_by(|&a, &b| {
            keys.iter()
                .map(|key| key.cmp(a as usize, b as usize))
                .find(|ordering| ordering.is_ne())
                .unwrap_or(Ordering::Equal)
        });
    }
    Some(order)
}

/// A validity bitmap's bits at the rows of `order`.
fn gathered(valid: &Validity, order: &[u32]) -> Validity {
    if valid.nulls == 0 {
        // (Every value present, in any order: the same bitmap.)
        return Validity {
            bits: valid.bits.clone(),
            len: valid.len,
            nulls: 0,
        };
    }
    let mut out = Validity::default();
    for &row in order {
        let row = row as usize;
        out.push(valid.bits[row / 8] & (1 << (row % 8)) != 0);
    }
    out
}

/// A column's rows in `order` (row places, each once).
pub fn permuted(column: Column, order: &[u32]) -> Column {
    let at = |row: &u32| *row as usize;
    match column {
        Column::Ids(ids) => Column::Ids(IdCodes {
            codes: order.iter().map(|row| ids.codes[at(row)]).collect(),
            distinct: ids.distinct,
            lookup: Lookup::default(),
        }),
        Column::Text {
            empty_is_missing,
            offsets,
            data,
            valid,
        } => {
            let mut sorted_offsets = Vec::with_capacity(offsets.len());
            let mut sorted_data = Vec::with_capacity(data.len());
            sorted_offsets.push(0);
            for row in order {
                let (start, end) = (offsets[at(row)] as usize, offsets[at(row) + 1] as usize);
                sorted_data.extend_from_slice(&data[start..end]);
                // (The same bytes as before in another order: within i32, as they were.)
                sorted_offsets.push(sorted_data.len() as i32);
            }
            Column::Text {
                empty_is_missing,
                offsets: sorted_offsets,
                data: sorted_data,
                valid: gathered(&valid, order),
            }
        }
        Column::Ints(values, valid) => Column::Ints(
            order.iter().map(|row| values[at(row)]).collect(),
            gathered(&valid, order),
        ),
        Column::Flags(values, valid, sources) => Column::Flags(
            order.iter().map(|row| values[at(row)]).collect(),
            gathered(&valid, order),
            sources,
        ),
        Column::Floats(values, valid, mixing) => Column::Floats(
            order.iter().map(|row| values[at(row)]).collect(),
            gathered(&valid, order),
            mixing,
        ),
        // (Only NULLs so far: the same in any order.)
        Column::Key(nulls) => Column::Key(nulls),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_ordered_as_sqlite_orders_them() {
        let values = [
            Value::Blob(vec![0]),
            Value::Text("b".into()),
            Value::Text("B".into()),
            Value::Real(7.0),
            Value::Integer(7),
            Value::Integer((1 << 53) + 1),
            Value::Real(9_007_199_254_740_992.0),
            Value::Real(-0.5),
            Value::Null,
        ];
        let rank = ranks(&values);
        assert_eq!(rank, vec![7, 6, 5, 2, 2, 4, 3, 1, 0]);
        assert_eq!(integer_to_real(i64::MAX, 9.3e18), Ordering::Less);
        assert_eq!(integer_to_real(i64::MIN, -9.3e18), Ordering::Greater);
        assert_eq!(sqlite_cmp(&Value::Real(-0.0), &Value::Integer(0)), Ordering::Equal);
    }

    #[test]
    fn ids_are_coded_once_and_read_back_as_runs() {
        let mut ids = IdCodes::default();
        for value in [
            ValueRef::Text(b"a"),
            ValueRef::Integer(7),
            ValueRef::Text(b"a"),
            ValueRef::Text(b"a"),
        ] {
            assert!(ids.push(value));
        }
        assert!(ids.push(ValueRef::Real(7.0)));
        assert_eq!(ids.distinct.len(), 3);
        assert_eq!(ids.codes, vec![0, 1, 0, 0, 2]);
        assert_eq!(ids.runs(), vec![(0, 1), (1, 1), (0, 2), (2, 1)]);
        assert!(!ids.push(ValueRef::Text(b"\xff")));
    }
}
