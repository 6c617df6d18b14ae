//! usage-analytics' Rust core.
//!
//! Plain-Rust kernels over compact columns (`civil`, `timeparse`, `zone`, `zone_local`,
//! `buckets`, `calendar`, `stats`, `exact_sum`, `sketch`, `durations`, `regression`,
//! `column_values`, `columns`, `tally`, `accumulator`, `group`, `held_times`, `rolling`,
//! `rows`), cancelling (`cancel`), streaming states and their serialized form (`state`,
//! `wire`), the readers (`ingest`, `fields`, `pyfast`, `arrow_ingest`, `arrow_strings`,
//! `string_codes`, `py_repr`; `epoch_text`, the hint of an error on a number's text) and
//! the thin PyO3 bindings (`bindings`, `py_state`, `py_dicts`, `output_models`, `models`).
//! No arithmetic lives in the bindings. `allocator` puts the crate on jemalloc (Linux);
//! `room` makes running out of memory an error, not an abort (`reserve`, for the small
//! allocations between its checks); `wide` compiles a few loops
//! for AVX2 too, taken where the CPU has it.

pub mod accumulator;
mod allocator;
pub mod arrow_ingest;
mod arrow_strings;
pub mod batch_rolling;
mod bindings;
pub mod bucket_counts;
pub mod buckets;
pub mod calendar;
pub mod cancel;
pub mod civil;
mod column_rows;
pub mod column_values;
pub mod columns;
pub mod duration_ms;
pub mod durations;
// (pub for the fuzz targets in fuzz/ alone.)
#[doc(hidden)]
pub mod epoch_text;
pub mod error;
mod exact_fit;
mod exact_int;
pub mod exact_ratio;
mod exact_shape;
pub mod exact_sum;
mod field_column;
mod fields;
mod fields_set;
mod fixed_text;
mod gc_pause;
pub mod group;
mod group_counts;
mod group_results;
mod held_times;
pub mod ingest;
pub mod json_indent;
pub mod metrics;
mod models;
mod moment_lanes;
mod numpy_time;
mod object_text;
mod output_models;
mod pandas_time;
mod pool;
mod prefetch;
pub mod py_batch_rolling;
mod py_dicts;
mod py_repr;
mod py_state;
mod py_update;
mod pyfast;
pub mod regression;
pub mod reserve;
pub mod rolling;
pub mod room;
pub mod rows;
pub mod seeded_map;
pub mod sketch;
pub mod sqlite_order;
pub mod sqlite_read;
pub mod state;
pub mod stats;
mod string_codes;
pub mod tally;
#[cfg(test)]
mod test_random;
pub mod timeparse;
mod timestamp_type;
mod trend_class;
mod type_kinds;
mod wide;
pub mod wire;
pub mod zone;
mod zone_hours;
mod zone_local;

use pyo3::prelude::*;

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    // (Taken while there is room: a process sets its limit, if at all, after its imports.
    // Not held now, it is taken by the first check that finds room.)
    reserve::RESERVE.hold();
    bindings::register(m)
}
