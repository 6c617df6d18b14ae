//! Execution times: kept exactly while they fit a budget, else moments plus a sketch.
//!
//! A single reduction has an unlimited budget: every time is kept, percentiles are exact and
//! the moments come from the kept values in record order (chunking never changes a float).
//! It may keep them as its chunks' own buffers (`hold`), read as parts in record order.
//! A streaming accumulator has a finite budget; past it, or when a merge would pass it, the
//! times are folded into exact moments (Chan's merge) and a relative-error sketch, and only
//! the percentiles become estimates.

use arrow_buffer::ScalarBuffer;

use crate::error::CoreError;
use crate::exact_sum::ExactSum;
use crate::metrics::Performance;
use crate::sketch::Sketch;
use crate::stats::{moments_and_percentiles_of_parts, percentiles_from_ranks, percentiles_linear, Moments};

/// Percentiles reported, as fractions.
const QUANTILES: [f64; 3] = [0.5, 0.95, 0.99];
/// Values folded into the sketch per moments block (see `Moments`).
const BLOCK: usize = 1024;
/// Chunks of fewer times than this are copied rather than held (`hold`).
const HOLD_MIN: usize = 4096;

#[derive(Clone, Debug, PartialEq)]
pub struct Durations {
    /// Most values kept exactly (`usize::MAX`: no limit).
    budget: usize,
    /// The kept values, in record order, while exact.
    values: Vec<f64>,
    /// Set once the values passed the budget (then `values` is empty).
    summary: Option<Box<Summary>>,
    relative_accuracy: f64,
    /// Kept values taken with their chunk's buffer (`hold`), or shared with the Arrow
    /// column they were read from (`hold_shared`), before those in `values`: a one-call
    /// reduction keeps its chunks' times rather than copying 8 bytes per record once more.
    /// Empty unless `holds_chunks`.
    held: Vec<ScalarBuffer<f64>>,
    holds_chunks: bool,
    /// See `share_input_buffers`.
    shares_input_buffers: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub moments: Moments,
    pub sketch: Sketch,
}

impl Durations {
    pub fn new(budget: usize, relative_accuracy: f64) -> Result<Durations, CoreError> {
        Sketch::new(relative_accuracy)?; // validates the accuracy up front
        Ok(Durations {
            budget,
            values: Vec::new(),
            summary: None,
            relative_accuracy,
            held: Vec::new(),
            holds_chunks: false,
            shares_input_buffers: false,
        })
    }

    /// These (empty, unlimited) durations, taking chunks' buffers of times with `hold`:
    /// for a reduction finalized once, never stored (`parts` cannot show held times).
    pub fn holding_chunks(mut self) -> Durations {
        debug_assert!(self.count() == 0 && self.budget == usize::MAX);
        self.holds_chunks = self.budget == usize::MAX;
        self
    }

    pub fn holds_chunks(&self) -> bool {
        self.holds_chunks
    }

    /// Hold chunks' times as the input's own buffers where the reader knows them
    /// (`hold_shared`), for input the caller holds whole: a table's buffers live anyway,
    /// but a stream's batches would all be kept alive by the references. Only when holding.
    pub fn share_input_buffers(&mut self) {
        self.shares_input_buffers = self.holds_chunks;
    }

    pub fn shares_input_buffers(&self) -> bool {
        self.shares_input_buffers
    }

    /// Keep a chunk's execution times (missing ones NaN), after those kept so far, taking
    /// the buffer; a small chunk's are copied (a stream of tiny record batches would
    /// otherwise keep a buffer, with its allocation overhead, per handful of values).
    /// Only when `holds_chunks`.
    pub fn hold(&mut self, mut times: Vec<f64>) {
        debug_assert!(self.holds_chunks);
        if times.iter().any(|t| t.is_nan()) {
            times.retain(|t| !t.is_nan());
        }
        if times.len() < HOLD_MIN {
            self.values.extend_from_slice(&times);
            return;
        }
        // A buffer far larger than its times (mostly missing ones, or one grown by pushes)
        // is not kept as it is: memory follows the times present, as when they were copied.
        if times.len() < times.capacity() / 2 {
            times.shrink_to_fit();
        }
        self.push_held(times.into());
    }

    /// Keep a chunk's execution times that are exactly the values of an Arrow buffer (no
    /// missing ones, no -0.0: see `Columns::execution_time_ms`), sharing that buffer: a
    /// held copy would be a fresh allocation per chunk, paged in and zeroed by the kernel
    /// (80 MB and about a tenth of a 10M-record call).
    pub fn hold_shared(&mut self, times: ScalarBuffer<f64>) {
        debug_assert!(self.shares_input_buffers);
        debug_assert!(times.iter().all(|t| !t.is_nan() && t.to_bits() != (-0.0f64).to_bits()));
        if times.len() < HOLD_MIN {
            self.values.extend_from_slice(&times);
            return;
        }
        self.push_held(times);
    }

    /// `times` after the values kept so far (a large enough part, see `hold`).
    fn push_held(&mut self, times: ScalarBuffer<f64>) {
        if !self.values.is_empty() {
            self.held.push(std::mem::take(&mut self.values).into());
        }
        if !times.is_empty() {
            self.held.push(times);
        }
    }

    /// The held parts (tests: which buffers are held).
    #[cfg(test)]
    pub(crate) fn held_parts(&self) -> impl Iterator<Item = &[f64]> {
        self.held.iter().map(|part| &part[..])
    }

    /// The kept values in record order, as parts.
    fn kept_parts(&self) -> Vec<&[f64]> {
        self.held
            .iter()
            .map(|part| &part[..])
            .chain([self.values.as_slice()])
            .collect()
    }

    /// Empty, with the same budget and accuracy.
    pub fn emptied(&self) -> Durations {
        Durations::new(self.budget, self.relative_accuracy).expect("an accuracy already validated")
    }

    pub fn budget(&self) -> usize {
        self.budget
    }

    pub fn relative_accuracy(&self) -> f64 {
        self.relative_accuracy
    }

    /// Room for `rows` more values, when they will be kept.
    pub fn reserve(&mut self, rows: usize) {
        if self.summary.is_none() && self.budget == usize::MAX {
            self.values.reserve(rows);
        }
    }

    /// `reserve`, exactly, or an error when the memory cannot be had (`room`).
    pub fn try_reserve(&mut self, rows: usize) -> Result<(), CoreError> {
        if self.summary.is_none() && self.budget == usize::MAX {
            let len = self.values.len().saturating_add(rows);
            return crate::room::try_grow_exact(&mut self.values, len, || {
                format!("the execution times of {} records", crate::room::count_text(len))
            });
        }
        Ok(())
    }

    /// At most what adding `rows` more values allocates (a regrown buffer, or a held copy
    /// of theirs), for `room`'s checks.
    pub fn growth_bytes(&self, rows: usize) -> usize {
        const VALUE: usize = std::mem::size_of::<f64>();
        if self.summary.is_some() || self.holds_chunks {
            return rows.saturating_mul(VALUE);
        }
        let needed = self.values.len().saturating_add(rows);
        if needed <= self.values.capacity() {
            0
        } else {
            needed.max(2 * self.values.capacity()).saturating_mul(VALUE)
        }
    }

    /// Whether `more` values extended into these keep them all exactly, as merging
    /// durations holding them would (see `merge`): none summarized, none held, and the
    /// budget not passed. Where it holds, adding values here and merging them give the
    /// same values in the same order; past it, a merge summarizes in other blocks.
    pub fn keeps_exactly(&self, more: usize) -> bool {
        self.summary.is_none() && self.held.is_empty() && self.values.len().saturating_add(more) <= self.budget
    }

    /// The bytes of the values kept exactly (finalizing selects the percentiles in a copy).
    pub fn kept_bytes(&self) -> usize {
        let held: usize = self.held.iter().map(|b| b.len()).sum();
        (self.values.len() + held).saturating_mul(std::mem::size_of::<f64>())
    }

    pub fn extend(&mut self, values: impl Iterator<Item = f64>) {
        match &mut self.summary {
            None => {
                self.values.extend(values);
                if self.values.len() > self.budget {
                    self.summarize();
                }
            }
            Some(summary) => {
                let mut block = Vec::with_capacity(BLOCK);
                let mut values = values.peekable();
                while values.peek().is_some() {
                    block.clear();
                    block.extend(values.by_ref().take(BLOCK));
                    summary.add(&block);
                }
            }
        }
    }

    /// Switch to moments and sketch.
    fn summarize(&mut self) {
        if self.summary.is_none() {
            let mut summary = Summary {
                moments: Moments::default(),
                sketch: Sketch::new(self.relative_accuracy).expect("accuracy validated in new"),
            };
            summary.add(&self.values);
            self.summary = Some(Box::new(summary));
            self.values = Vec::new();
        }
    }

    /// Before merges that bring this to `total` kept times (`None`: a summary is merged
    /// in): summarized now if they will pass the budget. The times are sketched once
    /// either way, and none are first copied into ever larger buffers that are then
    /// dropped (a merge node of eight 10,000-pattern states grew 80 MB of them). No room
    /// is reserved for a total within the budget: it is counted from states not yet
    /// checked, and a hostile one (or one state passed many times) could ask for
    /// terabytes.
    pub(crate) fn expect_merged(&mut self, total: Option<usize>) {
        if total.is_none_or(|total| total > self.budget) {
            self.summarize();
        }
    }

    /// Fold `other` (same budget and accuracy, checked by the caller) into this one.
    pub fn merge(&mut self, other: &Durations) {
        if !other.held.is_empty() {
            // (Held times are a one-call reduction's, merged only with its own halves,
            // which hold none; copied, they merge as any kept times.)
            let mut copy = other.emptied();
            copy.values = other.kept_parts().concat();
            return self.merge(&copy);
        }
        if self.summary.is_none() && other.summary.is_none() && self.values.len() + other.values.len() <= self.budget {
            self.values.extend_from_slice(&other.values);
            return;
        }
        self.summarize();
        let mine = self.summary.as_mut().expect("summarized above");
        match &other.summary {
            Some(theirs) => {
                mine.moments.merge(&theirs.moments);
                mine.sketch.merge(&theirs.sketch);
            }
            None => mine.add(&other.values),
        }
    }

    pub fn count(&self) -> u64 {
        match &self.summary {
            None => (self.values.len() + self.held.iter().map(|part| part.len()).sum::<usize>()) as u64,
            Some(s) => s.moments.count,
        }
    }

    /// The stored form: the exact values, or the summary. (Never of held times: see
    /// `holding_chunks`; only one-call reductions hold, and they are never stored.)
    pub fn parts(&self) -> (&[f64], Option<&Summary>) {
        debug_assert!(self.held.is_empty(), "held times are never stored");
        (&self.values, self.summary.as_deref())
    }

    /// Rebuild from stored parts, checking them.
    pub fn from_parts(
        budget: usize,
        relative_accuracy: f64,
        values: Vec<f64>,
        summary: Option<Summary>,
    ) -> Result<Durations, CoreError> {
        let bad = |why: &str| Err(CoreError::InvalidInput(format!("corrupt execution times: {why}")));
        let mut durations = Durations::new(budget, relative_accuracy)?;
        // (In branch-free blocks, which vectorize: a NaN fails both comparisons.)
        let in_range = |block: &[f64]| block.iter().fold(true, |ok, v| ok & (0.0..=f64::MAX).contains(v));
        if !values.chunks(256).all(in_range) {
            return bad("a value is not a finite number >= 0");
        }
        match summary {
            None if values.len() > budget => return bad("more exact values than the budget"),
            None => durations.values = values,
            Some(_) if !values.is_empty() => return bad("both exact values and a summary"),
            // Without a budget the times are never summarized (and `Accumulator::add` relies
            // on it to split a chunk over two cores).
            Some(_) if budget == usize::MAX => return bad("a summary without a budget"),
            Some(s) => {
                let m = s.moments;
                let sane = m.count > 0
                    && m.count == s.sketch.count()
                    && s.sketch.relative_accuracy() == relative_accuracy
                    && m.min.is_finite()
                    && m.min >= 0.0
                    && m.max.is_finite()
                    && m.min <= m.max
                    // The mean is rounded: equal values can give one a few ulps outside.
                    && m.mean >= m.min - m.min * 1e-12
                    && m.mean <= m.max + m.max * 1e-12
                    // (What the mean leaves out: at most half its last bit.)
                    && m.mean_low.abs() <= m.mean.abs() * f64::EPSILON
                    // The sum and the squared deviations pass the largest double only
                    // for values near it (see `Moments::sample_std`).
                    && (m.sum.is_finite() || (m.sum == f64::INFINITY && m.max > 1e150))
                    && m.sum >= 0.0
                    // (equal values have a mean equal to them and no deviations)
                    && (m.m2.is_finite() || (m.m2 == f64::INFINITY && m.max > 1e150 && m.min < m.max))
                    && m.m2 >= 0.0;
                if !sane {
                    return bad("inconsistent summary");
                }
                // The parts must describe one set of values: the mean is the sum over the
                // count, the spread fits between min and max (Popoviciu: variance <=
                // (max - min)^2 / 4), and the sketch's extreme bins hold min and max.
                let n = m.count as f64;
                let scale = m.max.max(f64::MIN_POSITIVE);
                let range = m.max - m.min;
                let (zeros, edges) = (s.sketch.zeros(), s.sketch.occupied_keys());
                let sum_fits = if m.sum.is_infinite() {
                    m.mean * n >= f64::MAX * (1.0 - 1e-9)
                } else {
                    (m.mean - m.sum / n).abs() <= 1e-9 * scale
                };
                let consistent = sum_fits
                    // (with slack for the rounding of values spread by a few ulps; at
                    // least the smallest normal float per value, since squared deviations
                    // of times near 1e-160 are subnormal, rounded to absolute steps: a
                    // state of such times failed this check as written)
                    && m.m2 <= n * range * range / 4.0 * (1.0 + 1e-9) + n * (1e-9 * scale).powi(2).max(f64::MIN_POSITIVE)
                    && (zeros > 0) == (m.min == 0.0)
                    && match edges {
                        None => m.max == 0.0,
                        Some((low, high)) => {
                            high == s.sketch.key_of(m.max) && (m.min == 0.0 || low == s.sketch.key_of(m.min))
                        }
                    };
                if !consistent {
                    return bad("the summary's parts disagree");
                }
                durations.summary = Some(Box::new(s));
            }
        }
        Ok(durations)
    }

    /// The performance family. Consumes the kept values' order (selection reorders them).
    pub fn performance(&mut self) -> Performance {
        let (moments, percentiles, relative_error) = match &self.summary {
            None if !self.held.is_empty() => {
                let parts = self.kept_parts();
                let (moments, percentiles) = moments_and_percentiles_of_parts(&parts, &QUANTILES);
                let percentiles = percentiles.unwrap_or_else(|| {
                    // Selection over all of them: put together one part after another, each
                    // freed once copied (at most one part more than the times themselves).
                    let mut all = Vec::with_capacity(moments.count as usize);
                    for part in std::mem::take(&mut self.held) {
                        all.extend_from_slice(&part);
                    }
                    all.append(&mut self.values);
                    let percentiles = percentiles_linear(&mut all, &QUANTILES);
                    self.values = all;
                    percentiles
                });
                (moments, percentiles, 0.0)
            }
            None => {
                let m = Moments::of(&self.values);
                (m, percentiles_linear(&mut self.values, &QUANTILES), 0.0)
            }
            Some(s) => (s.moments, s.percentiles(), self.relative_accuracy),
        };
        if moments.count == 0 {
            return Performance {
                avg_execution_time_ms: 0.0,
                p50_execution_time_ms: 0.0,
                p95_execution_time_ms: 0.0,
                p99_execution_time_ms: 0.0,
                min_execution_time_ms: 0.0,
                max_execution_time_ms: 0.0,
                std_dev_ms: 0.0,
                total_execution_time_ms: 0.0,
                sample_count: 0,
                percentiles_exact: self.summary.is_none(),
                percentile_relative_error: relative_error,
            };
        }
        // The exact mean and sum rounded once: from the moments when they settle them, else
        // summed exactly from the kept times (rarely: see `Moments::rounded_mean` and
        // `rounded_sum`). A summary has no times left: its `mean` and `sum_estimate` are
        // then doubles next to the exact ones.
        let (rounded_mean, rounded_sum) = (moments.rounded_mean(), moments.rounded_sum());
        let exact = match (rounded_mean, rounded_sum, &self.summary) {
            (Some(_), Some(_), _) | (_, _, Some(_)) => None,
            _ => Some(exact_sum(&self.kept_parts())),
        };
        let mean = rounded_mean
            .or_else(|| exact.as_ref().map(|sum| sum.mean(moments.count)))
            .unwrap_or(moments.mean);
        let total = rounded_sum
            .or_else(|| exact.as_ref().map(ExactSum::value))
            .unwrap_or_else(|| moments.sum_estimate());
        Performance {
            avg_execution_time_ms: mean,
            p50_execution_time_ms: percentiles[0],
            p95_execution_time_ms: percentiles[1],
            p99_execution_time_ms: percentiles[2],
            min_execution_time_ms: moments.min,
            max_execution_time_ms: moments.max,
            std_dev_ms: moments.sample_std(),
            total_execution_time_ms: total,
            sample_count: moments.count,
            percentiles_exact: self.summary.is_none(),
            percentile_relative_error: relative_error,
        }
    }
}

/// The exact sum of `parts`' values (finite and >= 0: execution times).
fn exact_sum(parts: &[&[f64]]) -> ExactSum {
    let mut sum = ExactSum::default();
    for part in parts {
        sum.add_present_slice(part);
    }
    sum
}

impl Summary {
    fn add(&mut self, values: &[f64]) {
        for block in values.chunks(BLOCK) {
            self.moments.merge(&Moments::of(block));
        }
        self.sketch.add_all(values);
    }

    /// numpy-linear percentiles with each order statistic estimated by the sketch and
    /// clamped to the exact [min, max]: a convex combination of two estimates within the
    /// relative accuracy is within it too.
    fn percentiles(&self) -> Vec<f64> {
        let (min, max) = (self.moments.min, self.moments.max);
        percentiles_from_ranks(self.moments.count as usize, &QUANTILES, |ranks| {
            let estimates = self.sketch.values_at_ranks(ranks);
            estimates.into_iter().map(|v| v.clamp(min, max)).collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Vec<f64> {
        (0..2000).map(|i| ((i * 7919) % 2003) as f64 * 1.5 + 0.25).collect()
    }

    #[test]
    fn tiny_chunks_are_copied_and_large_ones_held_in_order() {
        let mut held = Durations::new(usize::MAX, 0.01).unwrap().holding_chunks();
        let mut copied = Durations::new(usize::MAX, 0.01).unwrap();
        let chunk = |k: usize, n: usize| -> Vec<f64> {
            (0..n)
                .map(|i| if i % 7 == 3 { f64::NAN } else { (k * 31 + i) as f64 })
                .collect()
        };
        // 10,000 chunks of 10 times (a stream of tiny batches), then a large chunk, then
        // tiny ones again.
        let sizes = std::iter::repeat_n(10, 10_000)
            .chain([HOLD_MIN * 2])
            .chain(std::iter::repeat_n(10, 50));
        for (k, n) in sizes.enumerate() {
            let times = chunk(k, n);
            copied.extend(times.iter().copied().filter(|t| !t.is_nan()));
            held.hold(times);
        }
        assert_eq!(
            held.held.len(),
            2,
            "the tiny chunks before the large one, and the large one"
        );
        assert_eq!(held.count(), copied.count());
        assert_eq!(held.performance(), copied.performance());
    }

    #[test]
    fn held_times_that_defeat_the_radix_path_and_mostly_missing_ones() {
        // Near-equal times (the radix path gives up: selection over all of them, put
        // together), in chunks that are mostly missing (kept without their slack).
        let mut held = Durations::new(usize::MAX, 0.01).unwrap().holding_chunks();
        let mut copied = Durations::new(usize::MAX, 0.01).unwrap();
        for k in 0..40 {
            let times: Vec<f64> = (0..65_536)
                .map(|i| {
                    if i % 5 == 0 {
                        100.0 + ((i * 7 + k) % 1000) as f64 * 1e-9
                    } else {
                        f64::NAN
                    }
                })
                .collect();
            copied.extend(times.iter().copied().filter(|t| !t.is_nan()));
            held.hold(times);
        }
        assert!(held
            .held
            .iter()
            .all(|part| part.inner().capacity() < 2 * part.inner().len()));
        assert!(held.count() > 65_536 * 2);
        assert_eq!(held.performance(), copied.performance());
    }

    #[test]
    fn totals_the_moments_cannot_settle_are_summed_exactly_from_the_kept_times() {
        let half_ulp = f64::EPSILON / 2.0;
        for times in [
            vec![1.0, half_ulp, 2f64.powi(-140)], // just past a tie: up (the plain sum: 1.0)
            vec![1.0, half_ulp],                  // a tie: to the even 1.0
            vec![f64::MAX, 2f64.powi(970)],       // a tie past the largest double: +inf
            vec![f64::MAX, 2f64.powi(969)],       // below it: the largest double
            vec![1e300, 3e300, 3e300],
            vec![f64::from_bits(1), f64::from_bits(2), 0.0],
        ] {
            let mut exact = ExactSum::default();
            times.iter().for_each(|&t| exact.add(t));
            let mut d = Durations::new(usize::MAX, 0.01).unwrap();
            d.extend(times.iter().copied());
            let total = d.performance().total_execution_time_ms;
            assert_eq!(total.to_bits(), exact.value().to_bits(), "{times:?}");
        }
        assert_eq!(
            Durations::from_parts(9, 0.01, vec![1.0, half_ulp, 2f64.powi(-140)], None)
                .unwrap()
                .performance()
                .total_execution_time_ms,
            1.0 + f64::EPSILON
        );
    }

    #[test]
    fn within_the_budget_everything_is_exact() {
        let mut whole = Durations::new(usize::MAX, 0.01).unwrap();
        whole.extend(values().into_iter());
        let mut parts = Durations::new(5000, 0.01).unwrap();
        let mut other = Durations::new(5000, 0.01).unwrap();
        parts.extend(values()[..700].iter().copied());
        other.extend(values()[700..].iter().copied());
        parts.merge(&other);
        assert_eq!(parts.performance(), whole.performance());
    }

    #[test]
    fn past_the_budget_only_percentiles_are_estimates() {
        let mut exact = Durations::new(usize::MAX, 0.01).unwrap();
        exact.extend(values().into_iter());
        let exact = exact.performance();
        let mut a = Durations::new(100, 0.01).unwrap();
        let mut b = Durations::new(100, 0.01).unwrap();
        a.extend(values()[..50].iter().copied());
        b.extend(values()[50..].iter().copied());
        a.merge(&b);
        let got = a.performance();
        assert!(!got.percentiles_exact);
        assert_eq!(got.percentile_relative_error, 0.01);
        assert_eq!(got.sample_count, exact.sample_count);
        assert_eq!(
            (got.min_execution_time_ms, got.max_execution_time_ms),
            (0.25, exact.max_execution_time_ms)
        );
        for (g, e) in [
            (got.avg_execution_time_ms, exact.avg_execution_time_ms),
            (got.std_dev_ms, exact.std_dev_ms),
            (got.total_execution_time_ms, exact.total_execution_time_ms),
        ] {
            assert!((g - e).abs() <= 1e-12 * e, "{g} vs {e}");
        }
        for (g, e) in [
            (got.p50_execution_time_ms, exact.p50_execution_time_ms),
            (got.p95_execution_time_ms, exact.p95_execution_time_ms),
            (got.p99_execution_time_ms, exact.p99_execution_time_ms),
        ] {
            assert!((g - e).abs() <= 0.01 * e + 1e-12, "{g} vs {e}");
        }
    }

    #[test]
    fn corrupt_parts_are_errors() {
        assert!(Durations::from_parts(2, 0.01, vec![1.0, 2.0, 3.0], None).is_err());
        assert!(Durations::from_parts(9, 0.01, vec![f64::NAN], None).is_err());
        assert!(Durations::from_parts(9, 0.01, vec![-1.0], None).is_err());
        // Every stored time is finite and >= 0, wherever it is among the blocks checked.
        let ok = [-0.0, 0.0, f64::MAX, f64::from_bits(1), 1.5];
        assert!(Durations::from_parts(9, 0.01, ok.to_vec(), None).is_ok());
        for bad in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -1e-300, -f64::MAX] {
            for (len, at) in [(1, 0), (300, 0), (300, 255), (300, 256), (300, 299), (512, 511)] {
                let mut times = vec![1.0; len];
                times[at] = bad;
                assert!(
                    Durations::from_parts(600, 0.01, times, None).is_err(),
                    "{bad} at {at} of {len}"
                );
            }
        }
        let mut d = Durations::new(0, 0.01).unwrap();
        d.extend([1.0, 4.0].into_iter());
        let summary = d.parts().1.unwrap().clone();
        assert!(Durations::from_parts(0, 0.01, vec![], Some(summary.clone())).is_ok());
        assert!(Durations::from_parts(0, 0.02, vec![], Some(summary.clone())).is_err());
        assert!(Durations::from_parts(usize::MAX, 0.01, vec![], Some(summary.clone())).is_err());
        let mut broken = summary.clone();
        broken.moments.count += 1;
        assert!(Durations::from_parts(0, 0.01, vec![], Some(broken)).is_err());
        // Equal values: their mean is exactly them; states from builds whose mean was
        // rounded just above them (the sum over the count) load too.
        let mut equal = Durations::new(0, 0.01).unwrap();
        equal.extend([0.1, 0.1, 0.1].into_iter());
        let summary = equal.parts().1.unwrap().clone();
        assert_eq!((summary.moments.mean, summary.moments.m2), (0.1, 0.0));
        let mut rounded = summary.clone();
        rounded.moments.mean = (0.1 + 0.1 + 0.1) / 3.0;
        assert!(rounded.moments.mean > 0.1);
        assert!(Durations::from_parts(0, 0.01, vec![], Some(rounded)).is_ok());
        // An infinite spread of equal values is corrupt, however large they are.
        let mut huge = Durations::new(0, 0.01).unwrap();
        huge.extend([1e200, 1e200].into_iter());
        let mut spread = huge.parts().1.unwrap().clone();
        assert!(Durations::from_parts(0, 0.01, vec![], Some(spread.clone())).is_ok());
        spread.moments.m2 = f64::INFINITY;
        assert!(Durations::from_parts(0, 0.01, vec![], Some(spread)).is_err());
    }

    #[test]
    fn summaries_of_times_whose_squared_deviations_are_subnormal_load() {
        // Times near 1e-160: their squared deviations are subnormal, rounded to absolute
        // steps, so the spread exceeded its bound (range^2 / 4 per value) by a step or two
        // and a state the library wrote did not load (a hunt found 16 in 3,000 trials).
        for times in [
            vec![1.0992324306600776e-161, 7.879140748911739e-161],
            vec![3e-162, 9e-160, 4.5e-161, 1e-158, 2.2e-160],
        ] {
            let mut d = Durations::new(0, 0.01).unwrap();
            d.extend(times.iter().copied());
            let summary = d.parts().1.unwrap().clone();
            assert!(summary.moments.m2 < f64::MIN_POSITIVE && summary.moments.m2 > 0.0);
            let mut loaded = Durations::from_parts(0, 0.01, vec![], Some(summary.clone())).unwrap();
            assert_eq!(loaded.performance(), d.performance());
            // Still refused: a spread past the bound by more than the rounding.
            let mut broken = summary;
            broken.moments.m2 = 1e-300;
            assert!(Durations::from_parts(0, 0.01, vec![], Some(broken)).is_err());
        }
    }
}
