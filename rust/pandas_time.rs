//! pandas' `Timestamp` read by the instant it holds.
//!
//! A frame's records (`df.to_dict("records")`) carry their times as pandas Timestamps: a
//! `datetime` subclass whose every field is a property, so reading one through its
//! attributes and `utcoffset()` costs about 2 µs (6 µs in a zone with summer time). A
//! Timestamp holds its instant as `_value`, ticks since the epoch in UTC whatever its zone,
//! in the unit `_creso` names (numpy's `NPY_DATETIMEUNIT`): two attribute reads. Both are
//! pandas internals (pandas 2.0 on), so a call trusts them only once the first Timestamp it
//! meets gives the same microseconds both ways; it reads every Timestamp through its
//! attributes otherwise. And only for Timestamps naive or in a zone pandas converts
//! exactly (`exact_zone`).

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyType;

use crate::fields::note_interrupt;
use crate::pyfast::is_exact_type;
use crate::type_kinds::{kinds_of, text, Kinds};

/// What a call knows of pandas' Timestamps.
#[derive(Default)]
pub struct PandasTimestamps<'py> {
    trust: Trust<'py>,
    /// The tzinfo types met that pandas converts exactly (see `exact_zone`).
    exact_zones: Vec<Bound<'py, PyType>>,
}

/// Whether a call reads pandas' Timestamps by their instant.
#[derive(Default)]
enum Trust<'py> {
    /// No Timestamp checked yet (or only ones whose instant is past 64-bit microseconds).
    #[default]
    Unknown,
    /// pandas' Timestamp type, whose instants agreed with the attributes' reading.
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
        let timestamp = match &self.trust {
            Trust::Trusted(ty) => is_exact_type(value, ty),
            Trust::Unknown => is_pandas_timestamp(value),
            Trust::Distrusted => false,
        };
        if !(timestamp && self.exact_zone(value)) {
            return None;
        }
        let micros = match (instant(value), &self.trust) {
            (Instant::Micros(micros), Trust::Trusted(_)) => return Some(micros),
            (Instant::Micros(micros), _) => micros,
            (Instant::Unreadable, Trust::Unknown) => {
                self.trust = Trust::Distrusted;
                return None;
            }
            _ => return None,
        };
        let expected = by_attributes(value).ok()?;
        self.trust = if micros == expected {
            Trust::Trusted(value.get_type())
        } else {
            Trust::Distrusted
        };
        Some(expected)
    }

    /// Whether pandas computed `value`'s fields from its instant exactly: naive, or in a
    /// zone of `datetime`, `zoneinfo`, pytz or dateutil (its files, UTC, fixed offsets
    /// and the local zone). For any other tzinfo pandas takes one offset
    /// (`utcoffset(None)`) for every instant, where the attributes' reading asks the
    /// zone for the Timestamp's own: the two may differ, and the attributes' reading,
    /// the rule before `_value` was read, stays it.
    fn exact_zone(&mut self, value: &Bound<'py, PyAny>) -> bool {
        let py = value.py();
        let zone = match value.getattr(intern!(py, "tzinfo")) {
            Ok(zone) => zone,
            Err(error) => {
                note_interrupt(py, error);
                return false;
            }
        };
        if zone.is_none() {
            return true;
        }
        let ty = zone.get_type();
        if self.exact_zones.iter().any(|known| known.is(&ty)) {
            return true;
        }
        let exact = match top_module(&ty).as_str() {
            "datetime" | "zoneinfo" | "_zoneinfo" | "pytz" => true,
            // (dateutil's zones of a rule, `tzrange` and `tzstr`, and its iCalendar ones
            // are none that pandas converts: it takes them as fixed, and their
            // `utcoffset(None)` is None where they have summer time, which fails its
            // conversions and so the attributes' reading: a Timestamp in one would be
            // refused as a call's first and read by `_value` after another.)
            "dateutil" => ["tzutc", "tzoffset", "tzlocal", "tzfile"].contains(&text(py, ty.qualname()).as_str()),
            _ => false,
        };
        if exact {
            self.exact_zones.push(ty);
        }
        exact
    }
}

/// Whether `value`'s type is pandas' own `Timestamp` (its module moved between versions:
/// `pandas._libs.tslibs.timestamps`, `pandas`); a subclass is read through its attributes.
/// (Told by `type_kinds`, once per type.)
fn is_pandas_timestamp(value: &Bound<'_, PyAny>) -> bool {
    kinds_of(value).has(Kinds::PANDAS_TIMESTAMP)
}

/// The first part of the name of the module that defines `ty`.
fn top_module(ty: &Bound<'_, PyType>) -> String {
    let module = text(ty.py(), ty.module());
    module.split('.').next().unwrap_or_default().to_owned()
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
