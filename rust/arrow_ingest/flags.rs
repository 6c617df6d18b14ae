//! Flag columns (success, quality gates, timeout) of a slice: booleans, read 64 rows per
//! bitmap word, or integers 0/1; and integer columns widened to i64.

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;

use super::{all_null, unsupported, Slice};
use crate::error::CoreError;

/// Byte `j` of `BYTE_BITS[b]` is bit `j` of `b` (0 or 1): eight bitmap bits as eight
/// flag bytes, which a multiply by the flag's bit turns into the flags to OR in.
const BYTE_BITS: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut b = 0;
    while b < 256 {
        let mut j = 0;
        while j < 8 {
            table[b] |= ((b as u64 >> j) & 1) << (8 * j);
            j += 1;
        }
        b += 1;
    }
    table
};

pub(super) fn flag_column(
    col: Option<&ArrayRef>,
    field: usize,
    default: bool,
    bit: u8,
    s: &mut Slice,
) -> Result<(), CoreError> {
    // The bit records the *non-default* case: success/timeout true, or gates failed.
    let set_when = !default;
    let Some(col) = col.filter(|c| !all_null(c)) else {
        return Ok(());
    };
    let nulls = col.logical_nulls();
    let valid = |row: usize| nulls.as_ref().is_none_or(|n| n.is_valid(row));
    match col.data_type() {
        DataType::Null => {}
        DataType::Boolean if nulls.is_none() => {
            // 64 rows per bitmap word, each byte of it spread into eight flag bytes by a
            // table (a load, a multiply and an OR per eight rows): no per-row bit lookup or
            // validity check.
            let values = col.as_boolean().values();
            let chunks = values.inner().bit_chunks(values.offset(), values.len());
            let flip = if set_when { 0 } else { u64::MAX };
            let bit = u64::from(bit);
            let spread = |flags: &mut [u8], word: u64| {
                for (eight, byte) in flags.chunks_mut(8).zip(word.to_le_bytes()) {
                    let set = (BYTE_BITS[byte as usize] * bit).to_le_bytes();
                    match <&mut [u8; 8]>::try_from(&mut *eight) {
                        Ok(eight) => *eight = (u64::from_le_bytes(*eight) | u64::from_le_bytes(set)).to_le_bytes(),
                        Err(_) => eight.iter_mut().zip(set).for_each(|(flag, set)| *flag |= set),
                    }
                }
            };
            let mut flags = s.flags.chunks_exact_mut(64);
            for (word, flags) in chunks.iter().zip(&mut flags) {
                spread(flags, word ^ flip);
            }
            spread(flags.into_remainder(), chunks.remainder_bits() ^ flip);
        }
        DataType::Boolean => {
            let values = col.as_boolean();
            for row in 0..col.len() {
                if valid(row) && values.value(row) == set_when {
                    s.flags[row] |= bit;
                }
            }
        }
        dt if dt.is_integer() => {
            let ints = integers(col).ok_or_else(|| unsupported(field, dt, "booleans or integers 0/1"))?;
            for (row, v) in ints.into_iter().enumerate() {
                if !valid(row) {
                    continue;
                }
                match v {
                    0 | 1 if (v == 1) == set_when => s.flags[row] |= bit,
                    0 | 1 => {}
                    _ => s.mark(row, field),
                }
            }
        }
        // (DuckDB gives HUGEINT, a SUM of integers, to Arrow as a decimal: named, with the cast.)
        dt @ (DataType::Decimal128(..) | DataType::Decimal256(..)) => return Err(unsupported(
            field,
            dt,
            "booleans or integers 0/1 (a decimal, as DuckDB's HUGEINT is, is neither: cast it to BOOLEAN or INTEGER)",
        )),
        dt => return Err(unsupported(field, dt, "booleans or integers 0/1")),
    }
    Ok(())
}

/// `$widen!(T)` for the Arrow integer type `T` that `$data_type` is, else `$other`.
macro_rules! per_integer_type {
    ($data_type:expr, $widen:ident, $other:expr) => {
        match $data_type {
            DataType::Int8 => $widen!(Int8Type),
            DataType::Int16 => $widen!(Int16Type),
            DataType::Int32 => $widen!(Int32Type),
            DataType::Int64 => $widen!(Int64Type),
            DataType::UInt8 => $widen!(UInt8Type),
            DataType::UInt16 => $widen!(UInt16Type),
            DataType::UInt32 => $widen!(UInt32Type),
            DataType::UInt64 => $widen!(UInt64Type),
            _ => $other,
        }
    };
}
pub(crate) use per_integer_type;

/// An integer column widened to i64. u64 values above i64::MAX saturate (invalid as
/// flags, their only use here); numbers and pattern ids read u64 columns themselves.
pub(crate) fn integers(col: &dyn Array) -> Option<Vec<i64>> {
    macro_rules! widen {
        ($t:ty) => {
            col.as_primitive::<$t>()
                .values()
                .iter()
                .map(|&v| i64::try_from(v).unwrap_or(i64::MAX))
                .collect()
        };
    }
    Some(per_integer_type!(col.data_type(), widen, return None))
}
