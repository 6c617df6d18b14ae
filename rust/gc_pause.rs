//! Python's cyclic garbage collector paused while many result objects are built.
//!
//! A batch result is ~40 container objects per pattern (dicts, lists). Each 700 of them
//! trigger a young collection, and every few of those a full one that walks every object
//! of the process, including the results being built: at 10,000 patterns the collector
//! took longer than building the objects (the batch's outputs, built here and in
//! `output.py`: 0.28-0.64 s with it running, 0.12-0.23 s without). Nothing built here can
//! form a cycle, so the collector has nothing to find in them.
//!
//! Paused, the collector still lists every container made meanwhile, and the young
//! collection that follows the pause walked them all (16 ms after the core's dicts of
//! 10,000 patterns and 30 ms after their models), as did every full collection of the
//! process while the caller held the results (31 ms each). So the containers built for a
//! result also leave the collector's lists (`untrack`), as CPython takes out by itself
//! the dicts and tuples that hold only atoms. The cost: a cycle a caller makes through one
//! of them (appending an output to its own `error_samples` list, say) is never collected,
//! a leak and not a crash; nothing in the library makes one.

use pyo3::ffi;
use pyo3::intern;
use pyo3::prelude::*;

/// Disables the collector until dropped, then re-enables it if it was enabled.
pub struct GcPause<'py> {
    gc: Option<Bound<'py, PyModule>>,
}

impl<'py> GcPause<'py> {
    pub fn new(py: Python<'py>) -> PyResult<GcPause<'py>> {
        let gc = py.import(intern!(py, "gc"))?;
        if !gc.call_method0(intern!(py, "isenabled"))?.is_truthy()? {
            return Ok(GcPause { gc: None });
        }
        gc.call_method0(intern!(py, "disable"))?;
        Ok(GcPause { gc: Some(gc) })
    }
}

impl Drop for GcPause<'_> {
    fn drop(&mut self) {
        if let Some(gc) = &self.gc {
            // `gc.enable()` cannot fail; an error here would have nowhere to go.
            let _ = gc.call_method0(intern!(gc.py(), "enable"));
        }
    }
}

/// Take `obj` out of the cyclic collector's lists: for containers made for a result, which
/// no cycle goes through (see the module's notes). Objects of types outside the collector
/// are left as they are.
pub fn untrack(obj: &Bound<'_, PyAny>) {
    // SAFETY: a live object. Only an object of a collected type (`Py_TPFLAGS_HAVE_GC`) has
    // the header `PyObject_GC_UnTrack` reads; it may be untracked already (a no-op then).
    unsafe {
        if ffi::PyType_HasFeature(ffi::Py_TYPE(obj.as_ptr()), ffi::Py_TPFLAGS_HAVE_GC) != 0 {
            ffi::PyObject_GC_UnTrack(obj.as_ptr().cast());
        }
    }
}

/// `obj`, out of the cyclic collector's lists (`untrack`): for the containers `output.py`
/// makes for a result (a time series' list of buckets, the list of error samples).
#[pyfunction]
#[pyo3(name = "untracked")]
pub fn py_untracked(obj: Bound<'_, PyAny>) -> Bound<'_, PyAny> {
    untrack(&obj);
    obj
}
