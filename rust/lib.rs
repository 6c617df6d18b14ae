//! usage-analytics' Rust core.
//!
//! Plain-Rust kernels over compact columns (`civil`, `timeparse`, `zone`, `buckets`,
//! `stats`, `regression`, `columns`, `accumulator`), the Python-object reader (`ingest`,
//! `fields`, `pyfast`) and the thin PyO3 bindings (`bindings`). No arithmetic lives in the bindings.

pub mod accumulator;
pub mod arrow_ingest;
mod bindings;
pub mod buckets;
pub mod civil;
pub mod columns;
pub mod error;
mod fields;
pub mod group;
pub mod ingest;
pub mod metrics;
mod pyfast;
pub mod regression;
pub mod stats;
pub mod timeparse;
pub mod zone;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    bindings::register(m)
}
