//! Records held as Python objects (a list or tuple of mappings) -> compact columns.
//!
//! Rust reads each record's fields straight from the Python objects: no per-record Python
//! code, no pydantic. Every record is validated; a bad one is counted with the first few
//! samples (index, field, repr of the value, reason) instead of crashing or vanishing.
//!
//! Threading: reading needs the GIL. It is held for `CHUNK` records at a time and released
//! between chunks, so other Python threads (an event loop) keep running during long reads.

use pyo3::exceptions::PyKeyError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple, PyType};

use crate::buckets::Window;
use crate::civil::{civil_to_micros, MICROS_PER_DAY, MICROS_PER_SECOND};
use crate::columns::{file_extension, Columns, Dictionary, GATE_FAILED, NO_FILE, SUCCESS, TIMEOUT, UNKNOWN};
use crate::timeparse::parse_iso_micros;

/// Records read between two releases of the GIL (a few milliseconds of work).
const CHUNK: usize = 4096;
/// Invalid records described in full; the rest are only counted.
pub const MAX_SAMPLES: usize = 5;
/// Longest repr of a bad value kept in a sample.
const MAX_REPR_CHARS: usize = 80;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidSample {
    pub index: usize,
    pub field: &'static str,
    pub value: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default)]
pub struct IngestReport {
    pub received: usize,
    pub outside_window: usize,
    pub invalid: usize,
    pub samples: Vec<InvalidSample>,
}

struct FieldError<'py> {
    field: &'static str,
    value: Option<Bound<'py, PyAny>>,
    reason: String,
}

impl<'py> FieldError<'py> {
    fn new(field: &'static str, value: &Bound<'py, PyAny>, reason: impl Into<String>) -> Self {
        FieldError {
            field,
            value: Some(value.clone()),
            reason: reason.into(),
        }
    }
}

/// Interned keys and the types the reader compares against, looked up once per call.
struct Context<'py> {
    py: Python<'py>,
    datetime: Bound<'py, PyType>,
    fixed_timezone: Bound<'py, PyType>,
    /// Last `datetime.timezone` seen and its offset in microseconds.
    fixed_offset: Option<(Bound<'py, PyAny>, i64)>,
}

const FIELDS: [&str; 10] = [
    "timestamp",
    "success",
    "execution_time_ms",
    "quality_score",
    "quality_gates_passed",
    "timeout",
    "context_type",
    "agent",
    "project",
    "file_path",
];
const TIMESTAMP: usize = 0;
const SUCCESS_KEY: usize = 1;
const EXECUTION_TIME: usize = 2;
const QUALITY: usize = 3;
const GATES: usize = 4;
const TIMEOUT_KEY: usize = 5;
const CONTEXT: usize = 6;
const AGENT: usize = 7;
const PROJECT: usize = 8;
const FILE_PATH: usize = 9;

/// A direct-mapped cache from str object to dictionary code. Records built in Python
/// usually share their string objects ("debugging", "agent-1"), so most lookups are one
/// pointer compare. Entries hold a reference, so a cached object cannot be freed and its
/// address reused while the cache lives.
struct Encoder<'py> {
    slots: Vec<Option<(Bound<'py, PyString>, u32)>>,
}

const ENCODER_SLOTS: usize = 256;

impl<'py> Encoder<'py> {
    fn new() -> Self {
        Encoder {
            slots: vec![None; ENCODER_SLOTS],
        }
    }

    #[inline]
    fn encode(&mut self, text: &Bound<'py, PyString>, dict: &mut Dictionary, key: fn(&str) -> &str) -> PyResult<u32> {
        let slot = (text.as_ptr() as usize >> 4) % ENCODER_SLOTS;
        if let Some((cached, code)) = &self.slots[slot] {
            if cached.is(text) {
                return Ok(*code);
            }
        }
        let code = dict.code(key(text.to_str()?));
        self.slots[slot] = Some((text.clone(), code));
        Ok(code)
    }
}

fn identity(s: &str) -> &str {
    s
}

struct Encoders<'py> {
    context: Encoder<'py>,
    agent: Encoder<'py>,
    project: Encoder<'py>,
    file: Encoder<'py>,
}

/// Read `records` (list or tuple of mappings), keeping valid rows inside `window`.
pub fn read_records(records: &Bound<'_, PyAny>, window: &Window) -> PyResult<(Columns, IngestReport)> {
    let py = records.py();
    let mut ctx = Context {
        py,
        datetime: py
            .import(intern!(py, "datetime"))?
            .getattr(intern!(py, "datetime"))?
            .cast_into()?,
        fixed_timezone: py
            .import(intern!(py, "datetime"))?
            .getattr(intern!(py, "timezone"))?
            .cast_into()?,
        fixed_offset: None,
    };
    let mut columns = Columns::default();
    let mut report = IngestReport::default();
    let mut encoders = Encoders {
        context: Encoder::new(),
        agent: Encoder::new(),
        project: Encoder::new(),
        file: Encoder::new(),
    };
    let unknown = PyString::intern(py, UNKNOWN);
    let keys = FIELDS.map(|f| PyString::intern(py, f));

    let list = records.cast::<PyList>().ok();
    let tuple = records.cast::<PyTuple>().ok();
    if list.is_none() && tuple.is_none() {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "records must be a list or tuple of mappings, got {}",
            type_name(records)
        )));
    }
    let len = || list.map_or_else(|| tuple.map_or(0, |t| t.len()), |l| l.len());
    let mut index = 0;
    // The length is re-read every chunk: another thread may shrink the list meanwhile.
    while index < len() {
        let chunk_end = (index + CHUNK).min(len());
        columns.timestamp.reserve(chunk_end - index);
        while index < chunk_end {
            let record = match (list, tuple) {
                (Some(l), _) => match l.get_item(index) {
                    Ok(r) => r,
                    Err(_) => break, // shrunk concurrently
                },
                (_, Some(t)) => t.get_item(index)?,
                _ => unreachable!("checked above"),
            };
            report.received += 1;
            match read_record(&mut ctx, &keys, &record, window, &mut columns, &mut encoders, &unknown) {
                Ok(true) => {}
                Ok(false) => report.outside_window += 1,
                Err(e) => record_invalid(&mut report, index, e),
            }
            index += 1;
        }
        if index < len() {
            py.detach(|| ());
        }
    }
    Ok((columns, report))
}

fn record_invalid(report: &mut IngestReport, index: usize, error: FieldError<'_>) {
    report.invalid += 1;
    if report.samples.len() < MAX_SAMPLES {
        let value = error.value.map_or_else(|| "<missing>".to_owned(), |v| short_repr(&v));
        report.samples.push(InvalidSample {
            index,
            field: error.field,
            value,
            reason: error.reason,
        });
    }
}

fn short_repr(value: &Bound<'_, PyAny>) -> String {
    let text = match value.repr() {
        Ok(r) => r.to_string_lossy().into_owned(),
        Err(_) => format!("<{} object>", type_name(value)),
    };
    if text.chars().count() <= MAX_REPR_CHARS {
        text
    } else {
        let cut: String = text.chars().take(MAX_REPR_CHARS - 3).collect();
        cut + "..."
    }
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map_or_else(|_| "object".to_owned(), |n| n.to_string())
}

/// A field of the record: None when absent or None.
fn field<'py>(
    record: &Bound<'py, PyAny>,
    dict: Option<&Bound<'py, PyDict>>,
    key: &Bound<'py, PyString>,
    name: &'static str,
) -> Result<Option<Bound<'py, PyAny>>, FieldError<'py>> {
    let got = match dict {
        Some(d) => d.get_item(key),
        None => match record.get_item(key) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.is_instance_of::<PyKeyError>(record.py()) => Ok(None),
            Err(e) => Err(e),
        },
    };
    match got {
        Ok(v) => Ok(v.filter(|v| !v.is_none())),
        Err(e) => Err(FieldError {
            field: name,
            value: None,
            reason: format!("could not be read: {e}"),
        }),
    }
}

/// Validate one record; push it if inside the window. Ok(false) = valid but outside.
fn read_record<'py>(
    ctx: &mut Context<'py>,
    keys: &[Bound<'py, PyString>; 10],
    record: &Bound<'py, PyAny>,
    window: &Window,
    columns: &mut Columns,
    encoders: &mut Encoders<'py>,
    unknown: &Bound<'py, PyString>,
) -> Result<bool, FieldError<'py>> {
    let dict = record.cast::<PyDict>().ok();
    if dict.is_none() && record.cast::<PyMapping>().is_err() {
        return Err(FieldError::new(
            "record",
            record,
            format!("must be a mapping, got {}", type_name(record)),
        ));
    }
    let get = |i: usize| field(record, dict, &keys[i], FIELDS[i]);

    let ts = match get(TIMESTAMP)? {
        Some(v) => timestamp(ctx, &v)?,
        None => {
            return Err(FieldError {
                field: FIELDS[TIMESTAMP],
                value: None,
                reason: "required field is missing".into(),
            })
        }
    };
    let mut flags = 0u8;
    if optional(get(SUCCESS_KEY)?, |v| flag(v, FIELDS[SUCCESS_KEY]))?.unwrap_or(false) {
        flags |= SUCCESS;
    }
    let time = optional(get(EXECUTION_TIME)?, |v| {
        number(v, FIELDS[EXECUTION_TIME], f64::INFINITY)
    })?;
    let quality = optional(get(QUALITY)?, |v| number(v, FIELDS[QUALITY], 1.0))?;
    if !optional(get(GATES)?, |v| flag(v, FIELDS[GATES]))?.unwrap_or(true) {
        flags |= GATE_FAILED;
    }
    if optional(get(TIMEOUT_KEY)?, |v| flag(v, FIELDS[TIMEOUT_KEY]))?.unwrap_or(false) {
        flags |= TIMEOUT;
    }
    let context = optional(get(CONTEXT)?, |v| text(v, FIELDS[CONTEXT]))?;
    let agent = optional(get(AGENT)?, |v| text(v, FIELDS[AGENT]))?;
    let project = optional(get(PROJECT)?, |v| text(v, FIELDS[PROJECT]))?;
    let file_path = optional(get(FILE_PATH)?, |v| text(v, FIELDS[FILE_PATH]))?;
    if !window.contains(ts) {
        return Ok(false);
    }
    let encode =
        |enc: &mut Encoder<'py>, s: Option<Bound<'py, PyString>>, dict: &mut Dictionary, name: &'static str| {
            let s = s.unwrap_or_else(|| unknown.clone());
            enc.encode(&s, dict, identity)
                .map_err(|_| FieldError::new(name, &s, "is not valid UTF-8 text"))
        };
    let context = encode(
        &mut encoders.context,
        context,
        &mut columns.context_types,
        FIELDS[CONTEXT],
    )?;
    let agent = encode(&mut encoders.agent, agent, &mut columns.agents, FIELDS[AGENT])?;
    let project = encode(&mut encoders.project, project, &mut columns.projects, FIELDS[PROJECT])?;
    let file_type = match file_path {
        Some(p) => encoders
            .file
            .encode(&p, &mut columns.file_types, file_extension)
            .map_err(|_| FieldError::new(FIELDS[FILE_PATH], &p, "is not valid UTF-8 text"))?,
        None => NO_FILE,
    };
    columns.timestamp.push(ts);
    columns.flags.push(flags);
    columns.execution_time_ms.push(time.unwrap_or(f64::NAN));
    columns.quality_score.push(quality.unwrap_or(f64::NAN));
    columns.context_type.push(context);
    columns.agent.push(agent);
    columns.project.push(project);
    columns.file_type.push(file_type);
    Ok(true)
}

fn optional<'py, T>(
    value: Option<Bound<'py, PyAny>>,
    parse: impl FnOnce(&Bound<'py, PyAny>) -> Result<T, FieldError<'py>>,
) -> Result<Option<T>, FieldError<'py>> {
    value.as_ref().map(parse).transpose()
}

fn timestamp<'py>(ctx: &mut Context<'py>, value: &Bound<'py, PyAny>) -> Result<i64, FieldError<'py>> {
    let name = FIELDS[TIMESTAMP];
    if let Ok(s) = value.cast::<PyString>() {
        let text = s
            .to_str()
            .map_err(|_| FieldError::new(name, value, "is not valid UTF-8 text"))?;
        return parse_iso_micros(text).map_err(|why| FieldError::new(name, value, why));
    }
    let exact = value.get_type().is(&ctx.datetime);
    if !exact && !value.is_instance(&ctx.datetime).unwrap_or(false) {
        return Err(FieldError::new(
            name,
            value,
            format!("must be a datetime or an ISO-8601 string, got {}", type_name(value)),
        ));
    }
    datetime_micros(ctx, value, exact).map_err(|why| FieldError::new(name, value, why))
}

/// A `datetime.datetime` (or subclass) as UTC microseconds; naive means UTC.
///
/// The datetime C API is not part of the stable ABI. An exact `datetime` is read from its
/// pickle state (one `__reduce__` call instead of eight attribute reads, about half the
/// cost); subclasses, which may pickle differently, are read attribute by attribute.
fn datetime_micros<'py>(ctx: &mut Context<'py>, value: &Bound<'py, PyAny>, exact: bool) -> Result<i64, String> {
    let (local, tzinfo) = match exact.then(|| pickled_fields(value)).flatten() {
        Some(parts) => parts,
        None => attribute_fields(value)?,
    };
    let local = local.ok_or("is not a valid date-time")?;
    match tzinfo {
        Some(tz) if !tz.is_none() => Ok(local - utc_offset(ctx, value, &tz)?),
        _ => Ok(local),
    }
}

type DatetimeParts<'py> = (Option<i64>, Option<Bound<'py, PyAny>>);

/// `datetime.__reduce__()` is `(datetime, (state,))` or `(datetime, (state, tzinfo))`
/// where state is 10 bytes: year (2, big-endian), month, day, hour, minute, second,
/// microsecond (3, big-endian). None if the shape differs (then attributes are read).
fn pickled_fields<'py>(value: &Bound<'py, PyAny>) -> Option<DatetimeParts<'py>> {
    let reduced = value.call_method0(intern!(value.py(), "__reduce__")).ok()?;
    let args = reduced.cast::<PyTuple>().ok()?.get_item(1).ok()?;
    let args = args.cast::<PyTuple>().ok()?;
    let state = args.get_item(0).ok()?;
    let b = state.cast::<PyBytes>().ok()?.as_bytes();
    if b.len() != 10 {
        return None;
    }
    let year = i64::from(u16::from_be_bytes([b[0], b[1]]));
    let micro = u32::from_be_bytes([0, b[7], b[8], b[9]]);
    // The high bit of the month byte is `fold` (only in protocol 4 states); mask it.
    let local = civil_to_micros(
        year,
        u32::from(b[2] & 0x7f),
        b[3].into(),
        b[4].into(),
        b[5].into(),
        b[6].into(),
        micro,
    );
    let tzinfo = if args.len() > 1 {
        Some(args.get_item(1).ok()?)
    } else {
        None
    };
    Some((local, tzinfo))
}

fn attribute_fields<'py>(value: &Bound<'py, PyAny>) -> Result<DatetimeParts<'py>, String> {
    let py = value.py();
    let read = |name: &Bound<'py, PyString>| -> Result<i64, String> {
        value
            .getattr(name)
            .and_then(|v| v.extract::<i64>())
            .map_err(|e| format!("could not be read: {e}"))
    };
    let field = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
    let local = civil_to_micros(
        read(intern!(py, "year"))?,
        field(read(intern!(py, "month"))?),
        field(read(intern!(py, "day"))?),
        field(read(intern!(py, "hour"))?),
        field(read(intern!(py, "minute"))?),
        field(read(intern!(py, "second"))?),
        field(read(intern!(py, "microsecond"))?),
    );
    let tzinfo = value
        .getattr(intern!(py, "tzinfo"))
        .map_err(|e| format!("could not be read: {e}"))?;
    Ok((local, Some(tzinfo)))
}

/// UTC offset in microseconds. A fixed `datetime.timezone` is asked once and remembered;
/// any other tzinfo (zoneinfo, pytz, dateutil) is asked for every value, since its offset
/// depends on the instant.
fn utc_offset<'py>(
    ctx: &mut Context<'py>,
    value: &Bound<'py, PyAny>,
    tzinfo: &Bound<'py, PyAny>,
) -> Result<i64, String> {
    if let Some((tz, offset)) = &ctx.fixed_offset {
        if tz.is(tzinfo) {
            return Ok(*offset);
        }
    }
    let py = ctx.py;
    let delta = value
        .call_method0(intern!(py, "utcoffset"))
        .map_err(|e| format!("utcoffset() failed: {e}"))?;
    let offset = if delta.is_none() {
        0
    } else {
        let part = |name: &Bound<'py, PyString>| -> Result<i64, String> {
            delta
                .getattr(name)
                .and_then(|v| v.extract::<i64>())
                .map_err(|e| format!("utcoffset() failed: {e}"))
        };
        part(intern!(py, "days"))? * MICROS_PER_DAY
            + part(intern!(py, "seconds"))? * MICROS_PER_SECOND
            + part(intern!(py, "microseconds"))?
    };
    if tzinfo.get_type().is(&ctx.fixed_timezone) {
        ctx.fixed_offset = Some((tzinfo.clone(), offset));
    }
    Ok(offset)
}

/// A bool; also numpy.bool_ and the ints 0 and 1, as databases store booleans.
fn flag<'py>(value: &Bound<'py, PyAny>, name: &'static str) -> Result<bool, FieldError<'py>> {
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(b.is_true());
    }
    if let Ok(i) = value.cast::<PyInt>() {
        return match i.extract::<i64>() {
            Ok(0) => Ok(false),
            Ok(1) => Ok(true),
            _ => Err(FieldError::new(name, value, "must be a bool (or the int 0 or 1)")),
        };
    }
    if is_numpy_bool(value) {
        return value
            .is_truthy()
            .map_err(|e| FieldError::new(name, value, format!("could not be read: {e}")));
    }
    Err(FieldError::new(
        name,
        value,
        format!("must be a bool, got {}", type_name(value)),
    ))
}

fn is_numpy_bool(value: &Bound<'_, PyAny>) -> bool {
    let ty = value.get_type();
    let module = ty.module().map(|m| m.to_string()).unwrap_or_default();
    let name = ty.name().map(|n| n.to_string()).unwrap_or_default();
    module == "numpy" && (name == "bool" || name == "bool_")
}

/// A finite number in [0, max]: float, int or anything with __float__, but not bool or str.
fn number<'py>(value: &Bound<'py, PyAny>, name: &'static str, max: f64) -> Result<f64, FieldError<'py>> {
    let x = if let Ok(f) = value.cast::<PyFloat>() {
        f.value()
    } else if value.is_instance_of::<PyBool>() || value.is_instance_of::<PyString>() {
        return Err(FieldError::new(
            name,
            value,
            format!("must be a number, got {}", type_name(value)),
        ));
    } else {
        match value.extract::<f64>() {
            Ok(x) => x,
            Err(_) if value.is_instance_of::<PyInt>() => {
                return Err(FieldError::new(name, value, "is too large to be a number"))
            }
            Err(_) => {
                return Err(FieldError::new(
                    name,
                    value,
                    format!("must be a number, got {}", type_name(value)),
                ))
            }
        }
    };
    if !x.is_finite() {
        return Err(FieldError::new(name, value, "must be a finite number"));
    }
    if !(0.0..=max).contains(&x) {
        let range = if max.is_infinite() {
            "must be >= 0".to_owned()
        } else {
            format!("must be within [0, {max}]")
        };
        return Err(FieldError::new(name, value, range));
    }
    Ok(x + 0.0) // -0.0 -> 0.0
}

fn text<'py>(value: &Bound<'py, PyAny>, name: &'static str) -> Result<Bound<'py, PyString>, FieldError<'py>> {
    value
        .cast::<PyString>()
        .cloned()
        .map_err(|_| FieldError::new(name, value, format!("must be a str, got {}", type_name(value))))
}
