//! Records held as Python objects (a list or tuple of mappings) -> compact columns.
//!
//! Rust reads each record's fields straight from the Python objects: no per-record Python
//! code, no pydantic. Every record is validated; a bad one is counted with the first few
//! samples (index, field, repr of the value, reason) instead of crashing or vanishing.
//!
//! Threading: reading needs the GIL. It is held for `CHUNK` records at a time and released
//! between chunks, so other Python threads (an event loop) keep running during long reads.
//! If another thread changes the list meanwhile, the reader sees some consistent mix of
//! old and new records, never freed memory (records are held by owned references).

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyList, PyString, PyTuple};

use crate::buckets::Window;
use crate::column_rows::{ColumnRows, RowValues};
use crate::columns::{file_extension, Columns, Dictionary, GATE_FAILED, NO_FILE, SUCCESS, TIMEOUT, UNKNOWN};
use crate::fields::{
    flag, is_numpy_integer, note_interrupt, number, take_interrupt, text, type_name, unreadable, Invalid, TimeContext,
};
use crate::group::{is_blank, GroupIndex, BLANK_ID, NO_GROUP};
use crate::numpy_time::{struct_ticks, NumpyTime};
use crate::pyfast::{
    borrow_value, dict_get, dict_get_ptr, has_only_str_keys, is_exact_dict, is_exact_float, is_exact_int, is_exact_str,
    list_item_ptr, prefetch, prefetch_dict_table, CollectorPaused, DictLayout,
};

/// Records read between two releases of the GIL (about a millisecond of work; the
/// chunk's columns stay in cache while they are reduced).
const CHUNK: usize = 4096;
/// Bytes of text read past the string caches (each encoded to UTF-8, hashed and, where
/// new, copied) after which a chunk ends early, a few milliseconds' worth: a chunk of
/// records each with a new 4 KB non-ASCII name held the GIL for 100-300 ms.
const TEXT_BYTES_PER_CHUNK: usize = 4 << 20;
/// How many records ahead the reader starts loading a record's dict (and twice that, its
/// header): enough to cover a memory latency with the work of the records in between.
const PREFETCH_DISTANCE: usize = 8;
/// Invalid records described in full; the rest are only counted.
pub const MAX_SAMPLES: usize = 5;
/// Longest repr of a bad value kept in a sample.
pub(crate) const MAX_REPR_CHARS: usize = 80;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidSample {
    pub index: usize,
    pub field: &'static str,
    pub value: String,
    pub reason: String,
    /// Where the record is beyond `index`, as the Python layer names it (a pandas row's
    /// "index label 'b'"): set by an accumulator's update from its `locate` callback, kept
    /// through merges and a state's bytes; None where `index` says it all.
    pub location: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub received: usize,
    pub outside_window: usize,
    pub invalid: usize,
    pub samples: Vec<InvalidSample>,
    /// The least and greatest int64 (epoch microsecond) timestamps of the records this
    /// reading left out (outside the window, or invalid with a timestamp), up to the slice
    /// in which one lay inside the window: for the hint that they were meant as epoch
    /// seconds or milliseconds (`input_notes` in Python, which gives it only where no
    /// record lies inside the window: then these are all of them). Noted as the rows are
    /// read, so a stream, read once, has them too. None for other timestamps; not kept by
    /// a state (`merge` leaves it) nor in its serialized form.
    pub integer_times: Option<(i64, i64)>,
}

impl IngestReport {
    /// The valid records inside the window.
    pub fn in_window(&self) -> usize {
        self.received - self.outside_window - self.invalid
    }

    /// Add `other`'s counts, keeping the first `MAX_SAMPLES` samples (as they are: each
    /// sample's index is within the reading that described it).
    pub fn merge(&mut self, other: &IngestReport) {
        self.received += other.received;
        self.outside_window += other.outside_window;
        self.invalid += other.invalid;
        let room = MAX_SAMPLES.saturating_sub(self.samples.len());
        self.samples.extend(other.samples.iter().take(room).cloned());
    }
}

/// The record fields, in the order they are checked (the first bad one is reported).
pub const FIELDS: [&str; 10] = [
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
const SUCCESS_FIELD: usize = 1;
const EXECUTION_TIME: usize = 2;
const QUALITY: usize = 3;
const GATES: usize = 4;
const TIMEOUT_FIELD: usize = 5;
const CONTEXT: usize = 6;
const AGENT: usize = 7;
const PROJECT: usize = 8;
const FILE_PATH: usize = 9;

/// Where a record's ten values come from.
#[derive(Clone, Copy)]
enum Values<'a, 'py> {
    /// Its dict, each value looked up as it is read (Python code may run between them).
    Dict(&'a Bound<'py, PyDict>),
    /// Taken in a first pass (a dict's lookups, a row of columns), every one of them
    /// plain: borrowed pointers, null for a missing value, valid while no Python code runs.
    Found(Python<'py>, &'a [*mut pyo3::ffi::PyObject; FIELDS.len()]),
    /// A row's values, owned (Python code may run between them).
    Owned(&'a [Option<Bound<'py, PyAny>>; FIELDS.len()]),
}

/// Where a grouped record's pattern id comes from: its dict (looked up after the ten
/// fields), or a row's value (borrowed, null when missing; or owned), read after them
/// likewise.
#[derive(Clone, Copy)]
enum Id<'a, 'py> {
    Dict(&'a Bound<'py, PyDict>),
    Found(Python<'py>, *mut pyo3::ffi::PyObject),
    Owned(Option<&'a Bound<'py, PyAny>>),
}

struct FieldError<'py> {
    field: &'static str,
    invalid: Invalid<'py>,
}

/// Why a record was rejected, and its pattern (code, position among the pattern's records)
/// when grouped and its pattern id is valid.
struct Rejected<'py> {
    error: FieldError<'py>,
    group: Option<(u32, usize)>,
}

impl<'py> From<FieldError<'py>> for Rejected<'py> {
    fn from(error: FieldError<'py>) -> Self {
        Rejected { error, group: None }
    }
}

/// A valid record's values (codes of its four text fields: None when the file path is
/// missing or the record is outside the window, where they are not coded).
struct Row {
    ts: i64,
    flags: u8,
    time: Option<f64>,
    quality: Option<f64>,
    codes: [Option<u32>; 4],
    inside: bool,
}

impl Row {
    fn push(&self, columns: &mut Columns) {
        let [context, agent, project, file_type] = self.codes;
        columns.timestamp.push(self.ts);
        columns.flags.push(self.flags);
        columns.execution_time_ms.push(self.time.unwrap_or(f64::NAN));
        columns.quality_score.push(self.quality.unwrap_or(f64::NAN));
        columns.context_type.push(context.unwrap_or(NO_FILE));
        columns.agent.push(agent.unwrap_or(NO_FILE));
        columns.project.push(project.unwrap_or(NO_FILE));
        columns.file_type.push(file_type.unwrap_or(NO_FILE));
    }
}

fn at(field: usize) -> impl Fn(Invalid<'_>) -> FieldError<'_> {
    move |invalid| FieldError {
        field: FIELDS[field],
        invalid,
    }
}

/// A direct-mapped cache from str object to dictionary code. Records built in Python
/// usually share their string objects ("debugging", "agent-1"), so most lookups are one
/// pointer compare. Entries hold a reference, so a cached object cannot be freed and its
/// address reused while the cache lives.
struct Encoder<'py> {
    slots: Vec<Option<(Bound<'py, PyString>, u32)>>,
    key: fn(&str) -> &str,
    /// Text with lone surrogates is read with U+FFFD for their bytes (else an error).
    lossy: bool,
    /// Bytes of the strings read past the cache since the chunk began (`TEXT_BYTES_PER_CHUNK`).
    missed_bytes: usize,
    /// Strings of a str subclass that lost their slot, held until the chunk is read
    /// (`release_evicted`): the cache may hold the last reference to one, and letting it
    /// go runs its `__del__`, Python code, which in the middle of a plain record could
    /// free the values being read (borrowed: see `pyfast`). An exact str runs no code.
    evicted: Vec<Bound<'py, PyString>>,
}

/// Slots of a category's cache (a few distinct values) and of the file-path cache (paths
/// are many: thousands of files are common, and a miss re-extracts the extension).
const ENCODER_SLOTS: usize = 256;
const FILE_ENCODER_SLOTS: usize = 8192;

impl<'py> Encoder<'py> {
    fn new(key: fn(&str) -> &str, slots: usize) -> Self {
        Encoder {
            slots: vec![None; slots],
            key,
            lossy: false,
            missed_bytes: 0,
            evicted: Vec::new(),
        }
    }

    fn lossy(self) -> Self {
        Encoder { lossy: true, ..self }
    }

    #[inline]
    fn encode(&mut self, text: &Bound<'py, PyString>, dict: &mut Dictionary) -> PyResult<u32> {
        let slot = (text.as_ptr() as usize >> 4) % self.slots.len();
        if let Some((cached, code)) = &self.slots[slot] {
            if cached.is(text) {
                return Ok(*code);
            }
        }
        self.encode_missed(slot, text, dict)
    }

    /// `encode` of a string not in its slot. Apart, so that the hit path (four per record)
    /// inlines into the reader without this path's frame. (Cold for the usual records,
    /// whose strings are shared objects; input with a new string object per record takes
    /// this path every time, at the cost of one call more per string.)
    #[cold]
    #[inline(never)]
    fn encode_missed(&mut self, slot: usize, text: &Bound<'py, PyString>, dict: &mut Dictionary) -> PyResult<u32> {
        let code = match text.to_str() {
            Ok(text) => {
                self.missed_bytes += text.len();
                dict.code((self.key)(text))
            }
            Err(_) if self.lossy => dict.code((self.key)(&text.to_string_lossy())),
            Err(error) => return Err(error),
        };
        if let Some((lost, _)) = self.slots[slot].replace((text.clone(), code)) {
            if !is_exact_str(&lost) {
                self.evicted.push(lost);
            }
        }
        Ok(code)
    }

    /// Let go of the strings put out of the cache (see `evicted`): where no borrowed value
    /// is being read.
    fn release_evicted(&mut self) {
        self.evicted.clear();
    }
}

pyo3::create_exception!(
    usage_analytics,
    ColumnarTimestamps,
    pyo3::exceptions::PyException,
    "A dict of columns whose timestamps include ints (epoch microseconds, a columnar form \
     that records refuse): `ingest.read_any` then reads it as a table instead."
);

/// Whether a timestamp is an int (not a bool): a subclass of int, or numpy's.
fn int_timestamp(value: &Bound<'_, PyAny>) -> bool {
    (value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>()) || is_numpy_integer(value)
}

/// Everything the per-record reader needs, set up once per call.
struct Reader<'py> {
    keys: [Bound<'py, PyString>; 10],
    unknown: Bound<'py, PyString>,
    time: TimeContext<'py>,
    context: Encoder<'py>,
    agent: Encoder<'py>,
    project: Encoder<'py>,
    file: Encoder<'py>,
    group: Option<GroupReader<'py>>,
    /// `collections.abc.Mapping`, for records that are not dicts.
    mapping_type: Bound<'py, PyAny>,
}

/// Reads each record's `pattern_id` (str, int or uuid.UUID) into a dense group code.
pub struct GroupReader<'py> {
    key: Bound<'py, PyString>,
    uuid_type: Bound<'py, PyAny>,
    strings: Dictionary,
    string_groups: Vec<u32>,
    encoder: Encoder<'py>,
    pub index: GroupIndex,
}

impl<'py> GroupReader<'py> {
    pub fn new(py: Python<'py>) -> PyResult<Self> {
        Ok(GroupReader {
            key: PyString::intern(py, "pattern_id"),
            uuid_type: py.import(intern!(py, "uuid"))?.getattr(intern!(py, "UUID"))?,
            strings: Dictionary::default(),
            string_groups: Vec::new(),
            encoder: Encoder::new(|s| s, ENCODER_SLOTS),
            index: GroupIndex::default(),
        })
    }

    /// The group code of a record's `pattern_id`.
    fn read(&mut self, id: Id<'_, 'py>) -> Result<u32, FieldError<'py>> {
        let dict = match id {
            Id::Dict(dict) => dict,
            Id::Found(py, ptr) => {
                // SAFETY: a row's pointer, taken since Python code last ran (`Id`).
                let value = unsafe { Borrowed::from_ptr_or_opt(py, ptr) };
                return self.code(value.filter(|v| !v.is_none()).as_deref());
            }
            Id::Owned(value) => return self.code(value.filter(|v| !v.is_none())),
        };
        let value = dict_get(dict, &self.key).map_err(|e| FieldError {
            field: "pattern_id",
            invalid: Invalid {
                value: None,
                reason: unreadable(dict.py(), e),
            },
        })?;
        let value = value.filter(|v| !v.is_none());
        self.code(value.as_deref())
    }

    fn code(&mut self, value: Option<&Bound<'py, PyAny>>) -> Result<u32, FieldError<'py>> {
        let invalid = |value: &Bound<'py, PyAny>, why: String| FieldError {
            field: "pattern_id",
            invalid: Invalid::new(value, why),
        };
        let Some(value) = value else {
            return Err(FieldError {
                field: "pattern_id",
                invalid: Invalid::missing(),
            });
        };
        if let Ok(text) = value.cast::<PyString>() {
            let code = self
                .encoder
                .encode(text, &mut self.strings)
                .map_err(|_| invalid(value, "is not valid UTF-8 text".into()))?;
            while self.string_groups.len() < self.strings.len() {
                let name = &self.strings.names()[self.string_groups.len()];
                let group = if is_blank(name) {
                    NO_GROUP
                } else {
                    self.index.code_text(name)
                };
                self.string_groups.push(group);
            }
            return match self.string_groups[code as usize] {
                NO_GROUP => Err(invalid(value, BLANK_ID.into())),
                group => Ok(group),
            };
        }
        let owned = value.to_owned(); // the checks below may run Python code
        let kind = || format!("must be a str, an int or a uuid.UUID, got {}", type_name(&owned));
        if owned.is_instance_of::<PyBool>() {
            return Err(invalid(&owned, kind()));
        }
        // An int, or a numpy integer (a value of an int column, read as the column is).
        if owned.is_instance_of::<PyInt>() || is_numpy_integer(&owned) {
            let n = owned.extract::<i64>().map_err(|e| {
                note_interrupt(owned.py(), e);
                invalid(&owned, "is too large an int".into())
            })?;
            return Ok(self.index.code_int(n));
        }
        let is_uuid = owned.is_instance(&self.uuid_type).unwrap_or_else(|e| {
            note_interrupt(owned.py(), e);
            false
        });
        if is_uuid {
            let bytes: [u8; 16] = owned
                .getattr(intern!(owned.py(), "bytes"))
                .and_then(|b| b.extract::<Vec<u8>>())
                .map_err(|e| note_interrupt(owned.py(), e))
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| invalid(&owned, "is a UUID whose bytes could not be read".into()))?;
            return Ok(self.index.code_uuid(bytes));
        }
        Err(invalid(&owned, kind()))
    }
}

/// Read `records` (list or tuple of mappings) in chunks of valid rows inside `window`,
/// handing each chunk to `sink` (which may release the GIL: other threads run between
/// chunks). The chunk's dictionaries persist across chunks; its rows do not.
pub fn read_records<'py>(
    records: &Bound<'py, PyAny>,
    window: &Window,
    group: Option<GroupReader<'py>>,
    mut sink: impl FnMut(&Columns, &IngestReport) -> PyResult<()>,
) -> PyResult<(IngestReport, Option<GroupIndex>)> {
    let py = records.py();
    let list = records.cast::<PyList>().ok();
    let tuple = records.cast::<PyTuple>().ok();
    let rows = match records.cast::<PyDict>() {
        Ok(dict) => Some(ColumnRows::new(dict, group.is_some())?),
        Err(_) => None,
    };
    let len = || match &rows {
        Some(rows) => rows.len(),
        None => list.map_or_else(|| tuple.map_or(0, |t| t.len()), |l| l.len()),
    };
    if list.is_none() && tuple.is_none() && rows.is_none() {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "records must be a list or tuple of mappings, or a dict of columns, got {}",
            type_name(records)
        )));
    }
    DictLayout::verify(py);
    let mut reader = Reader {
        keys: FIELDS.map(|f| PyString::intern(py, f)),
        unknown: PyString::intern(py, UNKNOWN),
        time: TimeContext::new(py)?,
        mapping_type: py
            .import(intern!(py, "collections.abc"))?
            .getattr(intern!(py, "Mapping"))?,
        context: Encoder::new(|s| s, ENCODER_SLOTS),
        agent: Encoder::new(|s| s, ENCODER_SLOTS),
        project: Encoder::new(|s| s, ENCODER_SLOTS),
        // No more slots than records: a small call does not pay for a large cache.
        // A file path only gives its extension, and a path decoded from bytes that are not
        // UTF-8 (`os.fsdecode`) holds lone surrogates: U+FFFD for their bytes, as a file
        // type's name must be writable text. Names (agent, ...) with them stay invalid.
        file: Encoder::new(
            file_extension,
            len().next_power_of_two().clamp(ENCODER_SLOTS, FILE_ENCODER_SLOTS),
        )
        .lossy(),
        group,
    };
    let mut chunk = Columns::with_capacity(CHUNK.min(len()));
    let mut report = IngestReport::default();
    let mut index = 0;
    // None is pending: the last call raised any it noted.
    take_interrupt();
    // The length is re-read every chunk: another thread may change the list meanwhile.
    while index < len() {
        let chunk_end = (index + CHUNK).min(len());
        chunk.clear_rows();
        // (Restored when the chunk is read, before other threads run: see `pyfast`.)
        let collector = CollectorPaused::new(py);
        while index < chunk_end {
            let read = match &rows {
                Some(rows) => {
                    let Some(row) = rows.row(index) else {
                        break; // shortened concurrently
                    };
                    report.received += 1;
                    reader.read_row(py, &row, window, &mut chunk, &collector)?
                }
                None => {
                    if let Some(l) = list {
                        // Two-stage prefetch of records ahead: the dict's header, then (once
                        // the header has arrived) its key table.
                        prefetch(list_item_ptr(l, index + 2 * PREFETCH_DISTANCE));
                        prefetch_dict_table(list_item_ptr(l, index + PREFETCH_DISTANCE));
                    }
                    let owned_item;
                    let record: &Bound<'_, PyAny> = match (list, tuple) {
                        (Some(l), _) => {
                            // Borrowed from the list: `Reader::read` takes its own reference
                            // before anything that could run Python code (and so change the
                            // list).
                            let item = list_item_ptr(l, index);
                            if item.is_null() {
                                break; // shrunk concurrently
                            }
                            // SAFETY: a live item of the list, used before Python code can run.
                            owned_item = unsafe { Borrowed::from_ptr(py, item) };
                            &owned_item
                        }
                        (_, Some(t)) => {
                            owned_item = t.get_borrowed_item(index)?;
                            &owned_item
                        }
                        _ => unreachable!("checked above"),
                    };
                    report.received += 1;
                    reader.read(record, window, &mut chunk, &collector)
                }
            };
            match read {
                Ok(true) => {}
                Ok(false) => report.outside_window += 1,
                Err(rejected) => {
                    let group = reader.group.as_mut().map(|g| &mut g.index);
                    record_invalid(&mut report, group, index, rejected);
                    collector.renew(py); // (a value's repr is Python code)
                    if let Some(interrupt) = take_interrupt() {
                        return Err(interrupt);
                    }
                }
            }
            index += 1;
            if reader.text_bytes() >= TEXT_BYTES_PER_CHUNK {
                break; // (the chunk ends early: see the constant)
            }
        }
        reader.end_chunk();
        drop(collector);
        // (A read that failed and was retried, and succeeded, may have noted one too.)
        if let Some(interrupt) = take_interrupt() {
            return Err(interrupt);
        }
        if let Some(group) = &reader.group {
            group.index.check_memory()?;
        }
        sink(&chunk, &report)?;
    }
    Ok((report, reader.group.map(|g| g.index)))
}

/// Count a rejected record (the `index`th), in the whole input's report and its
/// pattern's, describing it in each that has fewer than `MAX_SAMPLES` samples.
fn record_invalid(report: &mut IngestReport, groups: Option<&mut GroupIndex>, index: usize, rejected: Rejected<'_>) {
    let Rejected { error, group } = rejected;
    let group = groups.zip(group);
    let wanted =
        report.samples.len() < MAX_SAMPLES || group.as_ref().is_some_and(|(g, (code, _))| g.wants_sample(*code));
    let sample = wanted.then(|| InvalidSample {
        index,
        field: error.field,
        value: error
            .invalid
            .value
            .map_or_else(|| "<missing>".to_owned(), |v| short_repr(&v)),
        reason: error.invalid.reason,
        location: None,
    });
    report.invalid += 1;
    if let Some((groups, (code, nth))) = group {
        groups.count_invalid(code, || InvalidSample {
            index: nth,
            ..sample.clone().expect("described when wanted")
        });
    }
    if report.samples.len() < MAX_SAMPLES {
        report.samples.extend(sample);
    }
}

pub(crate) fn short_repr(value: &Bound<'_, PyAny>) -> String {
    if let Some(start) = long_str_repr_start(value) {
        return shorten(start);
    }
    shorten(match value.repr() {
        Ok(r) => r.to_string_lossy().into_owned(),
        Err(e) => {
            note_interrupt(value.py(), e);
            format!("<{} object>", type_name(value))
        }
    })
}

/// For a str of more than `MAX_REPR_CHARS` characters, the start of its repr (what a
/// sample shows) from its first characters alone: a value of a megabyte in thousands of
/// patterns' samples took minutes to write out in full. Python quotes by the whole text
/// (single quotes unless it holds a single quote and no double one), so the start's own
/// repr gets the whole text's quote: swapped when the start holds neither, and its single
/// quotes escaped when it holds them and the rest a double quote.
fn long_str_repr_start(value: &Bound<'_, PyAny>) -> Option<String> {
    if !is_exact_str(value) || value.len().ok()? <= MAX_REPR_CHARS {
        return None;
    }
    let py = value.py();
    let start = value
        .get_item(pyo3::types::PySlice::new(py, 0, MAX_REPR_CHARS as isize, 1))
        .ok()?;
    let repr = start.repr().ok()?.to_string_lossy().into_owned();
    let holds = |quote: &str| value.contains(quote).unwrap_or(false);
    let quote = if holds("'") && !holds("\"") { '"' } else { '\'' };
    let body = &repr[1..];
    Some(match (repr.starts_with(quote), quote) {
        (true, _) => repr,
        (false, '"') => format!("\"{body}"),
        (false, _) => format!("'{}", body.replace('\'', "\\'")),
    })
}

/// A value's repr cut to `MAX_REPR_CHARS` characters (not bytes), ending in "...".
pub fn shorten(text: String) -> String {
    if text.chars().count() <= MAX_REPR_CHARS {
        text
    } else {
        let cut: String = text.chars().take(MAX_REPR_CHARS - 3).collect();
        cut + "..."
    }
}

impl<'py> Reader<'py> {
    /// Bytes of the strings read past the caches since the chunk began (`end_chunk`).
    #[inline]
    fn text_bytes(&self) -> usize {
        let group = self.group.as_ref().map_or(0, |g| g.encoder.missed_bytes);
        let encoders = [&self.context, &self.agent, &self.project, &self.file];
        encoders.iter().map(|e| e.missed_bytes).sum::<usize>() + group
    }

    /// At a chunk's end: the text bytes counted anew, and the strings and zones the caches
    /// put out let go of (their finalizers may run Python code, which a chunk's borrowed
    /// values must not meet; the chunk's pause of the collector ends next).
    fn end_chunk(&mut self) {
        self.time.release_lost_zones();
        let group = self.group.as_mut().map(|g| &mut g.encoder);
        for encoder in [&mut self.context, &mut self.agent, &mut self.project, &mut self.file]
            .into_iter()
            .chain(group)
        {
            encoder.missed_bytes = 0;
            encoder.release_evicted();
        }
    }

    /// Validate one record (possibly borrowed from the list); push it if inside the
    /// window. Ok(false) = valid but outside.
    fn read(
        &mut self,
        record: &Bound<'py, PyAny>,
        window: &Window,
        columns: &mut Columns,
        collector: &CollectorPaused,
    ) -> Result<bool, Rejected<'py>> {
        // The fast path: an exact, str-keyed dict of plain values. Every field is looked
        // up first (touching only the dict) and the values' loads start together; nothing
        // here can run Python code, so borrowed references stay valid (see `pyfast`).
        if is_exact_dict(record) {
            // SAFETY of the unchecked view: the type was just checked.
            let dict = unsafe { record.cast_unchecked::<PyDict>() };
            if has_only_str_keys(dict) {
                let mut found = [std::ptr::null_mut(); FIELDS.len()];
                let mut looked_up = true;
                for (slot, key) in found.iter_mut().zip(&self.keys) {
                    match dict_get_ptr(dict, key) {
                        Ok(value) => *slot = value,
                        Err(e) => {
                            note_interrupt(dict.py(), e);
                            looked_up = false; // retried (and reported) below
                        }
                    }
                    prefetch(*slot);
                }
                // SAFETY: no Python code has run since the lookups.
                let plain = looked_up
                    && found
                        .iter()
                        .enumerate()
                        .all(|(field, &p)| unsafe { borrow_value(dict, p) }.is_none_or(|v| self.is_plain(field, &v)));
                if plain {
                    let values = Values::Found(dict.py(), &found);
                    let read = self.read_fields(values, Id::Dict(dict), window, columns);
                    self.renew_after_id(collector);
                    return read;
                }
            }
        }
        let read = self.read_owned(record.to_owned(), window, columns);
        collector.renew(record.py()); // (the next record's fast path relies on it)
        read
    }

    /// Whether reading `value` as the field `field` is sure to run no Python code
    /// (`TimeContext::is_plain`), or is a numpy datetime64 timestamp or timedelta64
    /// execution time read from its struct (`numpy_time::struct_ticks`), which runs none
    /// either: a record of them is read on the fast path, its values not looked up again.
    /// (In another field such a value meets readers that may call Python.)
    #[inline]
    fn is_plain(&self, field: usize, value: &Bound<'py, PyAny>) -> bool {
        self.time.is_plain(value)
            || match field {
                TIMESTAMP => struct_ticks(value, NumpyTime::Datetime64).is_some(),
                EXECUTION_TIME => struct_ticks(value, NumpyTime::Timedelta64).is_some(),
                _ => false,
            }
    }

    /// The general path: Python code may run (custom mappings, `__float__`, tzinfo
    /// methods), so the record is owned and each value looked up right before use.
    fn read_owned(
        &mut self,
        record: Bound<'py, PyAny>,
        window: &Window,
        columns: &mut Columns,
    ) -> Result<bool, Rejected<'py>> {
        let converted;
        let dict = if let Ok(d) = record.cast::<PyDict>() {
            d // a dict or subclass: read with the dict API, like json/ORM rows
        } else if record.is_instance(&self.mapping_type).unwrap_or_else(|e| {
            // (The check runs the ABC's __instancecheck__, Python code.)
            note_interrupt(record.py(), e);
            false
        }) {
            converted = mapping_to_dict(&record).map_err(|e| FieldError {
                field: "record",
                invalid: Invalid::new(&record, unreadable(record.py(), e)),
            })?;
            &converted
        } else {
            // (The likeliest such record is an object of the service's own: a hint of how
            // each kind becomes a dict, named without asking the object, whose attributes
            // would run its code.)
            let why = format!(
                "must be a mapping of field names to values, got {} (a pydantic model's \
                 .model_dump(), dataclasses.asdict() or a named tuple's ._asdict() gives one)",
                type_name(&record)
            );
            return Err(FieldError {
                field: "record",
                invalid: Invalid::new(&record, why),
            }
            .into());
        };
        self.read_fields(Values::Dict(dict), Id::Dict(dict), window, columns)
    }

    /// After a plain record's pattern id is read: its checks may have run Python code (a
    /// `uuid.UUID`'s `bytes` is a Python property; an id's `__class__`), which may have
    /// enabled the collector (`gc.enable()`, or another thread's, which that code let run).
    /// Paused again, as after a record that is not plain: the next record's plain values
    /// are borrowed, and a collection while they are read could free them.
    #[inline]
    fn renew_after_id(&self, collector: &CollectorPaused) {
        if let Some(group) = &self.group {
            collector.renew(group.key.py());
        }
    }

    /// Read row `index` of a dict of columns as the record of its values: plain ones
    /// straight from the columns, other rows' values owned first (Python code may run).
    /// Err(`ColumnarTimestamps`) for an int timestamp, which only a column can hold.
    fn read_row(
        &mut self,
        py: Python<'py>,
        row: &RowValues,
        window: &Window,
        columns: &mut Columns,
        collector: &CollectorPaused,
    ) -> PyResult<Result<bool, Rejected<'py>>> {
        // SAFETY (each borrow): the row's pointers were just taken; no Python code has run.
        let borrow = |ptr| unsafe { Borrowed::from_ptr_or_opt(py, ptr) };
        let plain = row
            .fields
            .iter()
            .enumerate()
            .all(|(field, &p)| borrow(p).is_none_or(|v| self.is_plain(field, &v)));
        if plain {
            if borrow(row.fields[TIMESTAMP]).is_some_and(|v| is_exact_int(&v)) {
                return Err(ColumnarTimestamps::new_err("int timestamps"));
            }
            let values = Values::Found(py, &row.fields);
            let read = self.read_fields(values, Id::Found(py, row.id), window, columns);
            self.renew_after_id(collector);
            return Ok(read);
        }
        // The row's values owned before any Python code can run (which may change the
        // columns, or free what they held).
        let owned = row.fields.map(|ptr| borrow(ptr).map(|v| v.to_owned()));
        let id = borrow(row.id).map(|v| v.to_owned());
        if owned[TIMESTAMP].as_ref().is_some_and(int_timestamp) {
            return Err(ColumnarTimestamps::new_err("int timestamps"));
        }
        let read = self.read_fields(Values::Owned(&owned), Id::Owned(id.as_ref()), window, columns);
        collector.renew(py); // (the next row's plain path relies on it)
        Ok(read)
    }

    /// Parse the fields of a record (and its pattern id when grouped).
    fn read_fields(
        &mut self,
        values: Values<'_, 'py>,
        id: Id<'_, 'py>,
        window: &Window,
        columns: &mut Columns,
    ) -> Result<bool, Rejected<'py>> {
        let row = self.record_fields(values, window, columns);
        if let Some(group) = self.group.as_mut() {
            // Read after the ten record fields (looked up now: see `pyfast`, rule 2), and
            // also when one of them is bad: the record is then an invalid one of its
            // pattern, as a single call over the pattern's records counts it.
            let code = match group.read(id) {
                Ok(code) => code,
                // The first bad field is the error: a bad record field before a bad id.
                Err(error) => return Err(row.err().unwrap_or(error).into()),
            };
            if code == NO_GROUP {
                // (Its id found no memory: `read_records` fails the call after the chunk.)
                return Ok(false);
            }
            let nth = group.index.count_record(code);
            let row = row.map_err(|error| Rejected {
                error,
                group: Some((code, nth)),
            })?;
            if !row.inside {
                group.index.count_outside(code);
                return Ok(false);
            }
            columns.group.push(code);
            row.push(columns);
            return Ok(true);
        }
        let row = row?;
        if row.inside {
            row.push(columns);
        }
        Ok(row.inside)
    }

    /// The ten record fields, checked in order (the first bad one is the error).
    fn record_fields(
        &mut self,
        values: Values<'_, 'py>,
        window: &Window,
        columns: &mut Columns,
    ) -> Result<Row, FieldError<'py>> {
        let ts = match self.get(values, TIMESTAMP)? {
            Some(v) => self.time.timestamp(&v).map_err(at(TIMESTAMP))?,
            None => return Err(at(TIMESTAMP)(Invalid::missing())),
        };
        let mut flags = 0u8;
        if self.flag(values, SUCCESS_FIELD)?.unwrap_or(false) {
            flags |= SUCCESS;
        }
        let time = self.execution_time(values)?;
        let quality = self.number(values, QUALITY, 1.0)?;
        if !self.flag(values, GATES)?.unwrap_or(true) {
            flags |= GATE_FAILED;
        }
        if self.flag(values, TIMEOUT_FIELD)?.unwrap_or(false) {
            flags |= TIMEOUT;
        }
        let inside = window.contains(ts);
        let context = self.category(values, CONTEXT, inside, &mut columns.context_types)?;
        let agent = self.category(values, AGENT, inside, &mut columns.agents)?;
        let project = self.category(values, PROJECT, inside, &mut columns.projects)?;
        let file_type = self.category(values, FILE_PATH, inside, &mut columns.file_types)?;
        Ok(Row {
            ts,
            flags,
            time,
            quality,
            codes: [context, agent, project, file_type],
            inside,
        })
    }

    /// The field's value (borrowed), None when absent or None: from the first pass
    /// (`Values::Found`: all values plain), else looked up now.
    #[inline]
    fn get<'a>(
        &self,
        values: Values<'a, 'py>,
        field: usize,
    ) -> Result<Option<Borrowed<'a, 'py, PyAny>>, FieldError<'py>> {
        let value = match values {
            // SAFETY: every value of the record is plain, so no Python code has run since
            // the first pass.
            Values::Found(py, found) => unsafe { Borrowed::from_ptr_or_opt(py, found[field]) },
            Values::Owned(values) => values[field].as_ref().map(Bound::as_borrowed),
            Values::Dict(dict) => dict_get(dict, &self.keys[field]).map_err(|e| {
                at(field)(Invalid {
                    value: None,
                    reason: unreadable(dict.py(), e),
                })
            })?,
        };
        Ok(value.filter(|v| !v.is_none()))
    }

    #[inline]
    fn flag(&self, values: Values<'_, 'py>, field: usize) -> Result<Option<bool>, FieldError<'py>> {
        self.get(values, field)?
            .map(|v| flag(&v).map_err(at(field)))
            .transpose()
    }

    #[inline]
    fn number(&self, values: Values<'_, 'py>, field: usize, max: f64) -> Result<Option<f64>, FieldError<'py>> {
        self.get(values, field)?
            .map(|v| number(&v, max).map_err(at(field)))
            .transpose()
    }

    /// The execution time: a number or a duration (`TimeContext::execution_time`). An
    /// exact float is read here, as `number` reads it (the common case, kept as lean as
    /// before durations were read: the other values' path is not inlined into it).
    #[inline]
    fn execution_time(&self, values: Values<'_, 'py>) -> Result<Option<f64>, FieldError<'py>> {
        let Some(value) = self.get(values, EXECUTION_TIME)? else {
            return Ok(None);
        };
        if is_exact_float(&value) {
            return number(&value, f64::INFINITY).map(Some).map_err(at(EXECUTION_TIME));
        }
        self.time.execution_time(&value).map_err(at(EXECUTION_TIME))
    }

    /// Dictionary code of a string field. Missing categories are "unknown"; a missing
    /// file path is None (not counted). Records outside the window are type-checked but
    /// not encoded.
    #[inline]
    fn category(
        &mut self,
        values: Values<'_, 'py>,
        field: usize,
        inside: bool,
        names: &mut Dictionary,
    ) -> Result<Option<u32>, FieldError<'py>> {
        let value = self.get(values, field)?;
        let encoder = match field {
            CONTEXT => &mut self.context,
            AGENT => &mut self.agent,
            PROJECT => &mut self.project,
            _ => &mut self.file,
        };
        let Some(value) = value else {
            return Ok(if field == FILE_PATH || !inside {
                None
            } else {
                encoder.encode(&self.unknown, names).ok()
            });
        };
        let value: &Bound<'py, PyAny> = &value;
        let s = if is_exact_str(value) {
            // SAFETY of the unchecked view: the type was just checked.
            unsafe { value.cast_unchecked::<PyString>() }
        } else {
            text(value).map_err(at(field))?
        };
        if !inside {
            return Ok(None);
        }
        encoder
            .encode(s, names)
            .map(Some)
            .map_err(|_| at(field)(Invalid::new(value, "is not valid UTF-8 text")))
    }
}

/// A non-dict Mapping as a dict (keys() and __getitem__ called once each).
fn mapping_to_dict<'py>(record: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(record.py());
    let keys = record.call_method0(intern!(record.py(), "keys"))?;
    for key in keys.try_iter()? {
        let key = key?;
        dict.set_item(&key, record.get_item(&key)?)?;
    }
    Ok(dict)
}
