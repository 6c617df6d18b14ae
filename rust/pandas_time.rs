//! pandas' `Timestamp` read by the instant it holds.
//!
//! A frame's records (`df.to_dict("records")`) carry their times as pandas Timestamps: a
//! `datetime` subclass whose every field is a property, so reading one through its
//! attributes and `utcoffset()` costs about 2 µs (6 µs in a zone with summer time). A
//! Timestamp holds its instant as `_value`, ticks since the epoch in UTC whatever its zone,
//! in the unit `_creso` names (numpy's `NPY_DATETIMEUNIT`): two attribute reads. Both are
//! pandas internals (pandas 2.0 on), so a call trusts them only once the first Timestamp it
//! meets gives the same microseconds both ways; it reads every Timestamp through its
//! attributes otherwise.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::fields::note_interrupt;
use crate::pyfast::is_exact_type;

/// What a call knows of pandas' Timestamp type.
#[derive(Default)]
pub enum PandasTimestamps<'py> {
    /// No Timestamp met yet (or only ones whose instant is past 64-bit microseconds).
    #[default]
    Unknown,
    /// The type, whose instants agreed with the attributes' reading.
    Trusted(Bound<'py, PyType>),
    /// This pandas' Timestamps are read through their attributes.
    Distrusted,
}

/// A Timestamp's instant as read from `_value` and `_creso`.
enum Instant {
    Micros(i64),
    /// Its microseconds do not fit 64 bits: left to the attributes' reading and its error.
    OutOfRange,
    /// No `_value` or `_creso`, or a unit this code does not know.
    Unreadable,
}

impl<'py> PandasTimestamps<'py> {
    /// `value`'s instant in UTC microseconds (its nanoseconds floored, as its `microsecond`
    /// field is), or None where it must be read through its attributes. `by_attributes` is
    /// that reading, run here on the first Timestamp to check the instant against it.
    pub fn micros(
        &mut self,
        value: &Bound<'py, PyAny>,
        by_attributes: impl FnOnce(&Bound<'py, PyAny>) -> Result<i64, String>,
    ) -> Option<i64> {
        match self {
            PandasTimestamps::Trusted(ty) if is_exact_type(value, ty) => match instant(value) {
                Instant::Micros(micros) => Some(micros),
                Instant::OutOfRange | Instant::Unreadable => None,
            },
            PandasTimestamps::Unknown if is_pandas_timestamp(value) => {
                let micros = match instant(value) {
                    Instant::Micros(micros) => micros,
                    Instant::OutOfRange => return None,
                    Instant::Unreadable => {
                        *self = PandasTimestamps::Distrusted;
                        return None;
                    }
                };
                let expected = by_attributes(value).ok()?;
                *self = if micros == expected {
                    PandasTimestamps::Trusted(value.get_type())
                } else {
                    PandasTimestamps::Distrusted
                };
                Some(expected)
            }
            _ => None,
        }
    }
}

/// Whether `value`'s type is pandas' own `Timestamp` (its module moved between versions:
/// `pandas._libs.tslibs.timestamps`, `pandas`); a subclass is read through its attributes.
fn is_pandas_timestamp(value: &Bound<'_, PyAny>) -> bool {
    let ty = value.get_type();
    let module = ty.module().map(|m| m.to_string()).unwrap_or_default();
    let name = ty.qualname().map(|n| n.to_string()).unwrap_or_default();
    module.split('.').next() == Some("pandas") && name == "Timestamp"
}

fn instant(value: &Bound<'_, PyAny>) -> Instant {
    let py = value.py();
    let read = |name| match value.getattr(name).and_then(|v| v.extract::<i64>()) {
        Ok(number) => Some(number),
        Err(error) => {
            note_interrupt(py, error);
            None
        }
    };
    let (Some(ticks), Some(unit)) = (read(intern!(py, "_value")), read(intern!(py, "_creso"))) else {
        return Instant::Unreadable;
    };
    let micros = match unit {
        7 => ticks.checked_mul(1_000_000),   // seconds
        8 => ticks.checked_mul(1_000),       // milliseconds
        9 => Some(ticks),                    // microseconds
        10 => Some(ticks.div_euclid(1_000)), // nanoseconds
        _ => return Instant::Unreadable,
    };
    micros.map_or(Instant::OutOfRange, Instant::Micros)
}
