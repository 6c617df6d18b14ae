//! One pattern's records per trend bucket: a dense array for windows of up to
//! `DENSE_BUCKETS` buckets, a map of the occupied buckets beyond.
//!
//! A batch keeps these per pattern. Dense, 10,000 patterns over a 30-day window of one-minute
//! buckets (43,200) took 3.5 GB whatever their records; a pattern's occupied buckets are
//! at most its records, so the map grows with the data instead. The dense array stays for
//! the windows most calls use (days or hours of a month: tens to hundreds of buckets),
//! where indexing it is the cheapest count of all.

use rustc_hash::FxHashMap;

use crate::buckets::Window;
use crate::civil::MICROS_PER_DAY;
use crate::prefetch::prefetch;
use crate::regression::Axis;

/// Windows of at most this many buckets are counted densely (8 KB per pattern at most).
pub const DENSE_BUCKETS: usize = 1024;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BucketCounts {
    buckets: usize,
    dense: Vec<u64>,
    /// Occupied buckets (count > 0) of a window past `DENSE_BUCKETS`.
    sparse: FxHashMap<u32, u64>,
}

impl BucketCounts {
    /// No records in any of `buckets` buckets.
    pub fn new(buckets: usize) -> Self {
        BucketCounts {
            buckets,
            dense: if buckets <= DENSE_BUCKETS {
                vec![0; buckets]
            } else {
                Vec::new()
            },
            sparse: FxHashMap::default(),
        }
    }

    /// The number of buckets (occupied or not).
    pub fn buckets(&self) -> usize {
        self.buckets
    }

    fn is_dense(&self) -> bool {
        self.buckets <= DENSE_BUCKETS
    }

    /// Ask for the line counting `bucket` (a hint).
    pub fn prefetch(&self, bucket: usize) {
        prefetch(self.dense.as_ptr().wrapping_add(bucket));
    }

    /// Add `count` records to `bucket` (< `buckets()`). (Inlined into the timestamp loop
    /// with the map's insertion out of line: the dense add is the common case.)
    #[inline(always)]
    pub fn add(&mut self, bucket: usize, count: u64) {
        debug_assert!(bucket < self.buckets, "bucket {bucket} of {}", self.buckets);
        match self.dense.get_mut(bucket) {
            Some(dense) => *dense += count,
            None => self.add_sparse(bucket, count),
        }
    }

    #[inline(never)]
    fn add_sparse(&mut self, bucket: usize, count: u64) {
        debug_assert!(!self.is_dense(), "bucket {bucket} of {} dense ones", self.buckets);
        if count > 0 {
            *self.sparse.entry(bucket as u32).or_insert(0) += count;
        }
    }

    /// Add `other`'s counts (a window of as many buckets).
    pub fn merge(&mut self, other: &BucketCounts) {
        debug_assert_eq!(self.buckets, other.buckets);
        if self.is_dense() {
            for (mine, theirs) in self.dense.iter_mut().zip(&other.dense) {
                *mine += theirs;
            }
        } else {
            self.sparse.reserve(other.sparse.len());
            for (&bucket, &count) in &other.sparse {
                *self.sparse.entry(bucket).or_insert(0) += count;
            }
        }
    }

    /// The records of all buckets (None past u64: a corrupt stored state).
    pub fn total(&self) -> Option<u64> {
        let mut counts = self.dense.iter().chain(self.sparse.values());
        counts.try_fold(0u64, |total, &count| total.checked_add(count))
    }

    /// Every bucket's count, if they are kept densely.
    pub fn as_dense(&self) -> Option<&[u64]> {
        self.is_dense().then_some(&self.dense[..])
    }

    /// Every bucket's count, in order.
    pub fn to_dense(&self) -> Vec<u64> {
        if self.is_dense() {
            return self.dense.clone();
        }
        let mut dense = vec![0; self.buckets];
        for (&bucket, &count) in &self.sparse {
            dense[bucket as usize] = count;
        }
        dense
    }

    /// The occupied buckets and their counts, in bucket order.
    pub fn occupied(&self) -> Vec<(usize, u64)> {
        if self.is_dense() {
            return self
                .dense
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(b, &c)| (b, c))
                .collect();
        }
        let mut occupied: Vec<(usize, u64)> = self.sparse.iter().map(|(&b, &c)| (b as usize, c)).collect();
        occupied.sort_unstable_by_key(|&(bucket, _)| bucket);
        occupied
    }
}

/// The rate of `count` records in bucket `i` of `window`: per day of the bucket's width.
pub fn rate_per_day(window: &Window, i: usize, count: u64) -> f64 {
    count as f64 / bucket_days(window, i)
}

fn bucket_days(window: &Window, i: usize) -> f64 {
    let (lo, hi) = window.bucket_bounds(i);
    (hi - lo) as f64 / MICROS_PER_DAY as f64
}

/// Bucket `i`'s midpoint, in days from the window's start (the x of the trend's fits).
pub fn bucket_midpoint(window: &Window, i: usize) -> f64 {
    let (lo, hi) = window.bucket_bounds(i);
    let day = MICROS_PER_DAY as f64;
    ((lo - window.start) as f64 + (hi - lo) as f64 / 2.0) / day
}

/// What the trend's fits share: every bucket's midpoint and width in days, and the axes
/// of the whole window and of its halves. Computed once for all the patterns of a batch,
/// so that each pattern's trend costs O(its occupied buckets) when its counts are sparse
/// (10,000 patterns of 43,200 buckets: seconds otherwise), and only its own rates and sums
/// when they are dense.
pub struct TrendGrid {
    /// The window it was computed for (an accumulator of another ignores it).
    pub window: Window,
    pub x: Vec<f64>,
    days: Vec<f64>,
    pub whole: Axis,
    pub first_half: Axis,
    pub second_half: Axis,
}

impl TrendGrid {
    pub fn new(window: &Window) -> TrendGrid {
        let k = window.buckets;
        let x: Vec<f64> = (0..k).map(|i| bucket_midpoint(window, i)).collect();
        let days = (0..k).map(|i| bucket_days(window, i)).collect();
        let h = k / 2;
        TrendGrid {
            window: *window,
            whole: Axis::new(&x, 0, k),
            first_half: Axis::new(&x, 0, h),
            second_half: Axis::new(&x, h, k - h),
            x,
            days,
        }
    }

    /// The occupied buckets of `counts` as (bucket, rate per day), in bucket order (the
    /// rates of `rate_per_day`).
    pub fn rates(&self, counts: &BucketCounts) -> Vec<(usize, f64)> {
        counts
            .occupied()
            .into_iter()
            .map(|(i, count)| (i, count as f64 / self.days[i]))
            .collect()
    }

    /// Every bucket's rate per day, of dense `counts` (one per bucket): `rate_per_day`'s.
    pub fn dense_rates(&self, counts: &[u64]) -> Vec<f64> {
        debug_assert_eq!(counts.len(), self.days.len(), "one count per bucket");
        counts
            .iter()
            .zip(&self.days)
            .map(|(&count, &days)| count as f64 / days)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_and_sparse_windows_count_alike() {
        for buckets in [1, 7, DENSE_BUCKETS, DENSE_BUCKETS + 1, 43_200] {
            let (mut a, mut b) = (BucketCounts::new(buckets), BucketCounts::new(buckets));
            let mut expected = vec![0u64; buckets];
            for i in 0..500usize {
                let bucket = i * 7919 % buckets;
                let count = (i % 3) as u64; // zero counts leave a bucket unoccupied
                if i % 2 == 0 { &mut a } else { &mut b }.add(bucket, count);
                expected[bucket] += count;
            }
            a.merge(&b);
            assert_eq!(a.buckets(), buckets);
            assert_eq!(a.to_dense(), expected, "{buckets} buckets");
            let occupied: Vec<(usize, u64)> = expected
                .iter()
                .enumerate()
                .filter(|(_, &c)| c > 0)
                .map(|(i, &c)| (i, c))
                .collect();
            assert_eq!(a.occupied(), occupied, "{buckets} buckets");
            assert_eq!(a.sparse.is_empty(), buckets <= DENSE_BUCKETS);
        }
    }

    #[test]
    fn a_grid_holds_the_windows_midpoints_and_rates() {
        // 10.5 hours in hourly buckets: the last one absorbs the half hour left over.
        let hour = crate::civil::MICROS_PER_HOUR;
        let window = Window::new(3 * hour, 13 * hour + hour / 2, "custom", Some(hour)).unwrap();
        let grid = TrendGrid::new(&window);
        let counts: Vec<u64> = (0..window.buckets as u64).map(|i| i * i % 7).collect();
        let rates = grid.dense_rates(&counts);
        for (i, &count) in counts.iter().enumerate() {
            assert_eq!(grid.x[i].to_bits(), bucket_midpoint(&window, i).to_bits(), "bucket {i}");
            assert_eq!(
                rates[i].to_bits(),
                rate_per_day(&window, i, count).to_bits(),
                "bucket {i}"
            );
        }
        assert_eq!(rates[9], 4.0 / 1.5 * 24.0, "4 records in the last hour and a half");
    }

    #[test]
    fn a_sparse_window_keeps_only_its_occupied_buckets() {
        let mut counts = BucketCounts::new(1_000_000);
        counts.add(999_999, 2);
        counts.add(3, 1);
        counts.add(3, 4);
        counts.add(17, 0);
        assert!(counts.dense.is_empty());
        assert_eq!(counts.sparse.len(), 2);
        assert_eq!(counts.occupied(), vec![(3, 5), (999_999, 2)]);
    }
}
