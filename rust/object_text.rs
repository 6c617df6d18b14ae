//! A numpy array of Python `str` objects (a pandas column of object dtype, how pandas
//! before version 3 holds all text) as dictionary codes: each row the index of its string
//! among the column's distinct strings, -1 where missing.
//!
//! Exported to Arrow as it is, such a column is converted string by string by pyarrow
//! (about 33 ns a row: 4 text columns of 1M rows cost more than the reduction), where the
//! column's repeated values are mostly the same few objects. Here a row whose object was
//! seen lately costs a type check and one lookup by address; only other objects are read
//! as text. Python's `object_text.object_text_as_categories` makes the codes a pandas
//! Categorical, which pandas exports as a dictionary-encoded column, read by the core as
//! such.
//!
//! The values are what pyarrow's conversion (`from_pandas`) gives: a `str` (or a subclass,
//! by its text) is its text; None and a float NaN (numpy's too) are missing. Anything else
//! (another kind of value, pandas' NA, a str that is not UTF-8: a lone surrogate) gives no
//! codes, and the column is left to the checks and conversion it had before.

use std::time::{Duration, Instant};

use pyo3::exceptions::{PyTypeError, PyUnicodeEncodeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};
use rustc_hash::FxHashMap;

use crate::pyfast::{exact_float_value, is_exact_float, is_exact_str};

/// Slots of the cache of objects seen lately, by address (a power of two).
const RECENT_SLOTS: usize = 4096;

/// How long the GIL is held before it is let go for other threads (an event loop) while
/// a long column is coded: twice Python's default switch interval. A thread waiting that
/// long has asked for the GIL, and a release then hands it over. (Released more often, a
/// release and retake in microseconds tells the waiting thread that the GIL changed hands,
/// and it goes back to waiting: in a test it never ran during 45 ms of coding.) Meanwhile
/// other threads may change the array: its rows, and even its buffer (`resize(...,
/// refcheck=False)` and `__setstate__` free it whatever views are open), so the view is
/// let go with the GIL and taken again after, and a column whose length or layout
/// changed meanwhile gives no codes. A row is read after the last release before it, and
/// the objects the cache and the distinct strings hold stay alive.
const HOLD: Duration = Duration::from_millis(10);

/// Rows between two looks at the clock.
const ROWS_PER_LOOK: usize = 4096;

/// The codes of `values` (a 1-D numpy array of objects) as native-endian int32s, and the
/// distinct strings, first seen first; None where a value is not text or missing, or where
/// more than `max_distinct` strings differ (a dictionary as long as its column saves
/// nothing).
#[pyfunction]
#[pyo3(name = "object_text_codes")]
pub fn py_object_text_codes<'py>(
    values: &Bound<'py, PyAny>,
    max_distinct: usize,
) -> PyResult<Option<(Bound<'py, PyBytes>, Bound<'py, PyList>)>> {
    let py = values.py();
    let mut view = ObjectView::of(values)?;
    let mut coder = Coder::new(max_distinct);
    let mut codes = Vec::with_capacity(view.len);
    let mut held_since = Instant::now();
    for i in 0..view.len {
        if i % ROWS_PER_LOOK == ROWS_PER_LOOK - 1 && held_since.elapsed() >= HOLD {
            let (len, stride) = (view.len, view.stride);
            drop(view);
            py.detach(|| ());
            view = match ObjectView::of(values) {
                Ok(again) if (again.len, again.stride) == (len, stride) => again,
                // (Changed meanwhile, its dtype even: pyarrow's to convert as it is now.)
                _ => return Ok(None),
            };
            held_since = Instant::now();
        }
        let object = view.pointer(i);
        let slot = (object as usize >> 4) & (RECENT_SLOTS - 1);
        if let Some(code) = coder.recent_code(slot, object) {
            codes.push(code);
            continue;
        }
        // Other objects owned at once: nothing below runs Python code, but an allocation
        // (of a str's UTF-8 or of an error) must not see the row freed under it.
        // SAFETY: a pointer of the array's, held open by `view` (NULL: an uninitialised
        // slot of numpy's).
        let Some(value) = (unsafe { Bound::from_borrowed_ptr_or_opt(py, object) }) else {
            return Ok(None);
        };
        match coder.code(&value, slot)? {
            Some(code) => codes.push(code),
            None => return Ok(None),
        }
    }
    let distinct = PyList::new(py, coder.distinct)?;
    Ok(Some((PyBytes::new(py, bytemuck::cast_slice(&codes)), distinct)))
}

/// The rows' codes, with the distinct strings they index.
struct Coder<'py> {
    /// Objects seen lately, by their address's slot, with their code: held, so that an
    /// address cannot be taken by another object while it is here.
    recent: Vec<Option<(Bound<'py, PyAny>, i32)>>,
    by_text: FxHashMap<Box<[u8]>, i32>,
    distinct: Vec<Bound<'py, PyString>>,
    max_distinct: usize,
}

impl<'py> Coder<'py> {
    fn new(max_distinct: usize) -> Self {
        Coder {
            recent: (0..RECENT_SLOTS).map(|_| None).collect(),
            by_text: FxHashMap::default(),
            distinct: Vec::new(),
            max_distinct,
        }
    }

    /// The code of the object at `object` where it is the one `slot` holds (the slot
    /// holds it alive, so no other object can have its address meanwhile).
    #[inline]
    fn recent_code(&self, slot: usize, object: *mut ffi::PyObject) -> Option<i32> {
        match &self.recent[slot] {
            Some((seen, code)) if seen.as_ptr() == object => Some(*code),
            _ => None,
        }
    }

    /// `value`'s code (-1: missing), kept in `slot`; None where the column is no column of
    /// text.
    fn code(&mut self, value: &Bound<'py, PyAny>, slot: usize) -> PyResult<Option<i32>> {
        let code = if is_exact_str(value) {
            // SAFETY: checked to be exactly a str.
            self.text_code(unsafe { value.cast_unchecked::<PyString>() })?
        } else if let Ok(text) = value.cast::<PyString>() {
            // A subclass (a `StrEnum` member): its text, as an exact str.
            match utf8(text)?.map(std::str::from_utf8) {
                Some(Ok(plain)) => self.text_code(&PyString::new(value.py(), plain))?,
                _ => None, // (a lone surrogate: Python's UTF-8 is valid otherwise)
            }
        } else if is_missing(value) {
            Some(-1)
        } else {
            None
        };
        if let Some(code) = code {
            self.recent[slot] = Some((value.clone(), code));
        }
        Ok(code)
    }

    /// The code of an exact str, a new one for a text not seen; None past `max_distinct`
    /// or for a str that is not UTF-8.
    fn text_code(&mut self, text: &Bound<'py, PyString>) -> PyResult<Option<i32>> {
        let Some(bytes) = utf8(text)? else { return Ok(None) };
        if let Some(code) = self.by_text.get(bytes) {
            return Ok(Some(*code));
        }
        if self.distinct.len() >= self.max_distinct.min(i32::MAX as usize) {
            return Ok(None);
        }
        let code = self.distinct.len() as i32;
        self.by_text.insert(bytes.into(), code);
        self.distinct.push(text.clone());
        Ok(Some(code))
    }
}

/// A str's UTF-8 (held by the str), or None for one with a lone surrogate.
fn utf8<'a>(text: &'a Bound<'_, PyString>) -> PyResult<Option<&'a [u8]>> {
    let mut size: ffi::Py_ssize_t = 0;
    // SAFETY: a live str; the buffer returned lives as long as the str (its UTF-8 form is
    // kept in it), which `text` holds for 'a.
    let data = unsafe { ffi::PyUnicode_AsUTF8AndSize(text.as_ptr(), &mut size) };
    if data.is_null() {
        let error = PyErr::fetch(text.py());
        return if error.is_instance_of::<PyUnicodeEncodeError>(text.py()) {
            Ok(None)
        } else {
            Err(error)
        };
    }
    // SAFETY: `size` bytes at `data`, valid while the str lives (above).
    Ok(Some(unsafe {
        std::slice::from_raw_parts(data.cast::<u8>(), size as usize)
    }))
}

/// Whether `value` is a missing marker pyarrow's `from_pandas` conversion reads as null
/// here: None, or a float NaN (a numpy float64 is a float subclass).
fn is_missing(value: &Bound<'_, PyAny>) -> bool {
    if value.is_none() {
        return true;
    }
    if is_exact_float(value) {
        return exact_float_value(value).is_nan();
    }
    // SAFETY: a live object; PyFloat_AsDouble of a float subclass runs no Python code.
    value.is_instance_of::<pyo3::types::PyFloat>() && unsafe { ffi::PyFloat_AsDouble(value.as_ptr()) }.is_nan()
}

/// A 1-D buffer of object pointers (numpy's "O" format) held open, with the GIL: while it
/// is, numpy refuses to resize the array (unless told not to check, see `HOLD`), and no
/// other thread runs to try, so the pointers stay where they are read.
struct ObjectView {
    view: ffi::Py_buffer,
    len: usize,
    stride: isize,
}

impl ObjectView {
    fn of(values: &Bound<'_, PyAny>) -> PyResult<Self> {
        let mut view = ffi::Py_buffer::new();
        // SAFETY: a live object and a zeroed view for the call to fill.
        if unsafe { ffi::PyObject_GetBuffer(values.as_ptr(), &mut view, ffi::PyBUF_RECORDS_RO) } != 0 {
            return Err(PyErr::fetch(values.py()));
        }
        let mut held = ObjectView {
            view,
            len: 0,
            stride: 0,
        }; // (released if refused below)
        let (format, ndim) = (held.view.format, held.view.ndim);
        // SAFETY: the format asked for, a NUL-terminated string where not NULL.
        let object_format = !format.is_null() && unsafe { std::ffi::CStr::from_ptr(format) }.to_bytes() == b"O";
        let pointer_size = held.view.itemsize as usize == std::mem::size_of::<*mut ffi::PyObject>();
        if !(object_format && pointer_size && ndim == 1) {
            return Err(PyTypeError::new_err("expected a 1-D numpy array of objects"));
        }
        // SAFETY: one dimension: its length and its stride in bytes.
        unsafe {
            held.len = *held.view.shape as usize;
            held.stride = *held.view.strides;
        }
        Ok(held)
    }

    /// Row `i`'s object pointer, borrowed from the array (NULL in an uninitialised one).
    #[inline]
    fn pointer(&self, i: usize) -> *mut ffi::PyObject {
        assert!(i < self.len);
        // SAFETY: row i < len of a 1-D buffer of pointers whose rows are `stride` bytes
        // apart (negative for a reversed view), held open by `self`.
        unsafe {
            let at = self.view.buf.cast::<u8>().offset(i as isize * self.stride);
            at.cast::<*mut ffi::PyObject>().read_unaligned()
        }
    }
}

impl Drop for ObjectView {
    fn drop(&mut self) {
        // SAFETY: a view filled by PyObject_GetBuffer (dropped with the GIL held: the
        // function that made it holds it throughout).
        unsafe { ffi::PyBuffer_Release(&mut self.view) }
    }
}
