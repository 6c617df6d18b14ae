//! The timestamp column of a slice: Arrow timestamps of any unit, int64 epoch
//! microseconds, dates, and ISO-8601 strings, plain or dictionary-encoded (each distinct
//! string parsed once).

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, TimeUnit};

use super::{all_null, unsupported, Slice, TIMESTAMP};
use crate::arrow_strings::{for_each_key, key_out_of_range, utf8, StringColumn};
use crate::civil::{MICROS_PER_DAY, MICROS_PER_SECOND};
use crate::error::CoreError;
use crate::timeparse::parse_iso_micros;

pub(super) fn timestamps(col: &ArrayRef, s: &mut Slice) -> Result<(), CoreError> {
    debug_assert_eq!(col.len(), s.len);
    // Microseconds are read in place (a null's slot is marked below) or copied in whole;
    // every other form fills a row at a time.
    let micros = match col.data_type() {
        DataType::Timestamp(TimeUnit::Microsecond, _) => Some(col.as_primitive::<TimestampMicrosecondType>().values()),
        DataType::Int64 => Some(col.as_primitive::<Int64Type>().values()),
        _ => None,
    };
    match micros {
        Some(values) if s.share_buffers => s.ts.share(values.clone()),
        Some(values) => s.ts.cleared().extend_from_slice(values),
        None => s.ts.cleared().resize(s.len, 0),
    }
    if all_null(col) {
        for row in 0..col.len() {
            s.mark(row, TIMESTAMP);
        }
        return Ok(());
    }
    // Generic (not a closure over `&dyn Fn`): each unit gets its own loop, and microseconds
    // are read in place.
    fn scale(values: &[i64], to_micros: impl Fn(i64) -> Option<i64>, s: &mut Slice) {
        let (ts, mut bad) = (s.ts.vec_mut(), Vec::new());
        for (row, &v) in values.iter().enumerate() {
            match to_micros(v) {
                Some(us) => ts[row] = us,
                None => bad.push(row),
            }
        }
        for row in bad {
            s.mark(row, TIMESTAMP);
        }
    }
    match col.data_type() {
        DataType::Timestamp(unit, _) => match unit {
            TimeUnit::Second => scale(
                col.as_primitive::<TimestampSecondType>().values(),
                unit_to_micros(*unit),
                s,
            ),
            TimeUnit::Millisecond => scale(
                col.as_primitive::<TimestampMillisecondType>().values(),
                unit_to_micros(*unit),
                s,
            ),
            TimeUnit::Microsecond => {} // taken above
            TimeUnit::Nanosecond => scale(
                col.as_primitive::<TimestampNanosecondType>().values(),
                unit_to_micros(*unit),
                s,
            ),
        },
        DataType::Int64 => {} // taken above
        DataType::Date32 => {
            // Days past about 292,000 years from 1970 have no microsecond count in an i64.
            let days = col.as_primitive::<Date32Type>().values();
            for (row, &d) in days.iter().enumerate() {
                match i64::from(d).checked_mul(MICROS_PER_DAY) {
                    Some(us) => s.ts[row] = us,
                    None => s.mark(row, TIMESTAMP),
                }
            }
        }
        // (A date64 of part of a day breaks the Arrow spec, and libraries read it apart: an
        // invalid record, `describe`d as such, not an instant guessed.)
        DataType::Date64 => scale(col.as_primitive::<Date64Type>().values(), date64_micros, s),
        DataType::Dictionary(_, _) => {
            // Dictionary-encoded ISO strings: each distinct string is parsed once.
            let any = col.as_any_dictionary();
            let values = StringColumn::new(any.values().as_ref())
                .ok_or_else(|| unsupported(TIMESTAMP, col.data_type(), "a dictionary of ISO-8601 strings"))?;
            let parsed = (0..any.values().len())
                .map(|i| match values.get(i) {
                    None => Ok(None),
                    Some(v) => utf8(v, TIMESTAMP).map(|v| parse_iso_micros(v).ok()),
                })
                .collect::<Result<Vec<Option<i64>>, CoreError>>()?;
            let (mut bad, mut beyond) = (Vec::new(), Vec::new());
            for_each_key(any, |row, k| match parsed.get(k) {
                Some(&Some(us)) => s.ts[row] = us,
                Some(None) => bad.push(row),
                None => beyond.push(row),
            });
            // A null row's key is a placeholder (the row is marked missing below).
            let nulls = col.logical_nulls();
            if beyond.iter().any(|&row| nulls.as_ref().is_none_or(|n| n.is_valid(row))) {
                return Err(key_out_of_range(any, TIMESTAMP));
            }
            for row in bad.into_iter().chain(beyond) {
                s.mark(row, TIMESTAMP);
            }
        }
        _ => {
            let strings = StringColumn::new(col).ok_or_else(|| {
                unsupported(
                    TIMESTAMP,
                    col.data_type(),
                    "a timestamp, int64 epoch microseconds, a date or ISO-8601 strings",
                )
            })?;
            for row in 0..col.len() {
                match strings
                    .get(row)
                    .map(|text| utf8(text, TIMESTAMP))
                    .transpose()?
                    .map(parse_iso_micros)
                {
                    Some(Ok(us)) => s.ts[row] = us,
                    Some(Err(_)) => s.mark(row, TIMESTAMP),
                    None => {}
                }
            }
        }
    }
    // A null timestamp is a missing one: the row is invalid.
    if let Some(nulls) = col.logical_nulls() {
        for row in nulls.iter().enumerate().filter(|(_, valid)| !valid).map(|(row, _)| row) {
            s.mark(row, TIMESTAMP);
        }
    }
    Ok(())
}

/// Milliseconds a date64 holds: whole days (multiples of `MILLIS_PER_DAY`) alone.
pub(super) const MILLIS_PER_DAY: i64 = MICROS_PER_DAY / 1_000;

/// A date64's microseconds, None where it is not a whole day or past an i64's range.
fn date64_micros(ms: i64) -> Option<i64> {
    (ms % MILLIS_PER_DAY == 0).then(|| ms.checked_mul(1_000)).flatten()
}

fn unit_to_micros(unit: TimeUnit) -> fn(i64) -> Option<i64> {
    match unit {
        TimeUnit::Second => |v| v.checked_mul(MICROS_PER_SECOND),
        TimeUnit::Millisecond => |v| v.checked_mul(1_000),
        TimeUnit::Microsecond => Some,
        TimeUnit::Nanosecond => |v| Some(v.div_euclid(1_000)),
    }
}
