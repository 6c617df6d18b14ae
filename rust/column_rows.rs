//! A dict of columns of Python objects (lists or tuples, one per record field and, for a
//! batch, `pattern_id`) read row by row as the list of dicts of its rows would be: the
//! same records, so the same analytics and the same invalid-record samples, without the
//! dicts (and without converting the columns to Arrow first, which made a dict of lists
//! take 2.9x as long as the list of dicts; read here, 0.7x). `ingest::read_records` reads
//! these rows.
//!
//! The columns are read through borrowed item pointers, as the list of dicts' items are
//! (`pyfast`): each row's pointers are taken anew, so a column another thread shortened
//! between chunks ends the reading there, as a shortened list of records does.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use crate::fields::type_name;
use crate::ingest::FIELDS;
use crate::pyfast::list_item_ptr;

/// One column: a list (which may change between chunks) or a tuple.
enum Column<'py> {
    List(Bound<'py, PyList>),
    Tuple(Bound<'py, PyTuple>),
}

impl<'py> Column<'py> {
    fn of(name: &str, value: Bound<'py, PyAny>) -> PyResult<Self> {
        match value.cast_into::<PyList>() {
            Ok(list) => Ok(Column::List(list)),
            Err(error) => match error.into_inner().cast_into::<PyTuple>() {
                Ok(tuple) => Ok(Column::Tuple(tuple)),
                Err(error) => Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "column '{name}' must be a list or a tuple, got {}",
                    type_name(&error.into_inner())
                ))),
            },
        }
    }

    fn len(&self) -> usize {
        match self {
            Column::List(list) => list.len(),
            Column::Tuple(tuple) => tuple.len(),
        }
    }

    /// Item `index` as a borrowed pointer, null past the end (rule 1 of `pyfast`).
    #[inline]
    fn item(&self, index: usize) -> *mut ffi::PyObject {
        match self {
            Column::List(list) => list_item_ptr(list, index),
            Column::Tuple(tuple) => {
                if index >= tuple.len() {
                    return std::ptr::null_mut();
                }
                // SAFETY: a live tuple and an index within it (a tuple cannot change);
                // PyTuple_GetItem returns a borrowed reference.
                unsafe { ffi::PyTuple_GetItem(tuple.as_ptr(), index as ffi::Py_ssize_t) }
            }
        }
    }
}

/// A row's values: a borrowed pointer per record field (null where the dict has no such
/// column) and the pattern id's (null without one), valid until Python code runs.
pub struct RowValues {
    pub fields: [*mut ffi::PyObject; FIELDS.len()],
    pub id: *mut ffi::PyObject,
}

/// The columns of a dict of columns that the reader looks at.
pub struct ColumnRows<'py> {
    /// The record fields present, each with its place in `FIELDS`.
    fields: Vec<(usize, Column<'py>)>,
    id: Option<Column<'py>>,
}

impl<'py> ColumnRows<'py> {
    /// The record fields' columns of `dict` and, when `grouped`, its `pattern_id` column.
    /// (`ingest.read_any` passes only dicts of equally long lists or tuples.)
    pub fn new(dict: &Bound<'py, PyDict>, grouped: bool) -> PyResult<Self> {
        let column = |name: &str| -> PyResult<Option<Column<'py>>> {
            dict.get_item(name)?.map(|value| Column::of(name, value)).transpose()
        };
        let mut fields = Vec::new();
        for (place, name) in FIELDS.iter().enumerate() {
            if let Some(values) = column(name)? {
                fields.push((place, values));
            }
        }
        let id = if grouped { column("pattern_id")? } else { None };
        Ok(ColumnRows { fields, id })
    }

    /// The rows: the shortest column's length (a dict of no columns has none).
    pub fn len(&self) -> usize {
        let fields = self.fields.iter().map(|(_, column)| column);
        fields.chain(&self.id).map(Column::len).min().unwrap_or(0)
    }

    /// Row `index`'s values; None past the end of a column (one shortened meanwhile).
    #[inline]
    pub fn row(&self, index: usize) -> Option<RowValues> {
        let mut row = RowValues {
            fields: [std::ptr::null_mut(); FIELDS.len()],
            id: std::ptr::null_mut(),
        };
        for (place, column) in &self.fields {
            row.fields[*place] = column.item(index);
            if row.fields[*place].is_null() {
                return None;
            }
        }
        if let Some(column) = &self.id {
            row.id = column.item(index);
            if row.id.is_null() {
                return None;
            }
        }
        Some(row)
    }
}
