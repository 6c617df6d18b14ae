//! Exact percentiles by selection, and mergeable one-pass moments.

/// Percentiles of `values` with numpy's default `method="linear"` (linear interpolation
/// between the closest ranks), exact, for each `q` in [0, 1].
///
/// Uses selection (`select_nth_unstable`, O(n)) rather than a full sort: the needed order
/// statistics are selected in ascending rank order, each in the part of the slice right of
/// the previous one. `values` is reordered. Returns an empty vec for empty input.
pub fn percentiles_linear(values: &mut [f64], qs: &[f64]) -> Vec<f64> {
    let n = values.len();
    percentiles_from_ranks(n, qs, |ranks| select_ranks(values, ranks))
}

/// numpy-linear percentiles of `n` values for each `q`, given `order_stats`, which returns
/// the values of ascending, distinct 0-based ranks (selected exactly, or estimated by a
/// sketch). Empty for `n == 0`.
pub fn percentiles_from_ranks(n: usize, qs: &[f64], order_stats: impl FnOnce(&[usize]) -> Vec<f64>) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    // Per quantile: (lower rank, gamma), as numpy computes them.
    let plans: Vec<(usize, f64)> = qs
        .iter()
        .map(|&q| {
            let virtual_index = q * (n - 1) as f64;
            let lower = virtual_index.floor();
            ((lower as usize).min(n - 1), virtual_index - lower)
        })
        .collect();
    let mut ranks: Vec<usize> = plans
        .iter()
        .flat_map(|&(lower, _)| [lower, (lower + 1).min(n - 1)])
        .collect();
    ranks.sort_unstable();
    ranks.dedup();
    let values = order_stats(&ranks);
    let at = |rank: usize| values[ranks.binary_search(&rank).unwrap_or(0)];
    plans
        .iter()
        .map(|&(lower, gamma)| lerp(at(lower), at((lower + 1).min(n - 1)), gamma))
        .collect()
}

/// The values of the given ascending, distinct ranks (0-based) in sorted order.
fn select_ranks(values: &mut [f64], ranks: &[usize]) -> Vec<f64> {
    if values.len() <= 64 || ranks.len() * 8 >= values.len() {
        values.sort_unstable_by(f64::total_cmp);
        return ranks.iter().map(|&r| values[r]).collect();
    }
    let mut out = Vec::with_capacity(ranks.len());
    let mut base = 0;
    for &rank in ranks {
        let rest = &mut values[base..];
        let (_, nth, _) = rest.select_nth_unstable_by(rank - base, f64::total_cmp);
        out.push(*nth);
        // Everything right of `rank` is now >= values[rank].
        base = rank + 1;
    }
    out
}

/// numpy's `_lerp`: exact at both ends and monotone in `t`.
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    let diff = b - a;
    if t >= 0.5 {
        b - diff * (1.0 - t)
    } else {
        a + diff * t
    }
}

/// Count, mean, sum of squared deviations (M2), min, max and sum of a stream of values.
///
/// Blocks of values are reduced with the two-pass formula while they sit in cache and then
/// combined with Chan, Golub and LeVeque's pairwise update ("Updating formulae and a
/// pairwise algorithm for computing sample variances", 1979), so the column is read once
/// and the result is as accurate as a two-pass computation per block. Mergeable.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moments {
    pub count: u64,
    pub mean: f64,
    pub m2: f64,
    pub min: f64,
    pub max: f64,
    pub sum: f64,
}

impl Default for Moments {
    fn default() -> Self {
        Moments {
            count: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
        }
    }
}

const BLOCK: usize = 1024;

impl Moments {
    pub fn of(values: &[f64]) -> Moments {
        let mut acc = Moments::default();
        for block in values.chunks(BLOCK) {
            acc.merge(&Moments::of_block(block));
        }
        acc
    }

    fn of_block(block: &[f64]) -> Moments {
        if block.is_empty() {
            return Moments::default();
        }
        let (mut sum, mut min, mut max) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
        for &v in block {
            sum += v;
            min = min.min(v);
            max = max.max(v);
        }
        let mean = sum / block.len() as f64;
        let m2 = block.iter().map(|&v| (v - mean) * (v - mean)).sum();
        Moments {
            count: block.len() as u64,
            mean,
            m2,
            min,
            max,
            sum,
        }
    }

    /// Chan et al.'s combination of two partial results.
    pub fn merge(&mut self, other: &Moments) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let (na, nb) = (self.count as f64, other.count as f64);
        let n = na + nb;
        let delta = other.mean - self.mean;
        self.mean += delta * nb / n;
        self.m2 += other.m2 + delta * delta * na * nb / n;
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
    }

    /// Sample standard deviation (ddof = 1); 0.0 below two values.
    pub fn sample_std(&self) -> f64 {
        if self.count < 2 {
            0.0
        } else {
            (self.m2 / (self.count - 1) as f64).sqrt()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted_linear(values: &[f64], q: f64) -> f64 {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let idx = q * (v.len() - 1) as f64;
        let lo = idx.floor() as usize;
        let hi = (lo + 1).min(v.len() - 1);
        lerp(v[lo], v[hi], idx - idx.floor())
    }

    #[test]
    fn matches_numpy_on_small_inputs() {
        // numpy.percentile([1, 2, 3, 4], [50, 95, 99]) = [2.5, 3.85, 3.97]
        let got = percentiles_linear(&mut [4.0, 1.0, 3.0, 2.0], &[0.5, 0.95, 0.99]);
        let want = [2.5, 3.85, 3.97];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?}");
        }
        assert_eq!(percentiles_linear(&mut [7.0], &[0.5, 0.99]), vec![7.0, 7.0]);
        assert!(percentiles_linear(&mut [], &[0.5]).is_empty());
    }

    #[test]
    fn selection_equals_sorting_on_large_inputs() {
        // A deterministic, duplicate-heavy pseudo-random column.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let values: Vec<f64> = (0..10_007)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 5_000) as f64 / 7.0
            })
            .collect();
        let qs = [0.0, 0.5, 0.95, 0.99, 1.0];
        let got = percentiles_linear(&mut values.clone(), &qs);
        for (g, &q) in got.iter().zip(&qs) {
            assert_eq!(*g, sorted_linear(&values, q), "q = {q}");
        }
    }

    #[test]
    fn moments_merge_equals_one_pass() {
        let values: Vec<f64> = (0..5000).map(|i| ((i * 37) % 101) as f64 + 1e9).collect();
        let whole = Moments::of(&values);
        let mut split = Moments::of(&values[..1234]);
        split.merge(&Moments::of(&values[1234..]));
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let m2: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
        for m in [whole, split] {
            assert_eq!(m.count, 5000);
            assert!((m.mean - mean).abs() / mean < 1e-14);
            assert!((m.m2 - m2).abs() / m2 < 1e-9, "{} vs {}", m.m2, m2);
            assert_eq!((m.min, m.max), (1e9, 1e9 + 100.0));
        }
        assert_eq!(Moments::of(&[3.0]).sample_std(), 0.0);
        assert_eq!(Moments::of(&[]).count, 0);
    }
}
