//! The PyO3 layer: argument parsing, the GIL-free compute helper and error mapping (the
//! results go to Python as `py_dicts` describes, and become models in `output_models`). No
//! arithmetic here.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

use arrow_array::ffi::{from_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use arrow_array::{RecordBatch, StructArray};
use arrow_schema::ArrowError;
use pyo3::intern;
use pyo3::types::{PyCapsule, PyDict};

use crate::accumulator::{Accumulator, Families};
use crate::arrow_ingest::read_batches_into;
use crate::buckets::Window;
use crate::cancel::CancelFlag;
use crate::durations::Durations;
use crate::error::CoreError;
use crate::group::GroupIndex;
use crate::group_results::GroupResults;
use crate::ingest::{read_records, GroupReader, IngestReport};
use crate::metrics::*;
use crate::py_dicts::{grouped_output, to_python};
use crate::state::Reduction;
use crate::zone::Zone;

create_exception!(
    usage_analytics,
    UsageAnalyticsError,
    PyException,
    "Root of every error usage-analytics raises."
);

create_exception!(
    usage_analytics,
    InternalError,
    UsageAnalyticsError,
    "A fault of usage-analytics itself (a broken invariant, a caught panic), not of the input: please report it."
);

impl From<CoreError> for PyErr {
    fn from(err: CoreError) -> PyErr {
        match err {
            // (Python's own: what a service already handles when memory runs out.)
            CoreError::OutOfMemory(_) => pyo3::exceptions::PyMemoryError::new_err(err.to_string()),
            // (Its own type: a caller, such as a service telling a client whether to fix its
            // request, cannot tell the library's fault from a refusal by the message.)
            CoreError::Internal(_) => InternalError::new_err(err.to_string()),
            _ => UsageAnalyticsError::new_err(err.to_string()),
        }
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("UsageAnalyticsError", m.py().get_type::<UsageAnalyticsError>())?;
    m.add("InternalError", m.py().get_type::<InternalError>())?;
    m.add(
        "ColumnarTimestamps",
        m.py().get_type::<crate::ingest::ColumnarTimestamps>(),
    )?;
    // The columns the readers look for, so that Python exports only these of a frame.
    let mut columns = crate::ingest::FIELDS.to_vec();
    columns.push(crate::arrow_ingest::PATTERN_ID);
    m.add("RECORD_COLUMNS", pyo3::types::PyTuple::new(m.py(), columns)?)?;
    // (For tests that need input longer than one pass.)
    m.add("ARROW_SLICE_ROWS", crate::arrow_ingest::SLICE_ROWS)?;
    m.add_function(wrap_pyfunction!(py_check_timezone, m)?)?;
    m.add_function(wrap_pyfunction!(py_local_instant, m)?)?;
    m.add_function(wrap_pyfunction!(py_utc_offset, m)?)?;
    m.add_function(wrap_pyfunction!(py_local_offsets, m)?)?;
    m.add_function(wrap_pyfunction!(py_check_window, m)?)?;
    m.add_function(wrap_pyfunction!(py_bucket_width, m)?)?;
    m.add_function(wrap_pyfunction!(py_reduce_records, m)?)?;
    m.add_function(wrap_pyfunction!(py_reduce_arrow, m)?)?;
    m.add_function(wrap_pyfunction!(crate::gc_pause::py_untracked, m)?)?;
    m.add_function(wrap_pyfunction!(crate::json_indent::py_indent_json, m)?)?;
    m.add_function(wrap_pyfunction!(crate::timestamp_type::py_no_timestamp_type, m)?)?;
    m.add_function(wrap_pyfunction!(crate::sqlite_read::py_sqlite_columns, m)?)?;
    m.add_function(wrap_pyfunction!(crate::object_text::py_object_text_codes, m)?)?;
    m.add_function(wrap_pyfunction!(crate::field_column::py_field_column, m)?)?;
    m.add_function(wrap_pyfunction!(crate::fixed_text::py_fixed_text_codes, m)?)?;
    m.add_function(wrap_pyfunction!(crate::gc_pause::py_end_inherited_collector_pauses, m)?)?;
    m.add_class::<CancelFlag>()?;
    m.add_class::<crate::py_state::CoreState>()?;
    m.add_class::<crate::py_state::CoreRolling>()?;
    m.add_class::<crate::py_batch_rolling::CoreBatchRolling>()?;
    m.add_class::<crate::models::ModelFactory>()?;
    m.add_class::<crate::fields_set::FieldsSetSlot>()?;
    m.add_class::<GroupResults>()?;
    m.add_class::<crate::output_models::CoreResult>()?;
    m.add_class::<crate::output_models::OutputModels>()?;
    m.add_class::<crate::output_models::OutputBuilder>()?;
    Ok(())
}

/// Run `work` with the GIL released; a panic becomes an `InternalError` (`unwound`), never
/// an abort or a `PanicException` (kernels do not panic on user input; this is the backstop).
/// Then let the allocator return what earlier calls freed (`allocator::age_freed_pages`).
pub(crate) fn compute<T: Send>(py: Python<'_>, work: impl FnOnce() -> Result<T, CoreError> + Send) -> PyResult<T> {
    py.detach(|| {
        // (The room for a call's small allocations: see `room`.)
        let result = room_to_start()
            .and_then(|()| crate::pool::start())
            .and_then(|()| unwound(work));
        crate::allocator::age_freed_pages();
        result
    })
    .map_err(PyErr::from)
}

/// The margin of `room` before a call's first allocations (its settings, the Arrow
/// schema), which come before `compute`'s check.
pub(crate) fn room_to_start() -> Result<(), CoreError> {
    crate::room::ensure_room(0, || "starting the reduction".into())
}

/// `work`'s result, a panic in it becoming `CoreError::Internal` (for work done with the
/// GIL held, such as importing Arrow data, as well as in `compute`).
pub(crate) fn unwound<T>(work: impl FnOnce() -> Result<T, CoreError>) -> Result<T, CoreError> {
    catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_owned());
        Err(CoreError::Internal(why))
    })
}

#[pyfunction]
#[pyo3(name = "check_timezone")]
fn py_check_timezone(name: &str) -> PyResult<String> {
    Zone::get(name)
        .map(|zone| zone.name().to_owned())
        .map_err(|e| PyValueError::new_err(e.to_string()))
}

/// The UTC instant (epoch microseconds) of a wall-clock time in a zone and the offset
/// there (`Zone::instant_of_local`); a ValueError for an unknown zone.
#[pyfunction]
#[pyo3(name = "local_instant")]
fn py_local_instant(name: &str, local_us: i64) -> PyResult<(i64, i64)> {
    let zone = Zone::get(name).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(zone.instant_of_local(local_us))
}

/// The zone's offsets (microseconds) at the instants its clocks show a wall-clock time
/// (`Zone::offsets_of_local`); a ValueError for an unknown zone.
#[pyfunction]
#[pyo3(name = "local_offsets")]
fn py_local_offsets(name: &str, local_us: i64) -> PyResult<Vec<i64>> {
    let zone = Zone::get(name).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(zone.offsets_of_local(local_us))
}

/// The zone's offset from UTC (microseconds) at the UTC instant `utc_us` (epoch
/// microseconds), by the tz database the core buckets with; a ValueError for an unknown
/// zone.
#[pyfunction]
#[pyo3(name = "utc_offset")]
fn py_utc_offset(name: &str, utc_us: i64) -> PyResult<i64> {
    let zone = Zone::get(name).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(zone.offsets().offset_at(utc_us))
}

/// The window a reduction of these bounds and widths would take, or a ValueError.
fn checked_window(start_us: i64, end_us: i64, window_type: &str, bucket_width_us: Option<i64>) -> PyResult<Window> {
    Window::new(start_us, end_us, window_type, bucket_width_us).map_err(|e| PyValueError::new_err(e.to_string()))
}

#[pyfunction]
#[pyo3(name = "check_window")]
fn py_check_window(start_us: i64, end_us: i64, window_type: &str, bucket_width_us: Option<i64>) -> PyResult<usize> {
    checked_window(start_us, end_us, window_type, bucket_width_us).map(|window| window.buckets)
}

/// The trend buckets' width (microseconds) of the window: `bucket_width_us`, else the
/// window type's default for its span.
#[pyfunction]
#[pyo3(name = "bucket_width")]
fn py_bucket_width(start_us: i64, end_us: i64, window_type: &str, bucket_width_us: Option<i64>) -> PyResult<i64> {
    checked_window(start_us, end_us, window_type, bucket_width_us).map(|window| window.width)
}

/// The reduction's options, one dict from Python (`reducer._core_options`).
#[derive(FromPyObject)]
#[pyo3(from_item_all)]
pub(crate) struct Options {
    start_us: i64,
    end_us: i64,
    window_type: String,
    bucket_width_us: Option<i64>,
    timezone: String,
    performance: bool,
    trends: bool,
    distribution: bool,
    time_series: bool,
    predictions: bool,
    skip_invalid: bool,
    thresholds: ThresholdTuple,
    /// Group the records by their `pattern_id` (the batch API).
    pub by_pattern: bool,
    /// Execution times kept exactly (None: all of them, as a single call does).
    exact_budget: Option<u64>,
    /// Of the percentile sketch used past the budget.
    relative_accuracy: f64,
}

impl Options {
    pub fn skip_invalid(&self) -> bool {
        self.skip_invalid
    }

    /// An empty accumulator with these settings.
    pub fn template(&self) -> Result<Accumulator, CoreError> {
        let window = Window::new(self.start_us, self.end_us, &self.window_type, self.bucket_width_us)?;
        let families = Families {
            performance: self.performance,
            trends: self.trends,
            distribution: self.distribution,
            time_series: self.time_series,
            predictions: self.predictions,
        };
        let thresholds = Thresholds::from(self.thresholds);
        let budget = self
            .exact_budget
            .map_or(usize::MAX, |b| usize::try_from(b).unwrap_or(usize::MAX));
        let durations = Durations::new(budget, self.relative_accuracy)?;
        Ok(Accumulator::new(window, Zone::get(&self.timezone)?, families, thresholds).with_durations(durations))
    }
}

/// Finalize unless records were invalid in raise mode (the caller raises then).
fn finish<'py>(py: Python<'py>, raising: bool, report: &IngestReport, acc: Reduction) -> PyResult<Bound<'py, PyDict>> {
    match acc {
        Reduction::One(acc) => {
            let analytics = if raising {
                None
            } else {
                Some(compute(py, move || {
                    acc.make_room_to_finalize()?;
                    Ok(acc.finalize())
                })?)
            };
            to_python(py, report, analytics)
        }
        Reduction::Grouped(grouped, index) => {
            let groups = if raising {
                GroupResults::finalized(GroupIndex::default(), Vec::new())
            } else {
                grouped.check_series_points(index.keys().len())?;
                let groups = index.keys().len();
                crate::group_results::check_output_room(groups, grouped.output_bytes(groups))?;
                GroupResults::finalizing(grouped, index)
            };
            grouped_output(py, report, groups)
        }
        Reduction::Rolling(_) | Reduction::BatchRolling(..) => {
            Err(CoreError::Internal("a rolling reduction is finalized by snapshots".into()).into())
        }
    }
}

/// Reduce a list or tuple of record mappings, or a dict of columns of Python objects (see
/// `column_rows`).
#[pyfunction]
#[pyo3(name = "reduce_records", signature = (records, options, cancel=None))]
fn py_reduce_records<'py>(
    py: Python<'py>,
    records: &Bound<'py, PyAny>,
    options: Options,
    cancel: Option<Bound<'py, CancelFlag>>,
) -> PyResult<Bound<'py, PyDict>> {
    room_to_start()?;
    let template = options.template()?;
    let mut body = Reduction::for_one_call(&template, options.by_pattern);
    if let Reduction::One(acc) = &mut body {
        // (A dict of columns: its rows, the length of any of its columns.)
        let rows = match records.cast::<PyDict>() {
            Ok(columns) => columns.values().iter().next().and_then(|column| column.len().ok()),
            Err(_) => records.len().ok(),
        };
        acc.try_reserve(rows.unwrap_or(0))?;
    }
    let cancel = cancel.as_ref().map(Bound::get);
    let (report, reduction) = read_records_into(py, records, &template.window, options.skip_invalid, body, cancel)?;
    finish(py, report.invalid > 0 && !options.skip_invalid, &report, reduction)
}

/// Reduce anything exporting the Arrow PyCapsule interface (`__arrow_c_stream__` or
/// `__arrow_c_array__`): pyarrow, polars, pandas, DuckDB. The stream is read and reduced
/// with the GIL released. `whole`: the caller's object holds all of the data while it is
/// read (a table or frame), so its buffers may be kept rather than copied; a stream's
/// batches would be kept alive with them, all at once.
#[pyfunction]
#[pyo3(name = "reduce_arrow", signature = (data, options, cancel=None, whole=false))]
fn py_reduce_arrow<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    options: Options,
    cancel: Option<Bound<'py, CancelFlag>>,
    whole: bool,
) -> PyResult<Bound<'py, PyDict>> {
    room_to_start()?;
    let template = options.template()?;
    let mut body = Reduction::for_one_call(&template, options.by_pattern);
    if whole {
        body.share_input_buffers();
    }
    let cancel = cancel.as_ref().map(Bound::get);
    let (report, reduction) = read_arrow_into(py, data, &template.window, options.skip_invalid, body, cancel, whole)?;
    finish(py, report.invalid > 0 && !options.skip_invalid, &report, reduction)
}

/// Read a list or tuple of record mappings into `reduction` (records inside `window`).
/// Each chunk is reduced with the GIL released; in raise mode nothing more is reduced once
/// a record is invalid. Stops with `Cancelled` at the first chunk after `cancel` is set,
/// and with the signal handler's exception (KeyboardInterrupt) after a signal.
pub(crate) fn read_records_into(
    py: Python<'_>,
    records: &Bound<'_, PyAny>,
    window: &Window,
    skip_invalid: bool,
    mut reduction: Reduction,
    cancel: Option<&CancelFlag>,
) -> PyResult<(IngestReport, Reduction)> {
    let group = reduction.reads_groups().then(|| GroupReader::new(py)).transpose()?;
    let (report, index) = read_records(records, window, group, |chunk, so_far| {
        CancelFlag::check(cancel)?;
        // Ctrl-C in a blocking call on the main thread: raised here, between chunks, not
        // after the whole list is read (a no-op on other threads, which the flag stops).
        py.check_signals()?;
        if so_far.invalid > 0 && !skip_invalid {
            return Ok(());
        }
        compute(py, || {
            reduction.make_room(chunk)?;
            reduction.add(chunk)
        })
    })?;
    Ok((report, with_index(reduction, index)))
}

/// A grouped reduction takes the pattern ids its reader met.
fn with_index(mut reduction: Reduction, index: Option<GroupIndex>) -> Reduction {
    if let (Reduction::Grouped(_, slot) | Reduction::BatchRolling(_, slot), Some(index)) = (&mut reduction, index) {
        *slot = index;
    }
    reduction
}

/// Read Arrow data (see `reduce_arrow`, and `whole` there) into `reduction`, with the GIL
/// released; stops with `Cancelled` at the first slice after `cancel` is set.
pub(crate) fn read_arrow_into(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    window: &Window,
    skip_invalid: bool,
    mut reduction: Reduction,
    cancel: Option<&CancelFlag>,
    whole: bool,
) -> PyResult<(IngestReport, Reduction)> {
    let batches = arrow_batches(data)?;
    let mut index = reduction.reads_groups().then(GroupIndex::default);
    let report = compute(py, || {
        let counts_suffice = reduction.counts_suffice();
        read_batches_into(
            batches,
            window,
            index.as_mut(),
            (counts_suffice, whole),
            &mut reduction,
            // (Room checked by the reader, with the next slice's: see `room`.)
            |reduction, chunk| reduction.prepare(chunk),
            |reduction, chunk, so_far| {
                CancelFlag::check(cancel)?;
                if so_far.invalid == 0 || skip_invalid {
                    reduction.add_chunk(chunk)?;
                }
                Ok(())
            },
        )
    })?;
    Ok((report, with_index(reduction, index)))
}

type BatchIter = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send>;

/// The record batches of an Arrow PyCapsule exporter.
fn arrow_batches(data: &Bound<'_, PyAny>) -> PyResult<BatchIter> {
    let py = data.py();
    if data.hasattr(intern!(py, "__arrow_c_stream__"))? {
        let capsule = data.call_method0(intern!(py, "__arrow_c_stream__"))?;
        let capsule = capsule.cast::<PyCapsule>()?;
        let pointer = capsule.pointer_checked(Some(c"arrow_array_stream"))?;
        // SAFETY: a valid "arrow_array_stream" capsule; from_raw moves the stream out and
        // leaves a released one behind for the capsule's destructor.
        let stream = unsafe { FFI_ArrowArrayStream::from_raw(pointer.as_ptr().cast()) };
        let reader =
            unwound(|| ArrowArrayStreamReader::try_new(stream).map_err(|e| CoreError::InvalidInput(e.to_string())))?;
        return Ok(Box::new(reader));
    }
    if data.hasattr(intern!(py, "__arrow_c_array__"))? {
        let pair = data.call_method0(intern!(py, "__arrow_c_array__"))?;
        let schema = pair.get_item(0)?;
        let array = pair.get_item(1)?;
        let schema = schema.cast::<PyCapsule>()?.pointer_checked(Some(c"arrow_schema"))?;
        let array = array.cast::<PyCapsule>()?.pointer_checked(Some(c"arrow_array"))?;
        // SAFETY: valid capsules, read only to tell whether they were released.
        let (schema, array) = unsafe {
            (
                &*(schema.as_ptr() as *const FFI_ArrowSchema),
                array.as_ptr().cast::<FFI_ArrowArray>(),
            )
        };
        // An exporter handing out capsules it made before (already consumed, so released)
        // would make arrow-rs read an empty husk.
        if schema.release.is_none() || unsafe { (*array).is_released() } {
            return Err(CoreError::InvalidInput(
                "the Arrow array was already consumed (its capsules are released): export it again".into(),
            )
            .into());
        }
        let batch = unwound(|| {
            // SAFETY: a live array, moved out (its capsule keeps a released one); the schema
            // is only borrowed. arrow-rs asserts on some malformed layouts: `unwound`.
            let data = unsafe { from_ffi(FFI_ArrowArray::from_raw(array), schema) }
                .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
            if !matches!(data.data_type(), arrow_schema::DataType::Struct(_)) {
                return Err(CoreError::InvalidInput(format!(
                    "an Arrow array of type {} is not a table: expected a struct array or a record batch",
                    data.data_type()
                )));
            }
            // A record batch has no null rows: a struct array with some is not a table.
            if data.nulls().is_some_and(|nulls| nulls.null_count() > 0) {
                return Err(CoreError::InvalidInput(
                    "an Arrow struct array with null rows is not a table: drop or fill them first".into(),
                ));
            }
            Ok(RecordBatch::from(StructArray::from(data)))
        })?;
        return Ok(Box::new(std::iter::once(Ok(batch))));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "{} does not export Arrow data (__arrow_c_stream__ or __arrow_c_array__)",
        data.get_type().name()?
    )))
}
