//! A reduction's result as Python sees it: a dict of its ingest counts (which the
//! reducer reads to raise on an invalid record) holding the `CoreResult` (`result`) that
//! `OutputBuilder` turns into the output models; a batch's also holds `groups`, its
//! patterns' (pattern id, `CoreResult`) pairs (`GroupResults`).

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::gc_pause::untrack;
use crate::group::{GroupIndex, GroupKey};
use crate::group_results::GroupResults;
use crate::ingest::IngestReport;
use crate::metrics::Analytics;
use crate::output_models::CoreResult;

/// The report of the whole input, with `groups`: an iterator of (pattern id, its
/// `CoreResult`) per group (`GroupResults`).
pub(crate) fn grouped_output<'py>(
    py: Python<'py>,
    report: &IngestReport,
    groups: GroupResults,
) -> PyResult<Bound<'py, PyDict>> {
    let out = to_python(py, report, None)?;
    out.set_item(intern!(py, "groups"), Bound::new(py, groups)?)?;
    Ok(out)
}

/// Group `code`'s (pattern id, `CoreResult`) pair, its counts those a single call over its
/// records reports.
pub(crate) fn group_result<'py>(
    py: Python<'py>,
    index: &GroupIndex,
    code: usize,
    analytics: Analytics,
) -> PyResult<Bound<'py, PyTuple>> {
    let result = core_result(py, index.report(code), Some(analytics))?;
    let pair = (group_key(py, &index.keys()[code])?, result).into_pyobject(py)?;
    untrack(&pair);
    Ok(pair)
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

/// One result as a dict: the report's counts, its invalid records' `errors` as (index,
/// field, value, reason) tuples, and the `CoreResult` (its analytics if any) as `result`.
pub(crate) fn to_python<'py>(
    py: Python<'py>,
    report: &IngestReport,
    analytics: Option<Analytics>,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item(intern!(py, "received"), report.received)?;
    out.set_item(intern!(py, "in_window"), report.in_window())?;
    out.set_item(intern!(py, "outside_window"), report.outside_window)?;
    out.set_item(intern!(py, "invalid"), report.invalid)?;
    if let Some(range) = report.integer_times {
        // (`input_notes.INTEGER_TIMES`)
        out.set_item(intern!(py, "integer_times"), range)?;
    }
    let errors = PyList::empty(py);
    for s in &report.samples {
        let sample = (s.index, s.field, &s.value, &s.reason).into_pyobject(py)?;
        untrack(&sample);
        errors.append(sample)?;
    }
    untrack(&errors);
    out.set_item(intern!(py, "errors"), errors)?;
    out.set_item(intern!(py, "result"), core_result(py, report.clone(), analytics)?)?;
    Ok(out)
}

/// A `CoreResult`, out of the cyclic collector's lists: it holds no Python object, and a
/// batch makes thousands.
fn core_result(py: Python<'_>, report: IngestReport, analytics: Option<Analytics>) -> PyResult<Bound<'_, CoreResult>> {
    let result = Bound::new(py, CoreResult { report, analytics })?;
    untrack(&result);
    Ok(result)
}
