//! The batch rolling monitor as a Python class, `CoreBatchRolling` (see `batch_rolling`);
//! the Python layer (`usage_analytics.batch_rolling`) validates settings and builds the
//! output models.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::batch_rolling::BatchRolling;
use crate::bindings::{compute, Options};
use crate::error::CoreError;
use crate::group::GroupIndex;
use crate::group_results::GroupResults;
use crate::ingest::IngestReport;
use crate::py_dicts::grouped_output;
use crate::py_state::{bytes_of, configured_monitor, with_window};
use crate::py_update::{monitor_window, take_update, Input, TakesUpdates};
use crate::rolling::Rolling;
use crate::state::Reduction;
use crate::wire;

#[pyclass(module = "usage_analytics._core", name = "CoreBatchRolling")]
pub struct CoreBatchRolling {
    monitor: BatchRolling,
    /// Every record added so far (cumulative), of every pattern and of none.
    report: IngestReport,
    skip_invalid: bool,
}

impl CoreBatchRolling {
    /// `until_us`: the latest instant filed; records after it are counted as outside the
    /// window (None: up to the end of year 9999). Each pattern's window leaves out the
    /// records older than the kept range itself. `locate`: as `CoreState::update`'s, for
    /// the samples the monitor's own report keeps (a pattern's name no location).
    fn add<'py>(
        &mut self,
        py: Python<'py>,
        input: Input,
        data: &Bound<'py, PyAny>,
        until_us: Option<i64>,
        locate: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let window = monitor_window(self.monitor.retained_from(), until_us);
        take_update(py, self, input, data, &window, locate)
    }
}

impl TakesUpdates for CoreBatchRolling {
    fn skip_invalid(&self) -> bool {
        self.skip_invalid
    }

    fn fresh(&self) -> Reduction {
        Reduction::BatchRolling(self.monitor.fresh_update(), GroupIndex::default())
    }

    fn kept(&self) -> &IngestReport {
        &self.report
    }

    fn take_in(&mut self, report: &IngestReport, update: Reduction) -> Result<(), CoreError> {
        if let Reduction::BatchRolling(update, index) = update {
            // (Atomic: the room checked before anything changes; see `batch_rolling`.)
            self.monitor.take(update, &index)?;
        }
        self.report.merge(report);
        Ok(())
    }
}

#[pymethods]
impl CoreBatchRolling {
    /// `options` as for a reduction (its window is not used), buckets of `bucket_us`
    /// microseconds, `buckets` of them per window.
    #[new]
    fn new(options: Options, bucket_us: i64, buckets: usize) -> PyResult<CoreBatchRolling> {
        Ok(CoreBatchRolling {
            monitor: BatchRolling::new(Rolling::new(options.template()?, bucket_us, buckets)?),
            report: IngestReport::default(),
            skip_invalid: options.skip_invalid(),
        })
    }

    /// `until_us`, `locate`: see `add`.
    #[pyo3(signature = (records, until_us=None, locate=None))]
    fn add_records<'py>(
        &mut self,
        py: Python<'py>,
        records: &Bound<'py, PyAny>,
        until_us: Option<i64>,
        locate: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        self.add(py, Input::Records, records, until_us, locate)
    }

    /// `whole`: see `py_update::Input`; `until_us`, `locate`: see `add`.
    #[pyo3(signature = (data, whole=false, until_us=None, locate=None))]
    fn add_arrow<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        whole: bool,
        until_us: Option<i64>,
        locate: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        self.add(py, Input::Arrow { whole }, data, until_us, locate)
    }

    /// The grouped result dict (as `reduce_records` by pattern returns) of the window
    /// ending with the bucket holding `now_us`, with its `start_us` and `end_us`: a group
    /// per pattern holding records in it. Counts are cumulative since creation (each
    /// pattern's since the monitor last took it up).
    fn snapshot<'py>(&self, py: Python<'py>, now_us: i64) -> PyResult<Bound<'py, PyDict>> {
        let monitor = &self.monitor;
        let snapshot = compute(py, || monitor.snapshot(now_us))?;
        let in_window: usize = snapshot
            .analytics
            .iter()
            .map(|analytics| analytics.usage.total_executions as usize)
            .sum();
        let report = IngestReport {
            outside_window: (self.report.received - self.report.invalid).saturating_sub(in_window),
            ..self.report.clone()
        };
        let window = snapshot.window;
        let out = grouped_output(py, &report, GroupResults::finalized(snapshot.index, snapshot.analytics))?;
        with_window(out, &window)
    }

    /// The serialized monitor (its patterns' buckets and counts, kept range and cumulative
    /// counts), carrying the caller's `meta` bytes.
    fn to_bytes<'py>(&self, py: Python<'py>, meta: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let (monitor, report) = (&self.monitor, &self.report);
        let serialized = compute(py, || wire::serialize_batch_rolling(monitor, report, meta))?;
        // (As `CoreState::to_bytes`: written straight into the zero-filled `bytes`.)
        PyBytes::new_with(py, serialized.len(), |out| {
            out.copy_from_slice(&serialized);
            Ok(())
        })
    }

    /// Load serialized bytes: (monitor, meta). It reads no records until `configure`.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<(CoreBatchRolling, Py<PyBytes>)> {
        let (monitor, report, meta) = compute(py, || wire::batch_rolling_from_bytes(data))?;
        let meta = bytes_of(py, meta)?;
        let core = CoreBatchRolling {
            monitor,
            report,
            skip_invalid: false,
        };
        Ok((core, meta))
    }

    /// Check that `options`, `bucket_us` and `buckets` (as `new` takes them) describe this
    /// monitor's settings (a loaded monitor and the settings stored beside it must agree)
    /// and take its on-invalid mode.
    fn configure(&mut self, options: Options, bucket_us: i64, buckets: usize) -> PyResult<()> {
        self.skip_invalid = configured_monitor(&self.monitor.base, &options, bucket_us, buckets)?;
        Ok(())
    }

    /// The start of the newest bucket a record of any pattern fell in, None before any.
    #[getter]
    fn newest_start_us(&self) -> Option<i64> {
        self.monitor.newest_start()
    }

    /// Buckets currently held, over all patterns.
    #[getter]
    fn retained_buckets(&self) -> usize {
        self.monitor.retained_buckets()
    }

    /// Patterns currently held (those with a bucket in the kept range).
    #[getter]
    fn pattern_count(&self) -> usize {
        self.monitor.pattern_count()
    }
}
