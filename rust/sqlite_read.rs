//! A SQLite query's rows read straight into typed columns (`sources/sqlite_native.py`).
//!
//! Python's `sqlite3` makes a Python object per cell: two million rows of twelve columns
//! were 24 million objects and most of a SQLite dashboard's time. Here the same statement
//! runs on SQLite's own library (bundled, on a read-only connection) with the GIL released,
//! and each column goes into a compact buffer of its field's type, as Arrow lays it out.
//!
//! A column holds what the Python path would make an Arrow column of, or nothing is
//! returned (`Ok(None)`) and the caller reads the rows the Python way, which types,
//! judges and reports every other value as it always has: text in a flag or number
//! column (which it converts as a CSV cell), a real in a flag column, a blob in a text
//! column, text that is not UTF-8, and any SQLite error (which it reports in its words).

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
    /// A number: integers and reals, as float64.
    Number,
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

/// What a number column has held: reals, integers past `EXACT_INTEGERS`.
#[derive(Default)]
pub struct Mixing {
    reals: bool,
    wide: bool,
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
    Ints(Vec<i64>, Validity),
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
            Kind::Flag => Self::Ints(Vec::new(), Validity::default()),
            Kind::Number => Self::Floats(Vec::new(), Validity::default(), Mixing::default()),
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

    /// Adds a value; false where the column cannot hold it as the Python path would.
    pub fn push(&mut self, value: ValueRef<'_>) -> bool {
        match self {
            Self::Key(nulls) => {
                let nulls = *nulls;
                *self = match value {
                    ValueRef::Null => Self::Key(nulls + 1),
                    ValueRef::Integer(_) => Self::Ints(Vec::new(), Validity::default()),
                    ValueRef::Text(_) => Self::text(false),
                    _ => return false,
                };
                if matches!(self, Self::Key(_)) {
                    return true;
                }
                (0..nulls).all(|_| self.push(ValueRef::Null)) && self.push(value)
            }
            Self::Ids(ids) => ids.push(value),
            Self::Text {
                empty_is_missing,
                offsets,
                data,
                valid,
            } => {
                match value {
                    ValueRef::Null => valid.push(false),
                    ValueRef::Text(bytes) => {
                        if std::str::from_utf8(bytes).is_err() {
                            return false;
                        }
                        if bytes.is_empty() && *empty_is_missing {
                            valid.push(false);
                        } else {
                            data.extend_from_slice(bytes);
                            valid.push(true);
                        }
                    }
                    _ => return false,
                }
                // (Past 2 GiB of text an Arrow string column needs 64-bit offsets.)
                match i32::try_from(data.len()) {
                    Ok(end) => offsets.push(end),
                    Err(_) => return false,
                }
                true
            }
            Self::Ints(values, valid) => {
                match value {
                    ValueRef::Null => {
                        values.push(0);
                        valid.push(false);
                    }
                    ValueRef::Integer(int) => {
                        values.push(int);
                        valid.push(true);
                    }
                    _ => return false,
                }
                true
            }
            Self::Floats(values, valid, mixing) => {
                match value {
                    ValueRef::Null => {
                        values.push(0.0);
                        valid.push(false);
                    }
                    // (Rounded to nearest, ties to even, as Arrow's int64 -> float64 cast
                    // rounds a column of integers.)
                    ValueRef::Integer(int) => {
                        mixing.wide |= int.unsigned_abs() > EXACT_INTEGERS;
                        values.push(int as f64);
                        valid.push(true);
                    }
                    ValueRef::Real(real) => {
                        mixing.reals = true;
                        values.push(real);
                        valid.push(true);
                    }
                    _ => return false,
                }
                // pyarrow refuses a column of reals and integers past 2^53 (it keeps such
                // integers exact, as records, for the core to judge).
                !(mixing.reals && mixing.wide)
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
/// its column or the order, or SQLite fails.
pub fn read_columns(
    uri: &str,
    sql: &str,
    params: &[Value],
    kinds: &[Kind],
    order: &[usize],
) -> Result<Option<(usize, Vec<Column>)>, String> {
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
    let read = || -> rusqlite::Result<Option<(usize, Vec<Column>)>> {
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
        while let Some(row) = rows.next()? {
            for (place, column) in columns.iter_mut().enumerate() {
                if !column.push(row.get_ref(place)?) {
                    return Ok(None);
                }
            }
            count += 1;
        }
        // (No rows or one: in order, and a key column that saw no value has no type.)
        if order.is_empty() || count < 2 {
            return Ok(Some((count, columns)));
        }
        let Some(rows) = sorted_rows(&columns, order, count) else {
            return Ok(None);
        };
        // (A column at a time on each core: the columns are independent. Through the
        // core's pool, which a forked process has its own of.)
        let columns = crate::pool::install(|| columns.into_par_iter().map(|column| permuted(column, &rows)).collect());
        Ok(Some((count, columns)))
    };
    match read() {
        Ok(read) => Ok(read),
        Err(rusqlite::Error::InvalidColumnIndex(width)) => Err(format!(
            "the statement selects a number of columns other than the {width} kinds given"
        )),
        Err(_) => Ok(None),
    }
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
/// ("text", offsets, data, validity), ("int", values, validity) or ("float", values,
/// validity), little-endian Arrow buffers (validity None where every value is present).
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

/// `read_columns` for Python (`sources.sqlite_native`), with the GIL released while SQLite
/// steps and the rows are sorted: (row count, columns) or None.
#[pyfunction]
#[pyo3(name = "sqlite_columns", signature = (uri, sql, params, kinds, order = Vec::new()))]
pub fn py_sqlite_columns<'py>(
    py: Python<'py>,
    uri: &str,
    sql: &str,
    params: Vec<Bound<'py, PyAny>>,
    kinds: Vec<String>,
    order: Vec<usize>,
) -> PyResult<Option<(usize, Bound<'py, PyList>)>> {
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
    let Some((count, columns)) = read else {
        return Ok(None);
    };
    let columns = columns
        .iter()
        .map(|column| python_column(py, column))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(Some((count, PyList::new(py, columns)?)))
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

    fn read(uri: &str, sql: &str, kinds: &[Kind]) -> Option<(usize, Vec<Column>)> {
        read_columns(uri, sql, &[], kinds, &[]).unwrap()
    }

    #[test]
    fn reads_runs_of_ids_and_text_with_empty_text_missing() {
        let (_path, uri) = database("INSERT INTO t VALUES ('x', 'one'), ('x', ''), ('y', NULL), ('x', 'two');");
        let (count, columns) = read(&uri, "SELECT a, b FROM t ORDER BY rowid", &[Kind::Id, Kind::Text]).unwrap();
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
        let (_, columns) = read(&uri, "SELECT a, b FROM t ORDER BY rowid", &[Kind::Flag, Kind::Number]).unwrap();
        let Column::Ints(flags, valid) = &columns[0] else {
            panic!("flags")
        };
        assert_eq!((flags.as_slice(), valid.nulls), (&[1, 0][..], 1));
        let Column::Floats(numbers, valid, _) = &columns[1] else {
            panic!("numbers")
        };
        assert_eq!((numbers.as_slice(), valid.nulls), (&[2.5, 3.0][..], 0));
        // A real flag, text in a number or a blob in text: the Python path reads those.
        assert!(read(&uri, "SELECT b FROM t", &[Kind::Flag]).is_none());
        assert!(read(&uri, "SELECT 'x' FROM t", &[Kind::Number]).is_none());
        assert!(read(&uri, "SELECT x'00' FROM t", &[Kind::Text]).is_none());
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
        let (_, columns) = read(&uri, "SELECT rowid, a FROM t", &[Kind::Key, Kind::Key]).unwrap();
        assert!(matches!(&columns[0], Column::Ints(values, _) if values == &[1]));
        assert!(matches!(&columns[1], Column::Text { valid, .. } if valid.nulls == 0));
        assert!(read(&uri, "SELECT x'00' FROM t", &[Kind::Key]).is_none());
        // NULL keys (a view's rowid) before and after the first key, or all of them.
        let sql = "SELECT NULL UNION ALL SELECT 4 UNION ALL SELECT NULL";
        let (_, columns) = read(&uri, sql, &[Kind::Key]).unwrap();
        assert!(matches!(&columns[0], Column::Ints(values, valid) if values == &[0, 4, 0] && valid.bits == [0b010]));
        let (_, columns) = read(&uri, "SELECT NULL FROM t", &[Kind::Key]).unwrap();
        assert!(matches!(&columns[0], Column::Key(1)));
    }

    #[test]
    fn the_window_function_places_text_as_the_core_reads_it() {
        let (_path, uri) = database("INSERT INTO t VALUES ('2026-01-02T00:00:00Z', 0);");
        let sql = "SELECT ua_in_window(a, 0, 1767312000000000), ua_in_window(a, 0, 1), \
                   ua_in_window('2026-13-01', 0, 1), ua_in_window(5, 0, 1) FROM t";
        let kinds = [Kind::Flag; 4];
        let (_, columns) = read(&uri, sql, &kinds).unwrap();
        let flags: Vec<i64> = columns
            .iter()
            .map(|column| match column {
                Column::Ints(values, _) => values[0],
                _ => panic!("flag"),
            })
            .collect();
        assert_eq!(flags, vec![1, 0, 1, 0]);
        let sql = "SELECT ua_instant(a), ua_instant(' 1970-01-01T00:00:01+00:00 '), \
                   ua_instant('2026-13-01'), ua_instant(5) FROM t";
        let (_, columns) = read(&uri, sql, &kinds).unwrap();
        let Column::Ints(values, valid) = &columns[0] else {
            panic!("instants")
        };
        assert_eq!((values[0], valid.nulls), (1_767_312_000_000_000, 0));
        assert!(matches!(&columns[1], Column::Ints(values, _) if values == &[1_000_000]));
        assert!(matches!(&columns[2], Column::Ints(_, valid) if valid.nulls == 1));
        assert!(matches!(&columns[3], Column::Ints(_, valid) if valid.nulls == 1));
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
            Column::Ints(values, valid) => format!("{values:?} {:?}", valid.bits),
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
        let kinds = [Kind::Id, Kind::Text, Kind::Flag];
        let ordered = "SELECT a, b, rowid FROM t ORDER BY a, b, rowid";
        let (count, expected) = read(&uri, ordered, &kinds).unwrap();
        let scan = "SELECT a, b, rowid FROM t";
        let (sorted_count, sorted) = read_columns(&uri, scan, &[], &kinds, &[0, 1, 2]).unwrap().unwrap();
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
            Some((0, _))
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
            if let Some((_, columns)) = read(&uri, sql, &[Kind::Flag]) {
                let Column::Ints(values, _) = &columns[0] else {
                    panic!("ints")
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
}
