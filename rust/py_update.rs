//! How the streaming classes (`CoreState`, `CoreRolling`, `CoreBatchRolling`) take an
//! update: read into a fresh reduction, kept unless rejected, its kept samples located,
//! taken in with the GIL released. One flow for the three: they differ only in the
//! reduction they read into and in how they take it in (`TakesUpdates`).

use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::bindings::{compute, read_arrow_into, read_records_into, room_to_start};
use crate::buckets::Window;
use crate::error::CoreError;
use crate::ingest::IngestReport;
use crate::py_dicts::to_python;
use crate::state::Reduction;

/// Which reader an update goes through. `whole`: the caller's Arrow object holds all of
/// its data while it is read (a table or frame, not a stream), so the reader may convert
/// slices of it in place rather than copying their columns first. A state copies what it
/// keeps either way: after the update it refers to none of the input's buffers.
#[derive(Clone, Copy)]
pub(crate) enum Input {
    Records,
    Arrow { whole: bool },
}

/// A streaming class as an update sees it.
pub(crate) trait TakesUpdates {
    /// Whether invalid records are skipped (else an update holding one is rejected).
    fn skip_invalid(&self) -> bool;
    /// An empty reduction of the class's settings, for an update to be read into.
    fn fresh(&self) -> Reduction;
    /// The cumulative report the update's is merged into (its samples limit the update's kept).
    fn kept(&self) -> &IngestReport;
    /// Take in an accepted update (`fresh`, read) and merge its report. Atomic: memory
    /// that cannot be had is an error checked before anything changes. Run with the GIL
    /// released.
    fn take_in(&mut self, report: &IngestReport, update: Reduction) -> Result<(), CoreError>;
}

/// Read `data` (through `input`'s reader, records in `window`) into `target`'s fresh
/// reduction; take it in unless it is rejected (an invalid record in raise mode). Returns
/// the update's report for the caller to raise on. `locate`, where given, names where
/// each kept sample's record is (`locate_kept`).
pub(crate) fn take_update<'py, T: TakesUpdates + Send>(
    py: Python<'py>,
    target: &mut T,
    input: Input,
    data: &Bound<'py, PyAny>,
    window: &Window,
    locate: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    room_to_start()?;
    let (skip_invalid, fresh) = (target.skip_invalid(), target.fresh());
    let (mut report, update) = read(py, input, data, window, skip_invalid, fresh)?;
    if report.invalid == 0 || skip_invalid {
        locate_kept(&mut report, target.kept(), locate)?;
        compute(py, || target.take_in(&report, update))?;
    }
    to_python(py, &report, None)
}

/// A rolling monitor's window for an update: from its kept range's start (`retained_from`)
/// to `until_us`, the latest instant filed (None: up to the end of year 9999).
pub(crate) fn monitor_window(retained_from: i64, until_us: Option<i64>) -> Window {
    match until_us {
        Some(until) => Window::between(retained_from, until),
        None => Window::from_instant(retained_from),
    }
}

fn read<'py>(
    py: Python<'py>,
    input: Input,
    data: &Bound<'py, PyAny>,
    window: &Window,
    skip_invalid: bool,
    reduction: Reduction,
) -> PyResult<(IngestReport, Reduction)> {
    match input {
        Input::Records => read_records_into(py, data, window, skip_invalid, reduction, None),
        Input::Arrow { whole } => read_arrow_into(py, data, window, skip_invalid, reduction, None, whole),
    }
}

/// Name where each sample of `update` (an update's report, taken in) that `kept` (the
/// cumulative report it is merged into) will keep is: `locate(index)`, a str or None.
/// (Only what is kept: a refused update's error names its record itself, and a report
/// holding `MAX_SAMPLES` already keeps none of the update's, whose rows are then never
/// looked up.)
fn locate_kept(update: &mut IngestReport, kept: &IngestReport, locate: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    if let Some(locate) = locate {
        let room = crate::ingest::MAX_SAMPLES.saturating_sub(kept.samples.len());
        for sample in update.samples.iter_mut().take(room) {
            sample.location = locate.call1((sample.index,))?.extract()?;
        }
    }
    Ok(())
}
