//! A SQLite query's rows read straight into typed columns (`sources/sqlite_native.py`).
//!
//! Python's `sqlite3` makes a Python object per cell: two million rows of twelve columns
//! were 24 million objects and most of a SQLite dashboard's time. Here the same statement
//! runs on SQLite's own library (bundled, on a read-only connection) with the GIL released,
//! and each column goes into a compact buffer of its field's type, as Arrow lays it out.
//!
//! A column holds what the Python path would make an Arrow column of. Text in a flag or
//! number column (a table `.import` made from a CSV holds nothing else) is typed here
//! where `sources.base.typed_text` would type it beyond doubt (`flag_text`,
//! `number_text`). Any other value of a field that its column cannot hold (text no flag
//! or number read here, a real flag, a blob, a number in a text field) is missing in
//! the column and handed back as an odd value (`OddValue`: its row, after any sort, its
//! column and itself), for Python to type and patch in or set aside as the Python path
//! would; it used to make the whole read fall back to the Python path, 3-4 times slower
//! for every row. Nothing is returned (`Ok(None)`), and the caller reads the rows the
//! Python way, for text that is not UTF-8 and any SQLite error (which it reports in its
//! own words), a pattern id or row key of another type, a column Python would not make
//! one Arrow column of (flags from text beside stored integers, reals beside integers
//! past 2^53), or more odd values than `ODD_VALUES` allows.
//!
//! Flags typed from text are bools, as Python's are (`typed_text` returns True/False, of
//! which pyarrow makes a bool column): the column comes back as "bool" (0 and 1, which
//! Python casts), stored integers as "int" (int64, as pyarrow makes of Python ints).
//! Python's pyarrow refuses a column of both (and its path reads every row as records),
//! so such a column makes the read fall back rather than give another table.

use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};
use rayon::prelude::*;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OpenFlags};

use crate::sqlite_order::{permuted, sorted_rows, IdCodes};
use crate::timeparse::parse_iso_micros;

/// What a selected column is read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Pattern ids: runs of one stored value (rows come ordered by id, or are sorted).
    Id,
    /// A text field or the timestamp: UTF-8 text, empty text missing (as the CSV reader).
    Text,
    /// A flag: integers (SQLite's booleans are 0 and 1).
    Flag,
    /// A number: integers and reals, as float64 (an execution time).
    Number,
    /// A quality score: a number, bad outside [0, 1].
    Score,
    /// The row's key for messages: a rowid (integers) or a quoted primary key (text).
    Key,
}

impl Kind {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "id" => Self::Id,
            "text" => Self::Text,
            "flag" => Self::Flag,
            "number" => Self::Number,
            "score" => Self::Score,
            "key" => Self::Key,
            _ => return None,
        })
    }
}

/// An Arrow validity bitmap (bit i set: value i present), built a value at a time.
#[derive(Default)]
pub struct Validity {
    pub bits: Vec<u8>,
    pub len: usize,
    pub nulls: usize,
}

impl Validity {
    pub(crate) fn push(&mut self, present: bool) {
        if self.len.is_multiple_of(8) {
            self.bits.push(0);
        }
        if present {
            if let Some(last) = self.bits.last_mut() {
                *last |= 1 << (self.len % 8);
            }
        } else {
            self.nulls += 1;
        }
        self.len += 1;
    }
}

/// The integers a float64 holds exactly, as pyarrow bounds them: up to 2^53 either way.
const EXACT_INTEGERS: u64 = 1 << 53;

/// What a number column has held: reals (stored, or typed from text), integers past
/// `EXACT_INTEGERS`, text left to Python (which may make a float of it); and whether it
/// is a score's (`takes`).
#[derive(Default)]
pub struct Mixing {
    reals: bool,
    wide: bool,
    texts: bool,
    score: bool,
}

impl Mixing {
    /// Whether the column's field takes `number` (an execution time >= 0, a score within
    /// [0, 1]). A bad one stored as an integer (or an integer's text) is handed back odd,
    /// for Python to keep as stored, so that an error shows -1, not the column's -1.0.
    fn takes(&self, number: f64) -> bool {
        number >= 0.0 && (!self.score || number <= 1.0)
    }
}

/// What a flag column has held: stored integers, flags typed from text (bools in Python).
#[derive(Clone, Copy, Default)]
pub struct FlagSources {
    pub integers: bool,
    pub texts: bool,
}

/// Whether a column took a value (`Column::push`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fit {
    /// As a value of its own (or missing: NULL, empty text).
    Held,
    /// Not a value the column holds: missing in it, the value odd (`OddValue`).
    Odd,
    /// Not to be read here at all: the read falls back to the Python path.
    Refused,
}

/// A value of a field that its column does not hold (missing there): its row (after any
/// sort), its column's place among those selected, and the value.
#[derive(Clone, Debug, PartialEq)]
pub struct OddValue {
    pub row: usize,
    pub place: usize,
    pub value: Value,
}

/// The odd values a read may hand back: past max(rows / 8, 4,096) the read falls back.
/// (Each costs Python an object and a `typed_text`, where the Python path makes an object
/// of every cell of every row, so many more would still pay; but a table with that many
/// is not one this reader was made for, and each is held as a `Value` meanwhile. Text
/// that `flag_text` or `number_text` types is no odd value: an `.import`ed table's
/// numbers and flags fill their columns.)
pub const ODD_VALUES: (usize, usize) = (8, 4096);

/// A read's rows: their count, the columns, and the odd values, by row and place.
pub struct Read {
    pub count: usize,
    pub columns: Vec<Column>,
    pub odd: Vec<OddValue>,
}

/// Python's `str.strip()` whitespace among ASCII bytes (`\x1c`-`\x1f` too).
fn strip_space(byte: u8) -> bool {
    matches!(byte, b'\t'..=b'\r' | 0x1c..=0x1f | b' ')
}

/// The whitespace Python's `float()` strips among ASCII bytes (not `\x1c`-`\x1f`).
fn float_space(byte: u8) -> bool {
    matches!(byte, b'\t'..=b'\r' | b' ')
}

fn trimmed(bytes: &[u8], space: fn(u8) -> bool) -> &[u8] {
    let start = bytes.iter().position(|&b| !space(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|&b| !space(b)).map_or(start, |last| last + 1);
    &bytes[start..end]
}

/// The flag `typed_text` makes of ASCII text (`text.strip().lower()` among `TRUE_TEXTS`
/// or `FALSE_TEXTS`); None for other text, which Python types (it strips Unicode spaces
/// too: no other non-ASCII text can lower to one of those).
pub fn flag_text(bytes: &[u8]) -> Option<bool> {
    if !bytes.is_ascii() {
        return None;
    }
    let text = trimmed(bytes, strip_space);
    let folded = |word: &[u8]| text.eq_ignore_ascii_case(word);
    if [&b"true"[..], b"t", b"yes", b"y", b"1"].into_iter().any(folded) {
        Some(true)
    } else if [&b"false"[..], b"f", b"no", b"n", b"0"].into_iter().any(folded) {
        Some(false)
    } else {
        None
    }
}

/// Whether text is a decimal number, `[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?`:
/// what Python's `float()` and Rust's `f64` parse alike. Other text is left to Python's
/// `typed_text`, whose grammar (`sources/number_text.py`) adds only the words `inf`,
/// `infinity` and `nan` (no `_`, non-ASCII digits or Unicode blanks, which `float()` reads).
fn decimal(text: &[u8]) -> bool {
    let mut at = usize::from(matches!(text.first(), Some(b'+' | b'-')));
    let digits = |at: &mut usize| {
        let start = *at;
        while text.get(*at).is_some_and(u8::is_ascii_digit) {
            *at += 1;
        }
        *at - start
    };
    let whole = digits(&mut at);
    let mut fraction = 0;
    if text.get(at) == Some(&b'.') {
        at += 1;
        fraction = digits(&mut at);
    }
    if whole == 0 && fraction == 0 {
        return false;
    }
    if matches!(text.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(text.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        if digits(&mut at) == 0 {
            return false;
        }
    }
    at == text.len()
}

/// The float `typed_text` makes of a decimal number's text (`float(text)`: both parse to
/// the nearest double, ties to even); None for other text, which Python types.
pub fn number_text(bytes: &[u8]) -> Option<f64> {
    let text = trimmed(bytes, float_space);
    if !decimal(text) {
        return None;
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// Whether a number's text, read as `number` (a score's where `score`), may be past the
/// bound its float is on: -0.0 from text with a minus ("-1e-400", below 0 itself), a
/// score's 1.0 from text other than a plain 1 ("1.00000000000000000001", above 1). Such
/// text is odd, for Python to read exactly (`sources.exact_numbers`); a plain "1" or
/// "1.0" and any other number are typed here.
fn may_be_past_its_bound(bytes: &[u8], number: f64, score: bool) -> bool {
    if number == 0.0 {
        return number.is_sign_negative();
    }
    if !(score && number == 1.0) {
        return false;
    }
    let text = trimmed(bytes, float_space);
    let text = text.strip_prefix(b"+").unwrap_or(text);
    let start = text.iter().position(|&b| b != b'0').unwrap_or(text.len());
    let plain_one = match &text[start..] {
        [b'1'] => true,
        [b'1', b'.', zeros @ ..] => zeros.iter().all(|&b| b == b'0'),
        _ => false,
    };
    !plain_one
}

/// One column's values as read so far.
pub enum Column {
    Ids(IdCodes),
    Text {
        empty_is_missing: bool,
        offsets: Vec<i32>,
        data: Vec<u8>,
        valid: Validity,
    },
    /// A row key's integers.
    Ints(Vec<i64>, Validity),
    /// A flag's values, 0 or 1 where typed from text (which `FlagSources` says).
    Flags(Vec<i64>, Validity, FlagSources),
    Floats(Vec<f64>, Validity, Mixing),
    /// A key column before its first value says whether it holds integers or text: the
    /// NULLs before it (a view's rowid is NULL).
    Key(usize),
}

impl Column {
    fn new(kind: Kind) -> Self {
        match kind {
            Kind::Id => Self::Ids(IdCodes::default()),
            Kind::Text => Self::text(true),
            Kind::Flag => Self::Flags(Vec::new(), Validity::default(), FlagSources::default()),
            Kind::Number => Self::Floats(Vec::new(), Validity::default(), Mixing::default()),
            Kind::Score => {
                let mixing = Mixing {
                    score: true,
                    ..Mixing::default()
                };
                Self::Floats(Vec::new(), Validity::default(), mixing)
            }
            Kind::Key => Self::Key(0),
        }
    }

    fn text(empty_is_missing: bool) -> Self {
        Self::Text {
            empty_is_missing,
            offsets: vec![0],
            data: Vec::new(),
            valid: Validity::default(),
        }
    }

    /// Adds a value: held (NULL and, in a field, empty text missing), odd where the column
    /// cannot hold it as the Python path would (a missing value in its place: the caller
    /// keeps the value, or falls back where the column is an id or key), or refused (text
    /// that is not UTF-8, and what makes the column one Python would not make).
    pub fn push(&mut self, value: ValueRef<'_>) -> Fit {
        match self {
            Self::Key(nulls) => {
                let nulls = *nulls;
                *self = match value {
                    ValueRef::Null => Self::Key(nulls + 1),
                    ValueRef::Integer(_) => Self::Ints(Vec::new(), Validity::default()),
                    ValueRef::Text(_) => Self::text(false),
                    _ => return Fit::Odd,
                };
                if matches!(self, Self::Key(_)) {
                    return Fit::Held;
                }
                for _ in 0..nulls {
                    self.push(ValueRef::Null);
                }
                self.push(value)
            }
            Self::Ids(ids) => {
                if ids.push(value) {
                    Fit::Held
                } else {
                    Fit::Refused
                }
            }
            Self::Text {
                empty_is_missing,
                offsets,
                data,
                valid,
            } => {
                let fit = match value {
                    ValueRef::Null => {
                        valid.push(false);
                        Fit::Held
                    }
                    ValueRef::Text(bytes) => {
                        if std::str::from_utf8(bytes).is_err() {
                            return Fit::Refused;
                        }
                        if bytes.is_empty() && *empty_is_missing {
                            valid.push(false);
                        } else {
                            data.extend_from_slice(bytes);
                            valid.push(true);
                        }
                        Fit::Held
                    }
                    _ => {
                        valid.push(false);
                        Fit::Odd
                    }
                };
                // (Past 2 GiB of text an Arrow string column needs 64-bit offsets.)
                match i32::try_from(data.len()) {
                    Ok(end) => offsets.push(end),
                    Err(_) => return Fit::Refused,
                }
                fit
            }
            Self::Ints(values, valid) => {
                let (int, fit) = match value {
                    ValueRef::Integer(int) => (Some(int), Fit::Held),
                    ValueRef::Null => (None, Fit::Held),
                    _ => (None, Fit::Odd),
                };
                values.push(int.unwrap_or(0));
                valid.push(int.is_some());
                fit
            }
            Self::Flags(values, valid, sources) => {
                let (flag, fit) = match value {
                    ValueRef::Integer(int) => {
                        sources.integers = true;
                        (Some(int), Fit::Held)
                    }
                    ValueRef::Null | ValueRef::Text(b"") => (None, Fit::Held),
                    ValueRef::Text(bytes) => match flag_text(bytes) {
                        Some(flag) => {
                            sources.texts = true;
                            (Some(i64::from(flag)), Fit::Held)
                        }
                        None => (None, Fit::Odd),
                    },
                    ValueRef::Real(_) | ValueRef::Blob(_) => (None, Fit::Odd),
                };
                values.push(flag.unwrap_or(0));
                valid.push(flag.is_some());
                // pyarrow refuses a column of Python's bools and integers.
                if sources.integers && sources.texts {
                    return Fit::Refused;
                }
                fit
            }
            Self::Floats(values, valid, mixing) => {
                let (number, fit) = match value {
                    // (Rounded to nearest, ties to even, as Arrow's int64 -> float64 cast
                    // rounds a column of integers.)
                    ValueRef::Integer(int) => {
                        // (Held or odd, one past 2^53 makes the column one pyarrow
                        // refuses beside reals, as Python's values would.)
                        mixing.wide |= int.unsigned_abs() > EXACT_INTEGERS;
                        if mixing.takes(int as f64) {
                            (Some(int as f64), Fit::Held)
                        } else {
                            (None, Fit::Odd)
                        }
                    }
                    ValueRef::Real(real) => {
                        mixing.reals = true;
                        (Some(real), Fit::Held)
                    }
                    ValueRef::Null | ValueRef::Text(b"") => (None, Fit::Held),
                    ValueRef::Text(bytes) => match number_text(bytes) {
                        // (A bad number's text is odd too, for Python to show as
                        // written: "1e400", not inf; "-1", not -1.0.)
                        Some(number)
                            if number.is_finite()
                                && mixing.takes(number)
                                && !may_be_past_its_bound(bytes, number, mixing.score) =>
                        {
                            mixing.reals = true;
                            (Some(number), Fit::Held)
                        }
                        _ => {
                            mixing.texts = true;
                            (None, Fit::Odd)
                        }
                    },
                    ValueRef::Blob(_) => (None, Fit::Odd),
                };
                values.push(number.unwrap_or(0.0));
                valid.push(number.is_some());
                // pyarrow refuses a column of reals and integers past 2^53 (it keeps such
                // integers exact, as records, for the core to judge); text left to Python
                // may be a float of its making.
                if mixing.wide && (mixing.reals || mixing.texts) {
                    return Fit::Refused;
                }
                fit
            }
        }
    }
}

/// Whether a stored value is the one a run holds: same storage class, same value (reals
/// by their bits). Runs of values Python holds equal (7 and 7.0) are joined by the caller,
/// which groups by pattern.
pub(crate) fn same_value(run: &Value, value: ValueRef<'_>) -> bool {
    match (run, value) {
        (Value::Null, ValueRef::Null) => true,
        (Value::Integer(a), ValueRef::Integer(b)) => *a == b,
        (Value::Real(a), ValueRef::Real(b)) => a.to_bits() == b.to_bits(),
        (Value::Text(a), ValueRef::Text(b)) => a.as_bytes() == b,
        (Value::Blob(a), ValueRef::Blob(b)) => a.as_slice() == b,
        _ => false,
    }
}

/// A stored value kept past its row; None for text that is not UTF-8.
pub(crate) fn owned(value: ValueRef<'_>) -> Option<Value> {
    Some(match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(int) => Value::Integer(int),
        ValueRef::Real(real) => Value::Real(real),
        ValueRef::Text(bytes) => Value::Text(std::str::from_utf8(bytes).ok()?.to_owned()),
        ValueRef::Blob(bytes) => Value::Blob(bytes.to_vec()),
    })
}

/// `ua_in_window(text, start_us, end_us)`, as `sources.sqlite._in_window` defines it: 1 for
/// text whose instant is in the window or that is no time the core reads (the core then
/// reports the record), 0 for other text and other values.
fn in_window(text: ValueRef<'_>, start: i64, end: i64) -> rusqlite::Result<i64> {
    let ValueRef::Text(bytes) = text else {
        return Ok(0);
    };
    let text = std::str::from_utf8(bytes).map_err(|error| rusqlite::Error::UserFunctionError(Box::new(error)))?;
    Ok(match parse_iso_micros(text) {
        Ok(stamp) => i64::from(start <= stamp && stamp <= end),
        Err(_) => 1,
    })
}

/// `ua_instant(value)`: the instant (epoch microseconds) of text the core reads as a time,
/// else NULL (other text, other values), as `sources.timestamps.parse_timestamp` reads it.
fn instant(value: ValueRef<'_>) -> rusqlite::Result<Option<i64>> {
    let ValueRef::Text(bytes) = value else {
        return Ok(None);
    };
    let text = std::str::from_utf8(bytes).map_err(|error| rusqlite::Error::UserFunctionError(Box::new(error)))?;
    Ok(parse_iso_micros(text).ok())
}

/// Runs `sql` with `params` on a read-only connection to `uri` and reads its rows into
/// columns of `kinds`, then, where `order` names columns (ids first, then text or
/// integers: `sqlite_order`), sorts the rows by them: Ok(None) where a value does not fit
/// its column or the order, or SQLite fails. A field's value its column does not hold is
/// missing there and one of the read's odd values (see the module), rows numbered as
/// they come after the sort.
pub fn read_columns(
    uri: &str,
    sql: &str,
    params: &[Value],
    kinds: &[Kind],
    order: &[usize],
) -> Result<Option<Read>, String> {
    if let Some(place) = order.iter().find(|&&place| place >= kinds.len()) {
        return Err(format!(
            "order names column {place}, past the {} kinds given",
            kinds.len()
        ));
    }
    if order.first().is_some_and(|&place| kinds[place] != Kind::Id) {
        return Err("an order starts with a column of ids".to_owned());
    }
    let open = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let read = || -> rusqlite::Result<Option<Read>> {
        let connection = Connection::open_with_flags(uri, open)?;
        // (As `sqlite3.connect`'s default timeout: a writer's lock is waited on for 5 s.)
        connection.busy_timeout(Duration::from_secs(5))?;
        // Direct only: refused in the file's schema. An index on `ua_instant(ts)` that
        // another program made with a function of that name holds that function's values,
        // which the planner would read in place of ours (a database's newest instant made
        // up); a view or generated column would call ours where the schema says. Such a
        // schema fails the statement, which then falls back.
        let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_DIRECTONLY;
        connection.create_scalar_function("ua_in_window", 3, flags, |context| {
            in_window(context.get_raw(0), context.get(1)?, context.get(2)?)
        })?;
        connection.create_scalar_function("ua_instant", 1, flags, |context| instant(context.get_raw(0)))?;
        let mut statement = connection.prepare(sql)?;
        if statement.column_count() != kinds.len() {
            return Err(rusqlite::Error::InvalidColumnIndex(kinds.len()));
        }
        let mut columns: Vec<Column> = kinds.iter().map(|&kind| Column::new(kind)).collect();
        let mut rows = statement.query(rusqlite::params_from_iter(params))?;
        let mut count = 0;
        let mut odd = Vec::new();
        while let Some(row) = rows.next()? {
            for (place, column) in columns.iter_mut().enumerate() {
                let value = row.get_ref(place)?;
                match column.push(value) {
                    Fit::Held => {}
                    Fit::Odd if !matches!(kinds[place], Kind::Id | Kind::Key) => {
                        // (None: text that is not UTF-8, which Python reports.)
                        let Some(value) = owned(value) else {
                            return Ok(None);
                        };
                        odd.push(OddValue {
                            row: count,
                            place,
                            value,
                        });
                    }
                    Fit::Odd | Fit::Refused => return Ok(None),
                }
            }
            count += 1;
        }
        let (share, floor) = ODD_VALUES;
        if odd.len() > (count / share).max(floor) {
            return Ok(None);
        }
        // (No rows or one: in order, and a key column that saw no value has no type.)
        if order.is_empty() || count < 2 {
            return Ok(Some(Read { count, columns, odd }));
        }
        let Some(rows) = sorted_rows(&columns, order, count) else {
            return Ok(None);
        };
        renumbered(&mut odd, &rows);
        // (A column at a time on each core: the columns are independent. Through the
        // core's pool, which a forked process has its own of.)
        let columns = crate::pool::install(|| columns.into_par_iter().map(|column| permuted(column, &rows)).collect());
        Ok(Some(Read { count, columns, odd }))
    };
    match read() {
        Ok(read) => Ok(read),
        Err(rusqlite::Error::InvalidColumnIndex(width)) => Err(format!(
            "the statement selects a number of columns other than the {width} kinds given"
        )),
        Err(_) => Ok(None),
    }
}

/// The odd values' rows numbered by their places in `order` (row places, each once: the
/// rows after a sort), the values then in order of row and column.
fn renumbered(odd: &mut [OddValue], order: &[u32]) {
    if odd.is_empty() {
        return;
    }
    let mut place_of = vec![0usize; order.len()];
    for (place, &row) in order.iter().enumerate() {
        place_of[row as usize] = place;
    }
    for value in odd.iter_mut() {
        value.row = place_of[value.row];
    }
    odd.sort_by_key(|value| (value.row, value.place));
}

/// A Python value as a bound parameter; None for values SQLite's Python module binds
/// otherwise (the caller then reads the rows the Python way).
fn parameter(value: &Bound<'_, PyAny>) -> Option<Value> {
    if value.is_none() {
        Some(Value::Null)
    } else if let Ok(text) = value.cast::<pyo3::types::PyString>() {
        Some(Value::Text(text.to_str().ok()?.to_owned()))
    } else if let Ok(bytes) = value.cast::<PyBytes>() {
        Some(Value::Blob(bytes.as_bytes().to_vec()))
    } else if value.is_instance_of::<pyo3::types::PyInt>() {
        value.extract::<i64>().ok().map(Value::Integer)
    } else if value.is_instance_of::<pyo3::types::PyFloat>() {
        value.extract::<f64>().ok().map(Value::Real)
    } else {
        None
    }
}

fn python_value<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Integer(int) => int.into_pyobject(py)?.into_any(),
        Value::Real(real) => real.into_pyobject(py)?.into_any(),
        Value::Text(text) => text.into_pyobject(py)?.into_any(),
        Value::Blob(bytes) => PyBytes::new(py, bytes).into_any(),
    })
}

fn validity<'py>(py: Python<'py>, valid: &Validity) -> Bound<'py, PyAny> {
    if valid.nulls == 0 {
        py.None().into_bound(py)
    } else {
        PyBytes::new(py, &valid.bits).into_any()
    }
}

/// A column for Python: ids as a list of (stored value, run length); the others as
/// ("text", offsets, data, validity), ("int", values, validity), ("bool", values,
/// validity: int64 0s and 1s, flags typed from text) or ("float", values, validity),
/// little-endian Arrow buffers (validity None where every value is present).
fn python_column<'py>(py: Python<'py>, column: &Column) -> PyResult<Bound<'py, PyAny>> {
    Ok(match column {
        Column::Ids(ids) => {
            let items = ids
                .runs()
                .into_iter()
                .map(|(value, count)| {
                    let value = python_value(py, &ids.distinct[value])?;
                    PyTuple::new(py, [value, count.into_pyobject(py)?.into_any()])
                })
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any()
        }
        Column::Text {
            offsets, data, valid, ..
        } => PyTuple::new(
            py,
            [
                "text".into_pyobject(py)?.into_any(),
                PyBytes::new(py, bytemuck::cast_slice(offsets)).into_any(),
                PyBytes::new(py, data).into_any(),
                validity(py, valid),
            ],
        )?
        .into_any(),
        Column::Ints(values, valid) => PyTuple::new(
            py,
            [
                "int".into_pyobject(py)?.into_any(),
                PyBytes::new(py, bytemuck::cast_slice(values)).into_any(),
                validity(py, valid),
            ],
        )?
        .into_any(),
        Column::Flags(values, valid, sources) => PyTuple::new(
            py,
            [
                (if sources.texts { "bool" } else { "int" })
                    .into_pyobject(py)?
                    .into_any(),
                PyBytes::new(py, bytemuck::cast_slice(values)).into_any(),
                validity(py, valid),
            ],
        )?
        .into_any(),
        Column::Floats(values, valid, _) => PyTuple::new(
            py,
            [
                "float".into_pyobject(py)?.into_any(),
                PyBytes::new(py, bytemuck::cast_slice(values)).into_any(),
                validity(py, valid),
            ],
        )?
        .into_any(),
        // (No rows: a key column that never saw a value is an empty one of integers.)
        // (Only NULLs, or no rows: a column of integers, all missing.)
        Column::Key(nulls) => {
            let mut column = Column::Ints(Vec::new(), Validity::default());
            for _ in 0..*nulls {
                column.push(ValueRef::Null);
            }
            python_column(py, &column)?
        }
    })
}

/// A read for Python: (row count, columns, odd values).
type PyRead<'py> = (usize, Bound<'py, PyList>, Bound<'py, PyList>);

/// `read_columns` for Python (`sources.sqlite_native`), with the GIL released while SQLite
/// steps and the rows are sorted: (row count, columns, odd values as (row, column place,
/// value) in order) or None.
#[pyfunction]
#[pyo3(name = "sqlite_columns", signature = (uri, sql, params, kinds, order = Vec::new()))]
pub fn py_sqlite_columns<'py>(
    py: Python<'py>,
    uri: &str,
    sql: &str,
    params: Vec<Bound<'py, PyAny>>,
    kinds: Vec<String>,
    order: Vec<usize>,
) -> PyResult<Option<PyRead<'py>>> {
    let kinds = kinds
        .iter()
        .map(|name| {
            Kind::parse(name).ok_or_else(|| {
                PyValueError::new_err(format!("unknown column kind {name:?} (id, text, flag, number or key)"))
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let Some(params) = params.iter().map(parameter).collect::<Option<Vec<_>>>() else {
        return Ok(None);
    };
    let read = py
        .detach(|| read_columns(uri, sql, &params, &kinds, &order))
        .map_err(PyValueError::new_err)?;
    let Some(Read { count, columns, odd }) = read else {
        return Ok(None);
    };
    let columns = columns
        .iter()
        .map(|column| python_column(py, column))
        .collect::<PyResult<Vec<_>>>()?;
    let odd = odd
        .iter()
        .map(|cell| {
            let value = python_value(py, &cell.value)?;
            PyTuple::new(
                py,
                [
                    cell.row.into_pyobject(py)?.into_any(),
                    cell.place.into_pyobject(py)?.into_any(),
                    value,
                ],
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(Some((count, PyList::new(py, columns)?, PyList::new(py, odd)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(rows: &str) -> (tempfile_path::TempPath, String) {
        let path = tempfile_path::TempPath::new();
        let connection = Connection::open(&path.0).unwrap();
        connection
            .execute_batch(&format!("CREATE TABLE t (a, b); {rows}"))
            .unwrap();
        let uri = format!("file:{}?mode=ro", path.0.display());
        (path, uri)
    }

    mod tempfile_path {
        pub struct TempPath(pub std::path::PathBuf);
        impl TempPath {
            pub fn new() -> Self {
                static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
                let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let name = format!("ua-sqlite-read-{}-{n}.sqlite", std::process::id());
                Self(std::env::temp_dir().join(name))
            }
        }
        impl Drop for TempPath {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
    }

    fn read(uri: &str, sql: &str, kinds: &[Kind]) -> Option<Read> {
        read_columns(uri, sql, &[], kinds, &[]).unwrap()
    }

    #[test]
    fn reads_runs_of_ids_and_text_with_empty_text_missing() {
        let (_path, uri) = database("INSERT INTO t VALUES ('x', 'one'), ('x', ''), ('y', NULL), ('x', 'two');");
        let Read { count, columns, .. } =
            read(&uri, "SELECT a, b FROM t ORDER BY rowid", &[Kind::Id, Kind::Text]).unwrap();
        assert_eq!(count, 4);
        let Column::Ids(ids) = &columns[0] else { panic!("ids") };
        let runs: Vec<_> = ids
            .runs()
            .iter()
            .map(|&(value, n)| (ids.distinct[value].clone(), n))
            .collect();
        assert_eq!(
            runs,
            vec![
                (Value::Text("x".into()), 2),
                (Value::Text("y".into()), 1),
                (Value::Text("x".into()), 1)
            ]
        );
        let Column::Text {
            offsets, data, valid, ..
        } = &columns[1]
        else {
            panic!("text")
        };
        assert_eq!(offsets, &[0, 3, 3, 3, 6]);
        assert_eq!(data, b"onetwo");
        assert_eq!((valid.bits.as_slice(), valid.nulls), (&[0b1001u8][..], 2));
    }

    #[test]
    fn numbers_take_integers_and_reals_and_flags_integers_only() {
        let (_path, uri) = database("INSERT INTO t VALUES (1, 2.5), (NULL, 3);");
        let Read { columns, .. } =
            read(&uri, "SELECT a, b FROM t ORDER BY rowid", &[Kind::Flag, Kind::Number]).unwrap();
        let Column::Flags(flags, valid, _) = &columns[0] else {
            panic!("flags")
        };
        assert_eq!((flags.as_slice(), valid.nulls), (&[1, 0][..], 1));
        let Column::Floats(numbers, valid, _) = &columns[1] else {
            panic!("numbers")
        };
        assert_eq!((numbers.as_slice(), valid.nulls), (&[2.5, 3.0][..], 0));
        // Integers past 2^53 beside reals: pyarrow keeps them exact, as records.
        let wide = "SELECT 9007199254740993 UNION ALL SELECT 0.5";
        assert!(read(&uri, wide, &[Kind::Number]).is_none());
        let edge = "SELECT -9007199254740992 UNION ALL SELECT 0.5";
        assert!(read(&uri, edge, &[Kind::Number]).is_some());
        let integers = "SELECT 9007199254740993 UNION ALL SELECT 1";
        assert!(read(&uri, integers, &[Kind::Number]).is_some());
        assert!(read(&uri, "SELECT CAST(x'ff' AS TEXT) FROM t", &[Kind::Text]).is_none());
    }

    #[test]
    fn keys_are_integers_or_text_and_empty_text_stays() {
        let (_path, uri) = database("INSERT INTO t VALUES ('', 1);");
        let Read { columns, .. } = read(&uri, "SELECT rowid, a FROM t", &[Kind::Key, Kind::Key]).unwrap();
        assert!(matches!(&columns[0], Column::Ints(values, _) if values == &[1]));
        assert!(matches!(&columns[1], Column::Text { valid, .. } if valid.nulls == 0));
        assert!(read(&uri, "SELECT x'00' FROM t", &[Kind::Key]).is_none());
        // NULL keys (a view's rowid) before and after the first key, or all of them.
        let sql = "SELECT NULL UNION ALL SELECT 4 UNION ALL SELECT NULL";
        let Read { columns, .. } = read(&uri, sql, &[Kind::Key]).unwrap();
        assert!(matches!(&columns[0], Column::Ints(values, valid) if values == &[0, 4, 0] && valid.bits == [0b010]));
        let Read { columns, .. } = read(&uri, "SELECT NULL FROM t", &[Kind::Key]).unwrap();
        assert!(matches!(&columns[0], Column::Key(1)));
    }

    #[test]
    fn the_window_function_places_text_as_the_core_reads_it() {
        let (_path, uri) = database("INSERT INTO t VALUES ('2026-01-02T00:00:00Z', 0);");
        let sql = "SELECT ua_in_window(a, 0, 1767312000000000), ua_in_window(a, 0, 1), \
                   ua_in_window('2026-13-01', 0, 1), ua_in_window(5, 0, 1) FROM t";
        let kinds = [Kind::Flag; 4];
        let Read { columns, .. } = read(&uri, sql, &kinds).unwrap();
        let flags: Vec<i64> = columns
            .iter()
            .map(|column| match column {
                Column::Flags(values, _, _) => values[0],
                _ => panic!("flag"),
            })
            .collect();
        assert_eq!(flags, vec![1, 0, 1, 0]);
        let sql = "SELECT ua_instant(a), ua_instant(' 1970-01-01T00:00:01+00:00 '), \
                   ua_instant('2026-13-01'), ua_instant(5) FROM t";
        let Read { columns, .. } = read(&uri, sql, &kinds).unwrap();
        let Column::Flags(values, valid, _) = &columns[0] else {
            panic!("instants")
        };
        assert_eq!((values[0], valid.nulls), (1_767_312_000_000_000, 0));
        assert!(matches!(&columns[1], Column::Flags(values, _, _) if values == &[1_000_000]));
        assert!(matches!(&columns[2], Column::Flags(_, valid, _) if valid.nulls == 1));
        assert!(matches!(&columns[3], Column::Flags(_, valid, _) if valid.nulls == 1));
    }

    /// A column's values as comparable text, for the tests: ids as their runs.
    fn shown(column: &Column) -> String {
        match column {
            Column::Ids(ids) => format!(
                "{:?}",
                ids.runs()
                    .iter()
                    .map(|&(value, n)| (&ids.distinct[value], n))
                    .collect::<Vec<_>>()
            ),
            Column::Text { offsets, data, .. } => format!("{offsets:?} {:?}", String::from_utf8_lossy(data)),
            Column::Ints(values, valid) | Column::Flags(values, valid, _) => {
                format!("{values:?} {:?}", valid.bits)
            }
            _ => panic!("a column the tests do not show"),
        }
    }

    #[test]
    fn rows_sorted_after_a_scan_come_as_sqlite_orders_them() {
        let (_path, uri) = database(
            "INSERT INTO t VALUES ('b', '2026-01-02'), (7, '2026-01-01'), ('a', '2026-01-03'), \
             (7.0, '2026-01-01'), ('b', '2026-01-01'), (x'00', '2026-01-05'), ('a', '2026-01-03'), \
             ('B', '2026-01-09'), (7, '2025-12-31'), ('b', '2026-01-02');",
        );
        let kinds = [Kind::Id, Kind::Text, Kind::Key];
        let ordered = "SELECT a, b, rowid FROM t ORDER BY a, b, rowid";
        let Read {
            count,
            columns: expected,
            ..
        } = read(&uri, ordered, &kinds).unwrap();
        let scan = "SELECT a, b, rowid FROM t";
        let Read {
            count: sorted_count,
            columns: sorted,
            ..
        } = read_columns(&uri, scan, &[], &kinds, &[0, 1, 2]).unwrap().unwrap();
        assert_eq!(sorted_count, count);
        let shown_all = |columns: &[Column]| columns.iter().map(shown).collect::<Vec<_>>();
        assert_eq!(shown_all(&sorted), shown_all(&expected));
        // Missing text in a sort column: SQLite's order of NULL and '' is not kept, so the
        // Python path reads the rows.
        let (_path, uri) = database("INSERT INTO t VALUES ('a', NULL), ('a', '');");
        assert!(read_columns(&uri, scan, &[], &kinds, &[0, 1, 2]).unwrap().is_none());
        let none = "SELECT a, b, rowid FROM t WHERE 0";
        assert!(matches!(
            read_columns(&uri, none, &[], &kinds, &[0, 1, 2]).unwrap(),
            Some(Read { count: 0, .. })
        ));
    }

    #[test]
    fn an_index_of_the_core_functions_made_elsewhere_is_not_read() {
        // A database file may hold an index on `ua_instant(...)` (or a view, a generated
        // column) that another program made with a function of that name: its stored
        // values are that function's, which the planner would read in place of ours (the
        // newest instant a lie). Our functions are refused in a schema: the read falls
        // back (to the Python path, which works it out itself).
        let (path, uri) = database("INSERT INTO t VALUES ('2026-01-02T00:00:00Z', 0);");
        let writer = Connection::open(&path.0).unwrap();
        for name in ["ua_instant", "ua_in_window"] {
            let arity = if name == "ua_instant" { 1 } else { 3 };
            writer
                .create_scalar_function(name, arity, FunctionFlags::SQLITE_DETERMINISTIC, |_| {
                    Ok(4_102_444_800_000_000i64) // 2100-01-01: a lie
                })
                .unwrap();
        }
        writer
            .execute_batch(
                "CREATE INDEX lie ON t (ua_instant(a)); CREATE INDEX lie3 ON t (ua_in_window(a, 0, 1)); \
                 CREATE VIEW v AS SELECT ua_instant(a) AS s FROM t;",
            )
            .unwrap();
        drop(writer);
        let truth = 1_767_312_000_000_000i64;
        for sql in [
            "SELECT max(ua_instant(a)) FROM t",
            "SELECT ua_instant(a) FROM t ORDER BY ua_instant(a) DESC",
            "SELECT ua_in_window(a, 0, 1) FROM t ORDER BY ua_in_window(a, 0, 1)",
            "SELECT s FROM v",
        ] {
            if let Some(Read { columns, .. }) = read(&uri, sql, &[Kind::Flag]) {
                let Column::Flags(values, _, _) = &columns[0] else {
                    panic!("flags")
                };
                assert!(values == &[truth] || values == &[0], "{sql}: {values:?}");
            }
        }
    }

    #[test]
    fn errors_fall_back_but_a_wrong_width_is_the_callers_bug() {
        let (_path, uri) = database("");
        assert!(read(&uri, "SELECT nope FROM t", &[Kind::Text]).is_none());
        assert!(read("file:/nonexistent/x.sqlite?mode=ro", "SELECT 1", &[Kind::Flag]).is_none());
        assert!(read_columns(&uri, "SELECT a, b FROM t", &[], &[Kind::Text], &[]).is_err());
        assert!(read_columns(&uri, "SELECT a FROM t", &[], &[Kind::Text], &[1]).is_err());
        assert!(read_columns(&uri, "SELECT a FROM t", &[], &[Kind::Text], &[0]).is_err());
    }

    #[test]
    fn flag_and_number_texts_are_typed_as_python_types_them_where_beyond_doubt() {
        for (text, flag) in [
            (&b"true"[..], Some(true)),
            (b" YES\t", Some(true)),
            (b"\x1cy\x0b", Some(true)),
            (b"1", Some(true)),
            (b"F", Some(false)),
            (b" No ", Some(false)),
            (b"0", Some(false)),
            (b"maybe", None),
            (b"", None),
            (b"2", None),
            (b"yes\xe3\x80\x80", None), // (an ideographic space: Python strips it, and decides)
            (b"t r", None),
        ] {
            assert_eq!(flag_text(text), flag, "{:?}", String::from_utf8_lossy(text));
        }
        for (text, number) in [
            (&b"12.5"[..], Some(12.5)),
            (b" 7 ", Some(7.0)),
            (b"\t\n1e3\r\x0b\x0c", Some(1000.0)),
            (b"-0", Some(-0.0)),
            (b"+.5", Some(0.5)),
            (b"1.", Some(1.0)),
            (b"1.E-2", Some(0.01)),
            (b"0.1", Some(0.1)),
            (b"9007199254740993", Some(9_007_199_254_740_992.0)),
            (b"1e99999999999999999999", Some(f64::INFINITY)),
            (b"-1e-99999999999999999999", Some(-0.0)),
            (b"1_000", None),
            (b"nan", None),
            (b"inf", None),
            (b".", None),
            (b"1e", None),
            (b"e3", None),
            (b"--1", None),
            (b"1 2", None),
            (b"\x1c1", None),            // (str.strip() strips it; float() does not)
            (b"\xd9\xa1\xd9\xa2", None), // (Arabic-Indic 12: Python reads it)
        ] {
            let typed = number_text(text);
            assert_eq!(
                typed.map(f64::to_bits),
                number.map(f64::to_bits),
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn number_texts_on_a_bound_are_left_to_python_unless_plainly_the_bound() {
        // (Python reads them exactly: past the bound, such text is an invalid value.)
        for (text, score, past) in [
            (&b"1.00000000000000000001"[..], true, true),
            (b"0.99999999999999999999", true, true), // (not past it: Python says so)
            (b"1e0", true, true),
            (b"1", true, false),
            (b" +01.000 ", true, false),
            (b"1.", true, false),
            (b"1.00000000000000000001", false, false), // (a time has no upper bound)
            (b"-1e-400", false, true),
            (b"-0", true, true),
            (b"0", false, false),
            (b"1e-400", false, false),
            (b"0.5", true, false),
        ] {
            let number = number_text(text).expect("a number's text");
            assert_eq!(
                may_be_past_its_bound(text, number, score),
                past,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    /// The odd values of a read, as (row, place, value).
    fn odd_of(read: &Read) -> Vec<(usize, usize, Value)> {
        read.odd
            .iter()
            .map(|cell| (cell.row, cell.place, cell.value.clone()))
            .collect()
    }

    #[test]
    fn a_fields_value_its_column_cannot_hold_is_missing_there_and_odd() {
        let (_path, uri) = database(
            "INSERT INTO t VALUES (' yes', '12.5'), ('maybe', 'fast'), (1.0, x'00'), ('', ''), \
             ('N', 3), (NULL, ' 1e3 ');",
        );
        let sql = "SELECT a, b, b FROM t ORDER BY rowid";
        let read = read(&uri, sql, &[Kind::Flag, Kind::Number, Kind::Text]).unwrap();
        assert_eq!(read.count, 6);
        let Column::Flags(flags, valid, sources) = &read.columns[0] else {
            panic!("flags")
        };
        assert_eq!(
            (flags.as_slice(), valid.bits.as_slice()),
            (&[1, 0, 0, 0, 0, 0][..], &[0b010001u8][..])
        );
        assert!(sources.texts && !sources.integers);
        let Column::Floats(numbers, valid, _) = &read.columns[1] else {
            panic!("numbers")
        };
        assert_eq!(numbers.as_slice(), &[12.5, 0.0, 0.0, 0.0, 3.0, 1000.0]);
        assert_eq!(valid.bits, [0b110001]);
        let Column::Text { data, valid, .. } = &read.columns[2] else {
            panic!("text")
        };
        assert_eq!(
            (data.as_slice(), valid.bits.as_slice()),
            (&b"12.5fast 1e3 "[..], &[0b100011u8][..])
        );
        assert_eq!(
            odd_of(&read),
            vec![
                (1, 0, Value::Text("maybe".into())),
                (1, 1, Value::Text("fast".into())),
                (2, 0, Value::Real(1.0)),
                (2, 1, Value::Blob(vec![0])),
                (2, 2, Value::Blob(vec![0])),
                (4, 2, Value::Integer(3)),
            ]
        );
    }

    #[test]
    fn a_bad_numbers_text_is_odd_for_python_to_show_as_written() {
        // (Typed here, "1e400" was inf and "-0.00000000000000000001" -1e-20 in errors.)
        let (_path, uri) = database(
            "INSERT INTO t VALUES (NULL, '1e400'), (NULL, '-0.00000000000000000001'), \
             (NULL, '-1.5'), (NULL, '1.5'), (NULL, '12.5'), (NULL, -2.5);",
        );
        let sql = "SELECT b, b FROM t ORDER BY rowid";
        let read = read(&uri, sql, &[Kind::Number, Kind::Score]).unwrap();
        let Column::Floats(numbers, valid, _) = &read.columns[0] else {
            panic!("times")
        };
        assert_eq!(numbers.as_slice(), &[0.0, 0.0, 0.0, 1.5, 12.5, -2.5]);
        assert_eq!(valid.bits, [0b111000]);
        // (A score above 1 too; a stored REAL is shown as stored, as a list's float is.)
        let text = |text: &str| Value::Text(text.into());
        assert_eq!(
            odd_of(&read),
            vec![
                (0, 0, text("1e400")),
                (0, 1, text("1e400")),
                (1, 0, text("-0.00000000000000000001")),
                (1, 1, text("-0.00000000000000000001")),
                (2, 0, text("-1.5")),
                (2, 1, text("-1.5")),
                (3, 1, text("1.5")),
                (4, 1, text("12.5")),
            ]
        );
    }

    #[test]
    fn what_python_would_not_make_a_column_of_still_falls_back() {
        let (_path, uri) = database("INSERT INTO t VALUES ('x', 1), ('true', 2.5);");
        // Ids of any storage class are read; a key of another, or text that is not UTF-8
        // (Python's error to word), falls back.
        assert!(read(&uri, "SELECT x'00', a FROM t", &[Kind::Id, Kind::Text]).is_some());
        assert!(read(&uri, "SELECT 1.5 FROM t", &[Kind::Key]).is_none());
        assert!(read(&uri, "SELECT rowid UNION ALL SELECT 'k'", &[Kind::Key]).is_none());
        assert!(read(&uri, "SELECT CAST(x'ff' AS TEXT) FROM t", &[Kind::Number]).is_none());
        assert!(read(&uri, "SELECT CAST(x'ff' AS TEXT) FROM t", &[Kind::Flag]).is_none());
        // Flags typed from text beside stored integers: pyarrow refuses Python's mix.
        assert!(read(&uri, "SELECT a FROM t ORDER BY rowid", &[Kind::Flag]).is_some());
        assert!(read(&uri, "SELECT 1 UNION ALL SELECT 'yes'", &[Kind::Flag]).is_none());
        // Integers past 2^53 beside text Python may make a float of, or that it made one of.
        assert!(read(&uri, "SELECT 9007199254740993 UNION ALL SELECT 'x'", &[Kind::Number]).is_none());
        assert!(read(&uri, "SELECT 9007199254740993 UNION ALL SELECT '1'", &[Kind::Number]).is_none());
        assert!(read(&uri, "SELECT 9007199254740993 UNION ALL SELECT x'00'", &[Kind::Number]).is_some());
    }

    #[test]
    fn bad_integers_are_odd_values_as_stored() {
        let (_path, uri) = database("");
        // An execution time's negative integer (or any bad number's text) comes back as it
        // is stored, for an error to show -1, not -1.0; a real, or good integers, are held.
        let sql = "SELECT -1 UNION ALL SELECT -1.5 UNION ALL SELECT ' -2 ' UNION ALL SELECT '-2.0' \
                   UNION ALL SELECT 2 UNION ALL SELECT '3'";
        let odd = |kinds: &[Kind]| read(&uri, sql, kinds).unwrap().odd;
        let values = |odd: Vec<OddValue>| odd.into_iter().map(|o| (o.row, o.value)).collect::<Vec<_>>();
        assert_eq!(
            values(odd(&[Kind::Number])),
            [
                (0, Value::Integer(-1)),
                (2, Value::Text(" -2 ".into())),
                (3, Value::Text("-2.0".into()))
            ]
        );
        // A score's integers outside [0, 1] too.
        assert_eq!(
            values(odd(&[Kind::Score])),
            [
                (0, Value::Integer(-1)),
                (2, Value::Text(" -2 ".into())),
                (3, Value::Text("-2.0".into())),
                (4, Value::Integer(2)),
                (5, Value::Text("3".into()))
            ]
        );
        let read = read(&uri, sql, &[Kind::Number]).unwrap();
        let Column::Floats(numbers, valid, _) = &read.columns[0] else {
            panic!("not a number column");
        };
        assert_eq!(numbers, &[0.0, -1.5, 0.0, 0.0, 2.0, 3.0]);
        assert_eq!(valid.nulls, 3);
    }

    #[test]
    fn more_odd_values_than_allowed_fall_back() {
        let (_path, uri) = database("");
        let (share, floor) = ODD_VALUES;
        let rows = |n: usize, odd: usize| {
            format!(
                "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {n}) \
                 SELECT CASE WHEN i < {odd} THEN 'odd' ELSE '1' END FROM n"
            )
        };
        let read_odd = |n, odd| read(&uri, &rows(n, odd), &[Kind::Number]).map(|read| read.odd.len());
        assert_eq!(read_odd(floor, floor), Some(floor));
        assert_eq!(read_odd(floor + 1, floor + 1), None);
        let many = share * (floor + 10);
        assert_eq!(read_odd(many, floor + 10), Some(floor + 10));
        assert_eq!(read_odd(many, floor + 11), None);
    }

    #[test]
    fn odd_values_are_numbered_by_their_rows_after_a_sort() {
        let (_path, uri) = database(
            "INSERT INTO t VALUES ('b', '2026-01-02'), ('a', '2026-01-03'), ('b', '2026-01-01'), \
             ('a', '2026-01-01');",
        );
        let kinds = [Kind::Id, Kind::Text, Kind::Key, Kind::Number, Kind::Text];
        let scan = "SELECT a, b, rowid, CASE rowid WHEN 2 THEN 'fast' WHEN 3 THEN ' 2.5' ELSE rowid END, \
                    CASE rowid WHEN 1 THEN x'01' WHEN 4 THEN 4 ELSE 'x' END FROM t";
        let sorted = read_columns(&uri, scan, &[], &kinds, &[0, 1, 2]).unwrap().unwrap();
        // (Rows by id and time: 4 (a, 01), 2 (a, 03), 3 (b, 01), 1 (b, 02).)
        assert_eq!(
            odd_of(&sorted),
            vec![
                (0, 4, Value::Integer(4)),
                (1, 3, Value::Text("fast".into())),
                (3, 4, Value::Blob(vec![1])),
            ]
        );
        let Column::Floats(numbers, valid, _) = &sorted.columns[3] else {
            panic!("numbers")
        };
        assert_eq!(
            (numbers.as_slice(), valid.bits.as_slice()),
            (&[4.0, 0.0, 2.5, 1.0][..], &[0b1101u8][..])
        );
        let ordered = format!("{scan} ORDER BY a, b, rowid");
        let expected = read(&uri, &ordered, &kinds).unwrap();
        assert_eq!(odd_of(&expected), odd_of(&sorted));
    }
}
