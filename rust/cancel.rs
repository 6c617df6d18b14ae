//! Stopping a reduction from another thread. When the task awaiting a reduction is
//! cancelled, its worker thread cannot be interrupted; the reducer sets this flag and the
//! readers stop at their next chunk instead of finishing work nobody awaits.

use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::prelude::*;

use crate::error::CoreError;

/// A one-way switch: once cancelled, every check fails.
#[pyclass(module = "usage_analytics._core", frozen)]
#[derive(Debug, Default)]
pub struct CancelFlag(AtomicBool);

#[pymethods]
impl CancelFlag {
    #[new]
    fn py_new() -> Self {
        Self::default()
    }

    /// Ask the reduction reading with this flag to stop at its next chunk.
    fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    #[getter]
    fn cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

impl CancelFlag {
    /// `Err(Cancelled)` once `flag` (if any) was cancelled.
    pub fn check(flag: Option<&CancelFlag>) -> Result<(), CoreError> {
        match flag {
            Some(flag) if flag.cancelled() => Err(CoreError::Cancelled),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_fails_checks_once_cancelled() {
        let flag = CancelFlag::default();
        assert_eq!(CancelFlag::check(None), Ok(()));
        assert_eq!(CancelFlag::check(Some(&flag)), Ok(()));
        flag.cancel();
        assert_eq!(CancelFlag::check(Some(&flag)), Err(CoreError::Cancelled));
    }
}
