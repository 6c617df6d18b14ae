//! The streaming states as Python classes: `CoreState` (one pattern or many, mergeable and
//! serializable) and `CoreRolling` (a rolling window). The Python layer
//! (`usage_analytics.streaming`) validates settings and builds the output models.

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;
use pyo3::types::{PyBytes, PyDict};

use crate::bindings::{compute, Options};
use crate::buckets::Window;
use crate::error::CoreError;
use crate::group_results::GroupResults;
use crate::ingest::IngestReport;
use crate::py_dicts::{grouped_output, to_python};
use crate::py_update::{monitor_window, take_update, Input, TakesUpdates};
use crate::rolling::Rolling;
use crate::state::{Reduction, State};
use crate::wire;

#[pyclass(module = "usage_analytics._core", name = "CoreState")]
pub struct CoreState {
    state: State,
    skip_invalid: bool,
}

impl CoreState {
    /// Read an update into a fresh reduction; take it in unless it is rejected (an invalid
    /// record in raise mode). Returns the update's report for the caller to raise on.
    /// `locate`, where given, names where each sample's record is (`location`), called
    /// with its index (at most `MAX_SAMPLES` calls, after the reading).
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        input: Input,
        data: &Bound<'py, PyAny>,
        locate: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let window = self.state.template.window;
        take_update(py, self, input, data, &window, locate)
    }
}

impl TakesUpdates for CoreState {
    fn skip_invalid(&self) -> bool {
        self.skip_invalid
    }

    fn fresh(&self) -> Reduction {
        self.state.fresh()
    }

    fn kept(&self) -> &IngestReport {
        &self.state.report
    }

    fn take_in(&mut self, report: &IngestReport, update: Reduction) -> Result<(), CoreError> {
        self.state.absorb(report, update)
    }
}

#[pymethods]
impl CoreState {
    #[new]
    fn new(options: Options) -> PyResult<CoreState> {
        Ok(CoreState {
            state: State::new(options.template()?, options.by_pattern),
            skip_invalid: options.skip_invalid(),
        })
    }

    /// Add a list or tuple of record mappings; returns this update's report. `locate`:
    /// called with each kept sample's index, it gives the sample's `location` (a str or
    /// None), kept with the state.
    #[pyo3(signature = (records, locate=None))]
    fn update_records<'py>(
        &mut self,
        py: Python<'py>,
        records: &Bound<'py, PyAny>,
        locate: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        self.update(py, Input::Records, records, locate)
    }

    /// Add Arrow data (PyCapsule interface); returns this update's report. `whole`: see
    /// `py_update::Input`; `locate`: as `update_records`'.
    #[pyo3(signature = (data, whole=false, locate=None))]
    fn update_arrow<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
        whole: bool,
        locate: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        self.update(py, Input::Arrow { whole }, data, locate)
    }

    /// A new state holding both; error if the settings or kinds differ.
    fn merge(&self, py: Python<'_>, other: &CoreState) -> PyResult<CoreState> {
        let (mine, theirs) = (&self.state, &other.state);
        let merged = compute(py, || {
            mine.check_whole()?;
            crate::room::ensure_room(mine.body.approx_bytes(), || "copying the state to merge".into())?;
            let mut merged = State {
                template: mine.template.clone(),
                report: mine.report.clone(),
                body: clone_body(&mine.body),
                broken: None,
            };
            merged.merge(theirs)?;
            Ok(merged)
        })?;
        Ok(CoreState {
            state: merged,
            skip_invalid: self.skip_invalid,
        })
    }

    /// Fold `other` into this state, in place (k-way merges without copies).
    fn merge_in(&mut self, py: Python<'_>, other: &CoreState) -> PyResult<()> {
        let (mine, theirs) = (&mut self.state, &other.state);
        compute(py, || mine.merge(theirs))
    }

    /// The result dict of the records so far (as `reduce_records` returns).
    fn finalize<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let state = &self.state;
        state.check_whole()?;
        match &state.body {
            Reduction::Grouped(grouped, index) => {
                let groups = index.keys().len();
                grouped.check_series_points(groups)?;
                crate::group_results::check_output_room(groups, grouped.output_bytes(groups))?;
                // (The index copied with the GIL released too: three maps of every pattern id.)
                let (analytics, index) = compute(py, || Ok((grouped.finalize_copy(groups)?, index.clone())))?;
                grouped_output(py, &state.report, GroupResults::finalized(index, analytics))
            }
            Reduction::One(acc) => {
                // Copied with the GIL released too: a state can hold millions of times.
                let analytics = compute(py, || {
                    crate::room::ensure_room(acc.approx_bytes(), || "copying the state to finalize".into())?;
                    acc.make_room_to_finalize()?;
                    Ok(acc.clone().finalize())
                })?;
                to_python(py, &state.report, Some(analytics))
            }
            Reduction::Rolling(_) | Reduction::BatchRolling(..) => {
                Err(CoreError::Internal("a rolling state is not finalized".into()).into())
            }
        }
    }

    /// The serialized state, carrying the caller's `meta` bytes.
    fn to_bytes<'py>(&self, py: Python<'py>, meta: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let state = &self.state;
        state.check_whole()?;
        let serialized = compute(py, || wire::serialize(state, meta))?;
        // Written straight into the `bytes` object (which `new_with` zero-fills first), not
        // yet shared: no other thread can see it while the GIL is released.
        PyBytes::new_with(py, serialized.byte_len(), |out| {
            compute(py, || serialized.write_into(out))
        })
    }

    /// Load serialized bytes: (state, meta). The state reads no records until `configure`.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<(CoreState, Py<PyBytes>)> {
        let (state, meta) = compute(py, || wire::from_bytes(data))?;
        let meta = bytes_of(py, meta)?;
        Ok((
            CoreState {
                state,
                skip_invalid: false,
            },
            meta,
        ))
    }

    /// Merge serialized states, each merged as it is read (`wire::merge_serialized`):
    /// (state, each state's meta). The bytes are borrowed, not copied.
    #[staticmethod]
    fn merge_serialized(py: Python<'_>, blobs: Vec<PyBackedBytes>) -> PyResult<(CoreState, Vec<Py<PyBytes>>)> {
        let slices: Vec<&[u8]> = blobs.iter().map(|blob| &blob[..]).collect();
        let (state, metas) = compute(py, || wire::merge_serialized(&slices))?;
        let metas = metas
            .into_iter()
            .map(|meta| bytes_of(py, meta))
            .collect::<PyResult<_>>()?;
        Ok((
            CoreState {
                state,
                skip_invalid: false,
            },
            metas,
        ))
    }

    /// Check that `options` describe this state's settings (a loaded state and the
    /// settings stored beside it must agree) and take its on-invalid mode.
    fn configure(&mut self, options: Options) -> PyResult<()> {
        let template = options.template()?;
        if !wire::same_settings(&template, &self.state.template) || options.by_pattern != self.state.body.is_grouped() {
            return Err(settings_differ());
        }
        self.skip_invalid = options.skip_invalid();
        Ok(())
    }

    #[getter]
    fn is_batch(&self) -> bool {
        self.state.body.is_grouped()
    }
}

/// A `bytes` copy of `data` (a state's meta bytes): `MemoryError` if Python cannot
/// allocate it (`PyBytes::new` would panic; a hostile state's meta can be as large as it).
pub(crate) fn bytes_of(py: Python<'_>, data: &[u8]) -> PyResult<Py<PyBytes>> {
    Ok(PyBytes::new_with(py, data.len(), |out| {
        out.copy_from_slice(data);
        Ok(())
    })?
    .unbind())
}

/// A loaded state's settings differ from those stored beside it.
fn settings_differ() -> PyErr {
    CoreError::InvalidInput("not a valid usage-analytics state: its settings do not match the stored ones".into())
        .into()
}

/// A rolling monitor's `configure` (`CoreRolling`'s, and `CoreBatchRolling`'s of its
/// `base`): check that `options`, `bucket_us` and `buckets` (as `new` takes them) are
/// `rolling`'s settings; returns the on-invalid mode to take.
pub(crate) fn configured_monitor(
    rolling: &Rolling,
    options: &Options,
    bucket_us: i64,
    buckets: usize,
) -> PyResult<bool> {
    let template = options.template()?;
    if !wire::same_settings(&template, &rolling.template) || bucket_us != rolling.width || buckets != rolling.buckets {
        return Err(settings_differ());
    }
    Ok(options.skip_invalid())
}

/// A monitor's snapshot dict with its window's `start_us` and `end_us`.
pub(crate) fn with_window<'py>(out: Bound<'py, PyDict>, window: &Window) -> PyResult<Bound<'py, PyDict>> {
    let py = out.py();
    out.set_item(intern!(py, "start_us"), window.start)?;
    out.set_item(intern!(py, "end_us"), window.end)?;
    Ok(out)
}

fn clone_body(body: &Reduction) -> Reduction {
    match body {
        Reduction::One(acc) => Reduction::One(acc.clone()),
        Reduction::Grouped(grouped, index) => Reduction::Grouped(grouped.clone(), index.clone()),
        Reduction::Rolling(rolling) => Reduction::Rolling(rolling.clone()),
        Reduction::BatchRolling(update, index) => Reduction::BatchRolling(update.clone(), index.clone()),
    }
}

#[pyclass(module = "usage_analytics._core", name = "CoreRolling")]
pub struct CoreRolling {
    rolling: Rolling,
    /// Every record added so far (cumulative).
    report: IngestReport,
    skip_invalid: bool,
}

impl CoreRolling {
    /// `until_us`: the latest instant filed; records after it are counted as outside the
    /// window, as those before the kept buckets are (None: up to the end of year 9999).
    /// `locate`: as `CoreState::update`'s, for the samples the monitor keeps.
    fn add<'py>(
        &mut self,
        py: Python<'py>,
        input: Input,
        data: &Bound<'py, PyAny>,
        until_us: Option<i64>,
        locate: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let window = monitor_window(self.rolling.retained_from(), until_us);
        take_update(py, self, input, data, &window, locate)
    }
}

impl TakesUpdates for CoreRolling {
    fn skip_invalid(&self) -> bool {
        self.skip_invalid
    }

    fn fresh(&self) -> Reduction {
        Reduction::Rolling(self.rolling.fresh())
    }

    fn kept(&self) -> &IngestReport {
        &self.report
    }

    fn take_in(&mut self, report: &IngestReport, update: Reduction) -> Result<(), CoreError> {
        if let Reduction::Rolling(update) = update {
            // (Atomic: the room checked before anything changes; see `rolling`.)
            self.rolling.make_room_to_merge(&update)?;
            self.rolling.merge_owned(update);
        }
        self.report.merge(report);
        Ok(())
    }
}

#[pymethods]
impl CoreRolling {
    /// `options` as for a reduction (its window is not used), buckets of `bucket_us`
    /// microseconds, `buckets` of them per window.
    #[new]
    fn new(options: Options, bucket_us: i64, buckets: usize) -> PyResult<CoreRolling> {
        Ok(CoreRolling {
            rolling: Rolling::new(options.template()?, bucket_us, buckets)?,
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

    /// The result dict of the window ending with the bucket holding `now_us`, with its
    /// `start_us` and `end_us`. Counts in the report are cumulative since creation.
    fn snapshot<'py>(&mut self, py: Python<'py>, now_us: i64) -> PyResult<Bound<'py, PyDict>> {
        let rolling = &self.rolling;
        let (analytics, window) = compute(py, || rolling.snapshot(now_us))?;
        let in_window = analytics.usage.total_executions as usize;
        let report = IngestReport {
            outside_window: self.report.received - self.report.invalid - in_window,
            ..self.report.clone()
        };
        with_window(to_python(py, &report, Some(analytics))?, &window)
    }

    /// The serialized monitor (its buckets, kept range and cumulative counts), carrying
    /// the caller's `meta` bytes.
    fn to_bytes<'py>(&self, py: Python<'py>, meta: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let (rolling, report) = (&self.rolling, &self.report);
        let serialized = compute(py, || wire::serialize_rolling(rolling, report, meta))?;
        // (As `CoreState::to_bytes`: written straight into the zero-filled `bytes`.)
        PyBytes::new_with(py, serialized.byte_len(), |out| {
            compute(py, || serialized.write_into(out))
        })
    }

    /// Load serialized bytes: (monitor, meta). It reads no records until `configure`.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: &[u8]) -> PyResult<(CoreRolling, Py<PyBytes>)> {
        let (rolling, report, meta) = compute(py, || wire::rolling_from_bytes(data))?;
        let meta = bytes_of(py, meta)?;
        let core = CoreRolling {
            rolling,
            report,
            skip_invalid: false,
        };
        Ok((core, meta))
    }

    /// Check that `options`, `bucket_us` and `buckets` (as `new` takes them) describe this
    /// monitor's settings (a loaded monitor and the settings stored beside it must agree)
    /// and take its on-invalid mode.
    fn configure(&mut self, options: Options, bucket_us: i64, buckets: usize) -> PyResult<()> {
        self.skip_invalid = configured_monitor(&self.rolling, &options, bucket_us, buckets)?;
        Ok(())
    }

    /// The start of the newest bucket a record fell in, None before any.
    #[getter]
    fn newest_start_us(&self) -> Option<i64> {
        self.rolling.newest_start()
    }

    /// Buckets currently held (at most the window's).
    #[getter]
    fn retained_buckets(&self) -> usize {
        self.rolling.retained_buckets()
    }
}
