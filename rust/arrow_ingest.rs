//! Arrow record batches -> compact columns, without Python.
//!
//! Columns are matched by name (the record fields of DESIGN.md; others are ignored) and
//! read column by column over slices of `SLICE_ROWS` rows, so every pass is a tight loop
//! over one Arrow buffer. Nulls mean "missing", as in DESIGN.md: a null timestamp makes the
//! row invalid, a null elsewhere takes the field's default. A bad value (NaN, a negative
//! time, an unparseable timestamp string, ...) invalidates its row with the same reasons as
//! the list-of-dicts reader; the first bad field in record-field order is the one reported.
//!
//! Supported types: timestamps as Arrow timestamps of any unit (tz-aware or naive = UTC),
//! int64 epoch microseconds, date32/date64 (midnight UTC; a date64 of part of a day, which
//! the spec rules out and libraries read apart, is an invalid record) or ISO-8601 strings;
//! flags as booleans or integers 0/1; numbers as any float or integer type, and execution times as
//! durations of any unit too (their milliseconds, `duration_ms`); strings as utf8,
//! large_utf8, utf8_view or dictionaries of those (read in `arrow_strings`). Anything else
//! is a schema error, and so is malformed data that arrow-rs does not check when it is
//! imported through the C data interface: a dictionary key that indexes no value, string
//! offsets or views outside their buffers (`arrow_strings::check_strings`), strings that
//! are not UTF-8 (`arrow_strings::utf8`, each distinct string where it is first read).
//!
//! The readers of each kind of field are in submodules (`timestamps`, `flags`, `numbers`;
//! strings in `arrow_strings`), and so is `describe`, which writes a bad value's repr
//! and reason.

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch, UInt64Array};
use arrow_schema::{ArrowError, DataType};

use rayon::prelude::*;

use crate::arrow_strings::{
    agent_spans, check_strings, count_column, for_each_key, group_column, key_out_of_range, string_column, StringColumn,
};
use crate::buckets::Window;
use crate::column_values::ColumnValues;
use crate::columns::{Columns, Dictionary, GATE_FAILED, NO_FILE, SUCCESS, TIMEOUT};
use crate::error::CoreError;
use crate::group::{GroupIndex, NO_GROUP};
use crate::ingest::{shorten, IngestReport, InvalidSample, FIELDS, MAX_SAMPLES};

mod describe;
mod flags;
mod numbers;
mod timestamps;

use describe::describe;
use flags::flag_column;
pub(crate) use flags::{integers, per_integer_type};
pub(crate) use numbers::floats;
use numbers::number_column;
use timestamps::timestamps;

/// Rows converted per pass of one-pattern input, while the pass before is reduced on the
/// other core. Each pass has costs of its own (a join of the two threads, the chunk's
/// counted strings and agent spans added to the accumulator, its scratch reset):
/// 10M dictionary-encoded records took a median 88 ms in passes of 65,536 rows, 81 ms of
/// 131,072, 78 ms of 262,144 and 74 ms of 1,048,576 (`benches/core_ab.py dict`). A pass
/// converted from a stream is copied: two chunk buffers of 262,144 rows hold about 20 MB
/// (about 41 bytes a row; computed, not measured).
pub const SLICE_ROWS: usize = 262_144;
/// Rows per pass of grouped input: each pattern's rows of a pass are added in one call, so
/// with thousands of patterns a longer pass means fewer, longer runs per pattern.
const GROUPED_SLICE_ROWS: usize = 1 << 20;

/// A converted row's bytes (instant, time, score, flags, four string codes, pattern code),
/// for `room`'s check before a slice is converted.
const CONVERTED_PER_ROW: usize = 48;
/// Distinct plain strings remembered per slice and column (`string_column`).
pub(crate) const SLICE_CACHE: usize = 4096;
const NOT_BAD: u8 = u8::MAX;

const TIMESTAMP: usize = 0;
const SUCCESS_FIELD: usize = 1;
const EXECUTION_TIME: usize = 2;
const QUALITY: usize = 3;
const GATES: usize = 4;
const TIMEOUT_FIELD: usize = 5;
const STRING_FIELDS: [usize; 4] = [6, 7, 8, 9];
pub(crate) const AGENT: usize = 7;
/// The agents' place among the string columns (in `Columns::counted`).
const AGENT_SLOT: usize = 1;
const _: () = assert!(STRING_FIELDS[AGENT_SLOT] == AGENT);
pub(crate) const FILE_PATH: usize = 9;
/// Index of the pattern id column (after the ten record fields) in grouped input.
pub(crate) const GROUP: usize = 10;
pub const PATTERN_ID: &str = "pattern_id";

pub(crate) fn field_name(field: usize) -> &'static str {
    FIELDS.get(field).copied().unwrap_or(PATTERN_ID)
}

/// Read every batch, handing chunks of valid in-window rows to `sink`, in order. With
/// `groups`, each row's `pattern_id` is read too (into `Columns::group`). `sink` may take
/// a chunk's buffers (a one-call reduction keeps its execution times): each chunk buffer
/// is cleared and refilled before its next use. `counts_suffice` when `sink` adds every
/// row of each chunk to one accumulator: small dictionary-encoded string columns are then
/// only counted (`Columns::counted`), not coded row by row. `share_buffers` when the
/// caller holds all of the batches anyway (a table, not a stream): columns taken as they
/// are then share the batches' buffers (`ColumnValues`) instead of copying them; a
/// stream's batch would be kept alive by the chunk waiting for `sink` while the next one
/// is fetched.
///
/// Two cores: while `sink` reduces one slice, the next is converted on another thread
/// (two chunk buffers, used in turn). `sink` still sees every chunk in record order, with
/// the report as it stood after that chunk, so results do not change.
pub fn read_batches(
    batches: impl Iterator<Item = Result<RecordBatch, ArrowError>>,
    window: &Window,
    groups: Option<&mut GroupIndex>,
    counts_suffice: bool,
    share_buffers: bool,
    mut sink: impl FnMut(&mut Columns, &IngestReport) -> Result<(), CoreError> + Send,
) -> Result<IngestReport, CoreError> {
    let options = (counts_suffice, share_buffers);
    let mut nothing = ();
    let prepare = |_: &mut (), _: &Columns| Ok(0);
    read_batches_into(
        batches,
        window,
        groups,
        options,
        &mut nothing,
        prepare,
        |_, chunk, so_far| sink(chunk, so_far),
    )
}

/// `read_batches` into `target`. Before a chunk goes to `sink`, `prepare` makes what
/// adding it must make in one piece and returns at most what it allocates besides: that is
/// checked (see `room`) together with what converting the next slice allocates, as the two
/// run at the same time.
pub fn read_batches_into<T: Send>(
    batches: impl Iterator<Item = Result<RecordBatch, ArrowError>>,
    window: &Window,
    mut groups: Option<&mut GroupIndex>,
    (counts_suffice, share_buffers): (bool, bool),
    target: &mut T,
    mut prepare: impl FnMut(&mut T, &Columns) -> Result<usize, CoreError>,
    mut sink: impl FnMut(&mut T, &mut Columns, &IngestReport) -> Result<(), CoreError> + Send,
) -> Result<IngestReport, CoreError> {
    let (mut converted, mut spare) = (Columns::default(), Columns::default());
    // The report as it stood after `converted` was filled, while it waits for `sink`.
    let mut waiting: Option<IngestReport> = None;
    let mut report = IngestReport::default();
    // Reused for every slice: fresh 512 KB buffers would each be new pages from the OS.
    let mut scratch = Slice {
        share_buffers,
        ..Slice::default()
    };
    for batch in batches {
        let batch = batch.map_err(|e| CoreError::InvalidInput(format!("reading the Arrow stream failed: {e}")))?;
        let mut columns = locate_columns(&batch)?;
        for field in [TIMESTAMP, SUCCESS_FIELD, EXECUTION_TIME, QUALITY, GATES, TIMEOUT_FIELD] {
            if let Some(col) = &columns[field] {
                columns[field] = Some(decoded(col, field)?);
            }
        }
        if groups.is_some() {
            let schema = batch.schema();
            let index = column_named(&schema, PATTERN_ID)?.ok_or_else(|| no_column(&schema, PATTERN_ID))?;
            columns.push(Some(batch.column(index).clone()));
        }
        // A dictionary's values are shared by the batch's slices: checked once here (each
        // slice's own strings are checked by `convert_slice`).
        for (field, col) in columns.iter().enumerate() {
            if let Some(dict) = col.as_ref().and_then(|c| c.as_any_dictionary_opt()) {
                check_strings(dict.values().as_ref(), field)?;
            }
        }
        let slice_rows = if groups.is_some() {
            GROUPED_SLICE_ROWS
        } else {
            SLICE_ROWS
        };
        let mut offset = 0;
        while offset < batch.num_rows() {
            let len = slice_rows.min(batch.num_rows() - offset);
            let slice: Vec<Option<ArrayRef>> = columns
                .iter()
                .map(|c| c.as_ref().map(|a| a.slice(offset, len)))
                .collect();
            spare.clear_rows();
            // (See `room`. The slice is converted into `spare`, whose buffers grow only for
            // a longer slice; the execution times a reduction takes are new each slice.
            // Meanwhile the chunk before it is added.)
            let adding = match &waiting {
                Some(_) => prepare(target, &converted)?,
                None => 0,
            };
            let growth = len.saturating_sub(spare.flags.capacity());
            crate::room::ensure_room(
                growth
                    .saturating_mul(CONVERTED_PER_ROW)
                    .saturating_add(len.saturating_mul(std::mem::size_of::<f64>()))
                    .saturating_add(adding),
                || format!("converting {} records", crate::room::count_text(len)),
            )?;
            let first_index = report.received;
            let slice_groups = groups.as_deref_mut();
            let convert = || {
                convert_slice(
                    &slice,
                    &mut scratch,
                    len,
                    first_index,
                    window,
                    slice_groups,
                    counts_suffice,
                    &mut spare,
                    &mut report,
                )
            };
            match waiting.take() {
                Some(so_far) => {
                    let target = &mut *target;
                    let (reduced, read) =
                        crate::pool::install(|| rayon::join(|| sink(target, &mut converted, &so_far), convert));
                    reduced?;
                    read?;
                }
                None => convert()?,
            }
            report.received += len;
            waiting = Some(report.clone());
            std::mem::swap(&mut converted, &mut spare);
            offset += len;
        }
    }
    if let Some(so_far) = waiting {
        let adding = prepare(target, &converted)?;
        crate::room::ensure_room(adding, || {
            format!("adding {} records", crate::room::count_text(converted.len()))
        })?;
        sink(target, &mut converted, &so_far)?;
    }
    Ok(report)
}

/// The record-field columns of a batch, by name; None when absent.
fn locate_columns(batch: &RecordBatch) -> Result<Vec<Option<ArrayRef>>, CoreError> {
    let schema = batch.schema();
    let columns = FIELDS
        .iter()
        .enumerate()
        .map(|(field, name)| {
            let Some(i) = column_named(&schema, name)? else {
                return Ok(None);
            };
            numbers_as_they_are(schema.field(i), field)?;
            Ok(Some(batch.column(i).clone()))
        })
        .collect::<Result<Vec<_>, CoreError>>()?;
    if columns[TIMESTAMP].is_none() {
        return Err(no_column(&schema, FIELDS[TIMESTAMP]));
    }
    Ok(columns)
}

/// The error of a batch without the column `name`, listing the columns it has: one named
/// otherwise ("ts", "pattern") is seen at a glance.
fn no_column(schema: &arrow_schema::Schema, name: &str) -> CoreError {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    CoreError::InvalidInput(format!(
        "the columnar input has no '{name}' column (columns: {})",
        names.join(", ")
    ))
}

/// A dictionary-encoded column of a time, flag or number field as the plain column it
/// encodes: a pandas categorical of numbers, a polars `Categorical` cast from booleans, an
/// Arrow `dictionary_encode()`. The same records give the same analytics whatever their
/// form; those fields' readers take plain columns, and refused such a column outright.
/// (Timestamps as text are read from their dictionary as they are: each text parsed once.)
fn decoded(col: &ArrayRef, field: usize) -> Result<ArrayRef, CoreError> {
    let Some(dict) = col.as_any_dictionary_opt() else {
        return Ok(col.clone());
    };
    if field == TIMESTAMP && StringColumn::new(dict.values().as_ref()).is_some() {
        return Ok(col.clone());
    }
    // Only values of a fixed width are decoded: these fields are read from no others, and
    // decoding strings, bytes or lists would read them by their offsets, which arrow-rs
    // does not check on import (offsets that decrease made `take` read outside the data
    // buffer, a crash). The column is left as it is, for its reader to refuse its type
    // (after `check_strings` has checked its values, if strings).
    let fixed = |dt: &DataType| dt.is_primitive() || matches!(dt, DataType::Boolean | DataType::Null);
    if !fixed(dict.values().data_type()) {
        return Ok(col.clone());
    }
    // The keys as indices into the values, checked: imported keys may be out of range (a
    // null key's slot holds anything, so it takes the first value, then is null).
    let (values, nulls) = (dict.values(), dict.keys().logical_nulls());
    let mut indices = Vec::with_capacity(col.len());
    let mut beyond = false;
    for_each_key(dict, |row, key| {
        let valid = nulls.as_ref().is_none_or(|n| n.is_valid(row));
        beyond |= valid && key >= values.len();
        indices.push(if valid && key < values.len() { key as u64 } else { 0 });
    });
    if beyond {
        return Err(key_out_of_range(dict, field));
    }
    if values.is_empty() {
        return Ok(arrow_array::new_null_array(values.data_type(), col.len()));
    }
    let indices = UInt64Array::new(indices.into(), nulls);
    arrow_select::take::take(values.as_ref(), &indices, None)
        .map_err(|e| CoreError::InvalidInput(format!("column '{}' cannot be decoded: {e}", field_name(field))))
}

/// Refuses an Arrow extension type on a time or number field: only its storage crosses the
/// C data interface, and what those numbers mean is the extension's (a pandas `period`
/// column stores period counts, which read as epoch microseconds were wrong times, read
/// silently). `arrow.bool8` (bools as int8 0 and 1) reads as the flags it holds; text
/// fields read their extensions' text, and the pattern id its `arrow.uuid` bytes.
fn numbers_as_they_are(column: &arrow_schema::Field, field: usize) -> Result<(), CoreError> {
    let Some(extension) = column.metadata().get("ARROW:extension:name") else {
        return Ok(());
    };
    let flag = [SUCCESS_FIELD, GATES, TIMEOUT_FIELD].contains(&field);
    if [TIMESTAMP, EXECUTION_TIME, QUALITY].contains(&field) || (flag && extension != "arrow.bool8") {
        return Err(CoreError::InvalidInput(format!(
            "column '{}' has the Arrow extension type '{extension}' (stored as {}), whose values \
             are not read as its storage: convert the column first{}",
            field_name(field),
            column.data_type(),
            conversion_hint(extension)
        )));
    }
    Ok(())
}

/// How a column of `extension` becomes one the core reads, where that is known: only a
/// pandas period's (an interval, say, was told to convert as a period, which it is not).
fn conversion_hint(extension: &str) -> &'static str {
    match extension {
        "pandas.period" => " (a pandas period column: `.dt.to_timestamp()`)",
        _ => "",
    }
}

/// The index of the column named `name`, if any. `Schema::index_of` finds the first of
/// equal names, so a second column of a field's name would be ignored silently: which one
/// holds the field is refused as ambiguous.
fn column_named(schema: &arrow_schema::Schema, name: &str) -> Result<Option<usize>, CoreError> {
    let mut found = schema.fields().iter().enumerate().filter(|(_, f)| f.name() == name);
    let first = found.next().map(|(i, _)| i);
    let more = found.count();
    if more > 0 {
        return Err(CoreError::InvalidInput(format!(
            "the columnar input has {} columns named '{name}': keep one",
            more + 1
        )));
    }
    Ok(first)
}

/// Per-row state while a slice is converted column by column.
#[derive(Default)]
pub(crate) struct Slice {
    len: usize,
    /// Whether columns taken as they are share the input's buffers (see `read_batches`).
    share_buffers: bool,
    ts: ColumnValues<i64>,
    flags: Vec<u8>,
    times: ColumnValues<f64>,
    quality: ColumnValues<f64>,
    codes: [Vec<u32>; 4],
    pub(crate) group: Vec<u32>,
    /// First bad field of each row (NOT_BAD when valid).
    bad: Vec<u8>,
}

impl Slice {
    fn reset(&mut self, len: usize) {
        fn refill<T: Clone>(v: &mut Vec<T>, len: usize, value: T) {
            v.clear();
            v.resize(len, value);
        }
        // (The times and numbers are filled by their readers: the common columns are
        // shared or copied in whole, and a fill first was a pass over 24 bytes a row.)
        self.len = len;
        self.ts.clear();
        refill(&mut self.flags, len, 0);
        self.times.clear();
        self.quality.clear();
        // (The codes are sized by `code_strings`: counted columns have none.)
        self.group.clear();
        refill(&mut self.bad, len, NOT_BAD);
    }

    pub(crate) fn mark(&mut self, row: usize, field: usize) {
        if self.bad[row] == NOT_BAD {
            self.bad[row] = field as u8;
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn convert_slice(
    columns: &[Option<ArrayRef>],
    s: &mut Slice,
    len: usize,
    first_index: usize,
    window: &Window,
    mut groups: Option<&mut GroupIndex>,
    counts_suffice: bool,
    out: &mut Columns,
    report: &mut IngestReport,
) -> Result<(), CoreError> {
    for (field, col) in columns.iter().enumerate() {
        if let Some(col) = col {
            check_strings(col.as_ref(), field)?;
        }
    }
    s.reset(len);
    // The string columns (hashing each value into its dictionary: the costly part of plain
    // strings) are encoded in parallel with each other and with the rest.
    let mut codes = std::mem::take(&mut s.codes);
    let mut counts: [Option<Vec<u64>>; 4] = Default::default();
    let strings: Vec<_> = STRING_FIELDS
        .into_iter()
        .zip(out.dictionaries_mut())
        .zip(codes.iter_mut().zip(counts.iter_mut()))
        .collect();
    // (The agents' spans, who was active when, are found by key once the slice's rows are
    // known to be valid: see below.)
    let encode = |((field, dict), (codes, counts)): StringJob| {
        if counts_suffice {
            *counts = count_column(columns[field].as_ref(), field, dict)?;
        }
        if counts.is_some() {
            codes.clear();
            return Ok(());
        }
        code_strings(columns[field].as_ref(), field, dict, codes, len)
    };
    let others = |s: &mut Slice| -> Result<(), CoreError> {
        let ts_col = columns[TIMESTAMP].as_ref().expect("checked by locate_columns");
        timestamps(ts_col, s)?;
        flag_column(columns[SUCCESS_FIELD].as_ref(), SUCCESS_FIELD, false, SUCCESS, s)?;
        number_column(columns[EXECUTION_TIME].as_ref(), EXECUTION_TIME, f64::INFINITY, s)?;
        number_column(columns[QUALITY].as_ref(), QUALITY, 1.0, s)?;
        flag_column(columns[GATES].as_ref(), GATES, true, GATE_FAILED, s)?;
        flag_column(columns[TIMEOUT_FIELD].as_ref(), TIMEOUT_FIELD, false, TIMEOUT, s)
    };
    // Dictionary-encoded columns too: the reduction of the slice before, beside this on
    // the other core, takes less than the conversion, and the idle core steals a column
    // (session 25, 10M dictionary-encoded records in slices of 262,144 rows, on a slower
    // machine than `SLICE_ROWS`' figures: `benches/core_ab.py dict` medians 150 -> 129 ms).
    // Every column's result is kept, so that the first bad column in field order is the
    // one reported, whichever thread finished first.
    let (others, strings) = crate::pool::install(|| {
        rayon::join(
            || others(s),
            || {
                strings
                    .into_par_iter()
                    .map(encode)
                    .collect::<Vec<Result<(), CoreError>>>()
            },
        )
    });
    s.codes = codes;
    others?;
    strings.into_iter().collect::<Result<(), CoreError>>()?;
    if let Some(index) = &mut groups {
        group_column(columns[GROUP].as_ref().expect("located"), index, s)?;
        // (An id that found no memory has no pattern: fail before its rows are counted.)
        index.check_memory()?;
    }
    // The common case, every row valid and inside the window: the slice's columns become
    // the chunk's as they are (swapped, not copied row by row).
    let all_valid = s.bad.iter().all(|&b| b == NOT_BAD);
    if all_valid && window.contains_all(&s.ts) {
        if let Some(index) = &mut groups {
            index.count_records(&s.group);
        }
        std::mem::swap(&mut out.timestamp, &mut s.ts);
        std::mem::swap(&mut out.flags, &mut s.flags);
        std::mem::swap(&mut out.execution_time_ms, &mut s.times);
        std::mem::swap(&mut out.quality_score, &mut s.quality);
        std::mem::swap(&mut out.context_type, &mut s.codes[0]);
        std::mem::swap(&mut out.agent, &mut s.codes[1]);
        std::mem::swap(&mut out.project, &mut s.codes[2]);
        std::mem::swap(&mut out.file_type, &mut s.codes[3]);
        std::mem::swap(&mut out.group, &mut s.group);
        if let (Some(col), Some(agents)) = (&columns[AGENT], &counts[AGENT_SLOT]) {
            out.agent_spans = Some(agent_spans(col, &mut out.agents, agents, &out.timestamp)?);
        }
        out.counted = counts;
        return Ok(());
    }
    // Rows are picked one by one below: the counted columns need their codes after all.
    let strings = STRING_FIELDS.into_iter().zip(out.dictionaries_mut()).zip(&mut s.codes);
    for (((field, dict), codes), counted) in strings.zip(&counts) {
        if counted.is_some() {
            code_strings(columns[field].as_ref(), field, dict, codes, len)?;
        }
    }
    // The least and greatest int64 timestamp of the rows left out (outside the window, or
    // invalid but for a null timestamp, the only bad one here), noted in the loop that
    // reads them anyway, as long as no record lay inside the window (after one, no hint
    // is given): about 10 instructions a row left out, where a fold of its own over every
    // row, or noting every row here, cost 11.5 to 13 (callgrind, `BENCHMARKS.md`).
    let integer_times = report.in_window() == 0
        && matches!(
            columns[TIMESTAMP].as_ref().map(|c| c.data_type()),
            Some(DataType::Int64)
        );
    let (mut low, mut high) = (i64::MAX, i64::MIN);
    for row in 0..len {
        // The row's pattern and its position among the pattern's records, if grouped and
        // its id is valid: a pattern's counts are those of a single call over its records.
        let group = match (&mut groups, s.group.get(row)) {
            (Some(index), Some(&code)) if code != NO_GROUP => Some((code, index.count_record(code))),
            _ => None,
        };
        if s.bad[row] != NOT_BAD {
            let field = s.bad[row] as usize;
            if integer_times && field != TIMESTAMP {
                (low, high) = (low.min(s.ts[row]), high.max(s.ts[row]));
            }
            let sample = |index: usize| {
                let col = columns[field].as_ref().expect("a bad value comes from a column");
                let (value, reason) = describe(col, field, row);
                InvalidSample {
                    index,
                    field: field_name(field),
                    value: shorten(value),
                    reason,
                    location: None,
                }
            };
            report.invalid += 1;
            if report.samples.len() < MAX_SAMPLES {
                report.samples.push(sample(first_index + row));
            }
            if let (Some(index), Some((code, nth))) = (&mut groups, group) {
                index.count_invalid(code, || sample(nth));
            }
        } else if !window.contains(s.ts[row]) {
            if integer_times {
                (low, high) = (low.min(s.ts[row]), high.max(s.ts[row]));
            }
            report.outside_window += 1;
            if let (Some(index), Some((code, _))) = (&mut groups, group) {
                index.count_outside(code);
            }
        } else {
            if !s.group.is_empty() {
                out.group.push(s.group[row]);
            }
            out.timestamp.push(s.ts[row]);
            out.flags.push(s.flags[row]);
            out.execution_time_ms.push(s.times[row]);
            out.quality_score.push(s.quality[row]);
            out.context_type.push(s.codes[0][row]);
            out.agent.push(s.codes[1][row]);
            out.project.push(s.codes[2][row]);
            out.file_type.push(s.codes[3][row]);
        }
    }
    if low <= high {
        note_integer_times(report, low, high);
    }
    Ok(())
}

/// Widen the report's range of int64 timestamps to take in `low` to `high`.
fn note_integer_times(report: &mut IngestReport, low: i64, high: i64) {
    report.integer_times = Some(match report.integer_times {
        Some((least, greatest)) => (least.min(low), greatest.max(high)),
        None => (low, high),
    });
}

/// One string column's conversion in `convert_slice`: its field, the chunk's dictionary,
/// and where its codes or its counts go.
type StringJob<'a> = (
    (usize, &'a mut Dictionary),
    (&'a mut Vec<u32>, &'a mut Option<Vec<u64>>),
);

/// `string_column` into `codes`, sized to the slice's `len` rows first.
fn code_strings(
    col: Option<&ArrayRef>,
    field: usize,
    dict: &mut Dictionary,
    codes: &mut Vec<u32>,
    len: usize,
) -> Result<(), CoreError> {
    codes.clear();
    codes.resize(len, NO_FILE);
    string_column(col, field, dict, codes)
}

pub(crate) fn unsupported(field: usize, data_type: &DataType, expected: &str) -> CoreError {
    CoreError::InvalidInput(format!(
        "column '{}' has Arrow type {data_type}; expected {expected}",
        field_name(field)
    ))
}

// -- pattern ids --------------------------------------------------------------------------

/// A column whose every value is null is all "missing", whatever its declared type (an
/// all-None column has no meaningful type).
pub(crate) fn all_null(col: &ArrayRef) -> bool {
    // (Not `logical_null_count`: for a dictionary it looks up each key's value unchecked,
    // and imported keys can be out of range; `logical_nulls` checks them.)
    col.is_empty() || col.logical_nulls().is_some_and(|nulls| nulls.null_count() == col.len())
}

#[cfg(test)]
mod tests {
    use super::numbers::{usable_as_they_are, NUMBER_BLOCK};
    use super::*;
    use crate::columns::{file_extension, UNKNOWN};
    use arrow_array::types::*;
    use std::sync::Arc;

    use arrow_array::builder::StringDictionaryBuilder;
    use arrow_array::{
        BooleanArray, DictionaryArray, Float64Array, Int32Array, Int64Array, Int8Array, RecordBatch, StringArray,
        StringViewArray, TimestampMicrosecondArray, TimestampNanosecondArray, UInt16Array, UInt64Array,
    };
    use arrow_buffer::{Buffer, OffsetBuffer, ScalarBuffer};
    use arrow_schema::{Field, Schema};

    use crate::accumulator::{Accumulator, Families};
    use crate::civil::MICROS_PER_HOUR;
    use crate::metrics::Thresholds;
    use crate::zone::Zone;

    fn window() -> Window {
        Window::new(0, 10 * MICROS_PER_HOUR, "daily", None).unwrap()
    }

    fn read(batch: RecordBatch) -> (Vec<Columns>, IngestReport) {
        read_counting(batch, false)
    }

    fn read_counting(batch: RecordBatch, counts_suffice: bool) -> (Vec<Columns>, IngestReport) {
        let mut chunks = Vec::new();
        let report = read_batches(
            std::iter::once(Ok(batch)),
            &window(),
            None,
            counts_suffice,
            true,
            |c, _| {
                chunks.push(c.clone());
                Ok(())
            },
        )
        .unwrap();
        (chunks, report)
    }

    /// Rows per name of each string column (context, agent, project, file type) over all
    /// chunks, from their counts where a column was counted, else from its codes.
    fn names_counted(chunks: &[Columns]) -> Vec<std::collections::BTreeMap<String, u64>> {
        let mut out = vec![std::collections::BTreeMap::new(); 4];
        for c in chunks {
            let codes = [&c.context_type, &c.agent, &c.project, &c.file_type];
            let dicts = [&c.context_types, &c.agents, &c.projects, &c.file_types];
            for (i, tally) in out.iter_mut().enumerate() {
                let mut add = |code: usize, n: u64| *tally.entry(dicts[i].names()[code].to_string()).or_default() += n;
                match &c.counted[i] {
                    Some(counts) => counts
                        .iter()
                        .enumerate()
                        .filter(|(_, &n)| n > 0)
                        .for_each(|(k, &n)| add(k, n)),
                    None => codes[i]
                        .iter()
                        .filter(|&&k| k != NO_FILE)
                        .for_each(|&k| add(k as usize, 1)),
                }
            }
        }
        out
    }

    #[test]
    fn values_usable_as_they_are_in_both_compilations() {
        // One value out of place (NaN, -0.0, negative, past the maximum, infinite) at the
        // start, end and block edges of otherwise usable columns; both compilations.
        let n = 3 * NUMBER_BLOCK + 5;
        let usable: Vec<f64> = (0..n).map(|i| i as f64 / 3.0).collect();
        for bad in [f64::NAN, -0.0, -1e-300, 1e9, f64::INFINITY, f64::NEG_INFINITY] {
            for at in [0, NUMBER_BLOCK - 1, NUMBER_BLOCK, 2 * NUMBER_BLOCK + 1, n - 1] {
                let mut values = usable.clone();
                values[at] = bad;
                assert!(!usable_as_they_are(&values, 1e6), "{bad} at {at}");
                assert!(
                    !crate::wide::on_baseline(|| usable_as_they_are(&values, 1e6)),
                    "{bad} at {at} (baseline)"
                );
            }
        }
        for max in [1e6, f64::MAX] {
            assert!(usable_as_they_are(&usable, max) && crate::wide::on_baseline(|| usable_as_they_are(&usable, max)));
        }
        assert!(usable_as_they_are(&[], 1.0) && usable_as_they_are(&[0.0, 1.0], 1.0));
    }

    #[test]
    fn dictionary_encoded_times_flags_and_numbers_read_as_their_plain_columns() {
        // A pandas categorical of numbers, a dictionary-encoded flag or time column: the
        // same records as the plain columns, where they were refused as columns.
        let dictionary = |keys: Vec<Option<i8>>, values: ArrayRef| -> ArrayRef {
            Arc::new(DictionaryArray::<Int8Type>::try_new(Int8Array::from(keys), values).unwrap())
        };
        let hours = [0, MICROS_PER_HOUR, 2 * MICROS_PER_HOUR, 3 * MICROS_PER_HOUR];
        let plain = RecordBatch::try_from_iter([
            (
                "timestamp",
                Arc::new(TimestampMicrosecondArray::from(hours.to_vec())) as ArrayRef,
            ),
            (
                "success",
                Arc::new(BooleanArray::from(vec![Some(true), None, Some(false), Some(true)])),
            ),
            (
                "execution_time_ms",
                Arc::new(Float64Array::from(vec![Some(2.5), Some(-1.0), None, Some(2.5)])),
            ),
            ("quality_score", Arc::new(Float64Array::from(vec![0.5, 0.5, 0.25, 0.5]))),
        ])
        .unwrap();
        let encoded = RecordBatch::try_from_iter([
            (
                "timestamp",
                dictionary(
                    vec![Some(3), Some(2), Some(1), Some(0)],
                    Arc::new(TimestampMicrosecondArray::from(
                        hours.iter().rev().copied().collect::<Vec<_>>(),
                    )),
                ),
            ),
            (
                "success",
                dictionary(
                    vec![Some(0), None, Some(1), Some(0)],
                    Arc::new(BooleanArray::from(vec![true, false])),
                ),
            ),
            (
                "execution_time_ms",
                // A null value, a null key, and the invalid -1.0 (its record's error).
                dictionary(
                    vec![Some(1), Some(2), None, Some(1)],
                    Arc::new(Float64Array::from(vec![None, Some(2.5), Some(-1.0)])),
                ),
            ),
            (
                "quality_score",
                dictionary(
                    vec![Some(0), Some(0), Some(1), Some(0)],
                    Arc::new(Float64Array::from(vec![0.5, 0.25])),
                ),
            ),
        ])
        .unwrap();
        let (plain_chunks, plain_report) = read(plain);
        let (chunks, report) = read(encoded);
        assert_eq!(report.invalid, 1);
        assert_eq!(format!("{report:?}"), format!("{plain_report:?}"));
        let rows = |c: &[Columns]| {
            let c = &c[0];
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            (
                c.timestamp.to_vec(),
                c.flags.clone(),
                bits(&c.execution_time_ms),
                bits(&c.quality_score),
            )
        };
        assert_eq!(chunks.len(), 1);
        assert_eq!(rows(&chunks), rows(&plain_chunks));
        // Keys past the values are refused, not clamped to the last value.
        let values: ArrayRef = Arc::new(Float64Array::from(vec![2.5]));
        let keys = Int8Array::from(vec![0, 0, 4, 0]);
        // SAFETY: the key out of range is the point; `decoded` checks every key.
        let col = unsafe { DictionaryArray::<Int8Type>::new_unchecked(keys, values) };
        let batch = RecordBatch::try_from_iter([
            (
                "timestamp",
                Arc::new(TimestampMicrosecondArray::from(hours.to_vec())) as ArrayRef,
            ),
            ("execution_time_ms", Arc::new(col)),
        ])
        .unwrap();
        let err = read_batches(std::iter::once(Ok(batch)), &window(), None, false, true, |_, _| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("column 'execution_time_ms' is malformed Arrow data: dictionary key 4"),
            "{err}"
        );
    }

    #[test]
    fn dictionary_keys_out_of_range_are_refused_not_read_as_missing() {
        // Arrow's constructors refuse such keys, but arrow-rs does not check data imported
        // through the C data interface (pyarrow's `from_arrays(..., safe=False)` makes it).
        // SAFETY: the keys out of range are the point; every reader here checks its keys.
        let dictionary = |keys: Vec<Option<i8>>, values: Vec<Option<&str>>| -> ArrayRef {
            let (keys, values) = (Int8Array::from(keys), Arc::new(StringArray::from(values)));
            Arc::new(unsafe { DictionaryArray::<Int8Type>::new_unchecked(keys, values) })
        };
        let hours = Int64Array::from(vec![0, MICROS_PER_HOUR, 2 * MICROS_PER_HOUR]);
        let read = |name: &str, col: ArrayRef, counts_suffice: bool, grouped: bool| {
            let mut columns: Vec<(&str, ArrayRef)> = vec![(name, col)];
            if name != "timestamp" {
                columns.push(("timestamp", Arc::new(hours.clone())));
            }
            if grouped && name != "pattern_id" {
                columns.push(("pattern_id", Arc::new(StringArray::from(vec!["p"; 3]))));
            }
            let batch = RecordBatch::try_from_iter(columns).unwrap();
            let mut index = GroupIndex::default();
            let groups = grouped.then_some(&mut index);
            read_batches(
                std::iter::once(Ok(batch)),
                &window(),
                groups,
                counts_suffice,
                true,
                |_, _| Ok(()),
            )
            .map(|_| ())
        };
        let chat = vec![Some("chat"), None];
        let stamps = vec![Some("1970-01-01T01:00:00Z"), None];
        for (name, col, grouped) in [
            // Counted (no null keys, no null values), coded (a null key), and a column
            // with a null value (whose null count arrow-rs would look up unchecked).
            (
                "context_type",
                dictionary(vec![Some(0), Some(9), Some(0)], vec![Some("chat")]),
                false,
            ),
            ("agent", dictionary(vec![Some(0), None, Some(-3)], chat.clone()), false),
            (
                "project",
                dictionary(vec![Some(1), Some(2), Some(0)], chat.clone()),
                false,
            ),
            (
                "timestamp",
                dictionary(vec![Some(0), Some(5), Some(0)], stamps.clone()),
                false,
            ),
            (
                "pattern_id",
                dictionary(vec![Some(0), Some(0), Some(7)], chat.clone()),
                true,
            ),
        ] {
            for counts_suffice in [true, false].into_iter().filter(|&c| !(c && grouped)) {
                let err = read(name, col.clone(), counts_suffice, grouped)
                    .unwrap_err()
                    .to_string();
                assert!(err.contains(&format!("column '{name}' is malformed")), "{name}: {err}");
                assert!(
                    err.contains("is out of range (the dictionary's length is"),
                    "{name}: {err}"
                );
            }
        }
        // The message names the key; a null row's key is a placeholder: out of range
        // there, it is just missing.
        let err = read(
            "context_type",
            dictionary(vec![Some(0), Some(-3), Some(0)], vec![Some("chat")]),
            true,
            false,
        );
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("dictionary key -3 is out of range (the dictionary's length is 1)"));
        // A u64 key past i64::MAX is named as it is.
        let keys = UInt64Array::from(vec![0, (1 << 63) + 5, 0]);
        // SAFETY: as above.
        let col = unsafe { DictionaryArray::<UInt64Type>::new_unchecked(keys, Arc::new(StringArray::from(vec!["a"]))) };
        let err = read("agent", Arc::new(col), false, false).unwrap_err().to_string();
        assert!(
            err.contains("dictionary key 9223372036854775813 is out of range"),
            "{err}"
        );
        for (name, col) in [
            ("agent", dictionary(vec![Some(0), None, Some(0)], chat.clone())),
            ("timestamp", dictionary(vec![Some(0), None, Some(0)], stamps)),
        ] {
            let keys = col.as_any_dictionary().keys().to_data();
            // The null row's slot holds 100 (past the values).
            let mut raw: Vec<i8> = Int8Array::from(keys).values().to_vec();
            raw[1] = 100;
            let keys = Int8Array::new(raw.into(), col.nulls().cloned());
            let values = col.as_any_dictionary().values().clone();
            // SAFETY: as above.
            let col: ArrayRef = Arc::new(unsafe { DictionaryArray::<Int8Type>::new_unchecked(keys, values) });
            assert!(read(name, col, false, false).is_ok(), "{name}");
        }
    }

    #[test]
    fn strings_outside_their_buffers_are_refused() {
        // Offsets that decrease (pyarrow's cheap checks pass them), offsets past the data,
        // and a view past its buffer: arrow-rs would read outside the buffers.
        // SAFETY (every `unsafe` here): malformed on purpose; the reader checks first.
        let data = Buffer::from(b"hello world, a long enough string".as_slice());
        let offsets = |o: Vec<i32>| unsafe { OffsetBuffer::new_unchecked(ScalarBuffer::from(o)) };
        let decreasing = unsafe { StringArray::new_unchecked(offsets(vec![0, 9, 4]), data.clone(), None) };
        let past = unsafe { StringArray::new_unchecked(offsets(vec![0, 4, 90]), data.clone(), None) };
        let view = |len: u128, buffer: u128, offset: u128| len | (buffer << 64) | (offset << 96);
        let views = ScalarBuffer::from(vec![view(3, 0, 0), view(20, 0, 30)]);
        let bad_view = unsafe { StringViewArray::new_unchecked(views, vec![data.clone()], None) };
        let good_views = ScalarBuffer::from(vec![view(3, 0, 0), view(20, 0, 5)]);
        let good_view = unsafe { StringViewArray::new_unchecked(good_views, vec![data], None) };
        let in_dictionary = DictionaryArray::<Int8Type>::new(Int8Array::from(vec![0, 1]), Arc::new(decreasing.clone()));
        let hours = Int64Array::from(vec![0, MICROS_PER_HOUR]);
        let read = |name: &str, col: ArrayRef| {
            let columns: Vec<(&str, ArrayRef)> = vec![("timestamp", Arc::new(hours.clone())), (name, col)];
            let batch = RecordBatch::try_from_iter(columns).unwrap();
            read_batches(std::iter::once(Ok(batch)), &window(), None, true, true, |_, _| Ok(())).map(|_| ())
        };
        for (name, col) in [
            ("agent", Arc::new(decreasing) as ArrayRef),
            ("file_path", Arc::new(past)),
            ("project", Arc::new(bad_view)),
            ("context_type", Arc::new(in_dictionary)),
        ] {
            let err = read(name, col).unwrap_err().to_string();
            let expected = format!("column '{name}' is malformed Arrow data: its string offsets or views do not fit");
            assert!(err.contains(&expected), "{err}");
        }
        assert!(read("project", Arc::new(good_view)).is_ok());
    }

    #[test]
    fn strings_that_are_not_utf8_are_refused_showing_their_first_bytes() {
        // A long string with a stray byte past the shown part, in every field that reads
        // strings; the message shows its first 64 bytes, escaped. The grouped reader
        // (pattern ids) is covered from Python, with the other layouts.
        let mut long = b"x".repeat(70);
        long[66] = 0xff;
        let data = Buffer::from([b"fine".as_slice(), &long].concat());
        // SAFETY: not UTF-8 on purpose; the reader checks each string before reading it.
        let strings =
            unsafe { StringArray::new_unchecked(OffsetBuffer::new(ScalarBuffer::from(vec![0, 4, 74])), data, None) };
        let hours = Int64Array::from(vec![0, MICROS_PER_HOUR]);
        for name in ["agent", "context_type", "project", "file_path", "timestamp"] {
            let timestamps: ArrayRef = Arc::new(hours.clone());
            let mut columns = vec![(name, Arc::new(strings.clone()) as ArrayRef)];
            if name != "timestamp" {
                columns.push(("timestamp", timestamps));
            }
            let batch = RecordBatch::try_from_iter(columns).unwrap();
            let read = read_batches(std::iter::once(Ok(batch)), &window(), None, true, true, |_, _| Ok(()));
            let err = read.map(|_| ()).unwrap_err().to_string();
            let shown = "x".repeat(64);
            let expected = format!(
                "column '{name}' is malformed Arrow data: the string b\"{shown}...\" is not valid UTF-8 (from byte 66)"
            );
            assert!(err.contains(&expected), "{err}");
        }
    }

    #[test]
    fn dictionary_pattern_ids_without_null_keys_are_numbered_by_first_use() {
        // No null keys or values: the typed loop. A blank id names no pattern (its rows
        // marked), ids are numbered as rows first use them, keys past the values refused.
        let ids = |keys: Vec<i8>, values: Vec<&str>| -> ArrayRef {
            // SAFETY: keys out of range are the point; `group_column` checks every key.
            Arc::new(unsafe {
                DictionaryArray::<Int8Type>::new_unchecked(Int8Array::from(keys), Arc::new(StringArray::from(values)))
            })
        };
        let mut index = GroupIndex::default();
        let mut s = Slice::default();
        s.reset(5);
        group_column(&ids(vec![2, 0, 2, 1, 0], vec!["a", " ", "c"]), &mut index, &mut s).unwrap();
        assert_eq!(s.group, vec![0, 1, 0, NO_GROUP, 1]);
        use crate::group::GroupKey;
        assert_eq!(index.keys(), &[GroupKey::Text("c".into()), GroupKey::Text("a".into())]);
        assert_eq!(
            s.bad.iter().map(|&b| b != NOT_BAD).collect::<Vec<_>>(),
            [false, false, false, true, false]
        );
        for keys in [vec![0, 7, 0], vec![0, 0, -1]] {
            let mut s = Slice::default();
            s.reset(3);
            let err = group_column(&ids(keys, vec!["a", "b"]), &mut GroupIndex::default(), &mut s).unwrap_err();
            assert!(err.to_string().contains("is out of range"), "{err}");
        }
    }

    #[test]
    fn integer_pattern_ids_are_numbered_by_first_use_dense_or_not() {
        // Dense ids (a span within the row count: the table), sparse ones (a lookup per
        // row), the extremes of i64, and null rows (no pattern; their placeholder still
        // counts in the span).
        use crate::group::GroupKey;
        let cases: Vec<Vec<Option<i64>>> = vec![
            vec![Some(7), Some(5), Some(7), None, Some(6), Some(5), Some(3), Some(1)],
            vec![Some(7), Some(1 << 40), Some(7), None, Some(-3)],
            vec![Some(i64::MAX), Some(i64::MIN), Some(i64::MAX)],
            vec![Some(-2), Some(-1), Some(-2), Some(-1)],
            vec![None, None],
        ];
        for ids in cases {
            let col: ArrayRef = Arc::new(Int64Array::from(ids.clone()));
            let (mut index, mut s) = (GroupIndex::default(), Slice::default());
            s.reset(ids.len());
            group_column(&col, &mut index, &mut s).unwrap();
            let mut expected_index = GroupIndex::default();
            let expected: Vec<u32> = ids
                .iter()
                .map(|id| id.map_or(NO_GROUP, |n| expected_index.code_int(n)))
                .collect();
            assert_eq!(s.group, expected, "{ids:?}");
            assert_eq!(index.keys(), expected_index.keys(), "{ids:?}");
            assert!(index.keys().iter().all(|k| matches!(k, GroupKey::Int(_))));
        }
    }

    #[test]
    fn float_pattern_ids_are_their_ints_and_other_floats_bad_records() {
        // numpy's and pandas' int ids with a missing one: whole floats are the int ids
        // (one pattern with the ints), NaN and null missing, any other float that row's
        // error, described by its value (the whole call was refused).
        use crate::group::GroupKey;
        let ids = [
            Some(2.0),
            Some(1.5),
            None,
            Some(f64::NAN),
            Some(-0.0),
            Some(2.0),
            Some(f64::INFINITY),
            Some(9.3e18),
        ];
        let col: ArrayRef = Arc::new(Float64Array::from(ids.to_vec()));
        let (mut index, mut s) = (GroupIndex::default(), Slice::default());
        s.reset(ids.len());
        group_column(&col, &mut index, &mut s).unwrap();
        assert_eq!(s.group, [0, NO_GROUP, NO_GROUP, NO_GROUP, 1, 0, NO_GROUP, NO_GROUP]);
        assert_eq!(index.keys(), &[GroupKey::Int(2), GroupKey::Int(0)]);
        let bad: Vec<bool> = s.bad.iter().map(|&b| b != NOT_BAD).collect();
        assert_eq!(bad, [false, true, true, true, false, false, true, true]);
        let described: Vec<(String, String)> = [1, 2, 3, 6, 7].map(|row| describe(&col, GROUP, row)).into();
        let reason = "must be a whole number within 64 bits (a column of float ids is read as int ids)";
        let missing = ("<missing>".to_owned(), "required field is missing".to_owned());
        assert_eq!(described[0], ("1.5".to_owned(), reason.to_owned()));
        assert_eq!(described[1], missing);
        assert_eq!(described[2], missing);
        assert_eq!(described[3], ("inf".to_owned(), reason.to_owned()));
        assert_eq!(described[4], ("9.3e+18".to_owned(), reason.to_owned()));
        let single: ArrayRef = Arc::new(arrow_array::Float32Array::from(vec![3.0f32, 0.25]));
        let mut s = Slice::default();
        s.reset(2);
        group_column(&single, &mut index, &mut s).unwrap();
        assert_eq!(s.group, [2, NO_GROUP]);
    }

    #[test]
    fn dictionary_encoded_float_ids_read_as_their_plain_column() {
        // `dictionary_encode()` of a float id column was refused whole ("has Arrow type
        // Dictionary(Int32, Float64)"): each row reads as its value in the plain column, a
        // null key or value, NaN too, a missing id, and any other float its row's error.
        use crate::group::GroupKey;
        let values: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(2.0),
            Some(1.5),
            Some(f64::NAN),
            None,
            Some(-0.0),
            Some(f64::INFINITY),
        ]));
        let keys = Int32Array::from(vec![
            Some(0),
            Some(1),
            Some(2),
            Some(3),
            None,
            Some(4),
            Some(0),
            Some(5),
        ]);
        let col: ArrayRef = Arc::new(DictionaryArray::<Int32Type>::try_new(keys, values).unwrap());
        let (mut index, mut s) = (GroupIndex::default(), Slice::default());
        s.reset(col.len());
        group_column(&col, &mut index, &mut s).unwrap();
        assert_eq!(s.group, [0, NO_GROUP, NO_GROUP, NO_GROUP, NO_GROUP, 1, 0, NO_GROUP]);
        assert_eq!(index.keys(), &[GroupKey::Int(2), GroupKey::Int(0)]);
        let bad: Vec<bool> = s.bad.iter().map(|&b| b != NOT_BAD).collect();
        assert_eq!(bad, [false, true, true, true, true, false, false, true]);
        let reason = "must be a whole number within 64 bits (a column of float ids is read as int ids)";
        let missing = ("<missing>".to_owned(), "required field is missing".to_owned());
        assert_eq!(describe(&col, GROUP, 1), ("1.5".to_owned(), reason.to_owned()));
        for row in [2, 3, 4] {
            assert_eq!(describe(&col, GROUP, row), missing);
        }
        assert_eq!(describe(&col, GROUP, 7), ("inf".to_owned(), reason.to_owned()));
    }

    #[test]
    fn boolean_bitmaps_set_each_rows_flag_at_any_length_and_offset() {
        // Lengths around the 8- and 64-row blocks, arrays sliced at odd offsets; the
        // flag's bit is ORed into flags that hold another bit already.
        let bits: Vec<bool> = (0..300u32).map(|i| (i * 7 + i / 5) % 3 == 0).collect();
        for offset in [0, 1, 3, 8, 13] {
            for len in [0, 1, 7, 8, 9, 63, 64, 65, 127, 128, 129, 200, 287] {
                let col: ArrayRef = Arc::new(BooleanArray::from(bits.clone()).slice(offset, len));
                for default in [false, true] {
                    let mut s = Slice::default();
                    s.reset(len);
                    s.flags.iter_mut().for_each(|f| *f = SUCCESS);
                    flag_column(Some(&col), GATES, default, GATE_FAILED, &mut s).unwrap();
                    let expected: Vec<u8> = bits[offset..offset + len]
                        .iter()
                        .map(|&b| SUCCESS | if b != default { GATE_FAILED } else { 0 })
                        .collect();
                    assert_eq!(s.flags, expected, "offset {offset}, len {len}, default {default}");
                }
            }
        }
    }

    #[test]
    fn counted_chunks_reduce_to_the_analytics_of_coded_ones() {
        // Three batches of SLICE_ROWS + 4,464 valid rows, each with its own dictionaries
        // (the values in another order): chunks of SLICE_ROWS rows (added in two halves on
        // two cores) and of 4,464, the reader's two chunk buffers and their dictionaries in
        // turn. Reduced counted and coded, all families on (keeping the times as a one-call
        // reduction does) and with the distribution family off; rows in time order and not
        // (the agents' spans are found by scans from the ends, or by a min and max per
        // row). Agent "a" has only the first rows of the first batch and "e" only the last
        // of the last, so a span taken from the wrong rows shows.
        let rows = SLICE_ROWS + 4_464;
        for ordered in [false, true] {
            let dictionary = |keys: Vec<i32>, values: Vec<Option<&str>>, turn: usize| -> ArrayRef {
                let n = values.len() as i32;
                let keys = keys
                    .into_iter()
                    .map(|k| (k + n - turn as i32 % n) % n)
                    .collect::<Vec<_>>();
                let mut values = values;
                values.rotate_left(turn % n as usize);
                Arc::new(DictionaryArray::<Int32Type>::new(
                    Int32Array::from(keys),
                    Arc::new(StringArray::from(values)),
                ))
            };
            // More file paths than `COUNTED_VALUES`, fewer than one per 16 rows of the
            // shorter chunk: counted by key.
            let paths: Vec<Option<String>> = (0..200)
                .map(|j| Some(format!("d{}/f{j}.{}", j % 7, ["rs", "py", "md"][j % 3])))
                .chain([None])
                .collect();
            let batch = |b: usize| -> RecordBatch {
                let step = (10 * MICROS_PER_HOUR) / rows as i64;
                let columns: Vec<(&str, ArrayRef)> = vec![
                    (
                        "timestamp",
                        Arc::new(Int64Array::from_iter_values((0..rows).map(|i| {
                            let place = if ordered { i } else { (i * 7919) % rows };
                            (b * rows + place) as i64 * step / 3
                        }))),
                    ),
                    (
                        "success",
                        Arc::new(BooleanArray::from_iter((0..rows).map(|i| Some(i % 9 != b)))),
                    ),
                    (
                        "execution_time_ms",
                        Arc::new(Float64Array::from_iter_values((0..rows).map(|i| (i % 1000) as f64))),
                    ),
                    (
                        "quality_score",
                        Arc::new(Float64Array::from_iter_values((0..rows).map(|i| (i % 7) as f64 / 7.0))),
                    ),
                    (
                        "context_type",
                        dictionary(
                            (0..rows).map(|i| (i % 3) as i32).collect(),
                            vec![Some("chat"), Some("cli"), None],
                            b,
                        ),
                    ),
                    (
                        "agent",
                        dictionary(
                            (0..rows)
                                .map(|i| match (b, i) {
                                    (0, 0..=9) => 0,
                                    (2, i) if i >= rows - 10 => 5,
                                    _ => 1 + (i % 4) as i32,
                                })
                                .collect(),
                            vec![Some("a"), Some("b"), Some("c"), Some("d"), None, Some("e")],
                            b,
                        ),
                    ),
                    (
                        "project",
                        dictionary(
                            (0..rows).map(|i| (i / 1000 % 2) as i32).collect(),
                            vec![Some("p"), Some("q")],
                            b,
                        ),
                    ),
                    (
                        "file_path",
                        dictionary(
                            (0..rows).map(|i| (i % 201) as i32).collect(),
                            paths.iter().map(|p| p.as_deref()).collect(),
                            b,
                        ),
                    ),
                ];
                RecordBatch::try_from_iter(columns).unwrap()
            };
            let no_distribution = Families {
                distribution: false,
                ..Families::ALL
            };
            for (families, one_call) in [(Families::ALL, true), (no_distribution, false)] {
                let reduce = |counts_suffice: bool| {
                    let zone = Zone::get("UTC").unwrap();
                    let acc = Accumulator::new(window(), zone, families, Thresholds::default());
                    let mut acc = if one_call { acc.holding_times() } else { acc };
                    let mut counted = 0;
                    let batches = (0..3).map(|b| Ok(batch(b)));
                    read_batches(batches, &window(), None, counts_suffice, true, |chunk, _| {
                        counted += usize::from(chunk.counted.iter().all(Option::is_some));
                        if one_call {
                            acc.add_chunk(chunk);
                        } else {
                            acc.add(chunk);
                        }
                        Ok(())
                    })
                    .unwrap();
                    let spans: std::collections::BTreeMap<String, (i64, i64)> = (acc.agents.names.names().iter())
                        .zip(acc.agent_first_seen.iter().zip(&acc.agent_last_seen))
                        .map(|(name, (&first, &last))| (name.to_string(), (first, last)))
                        .collect();
                    (acc.finalize(), counted, spans)
                };
                let (coded, none, coded_spans) = reduce(false);
                let (counted, chunks, counted_spans) = reduce(true);
                assert_eq!((none, chunks), (0, 6), "every column of every chunk counted, or none");
                assert_eq!(counted, coded, "{families:?}");
                assert_eq!(counted_spans, coded_spans, "ordered: {ordered}");
                let step = (10 * MICROS_PER_HOUR) / rows as i64;
                let at = |b: usize, i: usize| (b * rows + i) as i64 * step / 3;
                if ordered {
                    assert_eq!(coded_spans["a"], (at(0, 0), at(0, 9)));
                    assert_eq!(coded_spans["e"], (at(2, rows - 10), at(2, rows - 1)));
                }
                assert_eq!(coded_spans.len(), 6, "a, b, c, d, e and unknown");
            }
        }
    }

    #[test]
    fn counted_string_columns_give_the_counts_of_their_codes() {
        // Two slices: the first all valid (counted), the second with a row outside the
        // window (coded after all). Contexts: int8 keys, a null value and an unused one;
        // projects: more values than are counted by key (over one per 16 rows); file paths:
        // uint16 keys, 300 values (more than 64, counted as fewer than one per 16 rows), one
        // extension for all; agents: null keys (always coded anyway).
        let n = SLICE_ROWS + 1_000;
        let ts: Vec<i64> = (0..n).map(|i| if i == n - 1 { -1 } else { i as i64 }).collect();
        let context_keys = Int8Array::from_iter_values((0..n).map(|i| [0, 1, 2, 0, 3][i % 5]));
        let context_values = StringArray::from(vec![Some("chat"), None, Some("cli"), Some("unknown"), Some("spare")]);
        let contexts = DictionaryArray::<Int8Type>::new(context_keys, Arc::new(context_values));
        let many: Vec<String> = (0..SLICE_ROWS / 16 + 1).map(|i| format!("p{i}")).collect();
        let projects = DictionaryArray::<Int32Type>::new(
            Int32Array::from_iter_values((0..n).map(|i| (i % 97) as i32)),
            Arc::new(StringArray::from(many)),
        );
        let path_values: Vec<Option<String>> = [Some("a/x.tar.gz".to_owned()), Some("b.gz".to_owned()), None]
            .into_iter()
            .chain((3..300).map(|j| Some(format!("d{j}/f.gz"))))
            .collect();
        let paths = DictionaryArray::<UInt16Type>::new(
            UInt16Array::from_iter_values((0..n).map(|i| (i % 300) as u16)),
            Arc::new(StringArray::from(path_values)),
        );
        let agents = DictionaryArray::<Int32Type>::new(
            Int32Array::from(
                (0..n)
                    .map(|i| (i % 7 != 0).then_some((i % 2) as i32))
                    .collect::<Vec<_>>(),
            ),
            Arc::new(StringArray::from(vec!["a", "b"])),
        );
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("timestamp", Arc::new(Int64Array::from(ts))),
            ("context_type", Arc::new(contexts)),
            ("agent", Arc::new(agents)),
            ("project", Arc::new(projects)),
            ("file_path", Arc::new(paths)),
        ];
        let batch = RecordBatch::try_from_iter(columns).unwrap();
        let (coded, coded_report) = read_counting(batch.clone(), false);
        let (counted, counted_report) = read_counting(batch, true);
        assert_eq!(counted_report.outside_window, 1);
        assert_eq!(coded_report.outside_window, 1);
        // Which columns were counted: contexts and file paths of the first slice only.
        let which = |c: &Columns| c.counted.each_ref().map(Option::is_some);
        assert_eq!(
            counted.iter().map(which).collect::<Vec<_>>(),
            vec![[true, false, false, true], [false; 4]]
        );
        assert!(coded.iter().all(|c| !c.has_counted()));
        assert!(counted[0].context_type.is_empty() && counted[0].file_type.is_empty());
        let expected = names_counted(&coded);
        assert_eq!(names_counted(&counted), expected);
        let inside = |keep: fn(usize) -> bool| (0..n - 1).filter(|&i| keep(i)).count() as u64;
        assert_eq!(
            expected[0]["unknown"],
            inside(|i| matches!(i % 5, 1 | 4)),
            "null values are 'unknown'"
        );
        assert_eq!(
            expected[3]["gz"],
            inside(|i| i % 300 != 2),
            "paths by extension, null paths not counted"
        );
        assert_eq!(expected[3].len(), 1);
    }

    #[test]
    fn columns_taken_as_they_are_are_read_in_place_and_others_copied() {
        // Microsecond timestamps and float64 numbers all valid are the input's buffers;
        // a -0.0 (written 0.0) or a null makes a column a copy.
        let hour = MICROS_PER_HOUR;
        let cases: [(Vec<Option<f64>>, bool); 3] = [
            (vec![Some(0.0), Some(0.5), Some(1.0)], true),
            (vec![Some(-0.0), Some(0.5), Some(1.0)], false),
            (vec![Some(0.25), None, Some(1.0)], false),
        ];
        for (scores, in_place) in cases {
            // (Arrays sliced from longer ones: the shared buffers start at their offset.)
            let sliced = |values: Vec<Option<f64>>| {
                let longer: Vec<Option<f64>> = [vec![Some(0.75); 7], values].concat();
                Float64Array::from(longer).slice(7, 3)
            };
            let ts = TimestampMicrosecondArray::from(vec![0, 0, hour, 2 * hour, 3 * hour])
                .with_timezone("UTC")
                .slice(2, 3);
            let (times, quality) = (sliced(scores.clone()), sliced(scores.clone()));
            let schema = Schema::new(vec![
                Field::new("timestamp", ts.data_type().clone(), false),
                Field::new("execution_time_ms", DataType::Float64, true),
                Field::new("quality_score", DataType::Float64, true),
            ]);
            let columns: Vec<ArrayRef> = vec![Arc::new(ts.clone()), Arc::new(times.clone()), Arc::new(quality.clone())];
            let batch = RecordBatch::try_new(Arc::new(schema), columns).unwrap();
            let (chunks, report) = read(batch);
            assert_eq!(report.invalid, 0);
            let c = &chunks[0];
            assert_eq!(c.timestamp.shared().map(|b| b.as_ptr()), Some(ts.values().as_ptr()));
            for (got, input) in [(&c.execution_time_ms, &times), (&c.quality_score, &quality)] {
                let shared = got.shared().map(|b| b.as_ptr());
                assert_eq!(shared == Some(input.values().as_ptr()), in_place, "{scores:?}");
                let want: Vec<u64> = scores
                    .iter()
                    .map(|x| x.map_or(f64::NAN, |x| x + 0.0).to_bits())
                    .collect();
                assert_eq!(got.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), want, "{scores:?}");
            }
        }
    }

    #[test]
    fn a_streamed_batch_is_let_go_before_the_next_is_fetched() {
        // Not shared, a stream's batch is not kept alive by the chunk waiting for the sink
        // while the next batch is fetched; shared (a table's batches live anyway), it is.
        for share in [false, true] {
            let batch = |base: i64| {
                let ts = Int64Array::from((0..1000).map(|i| base + i).collect::<Vec<_>>());
                let buffer = ts.values().inner().clone();
                (
                    RecordBatch::try_from_iter([("timestamp", Arc::new(ts) as ArrayRef)]).unwrap(),
                    buffer,
                )
            };
            let (first, first_buffer) = batch(0);
            let (second, _) = batch(MICROS_PER_HOUR);
            let mut holders = 0;
            let batches = [first, second].into_iter().enumerate().map(|(i, b)| {
                if i == 1 {
                    holders = first_buffer.strong_count();
                }
                Ok(b)
            });
            read_batches(batches, &window(), None, false, share, |_, _| Ok(())).unwrap();
            assert_eq!(holders, if share { 2 } else { 1 }, "share: {share}");
        }
    }

    #[test]
    fn nanosecond_timestamps_nulls_and_bad_numbers() {
        let hour_ns = MICROS_PER_HOUR * 1_000;
        let ts = TimestampNanosecondArray::from(vec![Some(hour_ns + 999), None, Some(2 * hour_ns), Some(-hour_ns)])
            .with_timezone("UTC");
        let times = Float64Array::from(vec![Some(5.0), Some(1.0), Some(f64::NAN), None]);
        let ok = BooleanArray::from(vec![Some(true), None, Some(false), Some(true)]);
        let schema = Schema::new(vec![
            Field::new("timestamp", ts.data_type().clone(), true),
            Field::new("execution_time_ms", DataType::Float64, true),
            Field::new("success", DataType::Boolean, true),
        ]);
        let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(ts), Arc::new(times), Arc::new(ok)]).unwrap();
        let (chunks, report) = read(batch);
        assert_eq!((report.received, report.invalid, report.outside_window), (4, 2, 1));
        assert_eq!(report.samples[0].field, "timestamp");
        assert_eq!(report.samples[0].reason, "required field is missing");
        assert_eq!(report.samples[1].field, "execution_time_ms");
        assert_eq!(report.samples[1].value, "nan");
        let c = &chunks[0];
        assert_eq!(c.timestamp[..], [MICROS_PER_HOUR]); // 999 ns floored away
        assert_eq!(c.flags, vec![SUCCESS]);
        assert_eq!(c.context_types.names()[c.context_type[0] as usize].as_ref(), UNKNOWN);
        assert_eq!(c.file_type, vec![NO_FILE]);
    }

    #[test]
    fn date64_values_of_part_of_a_day_are_invalid_records_not_instants() {
        // A date64 holds whole days in milliseconds (the Arrow spec); libraries disagree
        // on one that does not (pyarrow's `as_py` floors it, its display and DuckDB
        // truncate it towards 1970, polars keeps the milliseconds): no time is guessed.
        use arrow_array::Date64Array;

        let noon = MICROS_PER_HOUR / 1_000 * 12;
        let dates = Date64Array::from(vec![Some(0), Some(noon), Some(-1), None, Some(1)]);
        let schema = Schema::new(vec![Field::new("timestamp", DataType::Date64, true)]);
        let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(dates)]).unwrap();
        let (chunks, report) = read(batch);
        assert_eq!((report.received, report.invalid), (5, 4));
        let samples: Vec<_> = report
            .samples
            .iter()
            .map(|s| (s.index, s.field, s.value.as_str(), s.reason.as_str()))
            .collect();
        let part = "is not a whole day (a date64 holds days as multiples of 86400000 milliseconds)";
        assert_eq!(
            samples,
            [
                (1, "timestamp", "43200000 (Date64)", part),
                (2, "timestamp", "-1 (Date64)", part),
                (3, "timestamp", "<missing>", "required field is missing"),
                (4, "timestamp", "1 (Date64)", part),
            ]
        );
        assert_eq!(chunks[0].timestamp[..], [0]);
    }

    #[test]
    fn intervals_read_as_milliseconds_and_months_or_negatives_are_invalid() {
        use arrow_array::IntervalMonthDayNanoArray;
        use arrow_buffer::IntervalMonthDayNano;

        let hours = Int64Array::from((0..5).map(|h| h * MICROS_PER_HOUR).collect::<Vec<_>>());
        let times = IntervalMonthDayNanoArray::from(vec![
            Some(IntervalMonthDayNano::new(0, 0, 1_500_000_000)),
            Some(IntervalMonthDayNano::new(0, 1, -1_000)),
            None,
            Some(IntervalMonthDayNano::new(1, 0, 0)),
            Some(IntervalMonthDayNano::new(0, -1, 0)),
        ]);
        let schema = Schema::new(vec![
            Field::new("timestamp", DataType::Int64, false),
            Field::new("execution_time_ms", times.data_type().clone(), true),
        ]);
        let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(hours), Arc::new(times)]).unwrap();
        let (chunks, report) = read(batch);
        assert_eq!((report.received, report.invalid), (5, 2));
        let samples: Vec<_> = report
            .samples
            .iter()
            .map(|s| (s.index, s.value.as_str(), s.reason.as_str()))
            .collect();
        assert_eq!(
            samples,
            [
                (
                    3,
                    "MonthDayNano(months=1, days=0, nanoseconds=0)",
                    "must be a duration of a fixed length (an interval without months), got months=1"
                ),
                (4, "MonthDayNano(months=0, days=-1, nanoseconds=0)", "must be >= 0"),
            ]
        );
        let read: Vec<f64> = chunks[0].execution_time_ms.to_vec();
        assert_eq!(read[..2], [1_500.0, 86_399_999.999]);
        assert!(read[2].is_nan()); // (null: missing)
    }

    #[test]
    fn integer_timestamps_of_records_left_out_are_reported() {
        let ints = |ts: Vec<Option<i64>>| {
            let ts = Int64Array::from(ts);
            let schema = Schema::new(vec![Field::new("timestamp", DataType::Int64, true)]);
            RecordBatch::try_new(Arc::new(schema), vec![Arc::new(ts)]).unwrap()
        };
        // The report of a stream of `batches`.
        let stream = |batches: Vec<RecordBatch>| {
            read_batches(
                batches.into_iter().map(Ok),
                &window(),
                None,
                false,
                false,
                |_, _| Ok(()),
            )
            .unwrap()
        };
        // All outside (epoch seconds of 2026 read as microseconds are in the window of
        // 1970 here: the window is 10 hours from the epoch), nulls skipped.
        let late = 20 * MICROS_PER_HOUR;
        let (_, report) = read(ints(vec![Some(late + 7), None, Some(late), Some(-3)]));
        assert_eq!(report.integer_times, Some((-3, late + 7)));
        // Those inside are not noted (records in the window: no hint), nor a slice wholly
        // inside, but an invalid record's are.
        let (_, report) = read(ints(vec![Some(5), Some(late)]));
        assert_eq!(report.integer_times, Some((late, late)));
        let (_, report) = read(ints(vec![Some(9), Some(4), Some(6)]));
        assert_eq!((report.outside_window, report.integer_times), (0, None));
        // Nor a slice after records inside the window.
        let report = stream(vec![ints(vec![Some(5)]), ints(vec![Some(late)])]);
        assert_eq!((report.outside_window, report.integer_times), (1, None));
        let ts = Int64Array::from(vec![5, 6]);
        let times = Float64Array::from(vec![1.0, -1.0]);
        let schema = Schema::new(vec![
            Field::new("timestamp", DataType::Int64, false),
            Field::new("execution_time_ms", DataType::Float64, false),
        ]);
        let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(ts), Arc::new(times)]).unwrap();
        assert_eq!(read(batch).1.integer_times, Some((6, 6)));
        // Over several slices and batches, as a stream gives them.
        let report = stream(vec![
            ints(vec![Some(late), Some(late + 1)]),
            ints(vec![None, Some(late - 1)]),
        ]);
        assert_eq!(report.integer_times, Some((late - 1, late + 1)));
        // Other timestamps: none.
        let ts = TimestampMicrosecondArray::from(vec![late]).with_timezone("UTC");
        let schema = Schema::new(vec![Field::new("timestamp", ts.data_type().clone(), false)]);
        let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(ts)]).unwrap();
        assert_eq!(read(batch).1.integer_times, None);
        let (_, report) = read(ints(vec![None, None]));
        assert_eq!((report.invalid, report.integer_times), (2, None));
    }

    #[test]
    fn dictionary_strings_and_iso_text_timestamps() {
        let ts = StringArray::from(vec!["1970-01-01T01:00:00Z", "yesterday", "1970-01-01T03:00:00+01:00"]);
        let mut agents = StringDictionaryBuilder::<Int32Type>::new();
        agents.append_value("a");
        agents.append_null();
        agents.append_value("a");
        let agents = agents.finish();
        let paths = StringArray::from(vec![Some("x/y.tar.gz"), Some("Makefile"), None]);
        let schema = Schema::new(vec![
            Field::new("timestamp", DataType::Utf8, false),
            Field::new("agent", agents.data_type().clone(), true),
            Field::new("file_path", DataType::Utf8, true),
        ]);
        let batch =
            RecordBatch::try_new(Arc::new(schema), vec![Arc::new(ts), Arc::new(agents), Arc::new(paths)]).unwrap();
        let (chunks, report) = read(batch);
        assert_eq!(report.invalid, 1);
        assert_eq!(report.samples[0].value, "'yesterday'");
        let c = &chunks[0];
        assert_eq!(c.timestamp[..], [MICROS_PER_HOUR, 2 * MICROS_PER_HOUR]);
        let names: Vec<&str> = c.agent.iter().map(|&a| c.agents.names()[a as usize].as_ref()).collect();
        assert_eq!(names, vec!["a", "a"]);
        assert_eq!(c.file_types.names()[c.file_type[0] as usize].as_ref(), "gz");
        assert_eq!(c.file_type[1], NO_FILE);
    }

    #[test]
    fn plain_paths_past_the_cache_are_coded_like_the_first() {
        // 6,000 distinct paths (past PATH_CACHE), repeated, with nulls and odd names.
        let exts = ["py", "rs", "tar.gz", "", "md"];
        let paths: Vec<Option<String>> = (0..15_000)
            .map(|i| match i % 7 {
                0 => None,
                1 => Some(format!("dir{}\\.hidden{}", i % 3, i % 6000)),
                _ => Some(format!("d{}/f{}.{}", i % 11, i % 6000, exts[i % 5])),
            })
            .collect();
        let col: ArrayRef = Arc::new(StringArray::from(paths.clone()));
        let (mut dict, mut codes) = (Dictionary::default(), vec![0; paths.len()]);
        string_column(Some(&col), FILE_PATH, &mut dict, &mut codes).unwrap();
        for (path, &code) in paths.iter().zip(&codes) {
            match path {
                None => assert_eq!(code, NO_FILE),
                Some(p) => assert_eq!(dict.names()[code as usize].as_ref(), file_extension(p), "{p}"),
            }
        }
    }

    #[test]
    fn missing_timestamp_column_and_wrong_types_are_schema_errors() {
        let schema = Schema::new(vec![Field::new("success", DataType::Boolean, false)]);
        let batch = RecordBatch::try_new(Arc::new(schema), vec![Arc::new(BooleanArray::from(vec![true]))]).unwrap();
        let err = read_batches(std::iter::once(Ok(batch)), &window(), None, false, true, |_, _| Ok(())).unwrap_err();
        assert!(err.to_string().contains("no 'timestamp' column"), "{err}");

        let schema = Schema::new(vec![
            Field::new("timestamp", DataType::Int64, false),
            Field::new("success", DataType::Utf8, false),
        ]);
        let batch = RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(arrow_array::Int64Array::from(vec![0])),
                Arc::new(StringArray::from(vec!["yes"])),
            ],
        )
        .unwrap();
        let err = read_batches(std::iter::once(Ok(batch)), &window(), None, false, true, |_, _| Ok(())).unwrap_err();
        assert!(
            err.to_string().contains("column 'success' has Arrow type Utf8"),
            "{err}"
        );
    }
}
