//! Result objects out of Python's cyclic garbage collector.
//!
//! A batch result is ~40 container objects per pattern (dicts, lists). Each 700 of them
//! trigger a young collection, and every few of those a full one that walks every object
//! of the process, including the results being built: at 10,000 patterns the collector
//! took longer than building the objects (the batch's outputs: 0.28-0.64 s with it
//! running, 0.12-0.23 s without). Nothing built for a result can form a cycle, so the
//! collector has nothing to find in them, and `output.py` builds a batch's results (the
//! models the core makes as its `GroupResults` iterator is read, `output_models`) with the
//! collector paused (`gc_paused`).
//!
//! Paused, the collector still lists every container made meanwhile, and the young
//! collection that follows the pause walked them all (15-17 ms after the dicts the core
//! made of 10,000 patterns' results before session 27, and 27-31 ms after their models),
//! as did every full collection of the process while the caller held the results (48 ms
//! more each). So the containers built for a result also leave the collector's lists
//! (`untrack`), dicts of numbers included: CPython up to 3.13 leaves those out by itself,
//! 3.14 tracks every dict from its creation and never again on an insertion
//! (python/cpython#127027). The cost: a cycle a caller makes through one of them
//! (appending an output to its own `error_samples` list, say) is never collected, a leak
//! and not a crash; nothing in the library makes one. Copies keep the state (a dict
//! copied from an untracked one is untracked too: `model_copy` of an output, say), which
//! holds no cycle either.

use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::PyList;

/// Take `obj` out of the cyclic collector's lists: for containers made for a result, which
/// no cycle goes through (see the module's notes). Objects of types outside the collector,
/// and types themselves, are left as they are.
pub fn untrack(obj: &Bound<'_, PyAny>) {
    let ptr = obj.as_ptr();
    // SAFETY: a live object. Only an object of a collected type (`Py_TPFLAGS_HAVE_GC`) has
    // the header `PyObject_GC_UnTrack` reads, but not every one: `type` is collected, yet a
    // static type (`int`) has no header (`tp_is_gc` tells), so types are never untracked.
    // An object may be untracked already (a no-op then).
    unsafe {
        let collected = ffi::PyType_HasFeature(ffi::Py_TYPE(ptr), ffi::Py_TPFLAGS_HAVE_GC) != 0;
        if collected && ffi::PyType_Check(ptr) == 0 {
            ffi::PyObject_GC_UnTrack(ptr.cast());
        }
    }
}

/// `items`, out of the cyclic collector's lists (`untrack`): for the lists `output.py`
/// makes for a result (a time series' buckets).
#[pyfunction]
#[pyo3(name = "untracked")]
pub fn py_untracked(items: Bound<'_, PyList>) -> Bound<'_, PyList> {
    untrack(&items);
    items
}

/// In a forked child, end the collector pauses of the parent's other threads (see
/// `pyfast::end_inherited_pauses`); whether the collector is to be enabled.
#[pyfunction]
#[pyo3(name = "end_inherited_collector_pauses")]
pub fn py_end_inherited_collector_pauses(_py: Python<'_>) -> bool {
    crate::pyfast::end_inherited_pauses()
}
