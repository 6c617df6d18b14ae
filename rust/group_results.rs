//! A batch's per-pattern results, handed to Python one by one in first-seen order while
//! the patterns after them are still being finalized.
//!
//! Finalizing 10,000 patterns took both cores for about 100 ms, and converting their
//! results to dicts and then to models one core, holding the GIL, for about 150 ms more (a
//! perf timeline, BENCHMARKS.md session 26). Done one after the other, one core idled
//! meanwhile, and the conversion to dicts held the GIL in one call: an event loop awaiting
//! the batch on another thread missed 67-135 ms. Here the finalizing runs on the rayon
//! pool in chunks of `CHUNK` patterns (`GroupedAccumulators::finalize_in_order`) and each
//! `__next__` hands out one result (a `CoreResult`, which Python then has made into its
//! models: `output_models`), waiting with the GIL released when its chunk is not
//! finalized yet. The results are the same: each pattern is finalized exactly as before,
//! and they come in group order.
//!
//! Dropping the iterator early stops the finalizing at the next chunk (its channel is
//! closed); a panic while finalizing becomes a `UsageAnalyticsError` from `__next__`.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::bindings::unwound;
use crate::error::CoreError;
use crate::group::{GroupIndex, GroupedAccumulators};
use crate::metrics::Analytics;
use crate::py_dicts::group_result;

/// Patterns finalized per chunk: few enough that the first results come soon after the
/// reading ends, many enough that a chunk's work dwarfs its hand-off through the channel.
const CHUNK: usize = 256;

type Finalized = Result<Vec<Analytics>, CoreError>;

/// The memory a pattern's output takes, as address space (what `RLIMIT_AS` caps): its
/// `CoreResult`, then its pydantic models. Measured (`benches/output_room.py`,
/// BENCHMARKS.md helper-250: the process's `VmSize` across `batch_output`, 10,000 to 20,000
/// patterns, one arena): 4.1-4.4 KB a SUMMARY pattern, 5.7 KB a DETAILED one of 5 to 10
/// breakdown entries, 6.0 KB of 39, 9.8 KB of 151, 13.4 KB of 205 (about 30-40 bytes an
/// entry: a dict item and its int), and 390 bytes more for each time series point of a
/// COMPREHENSIVE one. So: 5.5 KiB, 40 bytes an entry and 512 bytes a point, above every
/// measurement. (Until session 61 this was 8 KiB a pattern whatever its shape: a
/// 20,000-pattern batch asked for 181 MB where its outputs took 110 MB, and failed at 400 MB
/// of headroom; one of many entries or points asked for too little.)
pub(crate) const OUTPUT_BYTES_PER_PATTERN: usize = 5632;
/// An output's entry of a breakdown (`by_agent`, `by_time_of_day`...).
pub(crate) const OUTPUT_BYTES_PER_ENTRY: usize = 40;
/// An output's time series point (a `UsageTimeBucket`).
pub(crate) const OUTPUT_BYTES_PER_POINT: usize = 512;

/// What the output of a pattern of `entries` breakdown entries and `points` time series
/// points takes (see `OUTPUT_BYTES_PER_PATTERN`).
pub fn output_bytes(entries: usize, points: usize) -> usize {
    OUTPUT_BYTES_PER_PATTERN
        .saturating_add(entries.saturating_mul(OUTPUT_BYTES_PER_ENTRY))
        .saturating_add(points.saturating_mul(OUTPUT_BYTES_PER_POINT))
}

/// What the output made of `analytics` takes (see `OUTPUT_BYTES_PER_PATTERN`).
pub fn output_bytes_of(analytics: &Analytics) -> usize {
    let entries = analytics.distribution.as_ref().map_or(0, |d| {
        d.by_context_type.len()
            + d.by_agent.len()
            + d.by_project.len()
            + d.by_file_type.len()
            + d.by_time_of_day.len()
            + d.by_day_of_week.len()
    });
    let points = analytics
        .trend
        .as_ref()
        .and_then(|trend| trend.time_series.as_ref())
        .map_or(0, Vec::len);
    output_bytes(entries, points)
}

/// Check, before a batch's results are made, that the outputs of its `groups` patterns
/// (`bytes` in all: `output_bytes` summed) will find the memory (see `room`). Python
/// allocates them, not the core; but PyO3 panics where Python runs out inside its
/// constructors, so a shortage found there is no clean `MemoryError`.
pub fn check_output_room(groups: usize, bytes: usize) -> Result<(), CoreError> {
    crate::room::ensure_room(bytes, || {
        format!("the outputs of {} patterns", crate::room::count_text(groups))
    })
}

/// An iterator of (pattern id, `CoreResult`) pairs, one per pattern of `index`.
#[pyclass(module = "usage_analytics._core")]
pub struct GroupResults {
    index: GroupIndex,
    /// The next group to hand out.
    next: usize,
    /// The finalized results of the current chunk not handed out yet.
    ready: std::vec::IntoIter<Analytics>,
    /// Chunks as they are finalized. (In a mutex only for `Sync`: one caller at a time
    /// holds the iterator mutably anyway.)
    chunks: Mutex<Receiver<Finalized>>,
}

impl GroupResults {
    /// Finalize `grouped`'s patterns (those of `index`) on the rayon pool, as they are
    /// asked for.
    pub fn finalizing(grouped: GroupedAccumulators, index: GroupIndex) -> GroupResults {
        let (sender, chunks) = channel();
        let groups = index.keys().len();
        crate::pool::spawn(move || {
            let finished = unwound(|| {
                grouped.finalize_in_order(groups, CHUNK, |part| sender.send(part).is_ok());
                Ok(())
            });
            if let Err(error) = finished {
                // (Nobody may be listening any more.)
                let _ = sender.send(Err(error));
            }
        });
        GroupResults::receiving(index, chunks)
    }

    /// The results of `index`'s patterns, already finalized.
    pub fn finalized(index: GroupIndex, analytics: Vec<Analytics>) -> GroupResults {
        let (sender, chunks): (Sender<Finalized>, _) = channel();
        // (The receiver is alive: the send cannot fail.)
        let _ = sender.send(Ok(analytics));
        GroupResults::receiving(index, chunks)
    }

    fn receiving(index: GroupIndex, chunks: Receiver<Finalized>) -> GroupResults {
        GroupResults {
            index,
            next: 0,
            ready: Vec::new().into_iter(),
            chunks: Mutex::new(chunks),
        }
    }

    /// The next chunk, waited for with the GIL released.
    fn next_chunk(&self, py: Python<'_>) -> Result<Vec<Analytics>, CoreError> {
        let chunks = &self.chunks;
        py.detach(|| {
            let chunks = chunks.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            chunks.recv().unwrap_or_else(|_| {
                Err(CoreError::Internal(
                    "the batch's results stopped before the last pattern".into(),
                ))
            })
        })
    }
}

#[pymethods]
impl GroupResults {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyTuple>>> {
        if self.next >= self.index.keys().len() {
            return Ok(None);
        }
        let analytics = match self.ready.next() {
            Some(analytics) => analytics,
            None => {
                self.ready = self.next_chunk(py)?.into_iter();
                self.ready
                    .next()
                    .ok_or_else(|| CoreError::Internal("the batch's results held an empty chunk".into()))?
            }
        };
        // (Counted first: a conversion that fails, say on a MemoryError, skips its pattern
        // rather than pair the next pattern's result with this one's id.)
        let code = self.next;
        self.next += 1;
        group_result(py, &self.index, code, analytics).map(Some)
    }

    /// The patterns not handed out yet (`list()` of the iterator sizes itself by it).
    fn __length_hint__(&self) -> usize {
        self.index.keys().len() - self.next
    }
}
