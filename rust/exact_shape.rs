//! The trend's velocity, acceleration and growth percentage as the doubles nearest their
//! exact values (ties to even), as the reference's `float(Fraction)` gives them.
//!
//! DESIGN.md defines them over rationals: each bucket's rate is its count over its width
//! in days, x its midpoint in days, velocity the OLS slope. In floats the slope's sums
//! cancel: over 17,000 one-microsecond buckets a velocity that is exactly 0 came out -310
//! (of rates near 1e11 a day) and a near-cancelling one 3.4e-7 relative off (helper-173).
//! The counts are integers and the widths integer microseconds, so every sum is an
//! integer once scaled, and each figure is one rounding of one exact quotient.
//!
//! A window's `k` buckets are `w` microseconds wide but the last, `l` (it absorbs the
//! remainder: `w <= l < 2w`). With `g = gcd(w, l)`, `e = w / g` and `f = l / g`, twice
//! bucket `i`'s midpoint from the start, over `g`, is
//! `X_i = (2i + 1) e` (the last's `2(k - 1) e + f`) and its rate times `g e f / DAY` is
//! `Y_i = c_i f` (the last's `c e`); the slope of the rates per day on the midpoints in
//! days over `n` buckets is then `2 (DAY / g)² (n ΣXY - ΣX ΣY) / ((n ΣX² - (ΣX)²) e f)`,
//! `DAY / g` reduced to lowest terms. Over the buckets but the last these sums are closed
//! forms in `Σ (2i + 1)` and `Σ (2i + 1)²` and two sums of the counts, `Σ c` and
//! `Σ c (2i + 1)`: one pass over the occupied buckets (in any order: integer sums) in
//! u128, which cannot overflow (at most 10^6 buckets of u64 counts: below 2^105). The few
//! products after it are `exact_int::Int`s: i128 for buckets of minutes, hours or days
//! (the day a multiple of g: small scales), big integers where they pass it (up to about
//! 2^270: spans up to 2^63 us, counts up to 2^64).
//!
//! The same pass sums the counts' squares (Σ Y²), and the whole window's sums are kept
//! (`ExactFit`): the trend class decides on them (the velocity against its thresholds, the
//! significance, equal rates) where doubles could not.

use std::ops::Range;

use num_bigint::BigInt;

use crate::buckets::Window;
use crate::civil::MICROS_PER_DAY;
use crate::exact_fit::ExactFit;
use crate::exact_int::{nearest, Int};

/// The trend figures DESIGN.md defines over the bucket rates, each the double nearest its
/// exact value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExactShape {
    pub velocity: f64,
    pub acceleration: f64,
    pub growth_percentage: f64,
}

/// The counts of a run of buckets other than the window's last: Σ c and Σ c (2i + 1).
#[derive(Clone, Copy, Debug, Default)]
struct Run {
    count: u128,
    moment: u128,
}

impl Run {
    #[inline(always)]
    fn add(&mut self, bucket: usize, count: u64) {
        self.count += u128::from(count);
        self.moment += u128::from(count) * (2 * bucket as u128 + 1);
    }
}

/// Σ c² over buckets other than the window's last, to 192 bits (u64 counts: each square
/// below 2^128, a million of them below 2^148), for the whole fit's Σ Y².
#[derive(Clone, Copy, Debug, Default)]
struct Squares {
    low: u128,
    carries: u64,
}

impl Squares {
    #[inline(always)]
    fn add(&mut self, count: u64) {
        let (low, carry) = self.low.overflowing_add(u128::from(count) * u128::from(count));
        self.low = low;
        self.carries += u64::from(carry);
    }

    fn value(self) -> Int {
        if self.carries == 0 {
            Int::from(self.low)
        } else {
            Int::Big((BigInt::from(self.carries) << 128u32) + BigInt::from(self.low))
        }
    }
}

/// The window's velocity, acceleration and growth percentage from its bucket counts
/// (`occupied`: (bucket, count) pairs, each bucket at most once, in any order; zero counts
/// may be left out), each the double nearest its exact value (DESIGN.md's trend).
#[cfg(test)]
pub fn exact_shape(window: &Window, occupied: impl IntoIterator<Item = (usize, u64)>) -> ExactShape {
    exact_trend(window, occupied).0
}

/// `exact_shape`, and the whole window's fit in integers (the trend class's decisions).
pub fn exact_trend(window: &Window, occupied: impl IntoIterator<Item = (usize, u64)>) -> (ExactShape, ExactFit) {
    let k = window.buckets;
    if k < 2 {
        let shape = ExactShape {
            velocity: 0.0,
            acceleration: 0.0,
            growth_percentage: 0.0,
        };
        return (shape, ExactFit::none(k));
    }
    let (h, q) = (k / 2, (k / 4).max(1));
    let (mut first_half, mut second_half) = (Run::default(), Run::default());
    let mut squares = Squares::default();
    let (mut first_quarter, mut last_quarter, mut last) = (0u128, 0u128, 0u128);
    for (i, count) in occupied {
        debug_assert!(i < k, "bucket {i} of {k}");
        if i + 1 == k {
            last += u128::from(count);
            continue;
        }
        squares.add(count);
        if i < h {
            first_half.add(i, count);
        } else {
            second_half.add(i, count);
        }
        if i < q {
            first_quarter += u128::from(count);
        } else if i >= k - q {
            last_quarter += u128::from(count);
        }
    }
    shape_of_sums(
        window,
        first_half,
        second_half,
        squares,
        (first_quarter, last_quarter, last),
    )
}

/// `exact_shape` of dense counts (one per bucket).
#[cfg(test)]
pub fn exact_shape_dense(window: &Window, counts: &[u64]) -> ExactShape {
    exact_trend_dense(window, counts).0
}

/// `exact_trend` of dense counts (one per bucket): the same sums, a loop per run of
/// buckets instead of a branch per bucket.
pub fn exact_trend_dense(window: &Window, counts: &[u64]) -> (ExactShape, ExactFit) {
    let k = window.buckets;
    debug_assert_eq!(counts.len(), k, "one count per bucket");
    if k < 2 {
        return exact_trend(window, []);
    }
    let (h, q) = (k / 2, (k / 4).max(1));
    let run = |range: Range<usize>| {
        let mut run = Run::default();
        for (i, &count) in counts[range.clone()].iter().enumerate() {
            run.add(range.start + i, count);
        }
        run
    };
    let sum = |counts: &[u64]| counts.iter().map(|&count| u128::from(count)).sum::<u128>();
    let quarters = (sum(&counts[..q]), sum(&counts[k - q..k - 1]), u128::from(counts[k - 1]));
    let mut squares = Squares::default();
    for &count in &counts[..k - 1] {
        squares.add(count);
    }
    shape_of_sums(window, run(0..h), run(h..k - 1), squares, quarters)
}

/// The figures of a window of at least two buckets, and its fit, from its runs' sums: the
/// halves but the last bucket, the squares of the counts but the last bucket's, and (the
/// first quarter's count, the last quarter's but the last bucket, the last bucket's).
fn shape_of_sums(
    window: &Window,
    first_half: Run,
    second_half: Run,
    squares: Squares,
    quarters: (u128, u128, u128),
) -> (ExactShape, ExactFit) {
    let (k, h) = (window.buckets, window.buckets / 2);
    let (first_quarter, last_quarter, last) = quarters;
    let grid = Grid::new(window);
    let whole = Run {
        count: first_half.count + second_half.count,
        moment: first_half.moment + second_half.moment,
    };
    let fit = grid.fit(k, whole, squares, last);
    let acceleration = if k < 3 {
        0.0
    } else {
        // (The first half, buckets [0, k/2), never holds the last: k/2 <= k - 2 from 3 on.)
        let (a, b) = (
            grid.slope(h..k - 1, second_half, Some(last)),
            grid.slope(0..h, first_half, None),
        );
        nearest(&(a.0 * b.1.clone() - b.0 * a.1.clone()), &(a.1 * b.1))
    };
    let shape = ExactShape {
        velocity: fit.velocity,
        acceleration,
        growth_percentage: grid.growth(first_quarter, last_quarter, last),
    };
    (shape, fit)
}

/// A window's buckets as integers (see the module).
struct Grid {
    buckets: usize,
    /// The width of every bucket but the last, and the last's, over their gcd.
    e: i128,
    f: i128,
    /// The last bucket's X: twice its midpoint from the start, over the gcd.
    last_x: i128,
    /// 2 (DAY / g)² as a fraction in lowest terms: the slope's scale.
    scale: (i128, i128),
}

impl Grid {
    fn new(window: &Window) -> Grid {
        let k = window.buckets;
        let (lo, hi) = window.bucket_bounds(k - 1);
        // (Widths are positive i64s: u64 division, not i128's, which is a call.)
        let (w, l) = (window.width as u64, (hi - lo) as u64);
        let g = gcd(w, l);
        let (e, f) = (i128::from(w / g), i128::from(l / g));
        let common = gcd(MICROS_PER_DAY as u64, g);
        let (day, g) = (i128::from(MICROS_PER_DAY as u64 / common), i128::from(g / common));
        Grid {
            buckets: k,
            e,
            f,
            // (k <= 10^6 and e < 2^63, g < 2^63, day < 2^37: each below 2^127.)
            last_x: 2 * (k as i128 - 1) * e + f,
            scale: (2 * day * day, g * g),
        }
    }

    /// The slope of the rates per day on the midpoints in days of buckets `regular` (none
    /// of them the window's last; their counts in `run`) and of the last, of `last`
    /// records, if given, exactly, as (numerator, denominator > 0); 0 below two buckets.
    fn slope(&self, regular: Range<usize>, run: Run, last: Option<u128>) -> (Int, Int) {
        debug_assert!(regular.end < self.buckets);
        if regular.len() + usize::from(last.is_some()) < 2 {
            return (Int::from(0i128), Int::from(1i128));
        }
        let sums = self.sums(regular, run, last);
        self.scaled_slope(sums.b(), sums.a())
    }

    /// The slope of b / a (`Sums`' centred sums) in rates per day per day, as (numerator,
    /// denominator > 0).
    fn scaled_slope(&self, b: Int, a: Int) -> (Int, Int) {
        let (e, f) = (Int::from(self.e), Int::from(self.f));
        (b * Int::from(self.scale.0), a * Int::from(self.scale.1) * e * f)
    }

    /// The whole window's fit (its `k` >= 2 buckets: all but the last in `run` and
    /// `squares`, the last of `last` records).
    fn fit(&self, k: usize, run: Run, squares: Squares, last: u128) -> ExactFit {
        let sums = self.sums(0..k - 1, run, Some(last));
        let (e, f) = (Int::from(self.e), Int::from(self.f));
        // Σ Y²: the regular buckets' counts times f, the last's times e.
        let y_last = e.clone() * Int::from(last);
        let sum_yy = f.clone() * f * squares.value() + y_last.clone() * y_last;
        let c = sums.n.clone() * sum_yy - sums.sum_y.clone() * sums.sum_y.clone();
        let (b, a) = (sums.b(), sums.a());
        let (numerator, denominator) = self.scaled_slope(b.clone(), a.clone());
        ExactFit {
            points: k,
            velocity: nearest(&numerator, &denominator),
            b,
            a,
            c,
            numerator,
            denominator,
        }
    }

    /// Σ X, Σ X², Σ XY and Σ Y over buckets `regular` (none the window's last; their
    /// counts in `run`) and the last, of `last` records, if given.
    fn sums(&self, regular: Range<usize>, run: Run, last: Option<u128>) -> Sums {
        let n = (regular.len() + usize::from(last.is_some())) as i128;
        // Σ (2i + 1) and Σ (2i + 1)² over the run: differences of m² and m(4m² - 1)/3.
        // (At most 10^6 buckets: below 2^63, in i64, whose division is an instruction.)
        let (a, b) = (regular.start as i64, regular.end as i64);
        let odd = Int::from(i128::from(b * b - a * a));
        let odd_squares = Int::from(i128::from((b * (4 * b * b - 1) - a * (4 * a * a - 1)) / 3));
        let (e, f) = (Int::from(self.e), Int::from(self.f));
        let mut sum_x = e.clone() * odd;
        let mut sum_xx = e.clone() * e.clone() * odd_squares;
        let mut sum_xy = e.clone() * f.clone() * Int::from(run.moment);
        let mut sum_y = f.clone() * Int::from(run.count);
        if let Some(count) = last {
            let (x, y) = (Int::from(self.last_x), e.clone() * Int::from(count));
            sum_x = sum_x + x.clone();
            sum_xx = sum_xx + x.clone() * x.clone();
            sum_xy = sum_xy + x * y.clone();
            sum_y = sum_y + y;
        }
        Sums {
            n: Int::from(n),
            sum_x,
            sum_xx,
            sum_xy,
            sum_y,
        }
    }

    /// DESIGN.md's growth percentage: of the first quarter's mean rate (buckets but the
    /// last, counted `first`) to the last quarter's (`last_quarter` in buckets but the
    /// last, `last` in it).
    fn growth(&self, first: u128, last_quarter: u128, last: u128) -> f64 {
        // Rates times g e f / DAY: a count times the other width over g. (The quarters are
        // equally many buckets, so their sums compare as their means.)
        let (e, f) = (Int::from(self.e), Int::from(self.f));
        let before = f.clone() * Int::from(first);
        let after = f * Int::from(last_quarter) + e * Int::from(last);
        match (before.is_zero(), after.is_zero()) {
            (true, true) => 0.0,
            (true, false) => 100.0,
            _ => nearest(&((after - before.clone()) * Int::from(100i128)), &before),
        }
    }
}

/// A run of points' sums (`Grid::sums`).
struct Sums {
    n: Int,
    sum_x: Int,
    sum_xx: Int,
    sum_xy: Int,
    sum_y: Int,
}

impl Sums {
    /// n Σ XY - Σ X Σ Y: n² times the centred Σ (X - X̄)(Y - Ȳ).
    fn b(&self) -> Int {
        self.n.clone() * self.sum_xy.clone() - self.sum_x.clone() * self.sum_y.clone()
    }

    /// n Σ X² - (Σ X)²: n² times the centred Σ (X - X̄)².
    fn a(&self) -> Int {
        self.n.clone() * self.sum_xx.clone() - self.sum_x.clone() * self.sum_x.clone()
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact_int::nearest_big;
    use crate::test_random::xorshift;
    use num_bigint::BigInt;

    const DAY: i64 = MICROS_PER_DAY;

    /// DESIGN.md's slope computed plainly: every point's midpoint and rate (scaled to
    /// integers) summed as big integers, no closed forms.
    fn plain_slope(window: &Window, counts: &[u64], range: std::ops::Range<usize>) -> (BigInt, BigInt) {
        let k = window.buckets;
        let (lo, hi) = window.bucket_bounds(k - 1);
        let (w, l) = (BigInt::from(window.width), BigInt::from(hi - lo));
        let n = BigInt::from(range.len());
        if range.len() < 2 {
            return (BigInt::ZERO, BigInt::from(1));
        }
        let (mut sx, mut sy, mut sxx, mut sxy) = (BigInt::ZERO, BigInt::ZERO, BigInt::ZERO, BigInt::ZERO);
        for i in range {
            let (lo, hi) = window.bucket_bounds(i);
            // Twice the midpoint from the start (us); the rate times w l.
            let x = BigInt::from(2 * (lo - window.start) + (hi - lo));
            let y = BigInt::from(counts[i]) * &w * &l / BigInt::from(hi - lo);
            sx += &x;
            sy += &y;
            sxx += &x * &x;
            sxy += &x * &y;
        }
        let day = BigInt::from(DAY);
        ((&n * sxy - &sx * &sy) * 2 * &day * &day, (&n * sxx - &sx * &sx) * w * l)
    }

    fn plain_shape(window: &Window, counts: &[u64]) -> ExactShape {
        let k = window.buckets;
        let velocity = plain_slope(window, counts, 0..k);
        let acceleration = if k < 3 {
            0.0
        } else {
            let (a, b) = (
                plain_slope(window, counts, k / 2..k),
                plain_slope(window, counts, 0..k / 2),
            );
            nearest_big(&(&a.0 * &b.1 - &b.0 * &a.1), &(&a.1 * &b.1))
        };
        // Σ rate over a quarter, times w l / DAY.
        let q = (k / 4).max(1);
        let (lo, hi) = window.bucket_bounds(k - 1);
        let (w, l) = (i128::from(window.width), i128::from(hi - lo));
        let scaled = |i: usize| i128::from(counts[i]) * if i + 1 == k { w } else { l };
        let first: i128 = (0..q).map(scaled).sum();
        let last: i128 = (k - q..k).map(scaled).sum();
        let growth_percentage = match (k < 2, first, last) {
            (true, _, _) | (_, 0, 0) => 0.0,
            (_, 0, _) => 100.0,
            _ => nearest_big(&BigInt::from((last - first) * 100), &BigInt::from(first)),
        };
        ExactShape {
            velocity: nearest_big(&velocity.0, &velocity.1),
            acceleration,
            growth_percentage,
        }
    }

    /// `exact_shape` of dense counts, checked to be `exact_shape_dense`'s.
    fn shape_of(window: &Window, counts: &[u64]) -> ExactShape {
        let shape = exact_shape(window, counts.iter().copied().enumerate());
        assert_eq!(exact_shape_dense(window, counts), shape, "{window:?} {counts:?}");
        shape
    }

    #[test]
    fn daily_buckets_have_the_slope_of_the_daily_counts() {
        // Counts 0, 0, 2, 8, 4 a day: slope 8/5; halves [0, 0] and [2, 8, 4] (slope 1).
        let window = Window::new(0, 5 * DAY, "custom", Some(DAY)).unwrap();
        let shape = shape_of(&window, &[0, 0, 2, 8, 4]);
        assert_eq!(shape.velocity, 1.6);
        assert_eq!(shape.acceleration, 1.0);
        assert_eq!(shape.growth_percentage, 100.0); // (first quarter empty, last not)
        let shape = shape_of(&window, &[3, 0, 2, 8, 4]);
        assert_eq!(shape.growth_percentage, 100.0 / 3.0);
        let one = Window::new(0, DAY, "custom", Some(DAY)).unwrap();
        assert_eq!(shape_of(&one, &[5]), exact_shape(&one, []));
        assert_eq!(shape_of(&one, &[5]).velocity, 0.0);
    }

    #[test]
    fn a_longer_last_bucket_counts_at_its_rate_and_midpoint() {
        // Two hours then one of 90 minutes: 6, 6 and 9 records are a flat rate of 144 a day.
        let hour = 3_600_000_000;
        let window = Window::new(0, 3 * hour + hour / 2, "custom", Some(hour)).unwrap();
        let flat = shape_of(&window, &[6, 6, 9]);
        assert_eq!((flat.velocity.to_bits(), flat.acceleration.to_bits()), (0, 0));
        assert_eq!(flat.growth_percentage.to_bits(), 0);
        assert_eq!(shape_of(&window, &[6, 6, 12]), plain_shape(&window, &[6, 6, 12]));
    }

    #[test]
    fn exact_shapes_equal_the_plain_big_integer_sums() {
        let mut next = xorshift(0xC0FF_EE00_1234_5678);
        for round in 0..3_000u64 {
            let buckets = 1 + (next() % [3, 12, 200, 2_000][(round % 4) as usize]) as i64;
            let width = [1i64, 7, 1_000, 3_600_000_000, DAY, 86_400_000_001][(next() % 6) as usize];
            let window = crate::test_random::custom_window(&mut next, buckets, width);
            let k = window.buckets;
            let kind = next() % 4;
            let counts: Vec<u64> = (0..k)
                .map(|i| match kind {
                    0 => next() % 3,
                    1 => u64::MAX >> 21, // (a million buckets of these stay below 2^64)
                    2 => (next() >> 20) + (i as u64 % 2),
                    _ => [0, 1, 1_000_000_007][(next() % 3) as usize],
                })
                .collect();
            assert_eq!(
                shape_of(&window, &counts),
                plain_shape(&window, &counts),
                "{window:?} {counts:?}"
            );
            // In any order, zeros left out: the same.
            let mut occupied: Vec<(usize, u64)> = counts.iter().copied().enumerate().filter(|&(_, c)| c > 0).collect();
            occupied.reverse();
            assert_eq!(exact_shape(&window, occupied), shape_of(&window, &counts));
        }
    }

    #[test]
    fn microsecond_buckets_that_cancel_are_exact() {
        // 17,000 one-microsecond buckets of a symmetric profile: a slope of exactly 0, where
        // the floats' (as the trend computed it before) was hundreds of records a day a day.
        let mut next = xorshift(17);
        let half: Vec<u64> = (0..8_500).map(|_| next() % 3).collect();
        let symmetric: Vec<u64> = half.iter().chain(half.iter().rev()).copied().collect();
        let window = Window::new(0, 17_000, "custom", Some(1)).unwrap();
        let float = |window: &Window, counts: &[u64]| {
            let grid = crate::bucket_counts::TrendGrid::new(window);
            crate::regression::ols_on(&grid.whole, &grid.x, &grid.dense_rates(counts)).slope
        };
        let exact = shape_of(&window, &symmetric);
        assert_eq!(exact, plain_shape(&window, &symmetric));
        assert_eq!(exact.velocity.to_bits(), 0);
        assert!(float(&window, &symmetric).abs() > 1.0, "{}", float(&window, &symmetric));
        // Buckets of two microseconds, the last of three (its count 3/2 of its mirror's, bucket
        // 0: the same rate): a slope that nearly cancels (the last midpoint is half a
        // microsecond late), 1e-9 relative off in floats.
        let window = Window::new(0, 34_001, "custom", Some(2)).unwrap();
        let mut counts: Vec<u64> = symmetric.iter().map(|&c| 2 * c).collect();
        counts[16_999] = counts[0] / 2 * 3;
        let exact = shape_of(&window, &counts);
        assert_eq!(exact, plain_shape(&window, &counts));
        let float = float(&window, &counts);
        assert!(
            (float - exact.velocity).abs() > 1e-10 * exact.velocity.abs(),
            "{float} {exact:?}"
        );
    }
}
