//! Number columns (execution time, quality score) of a slice: float64 read in place where
//! every value is usable as it is, other float, integer and decimal types converted, and
//! durations of any unit and month-day-nano intervals (DuckDB's INTERVAL) as execution
//! times in milliseconds (`duration_ms`).

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef};
use arrow_schema::{DataType, IntervalUnit, TimeUnit};

use super::flags::per_integer_type;
use super::{all_null, unsupported, Slice, EXECUTION_TIME};
use crate::duration_ms::{interval_millis, millis, Unit};
use crate::error::CoreError;
use crate::wide::wide;

/// Values per branch-free block of `number_column`'s checks.
pub(super) const NUMBER_BLOCK: usize = 256;

/// Whether every value lies in [0, `max`] (NaN does not) and none is -0.0: checked in
/// branch-free blocks the compiler vectorizes (AVX2 where the CPU has it: `wide`). Of the
/// values in range only -0.0 has the sign bit: an OR of the bits tells, where a 64-bit
/// compare per value would not vectorize on baseline x86-64.
pub(super) fn usable_as_they_are(values: &[f64], max: f64) -> bool {
    wide(|| {
        values.chunks(NUMBER_BLOCK).all(|block| {
            let (ok, bits) = block.iter().fold((true, 0u64), |(ok, bits), &x| {
                ((ok & (x >= 0.0)) & (x <= max), bits | x.to_bits())
            });
            ok && bits >> 63 == 0
        })
    })
}

/// Writes every row of its target column: the value, or NaN (missing, or invalid and
/// marked).
pub(super) fn number_column(col: Option<&ArrayRef>, field: usize, max: f64, s: &mut Slice) -> Result<(), CoreError> {
    let target = if field == EXECUTION_TIME {
        &mut s.times
    } else {
        &mut s.quality
    };
    let Some(col) = col.filter(|c| !all_null(c)) else {
        target.cleared().resize(s.len, f64::NAN);
        return Ok(());
    };
    debug_assert_eq!(col.len(), s.len);
    // Values must be finite: with a finite upper bound, the range check rejects infinities
    // (and NaN fails both of its comparisons).
    let max = max.min(f64::MAX);
    let in_range = |x: f64| (0.0..=max).contains(&x);
    // (A validity buffer without nulls, common in sliced or concatenated arrays, is none.)
    let nulls = col.logical_nulls().filter(|n| n.null_count() > 0);
    let f64s = col.as_primitive_opt::<Float64Type>();
    if let Some(f64s) = f64s.filter(|_| nulls.is_none() && s.share_buffers) {
        // The common case, float64 values all valid and none -0.0 (which the copy writes as
        // 0.0): read in place.
        if usable_as_they_are(f64s.values(), max) {
            target.share(f64s.values().clone());
            return Ok(());
        }
    }
    let converted;
    let values: &[f64] = match f64s {
        Some(f64s) => f64s.values(),
        None if field == EXECUTION_TIME => {
            converted = duration_millis(col)
                .or_else(|| intervals_millis(col))
                .or_else(|| floats(col))
                .ok_or_else(|| unsupported(field, col.data_type(), "a float, integer or duration type"))?;
            &converted
        }
        None => {
            converted = floats(col).ok_or_else(|| unsupported(field, col.data_type(), "a float or integer type"))?;
            &converted
        }
    };
    // A decimal a hair above 1 (1.00000000000000000001) converts to 1.0: out of range all
    // the same, as the same Decimal in a record is (rows where the conversion gave 1.0 only).
    let decimal_scores = max == 1.0
        && matches!(
            col.data_type(),
            DataType::Decimal32(..) | DataType::Decimal64(..) | DataType::Decimal128(..) | DataType::Decimal256(..)
        );
    let above_one = |row: usize, x: f64| decimal_scores && x == 1.0 && decimal_above_one(col, row);
    let mut bad_rows = Vec::new();
    let mut check_rows = |first: usize, values: &[f64], target: &mut Vec<f64>| {
        target.extend(values.iter().enumerate().map(|(i, &x)| {
            let row = first + i;
            // (`+ 0.0` turns -0.0 into 0.0.)
            if nulls.as_ref().is_some_and(|n| n.is_null(row)) {
                f64::NAN // missing
            } else if in_range(x) && !above_one(row, x) {
                x + 0.0
            } else {
                bad_rows.push(row);
                f64::NAN
            }
        }));
    };
    let target = target.cleared();
    target.reserve(values.len());
    for (block, values) in values.chunks(NUMBER_BLOCK).enumerate() {
        // Without nulls, a block of valid values (nearly always) is checked and copied in
        // branch-free loops the compiler vectorizes; any other block goes row by row.
        let all_valid = nulls.is_none()
            && values.iter().fold(true, |ok, &x| ok & in_range(x))
            && !(decimal_scores && values.contains(&1.0));
        if all_valid {
            target.extend(values.iter().map(|&x| x + 0.0));
        } else {
            check_rows(block * NUMBER_BLOCK, values, target);
        }
    }
    for row in bad_rows {
        s.mark(row, field);
    }
    Ok(())
}

/// A duration column of any unit as milliseconds, each rounded once (`duration_ms`); None
/// for other types. A negative one is checked as a negative number is (an invalid row).
pub(super) fn duration_millis(col: &ArrayRef) -> Option<Vec<f64>> {
    macro_rules! convert {
        ($t:ty, $unit:expr) => {{
            let unit = Unit::of_arrow($unit);
            // (A 64-bit count of any Arrow unit fits: the NaN, an invalid row, is never
            // written.)
            col.as_primitive::<$t>()
                .values()
                .iter()
                .map(|&n| millis(i128::from(n), unit).unwrap_or(f64::NAN))
                .collect()
        }};
    }
    let DataType::Duration(unit) = col.data_type() else {
        return None;
    };
    Some(match unit {
        TimeUnit::Second => convert!(DurationSecondType, TimeUnit::Second),
        TimeUnit::Millisecond => convert!(DurationMillisecondType, TimeUnit::Millisecond),
        TimeUnit::Microsecond => convert!(DurationMicrosecondType, TimeUnit::Microsecond),
        TimeUnit::Nanosecond => convert!(DurationNanosecondType, TimeUnit::Nanosecond),
    })
}

/// A month-day-nano interval column as milliseconds (`duration_ms::interval_millis`);
/// None for other types. One with months, which has no fixed length, is NaN: an invalid
/// row, as a negative one is (`describe` tells which).
pub(super) fn intervals_millis(col: &ArrayRef) -> Option<Vec<f64>> {
    let intervals = col.as_primitive_opt::<IntervalMonthDayNanoType>()?;
    Some(
        intervals
            .values()
            .iter()
            .map(|v| interval_millis(i64::from(v.months), i64::from(v.days), v.nanoseconds).unwrap_or(f64::NAN))
            .collect(),
    )
}

/// The (months, days, nanoseconds) of the interval at `row` of a month-day-nano column.
pub(super) fn interval_at(col: &ArrayRef, row: usize) -> Option<(i64, i64, i64)> {
    if !matches!(col.data_type(), DataType::Interval(IntervalUnit::MonthDayNano)) {
        return None;
    }
    let v = col.as_primitive::<IntervalMonthDayNanoType>().value(row);
    Some((i64::from(v.months), i64::from(v.days), v.nanoseconds))
}

/// The count of the duration at `row` of a duration column, and its unit.
pub(super) fn duration_at(col: &ArrayRef, row: usize) -> Option<(i64, TimeUnit)> {
    let DataType::Duration(unit) = col.data_type() else {
        return None;
    };
    let count = match unit {
        TimeUnit::Second => col.as_primitive::<DurationSecondType>().value(row),
        TimeUnit::Millisecond => col.as_primitive::<DurationMillisecondType>().value(row),
        TimeUnit::Microsecond => col.as_primitive::<DurationMicrosecondType>().value(row),
        TimeUnit::Nanosecond => col.as_primitive::<DurationNanosecondType>().value(row),
    };
    Some((count, *unit))
}

/// A numeric column as f64 (Null type: all NaN, i.e. missing).
pub(crate) fn floats(col: &ArrayRef) -> Option<Vec<f64>> {
    macro_rules! widen {
        ($t:ty) => {
            col.as_primitive::<$t>()
                .values()
                .iter()
                .map(|&v| v as f64)
                .collect()
        };
    }
    Some(match col.data_type() {
        DataType::Float64 => col.as_primitive::<Float64Type>().values().to_vec(),
        DataType::Float32 => widen!(Float32Type),
        DataType::Float16 => col
            .as_primitive::<Float16Type>()
            .values()
            .iter()
            .map(|v| v.to_f64())
            .collect(),
        DataType::Null => vec![f64::NAN; col.len()],
        // Decimals (DuckDB's and PostgreSQL's NUMERIC) as Python's float(Decimal) reads
        // them: the nearest double to the exact value.
        DataType::Decimal32(_, scale) => decimals(col.as_primitive::<Decimal32Type>().values(), *scale),
        DataType::Decimal64(_, scale) => decimals(col.as_primitive::<Decimal64Type>().values(), *scale),
        DataType::Decimal128(_, scale) => decimals(col.as_primitive::<Decimal128Type>().values(), *scale),
        DataType::Decimal256(_, scale) => decimals(col.as_primitive::<Decimal256Type>().values(), *scale),
        // (Integers each to the nearest double, as Python's float(int).)
        data_type => per_integer_type!(data_type, widen, return None),
    })
}

/// The text of the decimal at `row` of a decimal column.
pub(super) fn decimal_text(col: &ArrayRef, row: usize) -> Option<String> {
    Some(match col.data_type() {
        DataType::Decimal32(..) => col.as_primitive::<Decimal32Type>().value_as_string(row),
        DataType::Decimal64(..) => col.as_primitive::<Decimal64Type>().value_as_string(row),
        DataType::Decimal128(..) => col.as_primitive::<Decimal128Type>().value_as_string(row),
        DataType::Decimal256(..) => col.as_primitive::<Decimal256Type>().value_as_string(row),
        _ => return None,
    })
}

/// Whether the decimal at `row` of a decimal column is above 1 (its value converted to
/// 1.0, so its text is "1." and digits, or "0." and nines): a digit other than 0 after "1.".
fn decimal_above_one(col: &ArrayRef, row: usize) -> bool {
    decimal_text(col, row)
        .and_then(|text| {
            text.strip_prefix("1.")
                .map(|fraction| fraction.bytes().any(|d| d != b'0'))
        })
        .unwrap_or(false)
}

/// Unscaled decimal integers with `scale` digits after the point, each as the nearest
/// double (Rust's float parsing rounds correctly; dividing by a power of ten would not).
fn decimals<T: std::fmt::Display>(unscaled: &[T], scale: i8) -> Vec<f64> {
    unscaled
        .iter()
        .map(|v| format!("{v}e{}", -i32::from(scale)).parse().unwrap_or(f64::NAN))
        .collect()
}
