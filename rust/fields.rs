//! Parsers of single record fields, from Python values to Rust values or a reason.
//!
//! Each takes a value that may be a *borrowed* reference (see `pyfast`): the fast paths
//! (exact float, int, bool, str, datetime) run no Python code; everything else first takes
//! an owned reference and then may call into Python (`__float__`, `utcoffset`, attributes).

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString, PyType};

use crate::civil::{civil_to_micros, CivilCache, MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_SECOND, MICROS_PER_WEEK};
use crate::duration_ms::{interval_millis, millis, timedelta_micros, Unit, MICROSECONDS, NANOSECONDS};
use crate::epoch_text::{epoch_text_hint, epoch_unit};
use crate::numpy_time::{numpy_ticks, struct_ticks, NumpyTicks, NumpyTime};
use crate::pandas_time::PandasTimestamps;
use crate::pyfast::{
    exact_float_value, is_exact_float, is_exact_int, is_exact_str, is_exact_type, read_exact_datetime, DatetimeFields,
    DatetimeLayout,
};
use crate::timeparse::parse_iso_micros;
use crate::timestamp_type::NoTimestampType;
use crate::type_kinds::{kinds_of, Kinds};
use crate::zone_hours::{LocalHour, ZoneHours};

thread_local! {
    /// A `BaseException` that is not an `Exception` (KeyboardInterrupt, SystemExit) raised
    /// by Python code a value's conversion ran (`__float__`, `__bool__`, `utcoffset`, a
    /// mapping's lookups): the conversion's failure makes the record invalid, but this
    /// must still reach the caller, or Ctrl-C would be lost. Taken by `take_interrupt`.
    static INTERRUPT: std::cell::RefCell<Option<PyErr>> = const { std::cell::RefCell::new(None) };
}

/// `error` as the reason a value could not be read; kept for `take_interrupt` when it is
/// not an `Exception`.
pub fn unreadable(py: Python<'_>, error: PyErr) -> String {
    let reason = format!("could not be read: {error}");
    note_interrupt(py, error);
    reason
}

/// Keep `error` for `take_interrupt` if it is not an `Exception` (the first one wins).
pub fn note_interrupt(py: Python<'_>, error: PyErr) {
    if !error.is_instance_of::<pyo3::exceptions::PyException>(py) {
        // A second one is dropped after the borrow ends: its destructor may run Python code
        // that reads a record again.
        let _unkept = INTERRUPT.with(|kept| match &mut *kept.borrow_mut() {
            slot @ None => slot.replace(error),
            Some(_) => Some(error),
        });
    }
}

/// The interruption noted since the last call, if any (see `INTERRUPT`).
pub fn take_interrupt() -> Option<PyErr> {
    INTERRUPT.with(|kept| kept.borrow_mut().take())
}

/// Why a value is invalid, with the value itself (owned) for the error sample.
pub struct Invalid<'py> {
    pub value: Option<Bound<'py, PyAny>>,
    pub reason: String,
}

impl<'py> Invalid<'py> {
    /// A required value that is missing (None, or numpy's NaT for a timestamp).
    pub fn missing() -> Self {
        Invalid {
            value: None,
            reason: "required field is missing".into(),
        }
    }

    pub fn new(value: &Bound<'py, PyAny>, reason: impl Into<String>) -> Self {
        Invalid {
            value: Some(value.to_owned()),
            reason: reason.into(),
        }
    }
}

pub fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "object".to_owned(), |n| n.to_string())
}

/// What the timestamp parser needs besides the value: the datetime types, whether the
/// datetime struct may be read directly, and what a call learns as it reads: the last
/// fixed `datetime.timezone` seen, the offsets of zones' hours, whether pandas'
/// Timestamps may be read by their instant.
pub struct TimeContext<'py> {
    datetime: Bound<'py, PyType>,
    date: Bound<'py, PyType>,
    /// `datetime.timedelta`: an execution time may be a duration (`execution_time`).
    timedelta: Bound<'py, PyType>,
    fixed_timezone: Bound<'py, PyType>,
    raw_layout: bool,
    /// Last `datetime.timezone` instance seen and its offset in microseconds. Holding a
    /// reference keeps the object (and so the identity check) valid.
    fixed_offset: Option<(Bound<'py, PyAny>, i64)>,
    /// Zones `fixed_offset` let go of, held until a chunk of records is read
    /// (`release_lost_zones`): it may hold a zone's last reference, and a zone named by a
    /// str subclass runs the name's `__del__` when freed, Python code, which in the
    /// middle of a plain record could free the values being read (borrowed: `pyfast`).
    lost_zones: Vec<Bound<'py, PyAny>>,
    /// `zoneinfo.ZoneInfo("UTC")`, the zone's cached instance (pyarrow's and pandas'
    /// `to_pylist` give their UTC times in it): its offset is 0 at every instant, so its
    /// datetimes are read from their struct, without a Python call (about 1 µs) each.
    utc_zone: Option<Bound<'py, PyAny>>,
    /// `zoneinfo.ZoneInfo` itself (not a subclass, which may change its offsets), whose
    /// datetimes take their offsets from `zone_hours`.
    zone_type: Option<Bound<'py, PyType>>,
    zone_hours: ZoneHours<'py>,
    pandas: PandasTimestamps<'py>,
    civil: CivilCache,
}

impl<'py> TimeContext<'py> {
    pub fn new(py: Python<'py>) -> PyResult<Self> {
        let module = py.import(intern!(py, "datetime"))?;
        let datetime: Bound<'py, PyType> = module.getattr(intern!(py, "datetime"))?.cast_into()?;
        let raw_layout = DatetimeLayout::verify(py, &datetime);
        let zone_type: Option<Bound<'py, PyType>> = py
            .import(intern!(py, "zoneinfo"))
            .and_then(|zoneinfo| Ok(zoneinfo.getattr(intern!(py, "ZoneInfo"))?.cast_into()?))
            .ok();
        Ok(TimeContext {
            fixed_timezone: module.getattr(intern!(py, "timezone"))?.cast_into()?,
            date: module.getattr(intern!(py, "date"))?.cast_into()?,
            timedelta: module.getattr(intern!(py, "timedelta"))?.cast_into()?,
            datetime,
            raw_layout,
            fixed_offset: None,
            lost_zones: Vec::new(),
            utc_zone: zone_type.as_ref().and_then(|zone| zone.call1(("UTC",)).ok()),
            zone_type,
            zone_hours: ZoneHours::default(),
            pandas: PandasTimestamps::default(),
            civil: CivilCache::default(),
        })
    }

    /// Whether `tz` is the UTC zone's cached `ZoneInfo` (see `utc_zone`).
    #[inline]
    fn is_utc_zone(&self, tz: &Bound<'py, PyAny>) -> bool {
        self.utc_zone.as_ref().is_some_and(|zone| zone.is(tz))
    }

    /// A datetime (aware, or naive = UTC) or an ISO-8601 string -> UTC microseconds.
    pub fn timestamp(&mut self, value: &Bound<'py, PyAny>) -> Result<i64, Invalid<'py>> {
        if is_exact_str(value) {
            return iso_text(value);
        }
        if self.raw_layout && is_exact_type(value, &self.datetime) {
            // SAFETY: exact datetime.datetime and a verified layout.
            let fields = unsafe { read_exact_datetime(value) };
            if let Some(utc) = self.fast_utc(&fields) {
                return utc.map_err(|why| Invalid::new(value, why));
            }
        }
        if let Some(read) = struct_ticks(value, NumpyTime::Datetime64) {
            return datetime64_instant(value, read); // (plain here: `ingest`'s `is_plain`)
        }
        self.timestamp_slow(&value.to_owned())
    }

    /// Whether parsing `value` (as any field) is sure to run no Python code: None, a bool,
    /// an exact float, int or str, or an exact datetime that is naive or has a fixed
    /// `datetime.timezone` (all implemented in C) or the UTC zone's `ZoneInfo`.
    #[inline]
    pub fn is_plain(&self, value: &Bound<'py, PyAny>) -> bool {
        if value.is_none() || is_exact_float(value) || is_exact_str(value) || is_exact_int(value) {
            return true;
        }
        let py = value.py();
        if value.is(PyBool::new(py, true)) || value.is(PyBool::new(py, false)) {
            return true;
        }
        if !(self.raw_layout && is_exact_type(value, &self.datetime)) {
            return false;
        }
        // SAFETY: exact datetime.datetime and a verified layout.
        match unsafe { read_exact_datetime(value) }.tzinfo {
            None => true,
            Some(tz) => is_exact_type(&tz, &self.fixed_timezone) || self.is_utc_zone(&tz),
        }
    }

    /// An execution time: a finite number >= 0 (`number`), or a duration >= 0 as its
    /// milliseconds, rounded once (`duration_ms`), as in an Arrow duration column: a
    /// `datetime.timedelta` (exactly, from its days, seconds and microseconds, not its
    /// `total_seconds()`, which rounds), pandas' `Timedelta` (with its nanoseconds), a
    /// numpy `timedelta64` of any fixed unit or pyarrow's `MonthDayNano` (an interval, as
    /// `duration_ms::interval_millis` reads it). NaT (pandas' or numpy's), a null in such a
    /// column, is missing: None. Floats and ints take the number's fast path first. (Not
    /// inlined: the caller reads exact floats itself, the common case.)
    #[inline(never)]
    pub fn execution_time(&self, value: &Bound<'py, PyAny>) -> Result<Option<f64>, Invalid<'py>> {
        if is_exact_float(value) || is_exact_int(value) {
            return number(value, f64::INFINITY).map(Some);
        }
        // (A float or int subclass, numpy's float64 and Python's bool among them, is no
        // duration: it skips the duration checks, each a few type lookups.)
        if value.is_instance_of::<PyFloat>() || value.is_instance_of::<PyInt>() {
            return number(value, f64::INFINITY).map(Some);
        }
        if let Some(read) = struct_ticks(value, NumpyTime::Timedelta64) {
            // (plain here: `ingest`'s `is_plain`)
            return match timedelta64_millis(read) {
                Ok(Some(ms)) => in_range(value, ms, f64::INFINITY).map(Some),
                Ok(None) => Ok(None),
                Err(why) => Err(Invalid::new(value, why)),
            };
        }
        // (Python code may run from here on: a subclass's attributes, `__float__`.)
        let owned = value.to_owned();
        match self.duration_millis(&owned) {
            Some(Ok(Some(ms))) => in_range(&owned, ms, f64::INFINITY).map(Some),
            Some(Ok(None)) => Ok(None),
            Some(Err(why)) => Err(Invalid::new(&owned, why)),
            None => number(&owned, f64::INFINITY).map(Some),
        }
    }

    /// A duration's milliseconds (None inside: NaT, missing), or why it cannot be read;
    /// None for a value that is no duration.
    fn duration_millis(&self, value: &Bound<'py, PyAny>) -> Option<Result<Option<f64>, String>> {
        let py = value.py();
        let too_large = || "is too large a duration".to_owned();
        if kinds_of(value).has(Kinds::NUMPY_TIMEDELTA64) {
            return Some(
                numpy_ticks(value)
                    .map_err(|e| unreadable(py, e))
                    .and_then(timedelta64_millis),
            );
        }
        let is_timedelta = is_exact_type(value, &self.timedelta)
            || value.is_instance(&self.timedelta).unwrap_or_else(|e| {
                note_interrupt(py, e); // (a metaclass's __instancecheck__ may run)
                false
            });
        if !is_timedelta {
            if is_pyarrow_interval(value) {
                // pyarrow's `MonthDayNano` (a named tuple), as an interval column's values
                // read as records (`to_pylist`): as the column reads it.
                let read = |name: &Bound<'py, PyString>| int_attribute(value, name);
                let interval = || -> Result<f64, String> {
                    let months = read(intern!(py, "months"))?;
                    let days = read(intern!(py, "days"))?;
                    interval_millis(months, days, read(intern!(py, "nanoseconds"))?)
                };
                return Some(interval().map(Some));
            }
            // pandas' NaT (a datetime subclass), as NaT in a timedelta64 column: missing.
            return is_pandas_nat(value).then_some(Ok(None));
        }
        let read = |name: &Bound<'py, PyString>| int_attribute(value, name);
        let exact = || -> Result<f64, String> {
            let micros = timedelta_micros(
                read(intern!(py, "days"))?,
                read(intern!(py, "seconds"))?,
                read(intern!(py, "microseconds"))?,
            );
            if kinds_of(value).has(Kinds::PANDAS_TIMEDELTA) {
                let nanos = micros * 1_000 + i128::from(read(intern!(py, "nanoseconds"))?);
                return millis(nanos, NANOSECONDS).ok_or_else(too_large);
            }
            millis(micros, MICROSECONDS).ok_or_else(too_large)
        };
        Some(exact().map(Some))
    }

    /// The struct-read path; None when the tzinfo needs a Python call.
    #[inline]
    fn fast_utc(&mut self, f: &DatetimeFields<'_, 'py>) -> Option<Result<i64, &'static str>> {
        let local = self
            .civil
            .micros(f.year, f.month, f.day, f.hour, f.minute, f.second, f.microsecond)
            .ok_or("is not a valid date-time");
        let offset = match &f.tzinfo {
            None => 0,
            Some(tz) => match &self.fixed_offset {
                Some((cached, offset)) if cached.is(tz) => *offset,
                _ if self.is_utc_zone(tz) => 0,
                _ => return None,
            },
        };
        Some(local.map(|l| l - offset))
    }

    /// The reason a value of no timestamp type is refused as a record's timestamp. Of an
    /// int (a list of dicts', a JSON number, a SQLite INTEGER column's) it says that only
    /// columnar input's integers are timestamps (epoch microseconds, DESIGN.md), where a
    /// record's was refused without a word on its unit, and what it looks like: the unit
    /// is guessed by size, as `input_notes` guesses it (seconds below 1e11, milliseconds
    /// below 1e14, microseconds below 1e17, else nanoseconds), and the instant shown, so
    /// that the user can tell; no instant of a negative int or one past 64 bits. (On the
    /// way to the error only.)
    fn no_timestamp_type(&self, value: &Bound<'py, PyAny>) -> NoTimestampType {
        let integer = !value.is_instance_of::<PyBool>() && value.is_instance_of::<PyInt>();
        let shown = if integer { self.integer_instant(value) } else { None };
        NoTimestampType {
            type_name: type_name(value),
            integer,
            shown,
        }
    }

    /// An int's unit by its size and its instant in that unit (see `no_timestamp_type`).
    fn integer_instant(&self, value: &Bound<'py, PyAny>) -> Option<(String, String)> {
        let n = value.extract::<i64>().ok().filter(|&n| n >= 0)?;
        let (unit, power) = epoch_unit(n);
        let per_second = 10f64.powi(power);
        let py = value.py();
        let shown = self
            .fixed_timezone
            .getattr(intern!(py, "utc"))
            .and_then(|utc| {
                self.datetime
                    .call_method1(intern!(py, "fromtimestamp"), (n as f64 / per_second, utc))
            })
            .and_then(|instant| instant.call_method0(intern!(py, "isoformat")))
            .and_then(|text| text.extract::<String>());
        shown.ok().map(|text| (unit.to_owned(), text))
    }

    fn timestamp_slow(&mut self, value: &Bound<'py, PyAny>) -> Result<i64, Invalid<'py>> {
        if let Ok(s) = value.cast::<PyString>() {
            return iso_text(s.as_any());
        }
        if let Some(micros) = self.zone_hour_instant(value) {
            return Ok(micros);
        }
        if let Some(micros) = self.pandas_timestamp(value) {
            return Ok(micros);
        }
        let is_datetime = value.is_instance(&self.datetime).unwrap_or_else(|e| {
            note_interrupt(value.py(), e); // (a metaclass's __instancecheck__ may run)
            false
        });
        if !is_datetime {
            return self
                .date_or_datetime64(value)
                .unwrap_or_else(|| Err(Invalid::new(value, self.no_timestamp_type(value).reason())));
        }
        if is_pandas_nat(value) {
            // pandas' missing time (a datetime subclass whose fields cannot be read), as
            // NaT in a pandas column and numpy's NaT in a record: missing.
            return Err(Invalid::missing());
        }
        self.datetime_by_attributes(value)
            .map_err(|why| Invalid::new(value, why))
    }

    /// The instants a columnar input's date and datetime64 columns hold, as values: a
    /// `datetime.date` is its midnight UTC (as an Arrow date32), a numpy datetime64 is
    /// naive (UTC) and floored to microseconds (as a datetime64 array). None for any other
    /// type.
    fn date_or_datetime64(&mut self, value: &Bound<'py, PyAny>) -> Option<Result<i64, Invalid<'py>>> {
        let py = value.py();
        if kinds_of(value).has(Kinds::NUMPY_DATETIME64) {
            return Some(match numpy_ticks(value) {
                Ok(read) => datetime64_instant(value, read),
                Err(e) => Err(Invalid::new(value, unreadable(py, e))),
            });
        }
        let is_date = value.is_instance(&self.date).unwrap_or_else(|e| {
            note_interrupt(py, e);
            false
        });
        if !is_date {
            return None;
        }
        let read = |name: &Bound<'py, PyString>| int_attribute(value, name);
        let day = || -> Result<i64, String> {
            civil_to_micros(
                read(intern!(py, "year"))?,
                civil_field(read(intern!(py, "month"))?),
                civil_field(read(intern!(py, "day"))?),
                0,
                0,
                0,
                0,
            )
            .ok_or_else(|| "is not a valid date".to_owned())
        };
        Some(day().map_err(|why| Invalid::new(value, why)))
    }

    /// An exact datetime in a `ZoneInfo` zone, its offset that of its local hour (see
    /// `zone_hours`); None for any other value, or an hour holding a transition.
    fn zone_hour_instant(&mut self, value: &Bound<'py, PyAny>) -> Option<i64> {
        if !(self.raw_layout && is_exact_type(value, &self.datetime)) {
            return None;
        }
        let zone_type = self.zone_type.as_ref()?;
        // SAFETY: exact datetime.datetime and a verified layout.
        let f = unsafe { read_exact_datetime(value) };
        let zone = f.tzinfo.filter(|tz| is_exact_type(tz, zone_type))?.to_owned();
        let local = self
            .civil
            .micros(f.year, f.month, f.day, f.hour, f.minute, f.second, f.microsecond)?;
        let at = LocalHour {
            year: f.year,
            month: f.month,
            day: f.day,
            hour: f.hour,
        };
        let datetime = self.datetime.clone().into_any();
        let mut hours = std::mem::take(&mut self.zone_hours);
        let offset = hours.offset(&datetime, &zone, &at, local, f.fold, |made| {
            self.utc_offset(made, &zone).ok()
        });
        self.zone_hours = hours;
        Some(local - offset?)
    }

    /// A pandas Timestamp's instant (see `pandas_time`); None for any other value.
    fn pandas_timestamp(&mut self, value: &Bound<'py, PyAny>) -> Option<i64> {
        if is_exact_type(value, &self.datetime) {
            return None; // (an exact datetime in a zone the struct read does not know)
        }
        let mut pandas = std::mem::take(&mut self.pandas);
        let micros = pandas.micros(value, |timestamp| self.datetime_by_attributes(timestamp));
        self.pandas = pandas;
        micros
    }

    /// Any datetime (subclasses included) read through its attributes.
    fn datetime_by_attributes(&mut self, value: &Bound<'py, PyAny>) -> Result<i64, String> {
        let py = value.py();
        let read = |name: &Bound<'py, PyString>| int_attribute(value, name);
        let local = civil_to_micros(
            read(intern!(py, "year"))?,
            civil_field(read(intern!(py, "month"))?),
            civil_field(read(intern!(py, "day"))?),
            civil_field(read(intern!(py, "hour"))?),
            civil_field(read(intern!(py, "minute"))?),
            civil_field(read(intern!(py, "second"))?),
            civil_field(read(intern!(py, "microsecond"))?),
        )
        .ok_or("is not a valid date-time")?;
        let tzinfo = value.getattr(intern!(py, "tzinfo")).map_err(|e| unreadable(py, e))?;
        if tzinfo.is_none() {
            return Ok(local);
        }
        Ok(local - self.utc_offset(value, &tzinfo)?)
    }

    /// UTC offset in microseconds. A fixed `datetime.timezone` is asked once and
    /// remembered; any other tzinfo (pytz, dateutil, a `ZoneInfo` subclass; a `ZoneInfo`
    /// in an hour holding a transition) is asked for every value, since its offset
    /// depends on the instant. (A `ZoneInfo`'s other hours: `zone_hour_instant`.)
    fn utc_offset(&mut self, value: &Bound<'py, PyAny>, tzinfo: &Bound<'py, PyAny>) -> Result<i64, String> {
        let py = value.py();
        let failed = |e: PyErr| {
            let reason = format!("utcoffset() failed: {e}");
            note_interrupt(py, e);
            reason
        };
        let delta = value.call_method0(intern!(py, "utcoffset")).map_err(failed)?;
        let offset = if delta.is_none() {
            0
        } else {
            let part = |name: &Bound<'py, PyString>| -> Result<i64, String> {
                delta.getattr(name).and_then(|v| v.extract::<i64>()).map_err(failed)
            };
            let (days, seconds, micros) = (
                part(intern!(py, "days"))?,
                part(intern!(py, "seconds"))?,
                part(intern!(py, "microseconds"))?,
            );
            // Python's own tzinfo checks keep offsets within a day; a datetime subclass
            // overriding utcoffset() is not checked, and a huge offset would wrap.
            let offset = days
                .checked_mul(MICROS_PER_DAY)
                .zip(seconds.checked_mul(MICROS_PER_SECOND))
                .and_then(|(d, s)| d.checked_add(s)?.checked_add(micros))
                .filter(|offset| (1 - MICROS_PER_DAY..MICROS_PER_DAY).contains(offset));
            offset.ok_or_else(|| "utcoffset() must be strictly within a day".to_owned())?
        };
        // Remembered for the fast path's exact datetimes: only an exact datetime's offset
        // is its tzinfo's (a subclass may override utcoffset()).
        if is_exact_type(tzinfo, &self.fixed_timezone) && is_exact_type(value, &self.datetime) {
            if let Some((lost, _)) = self.fixed_offset.replace((tzinfo.clone(), offset)) {
                self.lost_zones.push(lost);
            }
        }
        Ok(offset)
    }

    /// Let go of the zones `fixed_offset` held before (see `lost_zones`): where no
    /// borrowed value is being read.
    pub fn release_lost_zones(&mut self) {
        self.lost_zones.clear();
    }
}

/// An int attribute of a date or datetime (subclasses may compute it).
fn int_attribute<'py>(value: &Bound<'py, PyAny>, name: &Bound<'py, PyString>) -> Result<i64, String> {
    value
        .getattr(name)
        .and_then(|v| v.extract::<i64>())
        .map_err(|e| unreadable(value.py(), e))
}

/// A month, day or time field for `civil_to_micros`, which refuses any out of range.
fn civil_field(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// A numpy datetime64's instant in UTC microseconds from its ticks and unit (numpy's own
/// conversion to microseconds wraps silently past 64 bits: converted here, checked).
/// Both readings of its struct, with or without numpy's calls, end here: the same
/// instant, or the same reason.
fn datetime64_instant<'py>(value: &Bound<'py, PyAny>, read: NumpyTicks) -> Result<i64, Invalid<'py>> {
    match read {
        // NaT (the smallest int64): numpy's missing time, as a null in a column.
        NumpyTicks { ticks: i64::MIN, .. } => Err(Invalid::missing()),
        // (As in a datetime64 column: microseconds past 64 bits are out of range.)
        NumpyTicks { ticks, unit, count } => datetime64_micros(ticks, &unit, count)
            .ok_or_else(|| Invalid::new(value, "is out of the supported date-time range")),
    }
}

/// A numpy timedelta64's milliseconds from its ticks and unit, rounded once (None: NaT,
/// missing), or why it is refused. (As `datetime64_instant`, for either reading.)
fn timedelta64_millis(read: NumpyTicks) -> Result<Option<f64>, String> {
    match read {
        // NaT (the smallest int64): numpy's missing duration, a null in a column.
        NumpyTicks { ticks: i64::MIN, .. } => Ok(None),
        NumpyTicks { ticks, unit, count } => match Unit::of_numpy(&unit, count) {
            Some(unit) => millis(i128::from(ticks), unit)
                .map(Some)
                .ok_or_else(|| "is too large a duration".to_owned()),
            None => Err(format!(
                "must be a duration of a fixed length (a numpy timedelta64 in weeks or \
                 finer units), got one in '{unit}'"
            )),
        },
    }
}

/// A numpy datetime64 of `ticks` of `count` `unit`s since 1970-01-01 (naive = UTC) in
/// microseconds, floored; None when those microseconds (or the year) are out of range.
/// Years and months are calendar units. The ticks times the multiplier are taken in 128
/// bits, as numpy's own conversion takes them: `datetime64(2**62, "4ns")` is the year
/// 2554, which a 64-bit product refused as out of range.
fn datetime64_micros(ticks: i64, unit: &str, count: i64) -> Option<i64> {
    let n = i128::from(ticks) * i128::from(count); // (|n| < 2**126: no overflow)
    let per_unit = |micros: i64| i64::try_from(n.checked_mul(i128::from(micros))?).ok();
    let per_fraction = |per_micro: i128| i64::try_from(n.div_euclid(per_micro)).ok();
    match unit {
        "Y" => civil_to_micros(i64::try_from(n.checked_add(1970)?).ok()?, 1, 1, 0, 0, 0, 0),
        "M" => {
            let year = i64::try_from(n.div_euclid(12).checked_add(1970)?).ok()?;
            // (rem_euclid(12) is within 0..12)
            civil_to_micros(year, n.rem_euclid(12) as u32 + 1, 1, 0, 0, 0, 0)
        }
        "W" => per_unit(MICROS_PER_WEEK),
        "D" => per_unit(MICROS_PER_DAY),
        "h" => per_unit(MICROS_PER_HOUR),
        "m" => per_unit(60 * MICROS_PER_SECOND),
        "s" => per_unit(MICROS_PER_SECOND),
        "ms" => per_unit(1_000),
        "us" | "μs" => per_unit(1),
        "ns" => per_fraction(1_000),
        "ps" => per_fraction(1_000_000),
        "fs" => per_fraction(1_000_000_000),
        "as" => per_fraction(1_000_000_000_000),
        _ => None, // "generic": only NaT has it
    }
}

fn iso_text<'py>(value: &Bound<'py, PyAny>) -> Result<i64, Invalid<'py>> {
    // SAFETY of the cast: callers checked the type is str (or a subclass).
    let s = value
        .cast::<PyString>()
        .map_err(|_| Invalid::new(value, "must be a str"))?;
    let text = s.to_str().map_err(|_| Invalid::new(value, "is not valid UTF-8 text"))?;
    parse_iso_micros(text).map_err(|why| Invalid::new(value, format!("{why}{}", epoch_text_hint(text))))
}

/// A bool; also numpy.bool_ and the ints 0 and 1, as databases store booleans.
#[inline]
pub fn flag<'py>(value: &Bound<'py, PyAny>) -> Result<bool, Invalid<'py>> {
    let py = value.py();
    if value.is(PyBool::new(py, true)) {
        return Ok(true);
    }
    if value.is(PyBool::new(py, false)) {
        return Ok(false);
    }
    flag_slow(&value.to_owned())
}

fn flag_slow<'py>(value: &Bound<'py, PyAny>) -> Result<bool, Invalid<'py>> {
    if let Ok(i) = value.cast::<PyInt>() {
        return match i.extract::<i64>() {
            Ok(0) => Ok(false),
            Ok(1) => Ok(true),
            _ => Err(Invalid::new(value, "must be a bool (or the int 0 or 1)")),
        };
    }
    if is_numpy_bool(value) {
        return value
            .is_truthy()
            .map_err(|e| Invalid::new(value, unreadable(value.py(), e)));
    }
    // numpy's integer scalars (values of an int column), as the ints 0 and 1.
    if is_numpy_integer(value) {
        let index = value.call_method0(intern!(value.py(), "__index__"));
        return match index.and_then(|i| i.extract::<i64>()) {
            Ok(0) => Ok(false),
            Ok(1) => Ok(true),
            Ok(_) => Err(Invalid::new(value, "must be a bool (or the int 0 or 1)")),
            Err(e) => Err(Invalid::new(value, unreadable(value.py(), e))),
        };
    }
    // A text where a flag belongs. From a source that reads flags from text (a CSV cell,
    // a SQLite text cell) it is a `sources.base.FlagText`, whose reason names the texts
    // that source reads; a list of dicts' text, or a JSON string, is no flag at all.
    // (Looked up on the way to this record's error only: no cost to a good flag.)
    if !value.is_exact_instance_of::<PyString>() && value.is_instance_of::<PyString>() {
        let reason = value.getattr(intern!(value.py(), "flag_reason"));
        if let Ok(reason) = reason.and_then(|r| r.extract::<String>()) {
            return Err(Invalid::new(value, reason));
        }
    }
    Err(Invalid::new(
        value,
        format!("must be a bool (or the int 0 or 1), got {}", type_name(value)),
    ))
}

/// A numpy integer scalar (np.int64, np.uint8, ...), which `extract::<i64>` reads through
/// `__index__`.
pub fn is_numpy_integer(value: &Bound<'_, PyAny>) -> bool {
    kinds_of(value).has(Kinds::NUMPY_INTEGER)
}

fn is_numpy_bool(value: &Bound<'_, PyAny>) -> bool {
    kinds_of(value).has(Kinds::NUMPY_BOOL)
}

/// Whether `value` is pyarrow's `MonthDayNano`, an interval's value: a struct sequence
/// made in C, whose module reads "builtins", so told by identity with pyarrow's own type
/// (pyarrow is imported wherever such a value exists; it is never imported here).
fn is_pyarrow_interval(value: &Bound<'_, PyAny>) -> bool {
    let py = value.py();
    if !kinds_of(value).has(Kinds::NAMED_MONTH_DAY_NANO) {
        return false;
    }
    let ty = value.get_type();
    let pyarrow = py
        .import(intern!(py, "sys"))
        .and_then(|sys| sys.getattr(intern!(py, "modules")))
        .and_then(|modules| modules.get_item(intern!(py, "pyarrow")));
    pyarrow
        .and_then(|pyarrow| pyarrow.getattr(intern!(py, "MonthDayNano")))
        .is_ok_and(|own| own.is(&ty))
}

/// Whether `value` is pandas' `NaT` (its type's module is pandas' own, which moved between
/// versions: `pandas._libs.tslibs.nattype`, `pandas.api.typing`).
fn is_pandas_nat(value: &Bound<'_, PyAny>) -> bool {
    kinds_of(value).has(Kinds::PANDAS_NAT)
}

/// A finite number in [0, max]: float, int or anything with __float__, not bool or str.
#[inline]
pub fn number<'py>(value: &Bound<'py, PyAny>, max: f64) -> Result<f64, Invalid<'py>> {
    if is_exact_float(value) {
        return in_range(value, exact_float_value(value), max);
    }
    // `__float__` may run Python code: work on an owned reference from here on.
    let owned = value.to_owned();
    let x = number_slow(&owned)?;
    if x == 0.0 && x.is_sign_negative() && below_zero(&owned) {
        // A negative Decimal or Fraction too small for a float (-1e-400) converts to -0.0.
        return Err(out_of_range(&owned, max));
    }
    if x == max && max.is_finite() && !is_exact_int(&owned) && above(&owned, max) {
        // A Decimal or Fraction a hair above the bound (a score of 1.00000000000000000001)
        // converts to the bound itself: out of range all the same, as one below 0 is.
        return Err(out_of_range(&owned, max));
    }
    in_range(&owned, x, max)
}

fn in_range<'py>(value: &Bound<'py, PyAny>, x: f64, max: f64) -> Result<f64, Invalid<'py>> {
    if !x.is_finite() {
        return Err(Invalid::new(value, "must be a finite number"));
    }
    if !(0.0..=max).contains(&x) {
        return Err(out_of_range(value, max));
    }
    Ok(x + 0.0) // -0.0 -> 0.0
}

fn out_of_range<'py>(value: &Bound<'py, PyAny>, max: f64) -> Invalid<'py> {
    let range = if max.is_infinite() {
        "must be >= 0".to_owned()
    } else {
        format!("must be within [0, {max}]")
    };
    Invalid::new(value, range)
}

/// Whether `value < 0` in Python (its conversion gave -0.0: a true zero is not below it).
fn below_zero(value: &Bound<'_, PyAny>) -> bool {
    value.lt(0).unwrap_or_else(|e| {
        note_interrupt(value.py(), e);
        false
    })
}

/// Whether `value > max` in Python (its conversion gave `max`: exact for Decimal, Fraction
/// and numpy's longdouble, whose comparisons with a float are).
fn above(value: &Bound<'_, PyAny>, max: f64) -> bool {
    value.gt(max).unwrap_or_else(|e| {
        note_interrupt(value.py(), e);
        false
    })
}

fn number_slow<'py>(value: &Bound<'py, PyAny>) -> Result<f64, Invalid<'py>> {
    // (A numpy complex converts to its real part through `__float__`, with only a warning:
    // refused as Python's complex is.)
    // (An exact int is none of the types refused here: straight to its float.)
    if !is_exact_int(value) {
        let kinds = kinds_of(value);
        let complex = kinds.has(Kinds::NUMPY_COMPLEX);
        if value.is_instance_of::<PyBool>()
            || value.is_instance_of::<PyString>()
            || kinds.has(Kinds::NUMPY_BOOL)
            || complex
        {
            return Err(Invalid::new(
                value,
                format!("must be a number, got {}", type_name(value)),
            ));
        }
    }
    value.extract::<f64>().map_err(|e| {
        let reason = if is_exact_int(value) || value.is_instance_of::<PyInt>() {
            "is too large to be a number".to_owned()
        } else if e.is_instance_of::<PyTypeError>(value.py()) {
            // (Python's own refusal of a type it cannot convert: numpy's datetime64 and
            // void too, whose `__float__` exists and refuses them.)
            format!("must be a number, got {}", type_name(value))
        } else {
            // Its own conversion failed otherwise: what it raised is the reason (a
            // re-entered accumulator's error, a Decimal's signal), not its type.
            format!("must be a number: converting it to float raised {e}")
        };
        note_interrupt(value.py(), e);
        Invalid::new(value, reason)
    })
}

/// A str (or subclass); the result may borrow `value`.
#[inline]
pub fn text<'a, 'py>(value: &'a Bound<'py, PyAny>) -> Result<&'a Bound<'py, PyString>, Invalid<'py>> {
    value
        .cast::<PyString>()
        .map_err(|_| Invalid::new(value, format!("must be a str, got {}", type_name(value))))
}

#[cfg(test)]
mod tests {
    use super::datetime64_micros;

    const UNITS: [&str; 14] = [
        "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as", "generic",
    ];

    #[test]
    fn datetime64_of_any_ticks_unit_and_multiplier_never_overflows() {
        // (A dev build's overflow checks panic on any wrapping product: CI runs one.)
        let ticks = [i64::MIN + 1, i64::MIN / 2, -1, 0, 1, i64::MAX / 2, i64::MAX];
        let counts = [1, 2, 12, 1_000, i64::from(i32::MAX)];
        for unit in UNITS {
            for t in ticks {
                for count in counts {
                    let _ = datetime64_micros(t, unit, count);
                }
            }
        }
    }

    #[test]
    fn datetime64_ticks_times_multiplier_past_64_bits_are_read_exactly() {
        // 2**64 ns (2**62 of "4ns") is 18,446,744,073,709,551 us: the year 2554, as numpy's
        // astype("datetime64[us]") reads it; the 64-bit product refused it.
        assert_eq!(datetime64_micros(1 << 62, "ns", 4), Some(18_446_744_073_709_551));
        assert_eq!(datetime64_micros(-(1 << 62), "ns", 4), Some(-18_446_744_073_709_552));
        assert_eq!(
            datetime64_micros(i64::MAX, "as", i64::from(i32::MAX)),
            Some(19_807_040_619_342_712)
        );
        // (Microseconds past 64 bits stay out of range.)
        assert_eq!(datetime64_micros(i64::MAX, "us", 2), None);
        assert_eq!(datetime64_micros(i64::MAX / 1_000 + 1, "ms", 1), None);
        assert_eq!(datetime64_micros(i64::MAX, "Y", 1), None);
        assert_eq!(datetime64_micros(7, "generic", 1), None);
    }
}
