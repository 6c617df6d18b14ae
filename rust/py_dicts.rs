//! The core's results as Python dicts (which `output.py` turns into the pydantic models).
//!
//! A batch converts thousands of results, one per step of its `GroupResults` iterator
//! (about 5 µs each, half of a result's cost in the core at 10,000 patterns of 20
//! records). Strings the results share are made once: keys and classes are interned, and
//! each shared distribution name becomes one Python string per batch, however many
//! results list it (`PyNames`). The containers made for a group's result leave the cyclic
//! collector's lists (`gc_pause::untrack`): none is part of a cycle, and 10,000 results' of
//! them cost every later collection a walk. (The dict of the whole input, which the caller
//! fills further, stays listed.)

use std::sync::Arc;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use rustc_hash::FxHashMap;

use crate::gc_pause::untrack;
use crate::group::{GroupIndex, GroupKey};
use crate::group_results::GroupResults;
use crate::ingest::IngestReport;
use crate::metrics::*;

/// The report (of the whole input), with `groups`: an iterator of (pattern id, its result
/// dict) per group (`GroupResults`).
pub(crate) fn grouped_output<'py>(
    py: Python<'py>,
    report: &IngestReport,
    groups: GroupResults,
) -> PyResult<Bound<'py, PyDict>> {
    let out = result(py, report, None, &mut PyNames::default())?;
    out.set_item(intern!(py, "groups"), Bound::new(py, groups)?)?;
    Ok(out)
}

/// Group `code`'s (pattern id, result dict) pair, its counts those a single call over its
/// records reports.
pub(crate) fn group_result<'py>(
    py: Python<'py>,
    index: &GroupIndex,
    code: usize,
    analytics: &Analytics,
    names: &mut PyNames,
) -> PyResult<Bound<'py, PyTuple>> {
    let group = result(py, &index.report(code), Some(analytics), names)?;
    untrack(&group);
    let pair = (group_key(py, &index.keys()[code])?, group).into_pyobject(py)?;
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

/// One result as a dict: the report's counts, and the analytics if any.
pub(crate) fn to_python<'py>(
    py: Python<'py>,
    report: &IngestReport,
    analytics: Option<&Analytics>,
) -> PyResult<Bound<'py, PyDict>> {
    result(py, report, analytics, &mut PyNames::default())
}

/// One result's dict, its distribution names converted through `names`.
fn result<'py>(
    py: Python<'py>,
    report: &IngestReport,
    analytics: Option<&Analytics>,
    names: &mut PyNames,
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
        let sample = (s.index, s.field, &s.value, &s.reason).into_pyobject(py)?;
        untrack(&sample);
        errors.append(sample)?;
    }
    untrack(&errors);
    out.set_item(intern!(py, "errors"), errors)?;
    let Some(a) = analytics else {
        for key in [
            intern!(py, "usage"),
            intern!(py, "success"),
            intern!(py, "performance"),
            intern!(py, "trend"),
            intern!(py, "distribution"),
        ] {
            out.set_item(key, py.None())?;
        }
        out.set_item(intern!(py, "analytics_quality_score"), 0.0)?;
        return Ok(out);
    };
    out.set_item(intern!(py, "usage"), usage(py, &a.usage)?)?;
    out.set_item(intern!(py, "success"), success(py, &a.success)?)?;
    let performance = a.performance.as_ref().map(|p| performance(py, p)).transpose()?;
    out.set_item(intern!(py, "performance"), performance)?;
    let trend = a.trend.as_ref().map(|t| trend(py, t)).transpose()?;
    out.set_item(intern!(py, "trend"), trend)?;
    let distribution = a
        .distribution
        .as_ref()
        .map(|d| distribution(py, d, names))
        .transpose()?;
    out.set_item(intern!(py, "distribution"), distribution)?;
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
    untrack(&d);
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
    untrack(&d);
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
    let method = if p.percentiles_exact {
        intern!(py, "exact")
    } else {
        intern!(py, "sketch")
    };
    d.set_item(intern!(py, "percentile_method"), method)?;
    d.set_item(intern!(py, "percentile_relative_error"), p.percentile_relative_error)?;
    untrack(&d);
    Ok(d)
}

fn trend<'py>(py: Python<'py>, t: &Trend) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "trend_type"), trend_type(py, t.trend_type))?;
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
                let bucket = (b.start, b.end, b.executions, b.rate_per_day).into_pyobject(py)?;
                untrack(&bucket);
                list.append(bucket)?;
            }
            untrack(&list);
            Ok::<_, PyErr>(list)
        })
        .transpose()?;
    d.set_item(intern!(py, "time_series"), series)?;
    let prediction = t.predictions.as_ref().map(|p| prediction(py, p)).transpose()?;
    d.set_item(intern!(py, "predictions"), prediction)?;
    untrack(&d);
    Ok(d)
}

fn prediction<'py>(py: Python<'py>, p: &Prediction) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item(intern!(py, "horizon_days"), p.horizon_days)?;
    d.set_item(intern!(py, "predicted_daily_rate"), p.predicted_daily_rate)?;
    d.set_item(intern!(py, "predicted_executions"), p.predicted_executions)?;
    untrack(&d);
    Ok(d)
}

/// The distribution: count dicts by name (names through `names`), hour and weekday.
fn distribution<'py>(py: Python<'py>, dist: &Distribution, names: &mut PyNames) -> PyResult<Bound<'py, PyDict>> {
    fn counts<'py, K: IntoPyObject<'py> + Clone>(py: Python<'py>, pairs: &[(K, u64)]) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in pairs {
            d.set_item(k.clone(), v)?;
        }
        untrack(&d);
        Ok(d)
    }
    let mut named = |pairs: &[(Arc<str>, u64)]| -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (name, count) in pairs {
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
    untrack(&d);
    Ok(d)
}

/// The trend class's name, interned: one string per class, not one per result.
fn trend_type(py: Python<'_>, trend: TrendType) -> Bound<'_, PyString> {
    PyString::intern(py, trend.as_str())
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
