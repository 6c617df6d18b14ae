//! One pattern's records per trend bucket: a map of the occupied buckets, turned into a
//! dense array once an eighth of a window of up to `DENSE_BUCKETS` buckets is occupied.
//!
//! A batch keeps these per pattern. Dense, 10,000 patterns over a 30-day window of one-minute
//! buckets (43,200) took 3.5 GB whatever their records; a pattern's occupied buckets are
//! at most its records, so the map grows with the data instead. The dense array serves
//! the windows most calls use (days or hours of a month: tens to hundreds of buckets)
//! once a pattern fills them, where indexing it is the cheapest count of all; dense from
//! the start, a window of 1,024 buckets cost 8 KB per pattern whatever its records (200,000
//! one-record patterns: 2.2 GB, against 0.66 GB at 1,025 buckets; session 37). Whether
//! the counts are dense depends only on the occupied buckets, never on the order of the
//! records or merges, so the same records always take the same path through the trend.

use rustc_hash::FxHashMap;

use crate::buckets::Window;
use crate::civil::MICROS_PER_DAY;
use crate::prefetch::prefetch;
use crate::regression::Axis;

/// Windows of at most this many buckets are counted densely (8 KB per pattern at most)
/// once `1 / DENSE_SHARE` of their buckets are occupied (a map entry takes about two and
/// a half times a dense count's 8 bytes).
pub const DENSE_BUCKETS: usize = 1024;
const DENSE_SHARE: usize = 8;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BucketCounts {
    buckets: usize,
    dense: Vec<u64>,
    /// Occupied buckets (count > 0), while `dense` is empty.
    sparse: FxHashMap<u32, u64>,
}

impl BucketCounts {
    /// No records in any of `buckets` buckets.
    pub fn new(buckets: usize) -> Self {
        BucketCounts {
            buckets,
            dense: Vec::new(),
            sparse: FxHashMap::default(),
        }
    }

    /// The number of buckets (occupied or not).
    pub fn buckets(&self) -> usize {
        self.buckets
    }

    fn is_dense(&self) -> bool {
        !self.dense.is_empty()
    }

    /// Turn the map into the dense array once its window is small enough and an eighth
    /// of it is occupied.
    fn densify_if_full(&mut self) {
        if self.buckets <= DENSE_BUCKETS && self.sparse.len() * DENSE_SHARE >= self.buckets {
            self.densify();
        }
    }

    fn densify(&mut self) {
        debug_assert!(self.buckets <= DENSE_BUCKETS && !self.is_dense());
        let mut dense = vec![0; self.buckets];
        for (&bucket, &count) in &self.sparse {
            dense[bucket as usize] = count;
        }
        self.dense = dense;
        self.sparse = FxHashMap::default();
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
            self.densify_if_full();
        }
    }

    /// Add `other`'s counts (a window of as many buckets).
    pub fn merge(&mut self, other: &BucketCounts) {
        debug_assert_eq!(self.buckets, other.buckets);
        if other.is_dense() && !self.is_dense() {
            self.densify(); // (the union is at least as occupied as `other`)
        }
        if self.is_dense() {
            for (mine, theirs) in self.dense.iter_mut().zip(&other.dense) {
                *mine += theirs;
            }
            for (&bucket, &count) in &other.sparse {
                self.dense[bucket as usize] += count;
            }
        } else {
            self.sparse.reserve(other.sparse.len());
            for (&bucket, &count) in &other.sparse {
                *self.sparse.entry(bucket).or_insert(0) += count;
            }
            self.densify_if_full();
        }
    }

    /// The records of all buckets (None past u64: a corrupt stored state).
    pub fn total(&self) -> Option<u64> {
        let mut counts = self.dense.iter().chain(self.sparse.values());
        counts.try_fold(0u64, |total, &count| total.checked_add(count))
    }

    /// Whether every bucket holds records.
    pub fn all_occupied(&self) -> bool {
        if self.is_dense() {
            self.dense.iter().all(|&count| count > 0)
        } else {
            self.buckets > 0 && self.sparse.len() == self.buckets
        }
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

    /// The buckets and their counts, in no particular order, where the order cannot
    /// matter (integer sums): without `occupied`'s sort and copy. Dense counts give every
    /// bucket, zeros too.
    pub fn occupied_in_any_order(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        let dense = self.dense.iter().copied().enumerate();
        dense.chain(self.sparse.iter().map(|(&bucket, &count)| (bucket as usize, count)))
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
    crate::exact_ratio::ratio(hi - lo, MICROS_PER_DAY)
}

/// Bucket `i`'s midpoint, in days from the window's start (the x of the trend's fits).
pub fn bucket_midpoint(window: &Window, i: usize) -> f64 {
    let (lo, hi) = window.bucket_bounds(i);
    let day = MICROS_PER_DAY as f64;
    ((lo - window.start) as f64 + (hi - lo) as f64 / 2.0) / day
}

/// What the trend's fit shares: every bucket's midpoint and width in days, and the axis
/// of the whole window (the fit gives the intercept and t-statistic; the velocity and the
/// halves' slopes are `exact_shape`'s, in integers). Computed once for all the patterns of a batch,
/// so that each pattern's trend costs O(its occupied buckets) when its counts are sparse
/// (10,000 patterns of 43,200 buckets: seconds otherwise), and only its own rates and sums
/// when they are dense.
pub struct TrendGrid {
    /// The window it was computed for (an accumulator of another ignores it).
    pub window: Window,
    pub x: Vec<f64>,
    days: Vec<f64>,
    pub whole: Axis,
}

impl TrendGrid {
    pub fn new(window: &Window) -> TrendGrid {
        let k = window.buckets;
        let x: Vec<f64> = (0..k).map(|i| bucket_midpoint(window, i)).collect();
        let days = (0..k).map(|i| bucket_days(window, i)).collect();
        TrendGrid {
            window: *window,
            whole: Axis::new(&x, 0, k),
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

    /// A window of up to `DENSE_BUCKETS` buckets is counted in a map until an eighth of
    /// it is occupied, then densely; the same occupied buckets give the same form however
    /// they were added or merged (the trend's two paths may differ in the last bits).
    #[test]
    fn small_windows_turn_dense_once_an_eighth_is_occupied_in_any_order() {
        let buckets = DENSE_BUCKETS;
        let added = |range: std::ops::Range<usize>| {
            let mut counts = BucketCounts::new(buckets);
            range.for_each(|i| counts.add(i * 8, 1 + i as u64 % 3));
            counts
        };
        let few = added(0..127);
        assert!(!few.is_dense() && few.sparse.len() == 127, "127 of 1,024 occupied");
        let all = added(0..128);
        assert!(all.is_dense() && all.sparse.is_empty(), "128 of 1,024 occupied");
        let (low, high) = (added(0..64), added(64..128));
        assert!(!low.is_dense() && !high.is_dense());
        for (first, second) in [(&low, &high), (&high, &low), (&all, &low), (&low, &all)] {
            let mut merged = first.clone();
            merged.merge(second);
            assert!(merged.is_dense() && merged.sparse.is_empty());
            let doubled = first.total().unwrap() + second.total().unwrap();
            assert_eq!(merged.total(), Some(doubled));
        }
        let mut halves = low.clone();
        halves.merge(&high);
        assert_eq!(halves, all, "the same counts, the same form");
        // Past `DENSE_BUCKETS`, never dense.
        let mut wide = BucketCounts::new(DENSE_BUCKETS + 1);
        (0..=DENSE_BUCKETS).for_each(|i| wide.add(i, 1));
        assert!(!wide.is_dense() && wide.sparse.len() == DENSE_BUCKETS + 1);
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
