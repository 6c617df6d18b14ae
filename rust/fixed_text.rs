//! A numpy array of fixed-width text (dtype `<U`, what `np.array(list_of_str)` gives) as
//! dictionary codes: each row the index of its string among the column's distinct
//! strings.
//!
//! Exported to Arrow as it is, such a column is decoded row by row from numpy's UTF-32 by
//! pyarrow (about 120 ns a row for short ids: twice the reduction of a million records),
//! where its rows are mostly a few repeated values. Here a row costs a hash and a lookup
//! of its bytes; only a row not seen before is decoded. Python's `object_text` makes the
//! codes an Arrow dictionary array, which the core reads as such.
//!
//! A row's value is numpy's: its code points up to its last one that is not NUL (numpy
//! pads a shorter string with NULs and strips them when it reads one back, so "a\0" is
//! "a" there), NULs within it kept ("a\0b"). (pyarrow's conversion cut a row at its first
//! NUL, "a\0b" read as "a", which numpy's own `tolist()`, `astype(object)` and a list of
//! the same str all keep.) Two rows are the same string exactly when their padded bytes
//! are the same, so rows are looked up by those. A row holding a code point that is no
//! Unicode scalar value (a lone surrogate, past U+10FFFF) gives no codes, and the column
//! is left to the conversion and checks it had before.

use std::time::{Duration, Instant};

use pyo3::exceptions::PyTypeError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};

use crate::seeded_map::SeededMap;

/// How long the GIL is held before it is let go for other threads (an event loop), as in
/// `object_text` (whose notes say why this long, and why the view is taken again after).
const HOLD: Duration = Duration::from_millis(10);

/// Rows between two looks at the clock.
const ROWS_PER_LOOK: usize = 4096;

/// The codes of `values` (a 1-D numpy array of dtype `U` in the machine's byte order) as
/// native-endian int32s, and the distinct strings, first seen first; None where a row is
/// not Unicode text, or where more than `max_distinct` strings differ.
#[pyfunction]
#[pyo3(name = "fixed_text_codes")]
pub fn py_fixed_text_codes<'py>(
    values: &Bound<'py, PyAny>,
    max_distinct: usize,
) -> PyResult<Option<(Bound<'py, PyBytes>, Bound<'py, PyList>)>> {
    let py = values.py();
    let mut view = FixedTextView::of(values)?;
    // (Keys are rows' padded bytes, which callers choose: a seeded hash, so that rows
    // built to collide cannot make each lookup a walk.)
    let mut by_row: SeededMap<Box<[u8]>, i32> = SeededMap::default();
    let mut distinct: Vec<Bound<'py, PyString>> = Vec::new();
    let mut codes = Vec::with_capacity(view.len);
    let mut held_since = Instant::now();
    for i in 0..view.len {
        if i % ROWS_PER_LOOK == ROWS_PER_LOOK - 1 && held_since.elapsed() >= HOLD {
            let layout = (view.len, view.stride, view.width);
            drop(view);
            py.detach(|| ());
            view = match FixedTextView::of(values) {
                Ok(again) if (again.len, again.stride, again.width) == layout => again,
                // (Changed meanwhile: pyarrow's to convert as it is now.)
                _ => return Ok(None),
            };
            held_since = Instant::now();
        }
        let row = view.row(i);
        if let Some(code) = by_row.get(row) {
            codes.push(*code);
            continue;
        }
        if distinct.len() >= max_distinct.min(i32::MAX as usize) {
            return Ok(None);
        }
        let Some(text) = text_of(row) else { return Ok(None) };
        let code = distinct.len() as i32;
        by_row.insert(row.into(), code);
        distinct.push(PyString::new(py, &text));
        codes.push(code);
    }
    let distinct = PyList::new(py, distinct)?;
    Ok(Some((PyBytes::new(py, bytemuck::cast_slice(&codes)), distinct)))
}

/// A row's text as numpy reads it: its native-endian UTF-32 code units up to the last
/// that is not NUL; None where one is no Unicode scalar value.
fn text_of(row: &[u8]) -> Option<String> {
    let units: Vec<u32> = row
        .chunks_exact(4)
        .map(|unit| u32::from_ne_bytes([unit[0], unit[1], unit[2], unit[3]]))
        .collect();
    let end = units.iter().rposition(|&unit| unit != 0).map_or(0, |last| last + 1);
    units[..end].iter().map(|&unit| char::from_u32(unit)).collect()
}

/// Whether a buffer format (PEP 3118) is numpy's fixed-width text of `width` code points
/// in the machine's byte order ("12w", "<12w" on a little-endian machine; "w" is one).
fn native_text_format(format: &[u8], width: usize) -> bool {
    let rest = match format.first() {
        Some(b'@' | b'=') => &format[1..],
        Some(b'<') if cfg!(target_endian = "little") => &format[1..],
        Some(b'>' | b'!') if cfg!(target_endian = "big") => &format[1..],
        Some(b'<' | b'>' | b'!') => return false,
        _ => format,
    };
    let Some((b'w', count)) = rest.split_last() else {
        return false;
    };
    if count.is_empty() {
        return width == 1;
    }
    std::str::from_utf8(count)
        .ok()
        .and_then(|digits| digits.parse::<usize>().ok())
        == Some(width)
}

/// A 1-D buffer of fixed-width text rows held open, with the GIL (see `object_text`'s
/// `ObjectView`: numpy refuses to resize the array meanwhile).
struct FixedTextView {
    view: ffi::Py_buffer,
    len: usize,
    stride: isize,
    /// Bytes a row (4 a code point).
    width: usize,
}

impl FixedTextView {
    fn of(values: &Bound<'_, PyAny>) -> PyResult<Self> {
        let mut view = ffi::Py_buffer::new();
        // SAFETY: a live object and a zeroed view for the call to fill.
        if unsafe { ffi::PyObject_GetBuffer(values.as_ptr(), &mut view, ffi::PyBUF_RECORDS_RO) } != 0 {
            return Err(PyErr::fetch(values.py()));
        }
        let mut held = FixedTextView {
            view,
            len: 0,
            stride: 0,
            width: 0,
        }; // (released if refused below)
        let (format, ndim) = (held.view.format, held.view.ndim);
        let width = usize::try_from(held.view.itemsize).unwrap_or(0);
        // SAFETY: the format asked for, a NUL-terminated string where not NULL.
        let text = !format.is_null()
            && width % 4 == 0
            && native_text_format(unsafe { std::ffi::CStr::from_ptr(format) }.to_bytes(), width / 4);
        if !(text && ndim == 1) {
            return Err(PyTypeError::new_err(
                "expected a 1-D numpy array of text (dtype U) in the machine's byte order",
            ));
        }
        // SAFETY: one dimension: its length and its stride in bytes.
        unsafe {
            held.len = *held.view.shape as usize;
            held.stride = *held.view.strides;
        }
        held.width = width;
        Ok(held)
    }

    /// Row `i`'s bytes, borrowed from the array.
    #[inline]
    fn row(&self, i: usize) -> &[u8] {
        assert!(i < self.len);
        // SAFETY: row i < len of a 1-D buffer whose rows are `width` bytes, `stride` bytes
        // apart (negative for a reversed view), held open by `self`.
        unsafe {
            let at = self.view.buf.cast::<u8>().offset(i as isize * self.stride);
            std::slice::from_raw_parts(at, self.width)
        }
    }
}

impl Drop for FixedTextView {
    fn drop(&mut self) {
        // SAFETY: a view filled by PyObject_GetBuffer, dropped with the GIL held.
        unsafe { ffi::PyBuffer_Release(&mut self.view) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(text: &[u32]) -> Vec<u8> {
        text.iter().flat_map(|unit| unit.to_ne_bytes()).collect()
    }

    #[test]
    fn a_row_is_its_code_points_up_to_the_last_that_is_not_nul() {
        assert_eq!(text_of(&row(&[0x61, 0, 0])).as_deref(), Some("a"));
        assert_eq!(text_of(&row(&[0x61, 0, 0x62])).as_deref(), Some("a\0b"));
        assert_eq!(text_of(&row(&[0, 0])).as_deref(), Some(""));
        assert_eq!(text_of(&row(&[])).as_deref(), Some(""));
        assert_eq!(text_of(&row(&[0x1F600, 0x20])).as_deref(), Some("\u{1F600} "));
    }

    #[test]
    fn a_code_point_that_is_no_scalar_value_gives_no_text() {
        assert_eq!(text_of(&row(&[0xD800, 0x61])), None);
        assert_eq!(text_of(&row(&[0x11_0000])), None);
    }

    #[test]
    fn formats_of_native_text_of_the_rows_width_only() {
        assert!(native_text_format(b"12w", 12));
        assert!(native_text_format(b"w", 1));
        assert!(native_text_format(b"=3w", 3));
        assert_eq!(native_text_format(b"<3w", 3), cfg!(target_endian = "little"));
        assert_eq!(native_text_format(b">3w", 3), cfg!(target_endian = "big"));
        assert!(!native_text_format(b"3w", 4));
        assert!(!native_text_format(b"O", 1));
        assert!(!native_text_format(b"12s", 12));
        assert!(!native_text_format(b"", 0));
    }
}
