//! A bad value described as the list-of-dicts reader describes it: a Python-like repr of
//! the value at a row and the reason it is bad.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};

use super::flags::integers;
use super::numbers::{decimal_text, duration_at, floats, interval_at};
use super::timestamps::MILLIS_PER_DAY;
use super::{EXECUTION_TIME, GROUP, QUALITY, TIMESTAMP};
use crate::arrow_strings::{key_at, StringColumn};
use crate::duration_ms::{arrow_duration_repr, interval_millis, interval_repr};
use crate::epoch_text::epoch_text_hint;
use crate::group::BLANK_ID;
use crate::ingest::MAX_REPR_CHARS;
use crate::py_repr::{py_float_repr, py_str_repr_start};
use crate::timeparse::parse_iso_micros;

/// The text at `row` of a string column, plain or dictionary-encoded; None for other
/// types (a null or text that is not UTF-8 reads as "", never checked as an id or time).
fn text_at(col: &ArrayRef, row: usize) -> Option<&str> {
    if let Some(any) = col.as_any_dictionary_opt() {
        let values = StringColumn::new(any.values().as_ref())?;
        return Some(values.get(key_at(any, row)).unwrap_or_default());
    }
    StringColumn::new(col.as_ref()).map(|strings| strings.get(row).unwrap_or_default())
}

/// The u64 id at `row` of a u64 column or of a dictionary of u64 values (a pandas
/// categorical of such ids): a valid one marked invalid is beyond i64. None otherwise, or
/// where the dictionary value is null (a missing id).
fn unsigned_id_at(col: &ArrayRef, row: usize) -> Option<u64> {
    let (values, at) = match col.as_any_dictionary_opt() {
        Some(any) => (any.values(), key_at(any, row)),
        None => (col, row),
    };
    let ids = values.as_primitive_opt::<UInt64Type>()?;
    (at < ids.len() && ids.is_valid(at)).then(|| ids.value(at))
}

/// The float id at `row` of a float column or of a dictionary of float values (its plain
/// column dictionary-encoded). None otherwise, or where the dictionary value is null.
fn float_id_at(col: &ArrayRef, row: usize) -> Option<f64> {
    let (values, at) = match col.as_any_dictionary_opt() {
        Some(any) => (any.values(), key_at(any, row)),
        None => (col, row),
    };
    if !values.data_type().is_floating() || at >= values.len() || values.is_null(at) {
        return None;
    }
    // (That value alone: a dictionary may hold a value per row, and a batch describes up
    // to a few rows per pattern.)
    floats(&values.slice(at, 1)).map(|floats| floats[0])
}

/// Why a date64 of part of a day is bad (`timestamps::date64_micros`).
const DATE64_PART_OF_A_DAY: &str = "is not a whole day (a date64 holds days as multiples of 86400000 milliseconds)";

/// Why a float id is bad: a column of float ids is read as the ints they stand for.
const FLOAT_ID: &str = "must be a whole number within 64 bits (a column of float ids is read as int ids)";

/// Python-like repr of the bad value at `row` and why it is bad (the same reasons as the
/// list-of-dicts reader).
pub(super) fn describe(col: &ArrayRef, field: usize, row: usize) -> (String, String) {
    // The row alone, as a one-row slice (no copy): the helpers below convert or scan whole
    // columns, and a batch describes up to a few rows per pattern, so over the full column
    // 1M bad rows over 10,000 patterns took minutes (quadratic), now a second.
    let (col, row) = (&col.slice(row, 1), 0);
    let null = col.logical_nulls().is_some_and(|n| n.is_null(row));
    if !null && field == GROUP {
        if let Some(id) = unsigned_id_at(col, row) {
            return (id.to_string(), "is too large an int".into());
        }
        if let Some(text) = text_at(col, row) {
            return (py_str_repr_start(text, MAX_REPR_CHARS), BLANK_ID.into());
        }
        // (Marked as `group_column` reads float ids: NaN is a missing id.)
        if let Some(x) = float_id_at(col, row).filter(|x| !x.is_nan()) {
            return (py_float_repr(x), FLOAT_ID.into());
        }
    }
    if null || field == GROUP {
        return ("<missing>".into(), "required field is missing".into());
    }
    if field == TIMESTAMP {
        if let Some(text) = text_at(col, row) {
            let reason = parse_iso_micros(text).err().unwrap_or("is not a valid date-time");
            let hint = epoch_text_hint(text); // (epoch seconds exported as text: a CSV's)
            return (py_str_repr_start(text, MAX_REPR_CHARS), format!("{reason}{hint}"));
        }
        let raw = match col.data_type() {
            DataType::Timestamp(TimeUnit::Second, _) => col.as_primitive::<TimestampSecondType>().value(row),
            DataType::Timestamp(TimeUnit::Millisecond, _) => col.as_primitive::<TimestampMillisecondType>().value(row),
            DataType::Date64 => col.as_primitive::<Date64Type>().value(row),
            DataType::Date32 => i64::from(col.as_primitive::<Date32Type>().value(row)),
            _ => col.as_primitive_opt::<Int64Type>().map_or(0, |a| a.value(row)),
        };
        let reason = if *col.data_type() == DataType::Date64 && raw % MILLIS_PER_DAY != 0 {
            DATE64_PART_OF_A_DAY
        } else {
            "is out of the supported date-time range"
        };
        return (format!("{raw} ({})", col.data_type()), reason.into());
    }
    if field == EXECUTION_TIME {
        if let Some((count, unit)) = duration_at(col, row) {
            // (Only a negative duration is bad.)
            return (arrow_duration_repr(count, unit), "must be >= 0".into());
        }
        if let Some((months, days, nanos)) = interval_at(col, row) {
            // (One with months, or a negative one.)
            let reason = interval_millis(months, days, nanos)
                .err()
                .unwrap_or_else(|| "must be >= 0".into());
            return (interval_repr(months, days, nanos), reason);
        }
    }
    if let Some(values) = floats(col) {
        let x = values[row];
        let reason = if field == EXECUTION_TIME || field == QUALITY {
            if !x.is_finite() {
                "must be a finite number".to_owned()
            } else if field == QUALITY {
                "must be within [0, 1]".to_owned()
            } else {
                "must be >= 0".to_owned()
            }
        } else {
            "must be a bool (or the int 0 or 1)".to_owned()
        };
        let repr = if let Some(unsigned) = col.as_primitive_opt::<UInt64Type>() {
            unsigned.value(row).to_string() // beyond i64: not widened
        } else if let Some(text) = decimal_text(col, row) {
            format!("Decimal('{text}')") // as pyarrow gives it
        } else if col.data_type().is_integer() {
            integers(col).map_or_else(|| format!("{x}"), |ints| ints[row].to_string())
        } else {
            py_float_repr(x)
        };
        return (repr, reason);
    }
    ("<value>".into(), "is invalid".into())
}
