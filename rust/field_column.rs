//! A column of Python objects (a list of a dict of columns, or an array of objects's
//! values) read as one record field's values, by the very parsers that read a list of
//! dicts' records (`fields`), into the buffers of the Arrow array that holds what they
//! read: a timestamp's UTC microseconds, a flag, an execution time's or a score's float,
//! a text's UTF-8. pyarrow's own conversion of such objects (datetimes of any zone, dates,
//! numpy scalars, Decimals, timedeltas) imported pandas first, and read some otherwise
//! than a record does (a datetime64 in minutes refused, a sub-second UTC offset dropped);
//! here a value reads as its record reads it, or the column is refused at the first value
//! its record would refuse, naming the row, the value and the reason (the caller then
//! reads the column's values in their records, each bad one its record's error).
//!
//! Values are owned while read (their conversions may run Python code: `utcoffset`,
//! `__float__`), so a list changed meanwhile is read as it is at each row.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use crate::fields::{flag, number, take_interrupt, text, Invalid, TimeContext};
use crate::ingest::short_repr;

/// What a field's values become: the Arrow type is the caller's (`field_column.py`).
enum Lane {
    /// UTC microseconds (timestamp).
    Micros(Vec<i64>),
    /// Flags, a byte each (packed to bits at the end).
    Flags(Vec<u8>),
    /// Finite numbers (execution time, quality score).
    Floats(Vec<f64>),
    /// Text end to end, with each row's end (large_string's 64-bit offsets).
    Text(Vec<u8>, Vec<i64>),
}

/// The buffers of field `field`'s column of `values` (a list or a tuple): the values'
/// buffer (native-endian i64 microseconds, packed bits, f64s, or 64-bit offsets and the
/// UTF-8 text), the validity bits (None where no value is missing) and the count of the
/// missing. A value that its record would refuse raises ValueError naming its row, its
/// repr and the reason; an unknown field or another container, TypeError.
#[pyfunction]
#[pyo3(name = "field_column")]
#[allow(clippy::type_complexity)]
pub fn py_field_column<'py>(
    field: &str,
    values: &Bound<'py, PyAny>,
) -> PyResult<(Vec<Bound<'py, PyBytes>>, Option<Bound<'py, PyBytes>>, usize)> {
    let py = values.py();
    let items: Vec<Bound<'py, PyAny>> = if let Ok(list) = values.cast::<PyList>() {
        list.iter().collect()
    } else if let Ok(tuple) = values.cast::<PyTuple>() {
        tuple.iter().collect()
    } else {
        return Err(PyTypeError::new_err("field_column reads a list or a tuple"));
    };
    let rows = items.len();
    let mut lane = match field {
        "timestamp" => Lane::Micros(Vec::with_capacity(rows)),
        "success" | "quality_gates_passed" | "timeout" => Lane::Flags(Vec::with_capacity(rows)),
        "execution_time_ms" | "quality_score" => Lane::Floats(Vec::with_capacity(rows)),
        "context_type" | "agent" | "project" | "file_path" => {
            let mut ends = Vec::with_capacity(rows + 1);
            ends.push(0);
            Lane::Text(Vec::new(), ends)
        }
        _ => return Err(PyTypeError::new_err(format!("'{field}' is no record field"))),
    };
    let mut time = TimeContext::new(py)?;
    let mut valid = vec![true; rows];
    let mut missing = 0usize;
    for (row, value) in items.iter().enumerate() {
        let read = if value.is_none() {
            Ok(false)
        } else {
            read_value(field, value, &mut lane, &mut time)
        };
        if let Some(interrupt) = take_interrupt() {
            return Err(interrupt); // (Ctrl-C in a value's own code: the caller's)
        }
        match read {
            Ok(true) => {}
            Ok(false) => {
                valid[row] = false;
                missing += 1;
                push_missing(&mut lane);
            }
            Err(invalid) => {
                let shown = invalid.value.as_ref().map_or_else(|| "None".to_owned(), short_repr);
                return Err(PyValueError::new_err(format!(
                    "row {row} holds {shown}: {}",
                    invalid.reason
                )));
            }
        }
    }
    time.release_lost_zones();
    let buffers = match lane {
        Lane::Micros(micros) => vec![PyBytes::new(py, bytemuck::cast_slice(&micros))],
        Lane::Flags(flags) => vec![PyBytes::new(py, &packed(flags.iter().map(|&f| f != 0)))],
        Lane::Floats(floats) => vec![PyBytes::new(py, bytemuck::cast_slice(&floats))],
        Lane::Text(data, ends) => vec![PyBytes::new(py, bytemuck::cast_slice(&ends)), PyBytes::new(py, &data)],
    };
    let validity = (missing > 0).then(|| PyBytes::new(py, &packed(valid.iter().copied())));
    Ok((buffers, validity, missing))
}

/// Read one present value into `lane`: Ok(true) where read, Ok(false) where it is
/// missing all the same (numpy's or pandas' NaT as a time, NaT as a duration), else why
/// its record refuses it.
fn read_value<'py>(
    field: &str,
    value: &Bound<'py, PyAny>,
    lane: &mut Lane,
    time: &mut TimeContext<'py>,
) -> Result<bool, Invalid<'py>> {
    match lane {
        Lane::Micros(micros) => match time.timestamp(value) {
            Ok(us) => micros.push(us),
            Err(invalid) if invalid.value.is_none() => return Ok(false), // (a NaT)
            Err(invalid) => return Err(invalid),
        },
        Lane::Flags(flags) => flags.push(u8::from(flag(value)?)),
        Lane::Floats(floats) if field == "quality_score" => floats.push(number(value, 1.0)?),
        Lane::Floats(floats) => match time.execution_time(value)? {
            Some(ms) => floats.push(ms),
            None => return Ok(false),
        },
        Lane::Text(data, ends) => {
            let s = text(value)?;
            match s.to_str() {
                Ok(utf8) => data.extend_from_slice(utf8.as_bytes()),
                // (A file path's lone surrogates: U+FFFD for their bytes, as its record's
                // extension is read; other text is refused, as in its record.)
                Err(_) if field == "file_path" => data.extend_from_slice(s.to_string_lossy().as_bytes()),
                Err(_) => return Err(Invalid::new(value, "is not valid UTF-8 text")),
            }
            ends.push(data.len() as i64);
        }
    }
    Ok(true)
}

/// A placeholder where a value is missing (hidden by the validity bits).
fn push_missing(lane: &mut Lane) {
    match lane {
        Lane::Micros(micros) => micros.push(0),
        Lane::Flags(flags) => flags.push(0),
        Lane::Floats(floats) => floats.push(0.0),
        Lane::Text(data, ends) => ends.push(data.len() as i64),
    }
}

/// Bits packed least significant first, as Arrow's bitmaps are.
fn packed(bits: impl Iterator<Item = bool>) -> Vec<u8> {
    let mut bytes = Vec::new();
    let (mut byte, mut filled) = (0u8, 0u32);
    for bit in bits {
        byte |= u8::from(bit) << filled;
        filled += 1;
        if filled == 8 {
            bytes.push(byte);
            (byte, filled) = (0, 0);
        }
    }
    if filled > 0 {
        bytes.push(byte);
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::packed;

    #[test]
    fn bits_are_packed_least_significant_first() {
        assert_eq!(packed([true, false, true].into_iter()), vec![0b101]);
        assert_eq!(packed((0..9).map(|i| i != 1)), vec![0b1111_1101, 0b1]);
        assert!(packed(std::iter::empty()).is_empty());
    }
}
