//! The PyO3 layer: argument parsing, the GIL-free compute helper, error mapping and the
//! conversion of metric structs into Python dicts. No arithmetic here.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use rustc_hash::FxHashMap;

use arrow_array::ffi::{from_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use arrow_array::{RecordBatch, StructArray};
use arrow_schema::ArrowError;
use pyo3::intern;
use pyo3::types::{PyBytes, PyCapsule};

use crate::accumulator::{Accumulator, Families};
use crate::arrow_ingest::read_batches;
use crate::buckets::Window;
use crate::durations::Durations;
use crate::error::CoreError;
use crate::gc_pause::GcPause;
use crate::group::{GroupIndex, GroupKey};
use crate::ingest::{read_records, GroupReader, IngestReport};
use crate::metrics::*;
use crate::state::Reduction;
use crate::zone::Zone;

create_exception!(
    usage_analytics,
    UsageAnalyticsError,
    PyException,
    "Root of every error usage-analytics raises."
);

impl From<CoreError> for PyErr {
    fn from(err: CoreError) -> PyErr {
        UsageAnalyticsError::new_err(err.to_string())
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("UsageAnalyticsError", m.py().get_type::<UsageAnalyticsError>())?;
    m.add_function(wrap_pyfunction!(py_check_timezone, m)?)?;
    m.add_function(wrap_pyfunction!(py_reduce_records, m)?)?;
    m.add_function(wrap_pyfunction!(py_reduce_arrow, m)?)?;
    m.add_class::<crate::py_state::CoreState>()?;
    m.add_class::<crate::py_state::CoreRolling>()?;
    m.add_class::<crate::models::ModelFactory>()?;
    Ok(())
}

/// Run `work` with the GIL released; a panic becomes a `UsageAnalyticsError`, never an
/// abort or a `PanicException` (kernels do not panic on user input; this is the backstop).
pub(crate) fn compute<T: Send>(py: Python<'_>, work: impl FnOnce() -> Result<T, CoreError> + Send) -> PyResult<T> {
    let outcome = py.detach(|| catch_unwind(AssertUnwindSafe(work)));
    match outcome {
        Ok(result) => result.map_err(PyErr::from),
        Err(panic) => {
            let why = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_owned());
            Err(CoreError::Internal(why).into())
        }
    }
}

#[pyfunction]
#[pyo3(name = "check_timezone")]
fn py_check_timezone(name: &str) -> PyResult<()> {
    Zone::get(name)
        .map(|_| ())
        .map_err(|e| PyValueError::new_err(e.to_string()))
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
                Some(compute(py, move || Ok(acc.finalize()))?)
            };
            to_python(py, report, analytics.as_ref())
        }
        Reduction::Grouped(grouped, index) => {
            let analytics = if raising {
                None
            } else {
                let groups = index.keys().len();
                Some(compute(py, move || Ok(grouped.finalize(groups)))?)
            };
            grouped_output(py, report, &index, analytics.as_deref())
        }
        Reduction::Rolling(_) => {
            Err(CoreError::Internal("a rolling reduction is finalized by snapshots".into()).into())
        }
    }
}

/// The report, with `groups`: (pattern id, its result dict) per group.
pub(crate) fn grouped_output<'py>(
    py: Python<'py>,
    report: &IngestReport,
    index: &GroupIndex,
    analytics: Option<&[Analytics]>,
) -> PyResult<Bound<'py, PyDict>> {
    let _paused = GcPause::new(py)?;
    let out = to_python(py, report, None)?;
    let results = PyList::empty(py);
    let mut names = PyNames::default();
    for (code, (key, a)) in index.keys().iter().zip(analytics.unwrap_or_default()).enumerate() {
        let outside = index.outside(code) as usize;
        let counts = IngestReport {
            received: a.usage.total_executions as usize + outside,
            outside_window: outside,
            invalid: 0,
            samples: Vec::new(),
        };
        results.append((group_key(py, key)?, to_python_named(py, &counts, Some(a), &mut names)?))?;
    }
    out.set_item(intern!(py, "groups"), results)?;
    Ok(out)
}

fn group_key<'py>(py: Python<'py>, key: &GroupKey) -> PyResult<Bound<'py, PyAny>> {
    Ok(match key {
        GroupKey::Text(text) => text.into_pyobject(py)?.into_any(),
        GroupKey::Int(n) => n.into_pyobject(py)?.into_any(),
        GroupKey::Uuid(bytes) => {
            let uuid = py.import(intern!(py, "uuid"))?.getattr(intern!(py, "UUID"))?;
            let kwargs = PyDict::new(py);
            kwargs.set_item(intern!(py, "bytes"), PyBytes::new(py, bytes))?;
            uuid.call((), Some(&kwargs))?
        }
    })
}

/// Reduce a list or tuple of record mappings.
#[pyfunction]
#[pyo3(name = "reduce_records")]
fn py_reduce_records<'py>(
    py: Python<'py>,
    records: &Bound<'py, PyAny>,
    options: Options,
) -> PyResult<Bound<'py, PyDict>> {
    let template = options.template()?;
    let mut body = Reduction::for_one_call(&template, options.by_pattern);
    if let Reduction::One(acc) = &mut body {
        acc.reserve(records.len().unwrap_or(0));
    }
    let (report, reduction) = read_records_into(py, records, &template.window, options.skip_invalid, body)?;
    finish(py, report.invalid > 0 && !options.skip_invalid, &report, reduction)
}

/// Reduce anything exporting the Arrow PyCapsule interface (`__arrow_c_stream__` or
/// `__arrow_c_array__`): pyarrow, polars, pandas, DuckDB. The stream is read and reduced
/// with the GIL released.
#[pyfunction]
#[pyo3(name = "reduce_arrow")]
fn py_reduce_arrow<'py>(py: Python<'py>, data: &Bound<'py, PyAny>, options: Options) -> PyResult<Bound<'py, PyDict>> {
    let template = options.template()?;
    let body = Reduction::for_one_call(&template, options.by_pattern);
    let (report, reduction) = read_arrow_into(py, data, &template.window, options.skip_invalid, body)?;
    finish(py, report.invalid > 0 && !options.skip_invalid, &report, reduction)
}

/// Read a list or tuple of record mappings into `reduction` (records inside `window`).
/// Each chunk is reduced with the GIL released; in raise mode nothing more is reduced once
/// a record is invalid.
pub(crate) fn read_records_into(
    py: Python<'_>,
    records: &Bound<'_, PyAny>,
    window: &Window,
    skip_invalid: bool,
    mut reduction: Reduction,
) -> PyResult<(IngestReport, Reduction)> {
    let group = reduction.is_grouped().then(|| GroupReader::new(py)).transpose()?;
    let (report, index) = read_records(records, window, group, |chunk, so_far| {
        if so_far.invalid > 0 && !skip_invalid {
            return Ok(());
        }
        compute(py, || {
            reduction.add(chunk);
            Ok(())
        })
    })?;
    Ok((report, with_index(reduction, index)))
}

/// A grouped reduction takes the pattern ids its reader met.
fn with_index(mut reduction: Reduction, index: Option<GroupIndex>) -> Reduction {
    if let (Reduction::Grouped(_, slot), Some(index)) = (&mut reduction, index) {
        *slot = index;
    }
    reduction
}

/// Read Arrow data (see `reduce_arrow`) into `reduction`, with the GIL released.
pub(crate) fn read_arrow_into(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    window: &Window,
    skip_invalid: bool,
    mut reduction: Reduction,
) -> PyResult<(IngestReport, Reduction)> {
    let batches = arrow_batches(data)?;
    let mut index = reduction.is_grouped().then(GroupIndex::default);
    let report = compute(py, || {
        read_batches(batches, window, index.as_mut(), |chunk, so_far| {
            if so_far.invalid == 0 || skip_invalid {
                reduction.add_chunk(chunk);
            }
            Ok(())
        })
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
        let reader = ArrowArrayStreamReader::try_new(stream).map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        return Ok(Box::new(reader));
    }
    if data.hasattr(intern!(py, "__arrow_c_array__"))? {
        let pair = data.call_method0(intern!(py, "__arrow_c_array__"))?;
        let schema = pair.get_item(0)?;
        let array = pair.get_item(1)?;
        let schema = schema.cast::<PyCapsule>()?.pointer_checked(Some(c"arrow_schema"))?;
        let array = array.cast::<PyCapsule>()?.pointer_checked(Some(c"arrow_array"))?;
        // SAFETY: valid capsules; the array is moved out (its capsule keeps a released
        // one), the schema is only borrowed.
        let data = unsafe {
            let array = FFI_ArrowArray::from_raw(array.as_ptr().cast());
            from_ffi(array, &*(schema.as_ptr() as *const FFI_ArrowSchema))
        }
        .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
        if !matches!(data.data_type(), arrow_schema::DataType::Struct(_)) {
            return Err(CoreError::InvalidInput(format!(
                "an Arrow array of type {} is not a table: expected a struct array or a record batch",
                data.data_type()
            ))
            .into());
        }
        let batch = RecordBatch::from(StructArray::from(data));
        return Ok(Box::new(std::iter::once(Ok(batch))));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "{} does not export Arrow data (__arrow_c_stream__ or __arrow_c_array__)",
        data.get_type().name()?
    )))
}

pub(crate) fn to_python<'py>(
    py: Python<'py>,
    report: &IngestReport,
    analytics: Option<&Analytics>,
) -> PyResult<Bound<'py, PyDict>> {
    to_python_named(py, report, analytics, &mut PyNames::default())
}

/// `to_python`, with the distribution names converted through `names`.
fn to_python_named<'py>(
    py: Python<'py>,
    report: &IngestReport,
    analytics: Option<&Analytics>,
    names: &mut PyNames<'py>,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item(intern!(py, "received"), report.received)?;
    out.set_item(
        intern!(py, "in_window"),
        report.received - report.outside_window - report.invalid,
    )?;
    out.set_item(intern!(py, "outside_window"), report.outside_window)?;
    out.set_item(intern!(py, "invalid"), report.invalid)?;
    let errors = PyList::empty(py);
    for s in &report.samples {
        errors.append((s.index, s.field, &s.value, &s.reason))?;
    }
    out.set_item(intern!(py, "errors"), errors)?;
    let Some(a) = analytics else {
        for key in ["usage", "success", "performance", "trend", "distribution"] {
            out.set_item(key, py.None())?;
        }
        out.set_item(intern!(py, "analytics_quality_score"), 0.0)?;
        return Ok(out);
    };
    out.set_item(intern!(py, "usage"), usage(py, &a.usage)?)?;
    out.set_item(intern!(py, "success"), success(py, &a.success)?)?;
    out.set_item(
        intern!(py, "performance"),
        a.performance.as_ref().map(|p| performance(py, p)).transpose()?,
    )?;
    out.set_item(
        intern!(py, "trend"),
        a.trend.as_ref().map(|t| trend(py, t)).transpose()?,
    )?;
    out.set_item(
        intern!(py, "distribution"),
        a.distribution
            .as_ref()
            .map(|d| distribution(py, d, names))
            .transpose()?,
    )?;
    out.set_item(intern!(py, "analytics_quality_score"), a.analytics_quality_score)?;
    Ok(out)
}

fn usage<'py>(py: Python<'py>, u: &Usage) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "total_executions"), u.total_executions)?;
    d.set_item(intern!(py, "executions_per_day"), u.executions_per_day)?;
    d.set_item(intern!(py, "executions_per_week"), u.executions_per_week)?;
    d.set_item(intern!(py, "executions_per_month"), u.executions_per_month)?;
    d.set_item(intern!(py, "unique_contexts"), u.unique_contexts)?;
    d.set_item(intern!(py, "unique_users"), u.unique_users)?;
    d.set_item(intern!(py, "peak_daily_usage"), u.peak_daily_usage)?;
    d.set_item(intern!(py, "time_since_last_use"), u.time_since_last_use)?;
    Ok(d)
}

fn success<'py>(py: Python<'py>, s: &Success) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "success_count"), s.success_count)?;
    d.set_item(intern!(py, "failure_count"), s.failure_count)?;
    d.set_item(intern!(py, "success_rate"), s.success_rate)?;
    d.set_item(intern!(py, "error_rate"), s.error_rate)?;
    d.set_item(intern!(py, "timeout_count"), s.timeout_count)?;
    d.set_item(intern!(py, "quality_gate_failures"), s.quality_gate_failures)?;
    d.set_item(intern!(py, "avg_quality_score"), s.avg_quality_score)?;
    Ok(d)
}

fn performance<'py>(py: Python<'py>, p: &Performance) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "avg_execution_time_ms"), p.avg_execution_time_ms)?;
    d.set_item(intern!(py, "p50_execution_time_ms"), p.p50_execution_time_ms)?;
    d.set_item(intern!(py, "p95_execution_time_ms"), p.p95_execution_time_ms)?;
    d.set_item(intern!(py, "p99_execution_time_ms"), p.p99_execution_time_ms)?;
    d.set_item(intern!(py, "min_execution_time_ms"), p.min_execution_time_ms)?;
    d.set_item(intern!(py, "max_execution_time_ms"), p.max_execution_time_ms)?;
    d.set_item(intern!(py, "std_dev_ms"), p.std_dev_ms)?;
    d.set_item(intern!(py, "total_execution_time_ms"), p.total_execution_time_ms)?;
    d.set_item(intern!(py, "sample_count"), p.sample_count)?;
    d.set_item(
        "percentile_method",
        if p.percentiles_exact { "exact" } else { "sketch" },
    )?;
    d.set_item(intern!(py, "percentile_relative_error"), p.percentile_relative_error)?;
    Ok(d)
}

fn trend<'py>(py: Python<'py>, t: &Trend) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "trend_type"), t.trend_type.as_str())?;
    d.set_item(intern!(py, "velocity"), t.velocity)?;
    d.set_item(intern!(py, "acceleration"), t.acceleration)?;
    d.set_item(intern!(py, "adoption_rate"), t.adoption_rate)?;
    d.set_item(intern!(py, "retention_rate"), t.retention_rate)?;
    d.set_item(intern!(py, "churn_rate"), t.churn_rate)?;
    d.set_item(intern!(py, "growth_percentage"), t.growth_percentage)?;
    d.set_item(intern!(py, "confidence_score"), t.confidence_score)?;
    d.set_item(intern!(py, "bucket_count"), t.bucket_count)?;
    d.set_item(intern!(py, "bucket_width_seconds"), t.bucket_width_seconds)?;
    d.set_item(intern!(py, "velocity_significant"), t.velocity_significant)?;
    let series = t
        .time_series
        .as_ref()
        .map(|buckets| {
            let list = PyList::empty(py);
            for b in buckets {
                list.append((b.start, b.end, b.executions, b.rate_per_day))?;
            }
            Ok::<_, PyErr>(list)
        })
        .transpose()?;
    d.set_item(intern!(py, "time_series"), series)?;
    let prediction = t
        .predictions
        .as_ref()
        .map(|p| {
            let pd = PyDict::new(py);
            pd.set_item(intern!(py, "horizon_days"), p.horizon_days)?;
            pd.set_item(intern!(py, "predicted_daily_rate"), p.predicted_daily_rate)?;
            pd.set_item(intern!(py, "predicted_executions"), p.predicted_executions)?;
            Ok::<_, PyErr>(pd)
        })
        .transpose()?;
    d.set_item(intern!(py, "predictions"), prediction)?;
    Ok(d)
}

fn distribution<'py>(py: Python<'py>, dist: &Distribution, names: &mut PyNames<'py>) -> PyResult<Bound<'py, PyDict>> {
    fn counts<'py, K: IntoPyObject<'py> + Clone>(py: Python<'py>, pairs: &[(K, u64)]) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in pairs {
            d.set_item(k.clone(), v)?;
        }
        Ok(d)
    }
    let mut named = |pairs: &[(Arc<str>, u64)]| -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, count) in pairs {
            d.set_item(names.get(py, name), count)?;
        }
        Ok(d)
    };
    let d = PyDict::new(py);
    d.set_item(intern!(py, "by_context_type"), named(&dist.by_context_type)?)?;
    d.set_item(intern!(py, "by_agent"), named(&dist.by_agent)?)?;
    d.set_item(intern!(py, "by_project"), named(&dist.by_project)?)?;
    d.set_item(intern!(py, "by_file_type"), named(&dist.by_file_type)?)?;
    d.set_item(intern!(py, "by_time_of_day"), counts(py, &dist.by_time_of_day)?)?;
    d.set_item(intern!(py, "by_day_of_week"), counts(py, &dist.by_day_of_week)?)?;
    Ok(d)
}

/// The Python strings of the distribution names converted so far, by the name's
/// allocation: a batch's groups share their names (`Tally` keeps the chunk's), so 10,000
/// groups make one string per distinct name rather than 210,000. Keyed by address, the
/// cache must not outlive the names it has seen (an address freed and reused could hold
/// another name): it lives for one conversion, while its analytics are borrowed.
#[derive(Default)]
pub(crate) struct PyNames<'py> {
    by_address: FxHashMap<usize, Bound<'py, PyString>>,
}

impl<'py> PyNames<'py> {
    fn get(&mut self, py: Python<'py>, name: &Arc<str>) -> Bound<'py, PyString> {
        let address = Arc::as_ptr(name) as *const u8 as usize;
        self.by_address
            .entry(address)
            .or_insert_with(|| PyString::new(py, name))
            .clone()
    }
}
