//! The core's results as the pydantic output models, built here from the Rust results.
//!
//! A batch builds an output of seven models per pattern, 70,000 at 10,000 patterns, on
//! the one Python thread that waits for it: the tail of the call after the reading
//! (BENCHMARKS.md, session 27). Built from dicts of the results in Python (`output.py`
//! before session 27), each output took the core's dicts of the results, then Python's dict
//! of the output's fields and a Python call per model. Here each model's field dict is
//! made once, with the model's own field names, and handed to its `ModelFactory` directly.
//!
//! `OutputModels` holds the factories (one per process, made by `output.py`);
//! `OutputBuilder` the fields every output of one call shares (the request's window, zone,
//! correlation id, when it was computed) and the Python strings of the distribution names
//! made so far (`PyNames`). A reduction hands out its results as `CoreResult`s.
//!
//! The containers made for a result leave the cyclic collector's lists (`untrack`): none is
//! part of a cycle, and 10,000 results' of them cost every later collection a walk. (The
//! models are untracked by their factories.)

use std::sync::Arc;

use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use pyo3::{PyTraverseError, PyVisit};
use rustc_hash::FxHashMap;

use crate::error::CoreError;
use crate::gc_pause::untrack;
use crate::ingest::IngestReport;
use crate::metrics::*;
use crate::models::ModelFactory;

/// Sets each of `$from`'s named fields on the dict `$d`, under the field's own name (the
/// core's metric structs name their fields as the models do).
macro_rules! set_fields {
    ($d:expr, $from:expr; $($field:ident),+ $(,)?) => {
        $( $d.set_item(intern!($d.py(), stringify!($field)), $from.$field)?; )+
    };
}

/// One reduction's result: its ingest counts and, unless records were invalid in raise
/// mode, its analytics. Opaque to Python: `OutputBuilder` turns it into models.
#[pyclass(frozen, module = "usage_analytics._core")]
pub struct CoreResult {
    pub(crate) report: IngestReport,
    pub(crate) analytics: Option<Analytics>,
}

#[pymethods]
impl CoreResult {
    /// The newest valid record's instant in the window (epoch microseconds), exactly; None
    /// without one (or without analytics). The output has only the hours from it to the
    /// window's end, rounded: the command line's default window ends here
    /// (`cli.valid_end`).
    #[getter]
    fn latest_us(&self) -> Option<i64> {
        self.analytics.as_ref().and_then(|analytics| analytics.usage.latest_us)
    }
}

/// The output model classes' factories, and the trend classes by value.
#[pyclass(frozen, module = "usage_analytics._core")]
pub struct OutputModels {
    output: Py<ModelFactory>,
    data_quality: Py<ModelFactory>,
    error_sample: Py<ModelFactory>,
    usage: Py<ModelFactory>,
    success: Py<ModelFactory>,
    performance: Py<ModelFactory>,
    trend: Py<ModelFactory>,
    prediction: Py<ModelFactory>,
    distribution: Py<ModelFactory>,
    /// The `UsageTrendType` member of each `TrendType`, at its `position`.
    trend_types: Vec<Py<PyAny>>,
    /// Called with a trend's `[(start_us, end_us, executions, rate_per_day)]`, returns its
    /// `time_series` (its datetimes are made in Python: `output.py`).
    time_series: Py<PyAny>,
}

#[pymethods]
impl OutputModels {
    #[new]
    #[pyo3(signature = (*, output, data_quality, error_sample, usage, success, performance, trend, prediction, distribution, trend_types, time_series))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        output: Py<ModelFactory>,
        data_quality: Py<ModelFactory>,
        error_sample: Py<ModelFactory>,
        usage: Py<ModelFactory>,
        success: Py<ModelFactory>,
        performance: Py<ModelFactory>,
        trend: Py<ModelFactory>,
        prediction: Py<ModelFactory>,
        distribution: Py<ModelFactory>,
        trend_types: Bound<'_, PyDict>,
        time_series: Py<PyAny>,
    ) -> PyResult<OutputModels> {
        let trend_types = TrendType::ALL
            .iter()
            .map(|t| {
                let member = trend_types.get_item(t.as_str())?;
                member
                    .map(Bound::unbind)
                    .ok_or_else(|| PyTypeError::new_err(format!("trend_types lacks {:?}", t.as_str())))
            })
            .collect::<PyResult<_>>()?;
        Ok(OutputModels {
            output,
            data_quality,
            error_sample,
            usage,
            success,
            performance,
            trend,
            prediction,
            distribution,
            trend_types,
            time_series,
        })
    }

    /// The factories, of every model an output holds.
    #[getter]
    fn factories(&self, py: Python<'_>) -> Vec<Py<ModelFactory>> {
        self.each_factory().map(|factory| factory.clone_ref(py)).into()
    }

    /// The cyclic collector's view of what the models hold: `output.py`'s (module ->
    /// `time_series` function -> its globals -> the models) is a cycle.
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for factory in self.each_factory() {
            visit.call(factory)?;
        }
        for class in &self.trend_types {
            visit.call(class)?;
        }
        visit.call(&self.time_series)
    }

    /// A builder of one call's outputs: `shared` holds the fields every output of the call
    /// has (`time_window_start`, `time_window_end`, `time_window_type`, `granularity`,
    /// `timezone`, `correlation_id`, `computed_at`).
    fn builder(slf: Py<Self>, shared: &Bound<'_, PyDict>) -> PyResult<OutputBuilder> {
        let py = shared.py();
        let field = |name: &Bound<'_, PyString>| -> PyResult<Py<PyAny>> {
            shared
                .get_item(name)?
                .map(Bound::unbind)
                .ok_or_else(|| PyTypeError::new_err(format!("the outputs' shared fields lack {name}")))
        };
        Ok(OutputBuilder {
            models: slf,
            time_window_start: field(intern!(py, "time_window_start"))?,
            time_window_end: field(intern!(py, "time_window_end"))?,
            time_window_type: field(intern!(py, "time_window_type"))?,
            granularity: field(intern!(py, "granularity"))?,
            timezone: field(intern!(py, "timezone"))?,
            correlation_id: field(intern!(py, "correlation_id"))?,
            computed_at: field(intern!(py, "computed_at"))?,
            names: PyNames::default(),
        })
    }
}

impl OutputModels {
    fn each_factory(&self) -> [&Py<ModelFactory>; 9] {
        [
            &self.output,
            &self.data_quality,
            &self.error_sample,
            &self.usage,
            &self.success,
            &self.performance,
            &self.trend,
            &self.prediction,
            &self.distribution,
        ]
    }
}

/// Builds one call's outputs (see the module's notes).
#[pyclass(module = "usage_analytics._core")]
pub struct OutputBuilder {
    models: Py<OutputModels>,
    time_window_start: Py<PyAny>,
    time_window_end: Py<PyAny>,
    time_window_type: Py<PyAny>,
    granularity: Py<PyAny>,
    timezone: Py<PyAny>,
    correlation_id: Py<PyAny>,
    computed_at: Py<PyAny>,
    names: PyNames,
}

impl OutputBuilder {
    fn shared(&self) -> [&Py<PyAny>; 7] {
        [
            &self.time_window_start,
            &self.time_window_end,
            &self.time_window_type,
            &self.granularity,
            &self.timezone,
            &self.correlation_id,
            &self.computed_at,
        ]
    }
}

#[pymethods]
impl OutputBuilder {
    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.models)?;
        for field in self.shared() {
            visit.call(field)?;
        }
        Ok(())
    }

    /// The `ModelUsageAnalyticsOutput` of `result` for `pattern_id`, computed in
    /// `computation_time_ms`.
    fn output<'py>(
        &mut self,
        pattern_id: &Bound<'py, PyAny>,
        result: &Bound<'py, CoreResult>,
        computation_time_ms: f64,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = pattern_id.py();
        let result = result.get();
        let Some(a) = &result.analytics else {
            return Err(CoreError::Internal("an output of a result without analytics".into()).into());
        };
        let models = self.models.get();
        let d = PyDict::new(py);
        d.set_item(intern!(py, "pattern_id"), pattern_id)?;
        d.set_item(intern!(py, "time_window_start"), &self.time_window_start)?;
        d.set_item(intern!(py, "time_window_end"), &self.time_window_end)?;
        d.set_item(intern!(py, "time_window_type"), &self.time_window_type)?;
        d.set_item(intern!(py, "granularity"), &self.granularity)?;
        d.set_item(intern!(py, "timezone"), &self.timezone)?;
        d.set_item(intern!(py, "usage_metrics"), usage(models, py, &a.usage)?)?;
        d.set_item(intern!(py, "success_metrics"), success(models, py, &a.success)?)?;
        let performance = a.performance.as_ref().map(|p| performance(models, py, p)).transpose()?;
        d.set_item(intern!(py, "performance_metrics"), performance)?;
        let trend = a.trend.as_ref().map(|t| trend(models, py, t)).transpose()?;
        d.set_item(intern!(py, "trend_analysis"), trend)?;
        let names = &mut self.names;
        let distribution = a
            .distribution
            .as_ref()
            .map(|dist| distribution(models, py, dist, names))
            .transpose()?;
        d.set_item(intern!(py, "context_distribution"), distribution)?;
        d.set_item(intern!(py, "total_data_points"), result.report.received)?;
        d.set_item(intern!(py, "analytics_quality_score"), a.analytics_quality_score)?;
        d.set_item(intern!(py, "computation_time_ms"), computation_time_ms)?;
        d.set_item(intern!(py, "correlation_id"), &self.correlation_id)?;
        d.set_item(intern!(py, "computed_at"), &self.computed_at)?;
        d.set_item(intern!(py, "data_quality"), data_quality(models, py, &result.report)?)?;
        models.output.get().make(&d)
    }

    /// The `DataQuality` of `result`'s ingest counts (a batch's of its whole input).
    fn data_quality<'py>(&self, result: &Bound<'py, CoreResult>) -> PyResult<Bound<'py, PyAny>> {
        data_quality(self.models.get(), result.py(), &result.get().report)
    }
}

fn data_quality<'py>(models: &OutputModels, py: Python<'py>, report: &IngestReport) -> PyResult<Bound<'py, PyAny>> {
    let samples = PyList::empty(py);
    for s in &report.samples {
        let sample = PyDict::new(py);
        sample.set_item(intern!(py, "index"), s.index)?;
        sample.set_item(intern!(py, "field"), s.field)?;
        sample.set_item(intern!(py, "value"), &s.value)?;
        sample.set_item(intern!(py, "reason"), &s.reason)?;
        // (An accumulator's update notes it; the reducer names a pandas row's index label
        // itself. Set even when None, so that the model is made from exactly its fields.)
        sample.set_item(intern!(py, "location"), s.location.as_deref())?;
        samples.append(models.error_sample.get().make(&sample)?)?;
    }
    untrack(&samples);
    let d = PyDict::new(py);
    d.set_item(intern!(py, "records_received"), report.received)?;
    d.set_item(intern!(py, "records_in_window"), report.in_window())?;
    d.set_item(intern!(py, "records_outside_window"), report.outside_window)?;
    d.set_item(intern!(py, "invalid_records"), report.invalid)?;
    d.set_item(intern!(py, "error_samples"), samples)?;
    models.data_quality.get().make(&d)
}

fn usage<'py>(models: &OutputModels, py: Python<'py>, u: &Usage) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    set_fields!(d, u;
        total_executions, executions_per_day, executions_per_week, executions_per_month,
        unique_contexts, unique_users, peak_daily_usage, time_since_last_use);
    models.usage.get().make(&d)
}

fn success<'py>(models: &OutputModels, py: Python<'py>, s: &Success) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    set_fields!(d, s;
        success_count, failure_count, success_rate, error_rate, timeout_count,
        quality_gate_failures, avg_quality_score);
    models.success.get().make(&d)
}

fn performance<'py>(models: &OutputModels, py: Python<'py>, p: &Performance) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    set_fields!(d, p;
        avg_execution_time_ms, p50_execution_time_ms, p95_execution_time_ms,
        p99_execution_time_ms, min_execution_time_ms, max_execution_time_ms, std_dev_ms,
        total_execution_time_ms, sample_count);
    let method = if p.percentiles_exact {
        intern!(py, "exact")
    } else {
        intern!(py, "sketch")
    };
    d.set_item(intern!(py, "percentile_method"), method)?;
    set_fields!(d, p; percentile_relative_error);
    models.performance.get().make(&d)
}

/// Time-series buckets turned into tuples between offers of the GIL to other threads
/// (about 2 ms' worth).
const BUCKETS_PER_GIL_TURN: usize = 16_384;

fn trend<'py>(models: &OutputModels, py: Python<'py>, t: &Trend) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "trend_type"), &models.trend_types[t.trend_type.position()])?;
    set_fields!(d, t;
        velocity, acceleration, adoption_rate, retention_rate, churn_rate, growth_percentage,
        confidence_score, bucket_count, bucket_width_seconds, velocity_significant);
    let series = t
        .time_series
        .as_ref()
        .map(|buckets| {
            let list = PyList::empty(py);
            for (i, b) in buckets.iter().enumerate() {
                if i % BUCKETS_PER_GIL_TURN == BUCKETS_PER_GIL_TURN - 1 {
                    // (Rust code holding the GIL is never asked to drop it: a million
                    // buckets held it for 130-280 ms, the event loop's thread waiting.)
                    py.detach(|| ());
                }
                let bucket = (b.start, b.end, b.executions, b.rate_per_day).into_pyobject(py)?;
                untrack(&bucket);
                list.append(bucket)?;
            }
            models.time_series.bind(py).call1((list,))
        })
        .transpose()?;
    d.set_item(intern!(py, "time_series"), series)?;
    let prediction = t.predictions.as_ref().map(|p| prediction(models, py, p)).transpose()?;
    d.set_item(intern!(py, "predictions"), prediction)?;
    models.trend.get().make(&d)
}

fn prediction<'py>(models: &OutputModels, py: Python<'py>, p: &Prediction) -> PyResult<Bound<'py, PyAny>> {
    let d = PyDict::new(py);
    set_fields!(d, p; horizon_days, predicted_daily_rate, predicted_executions);
    models.prediction.get().make(&d)
}

/// Bytes of distribution names decoded into Python strings and hashed into their dicts
/// between offers of the GIL to other threads (a few milliseconds' worth): 50,000 distinct agents
/// of 4 KB held it for 0.3-0.8 s, the event loop's thread waiting.
const NAME_BYTES_PER_GIL_TURN: usize = 4 << 20;
/// How long a turn leaves the GIL free: longer than a waiting thread takes to wake.
const GIL_TURN_PAUSE: std::time::Duration = std::time::Duration::from_micros(100);
/// What an entry costs besides its name's bytes, in the same unit: many short names take
/// turns too.
const NAME_ENTRY_BYTES: usize = 128;

/// The distribution: count dicts by name (names through `names`), hour and weekday.
fn distribution<'py>(
    models: &OutputModels,
    py: Python<'py>,
    dist: &Distribution,
    names: &mut PyNames,
) -> PyResult<Bound<'py, PyAny>> {
    fn counts<'py, K: IntoPyObject<'py> + Clone>(py: Python<'py>, pairs: &[(K, u64)]) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in pairs {
            d.set_item(k.clone(), v)?;
        }
        untrack(&d);
        Ok(d)
    }
    // Bytes of names turned into dict entries since the GIL was last offered (see
    // `NAME_BYTES_PER_GIL_TURN`).
    let mut since_turn = 0usize;
    let mut named = |pairs: &[(Arc<str>, u64)]| -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, count) in pairs {
            since_turn += name.len() + NAME_ENTRY_BYTES;
            if since_turn >= NAME_BYTES_PER_GIL_TURN {
                since_turn = 0;
                // (A bare release was taken straight back: each woke the waiting thread,
                // which then waited its switch interval anew and never asked for the GIL.
                // The pause lets it take the GIL.)
                py.detach(|| std::thread::sleep(GIL_TURN_PAUSE));
            }
            d.set_item(names.get(py, name), count)?;
        }
        untrack(&d);
        Ok(d)
    };
    let d = PyDict::new(py);
    d.set_item(intern!(py, "by_context_type"), named(&dist.by_context_type)?)?;
    d.set_item(intern!(py, "by_agent"), named(&dist.by_agent)?)?;
    d.set_item(intern!(py, "by_project"), named(&dist.by_project)?)?;
    d.set_item(intern!(py, "by_file_type"), named(&dist.by_file_type)?)?;
    d.set_item(intern!(py, "by_time_of_day"), counts(py, &dist.by_time_of_day)?)?;
    d.set_item(intern!(py, "by_day_of_week"), counts(py, &dist.by_day_of_week)?)?;
    models.distribution.get().make(&d)
}

/// The Python strings of the distribution names converted so far, by the name's
/// allocation: a batch's groups share their tallies' names (`Tally` takes the chunk's), so
/// 10,000 groups make one string per shared name rather than 210,000 (the same text held
/// in separate allocations, as by separately loaded states, gets one string each). Each
/// entry holds its name, so an address cannot be freed and reused for another name while
/// the cache lives.
#[derive(Default)]
pub(crate) struct PyNames {
    by_address: FxHashMap<usize, (Arc<str>, Py<PyString>)>,
}

impl PyNames {
    fn get<'py>(&mut self, py: Python<'py>, name: &Arc<str>) -> Bound<'py, PyString> {
        let address = Arc::as_ptr(name) as *const u8 as usize;
        let (_, string) = self
            .by_address
            .entry(address)
            .or_insert_with(|| (name.clone(), PyString::new(py, name).unbind()));
        string.bind(py).clone()
    }
}
