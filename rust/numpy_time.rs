//! numpy's `datetime64` and `timedelta64` scalars (a record's timestamp or execution
//! time) read as their ticks, unit and multiplier.
//!
//! Read through numpy, a scalar costs several Python calls (`numpy.datetime_data` of its
//! `dtype` for the unit, `astype("int64")` for the ticks: 4-9 µs a value, a list of dicts
//! of them read some 40 times slower than of datetimes). The scalar holds all three in its
//! C struct, `PyDatetimeScalarObject` (`PyTimedeltaScalarObject` alike) of numpy's public
//! headers (`numpy/arrayscalars.h`, `ndarraytypes.h`; the same in numpy 1 and 2): the
//! ticks `obval` (int64) and the unit `obmeta`, its `base` (an `NPY_DATETIMEUNIT`) and
//! multiplier `num` (C ints), which is read here instead.
//!
//! The struct is read only for a value whose type is exactly numpy's `datetime64` or
//! `timedelta64` (not a subclass, not another type of those names), and only after a
//! probe, once per process, has read scalars of every unit both ways and found the same:
//! each type's instances at least as large as the struct, the same ticks (a negative
//! one, one using all 64 bits, NaT) and multipliers. The unit's name is not taken from
//! the header's numbering of `NPY_DATETIMEUNIT` but learned by the probe: each `base` is
//! named as `datetime_data` names the probes that hold it. If anything disagrees, every
//! value is read through numpy as before: slower, never different.
//!
//! Once the probe has run, `struct_ticks` reads a value of a unit it met running no
//! Python code at all: such a value is then as plain as a float to a record's fast path
//! (`pyfast`), which reads its values borrowed, and is not read a second time, owned.

use std::borrow::Cow;
use std::ffi::c_int;

use pyo3::exceptions::PyException;
use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use crate::fields::note_interrupt;

/// A numpy time's ticks, its unit's name as `numpy.datetime_data` gives it ("Y" to "as",
/// or "generic") and its multiplier (as the 25 of "25ms").
pub struct NumpyTicks {
    pub ticks: i64,
    pub unit: Cow<'static, str>,
    pub count: i64,
}

/// `value`'s ticks, unit and multiplier, read without numpy's own unit conversions
/// (they wrap silently). `value` must be a numpy `datetime64` or `timedelta64` by its
/// type's names (`type_kinds`); Python code may run (the probe, or numpy's calls).
pub fn numpy_ticks(value: &Bound<'_, PyAny>) -> PyResult<NumpyTicks> {
    match struct_layout(value.py()) {
        // SAFETY: the layout was verified by the probe; `read_kind` checks the type itself.
        Some(layout) => match unsafe { layout.read_kind(value, None) } {
            Some(read) => Ok(read),
            None => ticks_by_calls(value),
        },
        None => ticks_by_calls(value),
    }
}

/// `value`'s ticks, unit and multiplier as numpy tells them: the reading before the
/// struct was read, still that of a value the struct is not read for.
fn ticks_by_calls(value: &Bound<'_, PyAny>) -> PyResult<NumpyTicks> {
    let py = value.py();
    let numpy = py.import(intern!(py, "numpy"))?;
    let dtype = value.getattr(intern!(py, "dtype"))?;
    let (unit, count): (String, i64) = numpy.call_method1(intern!(py, "datetime_data"), (dtype,))?.extract()?;
    let ticks = value
        .call_method1(intern!(py, "astype"), (intern!(py, "int64"),))?
        .extract()?;
    let unit = match UNIT_NAMES.iter().find(|&&name| name == unit) {
        Some(&name) => Cow::Borrowed(name),
        None => Cow::Owned(unit),
    };
    Ok(NumpyTicks { ticks, unit, count })
}

/// The unit names numpy's `datetime_data` gives, coarsest first.
const UNIT_NAMES: [&str; 14] = [
    "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as", "generic",
];

/// `PyDatetimeScalarObject` and `PyTimedeltaScalarObject` (numpy's `arrayscalars.h`):
/// `PyObject_HEAD` (this Python's own, as pyo3 declares it for the build), then the
/// ticks and the unit.
#[repr(C)]
struct RawNumpyTime {
    ob_base: ffi::PyObject,
    obval: i64,
    base: c_int,
    num: c_int,
}

/// A `RawNumpyTime`'s ticks and unit, read.
struct TimeFields {
    obval: i64,
    base: c_int,
    num: c_int,
}

/// Which of numpy's two time scalar types.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NumpyTime {
    Datetime64,
    Timedelta64,
}

/// `value`'s ticks, unit and multiplier read from its struct, running no Python code
/// (not even the probe): Some only for a value of exactly numpy's `kind` type, of a unit
/// the probe met, once the probe has run (at an earlier value: `numpy_ticks`) and agreed.
#[inline]
pub fn struct_ticks(value: &Bound<'_, PyAny>, kind: NumpyTime) -> Option<NumpyTicks> {
    let layout = LAYOUT.get(value.py())?.as_ref()?;
    // SAFETY: the layout was verified by the probe; `read_kind` checks the type itself.
    unsafe { layout.read_kind(value, Some(kind)) }
}

/// How many `NPY_DATETIMEUNIT` codes are named: numpy has 15 (0 to 14, 3 unused).
const BASES: usize = 16;

/// numpy's two time scalar types, verified by the probe, and the names of their units.
struct StructLayout {
    datetime64: Py<PyType>,
    timedelta64: Py<PyType>,
    /// Each `obmeta.base` the probe met, named as `datetime_data` named it.
    units: [Option<&'static str>; BASES],
}

/// The verified layout (None: the probe disagreed, read values through numpy).
static LAYOUT: PyOnceLock<Option<StructLayout>> = PyOnceLock::new();

/// The verified layout, the probe run on the first call; None where it disagreed, or
/// could not run for now (interrupted: tried again at the next value).
fn struct_layout(py: Python<'_>) -> Option<&StructLayout> {
    let verified = LAYOUT.get_or_try_init(py, || match probe(py) {
        Ok(layout) => Ok(layout),
        // (numpy refused a probe: it is not the numpy the probe knows.)
        Err(error) if error.is_instance_of::<PyException>(py) => Ok(None),
        Err(interrupt) => Err(interrupt),
    });
    match verified {
        Ok(layout) => layout.as_ref(),
        Err(interrupt) => {
            note_interrupt(py, interrupt);
            None
        }
    }
}

impl StructLayout {
    /// `value`'s ticks, unit and multiplier from its struct; None for a value of another
    /// type than `kind`'s (either of the two when None), or of a unit the probe did not
    /// meet.
    ///
    /// # Safety
    /// `self` was verified by `probe`.
    #[inline]
    unsafe fn read_kind(&self, value: &Bound<'_, PyAny>, kind: Option<NumpyTime>) -> Option<NumpyTicks> {
        let raw = self.raw(value, kind)?;
        let unit = *self.units.get(usize::try_from(raw.base).ok()?)?;
        Some(NumpyTicks {
            ticks: raw.obval,
            unit: Cow::Borrowed(unit?),
            count: i64::from(raw.num),
        })
    }

    /// `value`'s struct's fields (copied), if its type is exactly one of numpy's two (or
    /// `kind`'s).
    ///
    /// # Safety
    /// `self` was verified by `probe` (the types' instances hold the struct).
    #[inline]
    unsafe fn raw(&self, value: &Bound<'_, PyAny>, kind: Option<NumpyTime>) -> Option<TimeFields> {
        let ty = ffi::Py_TYPE(value.as_ptr()).cast::<ffi::PyObject>();
        let is_datetime = ty == self.datetime64.as_ptr();
        let is_timedelta = ty == self.timedelta64.as_ptr();
        let of_kind = match kind {
            None => is_datetime || is_timedelta,
            Some(NumpyTime::Datetime64) => is_datetime,
            Some(NumpyTime::Timedelta64) => is_timedelta,
        };
        if !of_kind {
            return None;
        }
        // (Copied out through a raw pointer, never a reference to the object: its
        // reference count, in the same struct, is not ours to freeze.)
        let raw = value.as_ptr().cast::<RawNumpyTime>();
        Some(TimeFields {
            obval: std::ptr::addr_of!((*raw).obval).read(),
            base: std::ptr::addr_of!((*raw).base).read(),
            num: std::ptr::addr_of!((*raw).num).read(),
        })
    }
}

/// Scalars of every unit, a multiplier, negative and 64-bit-wide ticks and NaT, read
/// both ways: the layout if all agree, else None.
fn probe(py: Python<'_>) -> PyResult<Option<StructLayout>> {
    let numpy = py.import(intern!(py, "numpy"))?;
    let datetime64 = numpy.getattr(intern!(py, "datetime64"))?.cast_into::<PyType>()?;
    let timedelta64 = numpy.getattr(intern!(py, "timedelta64"))?.cast_into::<PyType>()?;
    let struct_size = std::mem::size_of::<RawNumpyTime>();
    for ty in [&datetime64, &timedelta64] {
        let size: usize = ty.getattr(intern!(py, "__basicsize__"))?.extract()?;
        if size < struct_size {
            return Ok(None);
        }
    }
    let mut layout = StructLayout {
        datetime64: datetime64.clone().unbind(),
        timedelta64: timedelta64.clone().unbind(),
        units: [None; BASES],
    };
    let wide = -0x0123_4567_89ab_cdef_i64;
    let mut probes = Vec::new();
    for unit in &UNIT_NAMES[..UNIT_NAMES.len() - 1] {
        for ticks in [wide, i64::MAX] {
            probes.push(datetime64.call1((ticks, *unit))?);
            probes.push(timedelta64.call1((ticks, *unit))?);
        }
    }
    probes.push(datetime64.call1((-3, "250ms"))?);
    probes.push(timedelta64.call1((7, "2147483647as"))?);
    probes.push(datetime64.call1(("NaT",))?);
    probes.push(timedelta64.call1(("NaT", "ns"))?);
    probes.push(timedelta64.call1((7,))?); // (generic: a count of no unit)
    for value in &probes {
        let by_calls = ticks_by_calls(value)?;
        // SAFETY: the probe's values are of the two types (checked by `raw`), whose
        // instances are at least as large as the struct (checked above).
        let Some(raw) = (unsafe { layout.raw(value, None) }) else {
            return Ok(None);
        };
        let Cow::Borrowed(unit) = by_calls.unit else {
            return Ok(None);
        };
        let named = usize::try_from(raw.base)
            .ok()
            .and_then(|base| layout.units.get_mut(base));
        let agrees = match named {
            Some(slot @ None) => {
                *slot = Some(unit);
                true
            }
            Some(Some(known)) => *known == unit,
            None => false,
        };
        if !(agrees && raw.obval == by_calls.ticks && i64::from(raw.num) == by_calls.count) {
            return Ok(None);
        }
    }
    Ok(Some(layout))
}
