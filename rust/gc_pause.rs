//! Python's cyclic garbage collector paused while many result objects are built.
//!
//! A batch result is ~40 container objects per pattern (dicts, lists). Each 700 of them
//! trigger a young collection, and every few of those a full one that walks every object
//! of the process, including the results being built: at 10,000 patterns the collector
//! took longer than building the objects (the batch's outputs, built here and in
//! `output.py`: 0.28-0.64 s with it running, 0.12-0.23 s without). Nothing built here can
//! form a cycle, so the collector has nothing to find in them.

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
