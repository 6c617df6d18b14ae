//! Exact percentiles by selection (a radix histogram first on large columns), and
//! mergeable one-pass moments.

use rayon::prelude::*;

use crate::moment_lanes::{greater, lesser, squared_deviations, sums_and_extremes, two_sum, Sums, LANES};

/// Percentiles of `values` with numpy's default `method="linear"` (linear interpolation
/// between the closest ranks), exact, for each `q` in [0, 1].
///
/// Uses selection (`select_nth_unstable`, O(n)) rather than a full sort: the needed order
/// statistics are selected in ascending rank order, each in the part of the slice right of
/// the previous one. A large column is first narrowed by a radix histogram (`radix_ranks`).
/// `values` is reordered. Returns an empty vec for empty input.
pub fn percentiles_linear(values: &mut [f64], qs: &[f64]) -> Vec<f64> {
    let n = values.len();
    percentiles_from_ranks(n, qs, |ranks| {
        radix_ranks(values, ranks).unwrap_or_else(|| select_ranks(values, ranks))
    })
}

/// `percentiles_linear` of the values of `parts` taken together, which stay as they are.
/// `None` when the radix path does not apply (few values, or near-equal ones): then the
/// caller puts the values together and uses `percentiles_linear`, which it can do without
/// holding two copies (here the parts are only borrowed).
pub fn percentiles_of_parts(parts: &[&[f64]], qs: &[f64]) -> Option<Vec<f64>> {
    let n = parts.iter().map(|p| p.len()).sum();
    try_percentiles_from_ranks(n, qs, |ranks| radix_ranks_of_parts(parts, ranks))
}

/// `Moments::of_parts` and `percentiles_of_parts` with one read of the values from memory,
/// not two: each of `Moments::of_parts`' blocks gets its moments and its radix histogram
/// counts while it sits in the cache, in pieces of `PIECE_BLOCKS` blocks on all cores
/// (the moments are put together in order after: the same bits). `None` percentiles as
/// `percentiles_of_parts`.
pub fn moments_and_percentiles_of_parts(parts: &[&[f64]], qs: &[f64]) -> (Moments, Option<Vec<f64>>) {
    let n: usize = parts.iter().map(|p| p.len()).sum();
    if n < RADIX_MIN || n > u32::MAX as usize {
        return (Moments::of_parts(parts), percentiles_of_parts(parts, qs));
    }
    let heads = block_heads(parts);
    // The values outside whole blocks (fewer than two blocks' a part) are counted here;
    // the whole blocks in pieces (part, piece, values), `PIECE_BLOCKS` at a time.
    let mut loose = vec![0u32; 1 << RADIX_BITS];
    let mut pieces: Vec<(usize, usize, &[f64])> = Vec::new();
    for (k, (part, &head)) in parts.iter().zip(&heads).enumerate() {
        let whole = part[head..].chunks_exact(BLOCK);
        count_bins(&mut loose, &part[..head]);
        count_bins(&mut loose, whole.remainder());
        let blocks = &part[head..part.len() - whole.remainder().len()];
        pieces.extend(
            blocks
                .chunks(PIECE_BLOCKS * BLOCK)
                .enumerate()
                .map(|(i, values)| (k, i, values)),
        );
    }
    let (counts, mut blocks) = crate::pool::install(|| {
        pieces
            .par_iter()
            .fold(
                || (vec![0u32; 1 << RADIX_BITS], Vec::new()),
                |(mut counts, mut blocks), &(k, i, values)| {
                    let moments: Vec<Moments> = values
                        .chunks_exact(BLOCK)
                        .map(|block| {
                            count_bins(&mut counts, block);
                            Moments::of_block(block)
                        })
                        .collect();
                    blocks.push(((k, i), moments));
                    (counts, blocks)
                },
            )
            .reduce_with(|(a, mut blocks), (b, more)| {
                blocks.extend(more);
                (add_counts(a, b), blocks)
            })
            .unwrap_or_default()
    });
    let counts = if counts.is_empty() {
        loose
    } else {
        add_counts(counts, loose)
    };
    blocks.sort_unstable_by_key(|&(piece, _)| piece);
    let mut by_part: Vec<Vec<Moments>> = vec![Vec::new(); parts.len()];
    for ((k, _), moments) in blocks {
        by_part[k].extend(moments);
    }
    let moments = Moments::of_parts_given(parts, &heads, &by_part);
    let percentiles = try_percentiles_from_ranks(n, qs, |ranks| gather_ranks_of_parts(parts, n, ranks, counts));
    (moments, percentiles)
}

/// numpy-linear percentiles of `n` values for each `q`, given `order_stats`, which returns
/// the values of ascending, distinct 0-based ranks (selected exactly, or estimated by a
/// sketch). Empty for `n == 0`.
pub fn percentiles_from_ranks(n: usize, qs: &[f64], order_stats: impl FnOnce(&[usize]) -> Vec<f64>) -> Vec<f64> {
    try_percentiles_from_ranks(n, qs, |ranks| Some(order_stats(ranks))).unwrap_or_default()
}

/// `percentiles_from_ranks` with an `order_stats` that may give up (`None`).
fn try_percentiles_from_ranks(
    n: usize,
    qs: &[f64],
    order_stats: impl FnOnce(&[usize]) -> Option<Vec<f64>>,
) -> Option<Vec<f64>> {
    if n == 0 {
        return Some(Vec::new());
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
    let values = order_stats(&ranks)?;
    let at = |rank: usize| values[ranks.binary_search(&rank).unwrap_or(0)];
    Some(
        plans
            .iter()
            .map(|&(lower, gamma)| lerp(at(lower), at((lower + 1).min(n - 1)), gamma))
            .collect(),
    )
}

/// The values of the given ascending, distinct ranks (0-based) in sorted order.
///
/// Selection runs on the values' order keys (`order_key`), turned so in place and back
/// after: one integer comparison where `f64::total_cmp` derives two keys per comparison.
/// A batch selects once per pattern: for 10M records over 10,000 patterns (1,000 times
/// each) selection took 414 M instructions instead of 587 M, which saved 3% of the core's
/// (callgrind, session 23). `ranks` ascend strictly and are below `values.len()`; `values`
/// ends reordered, its values unchanged.
fn select_ranks(values: &mut [f64], ranks: &[usize]) -> Vec<f64> {
    debug_assert!(
        ranks.windows(2).all(|w| w[0] < w[1]) && ranks.last().is_none_or(|&r| r < values.len()),
        "ranks ascend strictly and lie inside the values (else selection panics with keys in place)"
    );
    if values.len() <= 64 || ranks.len() * 8 >= values.len() {
        values.sort_unstable_by(f64::total_cmp);
        return ranks.iter().map(|&r| values[r]).collect();
    }
    let keys: &mut [u64] = bytemuck::cast_slice_mut(values);
    keys.iter_mut().for_each(|k| *k = order_key(f64::from_bits(*k)));
    let mut out = Vec::with_capacity(ranks.len());
    let mut base = 0;
    for &rank in ranks {
        let (_, nth, _) = keys[base..].select_nth_unstable(rank - base);
        out.push(from_order_key(*nth));
        // Everything right of `rank` is now >= keys[rank].
        base = rank + 1;
    }
    keys.iter_mut().for_each(|k| *k = from_order_key(*k).to_bits());
    out
}

/// Columns from this length on are narrowed by a radix histogram before selecting.
const RADIX_MIN: usize = 1 << 16;
/// Histogram bins: the top 16 bits of each value (its sign, its exponent and the top 4 bits
/// of its mantissa), which decide the top 16 bits of its order key (`key_bin`).
const RADIX_BITS: u32 = 16;
/// The radix path gives up (and selection runs over the whole column) when the bins that
/// hold the wanted ranks hold more than 1/RADIX_GIVE_UP of the values (near-equal
/// values): selecting among them would save little. (At 10M lognormal times the wanted
/// bins hold about 3%.)
const RADIX_GIVE_UP: usize = 4;

/// A u64 whose unsigned order is `f64::total_cmp`'s order of the values: a negative
/// value's bits all flipped, a positive one's sign bit set (one xor with a mask made from
/// the sign, no branch).
#[inline]
fn order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    bits ^ (((bits as i64 >> 63) as u64) | 1 << 63)
}

/// The value of an order key (`order_key`'s inverse): a set top bit marks a value whose
/// sign bit was clear (only that bit was flipped), a clear one a negative value (every bit
/// was flipped).
#[inline]
fn from_order_key(key: u64) -> f64 {
    f64::from_bits(key ^ (((!key as i64 >> 63) as u64) | 1 << 63))
}

/// A value's histogram bin: the top `RADIX_BITS` of its bits as they are. Its order key's
/// top bits (`order_key`) depend on these alone, so the histogram is counted by raw bits (a
/// shift a value) and its bins are put in key order once (`key_bin`): for 10M times, 96 M
/// fewer instructions over the two passes, about five a value each.
#[inline]
fn bin_of(v: f64) -> usize {
    (v.to_bits() >> (64 - RADIX_BITS)) as usize
}

/// The bin, in order-key order, of raw bin `raw` (`bin_of`): the top bits of the order key
/// of any value whose top bits are `raw`. A bijection of the bins.
fn key_bin(raw: usize) -> usize {
    let raw = raw as u64;
    (order_key(f64::from_bits(raw << (64 - RADIX_BITS))) >> (64 - RADIX_BITS)) as usize
}

/// The values of the given ascending, distinct ranks: a histogram of the values' top bits
/// (read in parallel, then put in key order) tells the bin of each rank and its rank
/// inside the bin; the values of the few bins that hold wanted ranks are moved to the
/// front of `values` (in parallel, part by part, then the parts' fronts together), and
/// selection runs among them only. Two passes over the column, mostly reads, instead of
/// a selection's partitioning passes that rewrite it, and no copy: the column is the
/// scratch space (its order is given up, as by selection). `None` for short columns, and
/// when the wanted bins hold too much of the column to pay (near-equal values).
fn radix_ranks(values: &mut [f64], ranks: &[usize]) -> Option<Vec<f64>> {
    let n = values.len();
    // (Counts are u32: columns of 2^32 values and more take the selection path.)
    if n < RADIX_MIN || n > u32::MAX as usize {
        return None;
    }
    crate::pool::install(|| radix_ranks_in_pool(values, ranks))
}

/// `radix_ranks` of at least `RADIX_MIN` values, on the pool.
fn radix_ranks_in_pool(values: &mut [f64], ranks: &[usize]) -> Option<Vec<f64>> {
    let n = values.len();
    let part = n.div_ceil(rayon::current_num_threads().max(1));
    let counts = values.par_chunks(part).map(histogram).reduce_with(add_counts)?;
    let plan = RadixPlan::new(counts, ranks, n)?;
    let fronts: Vec<usize> = values
        .par_chunks_mut(part)
        .map(|chunk| {
            let mut front = 0;
            for i in 0..chunk.len() {
                if plan.wanted_bin[bin_of(chunk[i])] {
                    chunk.swap(front, i);
                    front += 1;
                }
            }
            front
        })
        .collect();
    let gathered = gather_fronts(values, part, &fronts);
    debug_assert_eq!(gathered, plan.held);
    Some(select_ranks(&mut values[..plan.held], &plan.positions()))
}

/// `radix_ranks` of values kept in parts (read only: their order is record order), with
/// the wanted bins' values copied out and selected among. `None` as `radix_ranks`.
fn radix_ranks_of_parts(parts: &[&[f64]], ranks: &[usize]) -> Option<Vec<f64>> {
    let n: usize = parts.iter().map(|p| p.len()).sum();
    if n < RADIX_MIN || n > u32::MAX as usize {
        return None;
    }
    // One histogram per thread's share of the parts, not per part (256 KB each).
    let counts = crate::pool::install(|| {
        parts
            .par_iter()
            .fold(
                || vec![0u32; 1 << RADIX_BITS],
                |mut counts, part| {
                    count_bins(&mut counts, part);
                    counts
                },
            )
            .reduce_with(add_counts)
    })?;
    gather_ranks_of_parts(parts, n, ranks, counts)
}

/// `radix_ranks_of_parts` given the parts' radix histogram (`counts`, by raw bin) and
/// their number of values, `n`.
fn gather_ranks_of_parts(parts: &[&[f64]], n: usize, ranks: &[usize], counts: Vec<u32>) -> Option<Vec<f64>> {
    let plan = RadixPlan::new(counts, ranks, n)?;
    // (In any order: selection does not depend on it.) Each thread's share goes into one
    // vector with room for all of them, so that none grows by copying, and the shares are
    // put together in the larger without a copy of it.
    let mut gathered: Vec<f64> = crate::pool::install(|| {
        parts
            .par_iter()
            .fold(Vec::new, |mut kept: Vec<f64>, part| {
                kept.reserve_exact(plan.held - kept.len());
                gather_wanted(part, &plan.wanted_bin, &mut kept);
                kept
            })
            .reduce_with(|a, b| {
                let (mut larger, smaller) = if a.len() >= b.len() { (a, b) } else { (b, a) };
                larger.extend_from_slice(&smaller);
                larger
            })
    })?;
    debug_assert_eq!(gathered.len(), plan.held);
    Some(select_ranks(&mut gathered, &plan.positions()))
}

/// Add `values` to a radix histogram by raw bin. (As an array, which `bin_of` cannot pass
/// the end of: no bounds check per value.)
fn count_bins(counts: &mut [u32], values: &[f64]) {
    let counts: &mut [u32; 1 << RADIX_BITS] = counts.try_into().expect("a radix histogram");
    values.iter().for_each(|&v| counts[bin_of(v)] += 1);
}

/// Append the values of `part` in wanted bins to `kept`, in order. Branch-free, a stage
/// at a time: every value is stored, and the stage's end advanced for a wanted one only
/// (a branch per value would mispredict where wanted values come at random).
fn gather_wanted(part: &[f64], wanted: &[bool; 1 << RADIX_BITS], kept: &mut Vec<f64>) {
    const STAGE: usize = 2048;
    let mut stage = [0.0f64; STAGE];
    for values in part.chunks(STAGE) {
        let mut end = 0;
        for &v in values {
            // (`end` is at most the values stored before this one, below STAGE, a power
            // of two: the mask changes nothing and spares a bounds check.)
            stage[end & (STAGE - 1)] = v;
            end += usize::from(wanted[bin_of(v)]);
        }
        kept.extend_from_slice(&stage[..end]);
    }
}

fn histogram(values: &[f64]) -> Vec<u32> {
    let mut counts = vec![0u32; 1 << RADIX_BITS];
    count_bins(&mut counts, values);
    counts
}

fn add_counts(mut a: Vec<u32>, b: Vec<u32>) -> Vec<u32> {
    a.iter_mut().zip(&b).for_each(|(x, y)| *x += y);
    a
}

/// Where the wanted ranks fall in a radix histogram.
struct RadixPlan {
    /// The values per bin, in order-key order.
    counts: Vec<u32>,
    /// Per wanted rank: its bin and its rank among the bin's values.
    wanted: Vec<(usize, usize)>,
    /// The distinct bins of `wanted`, ascending, and whether each raw bin (`bin_of`) is
    /// one of them.
    bins: Vec<usize>,
    wanted_bin: Box<[bool; 1 << RADIX_BITS]>,
    /// How many values the wanted bins hold.
    held: usize,
}

impl RadixPlan {
    /// The plan of a histogram by raw bin (`bin_of`); `None` when the wanted bins hold
    /// more than 1/RADIX_GIVE_UP of the `n` values.
    fn new(raw_counts: Vec<u32>, ranks: &[usize], n: usize) -> Option<RadixPlan> {
        let mut counts = vec![0u32; 1 << RADIX_BITS];
        for (raw, &count) in raw_counts.iter().enumerate() {
            counts[key_bin(raw)] = count;
        }
        // One walk of the cumulative counts (ranks ascend).
        let mut wanted: Vec<(usize, usize)> = Vec::with_capacity(ranks.len());
        let (mut bin, mut below) = (0usize, 0usize);
        for &rank in ranks {
            while below + counts[bin] as usize <= rank {
                below += counts[bin] as usize;
                bin += 1;
            }
            wanted.push((bin, rank - below));
        }
        let mut bins: Vec<usize> = wanted.iter().map(|&(b, _)| b).collect();
        bins.dedup();
        let held: usize = bins.iter().map(|&b| counts[b] as usize).sum();
        if held * RADIX_GIVE_UP > n {
            return None;
        }
        let mut wanted_key_bin = vec![false; 1 << RADIX_BITS];
        bins.iter().for_each(|&b| wanted_key_bin[b] = true);
        let wanted_bin: Box<[bool]> = (0..1 << RADIX_BITS).map(|raw| wanted_key_bin[key_bin(raw)]).collect();
        let wanted_bin = wanted_bin.try_into().expect("a flag per raw bin");
        Some(RadixPlan {
            counts,
            wanted,
            bins,
            wanted_bin,
            held,
        })
    }

    /// Each wanted rank's position among the wanted bins' values once sorted (they are
    /// the bins' values bin after bin): the wanted bins' values below its bin plus its
    /// rank inside.
    fn positions(&self) -> Vec<usize> {
        self.wanted
            .iter()
            .map(|&(b, inner)| {
                let before: usize = self
                    .bins
                    .iter()
                    .take_while(|&&other| other < b)
                    .map(|&other| self.counts[other] as usize)
                    .sum();
                before + inner
            })
            .collect()
    }
}

/// Move the first `fronts[k]` values of each part `k` (parts of `part` values) to the
/// front of `values`, in part order, by swaps; returns how many were moved.
fn gather_fronts(values: &mut [f64], part: usize, fronts: &[usize]) -> usize {
    let mut gathered = 0;
    for (k, &front) in fronts.iter().enumerate() {
        // Element by element, ascending: correct even where the two ranges overlap.
        for j in 0..front {
            values.swap(gathered + j, k * part + j);
        }
        gathered += front;
    }
    gathered
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
/// Each block's mean and M2 are corrected by its deviations' sum (`corrected`), so a
/// block is as exact as its mean's rounding allows. Each part's mean is still a float,
/// rounded by up to half an ulp (6e-8 at 1e9), and Chan's update takes it as exact: for
/// values whose spread is tiny against their size (1e9 plus up to 1e-3: a coefficient of
/// variation of 3e-13) the std of many blocks or merged parts can still differ from the
/// exact one by about 1e-8 relative; carrying each part's residual sum of deviations
/// would close that, at the cost of one more stored float per pattern. Ordinary spreads
/// agree to about 1e-14.
///
/// Blocks of values are reduced with the two-pass formula while they sit in cache and then
/// combined with Chan, Golub and LeVeque's pairwise update ("Updating formulae and a
/// pairwise algorithm for computing sample variances", 1979), so the column is read once
/// and the result is as accurate as a two-pass computation per block. Mergeable.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Moments {
    pub count: u64,
    pub mean: f64,
    /// What `mean` leaves out (at most half its last bit): `mean + mean_low` is the mean
    /// to about twice a double's precision, so that Chan's update sees the differences
    /// between parts' means whole. Serialized with the state, so merged states keep it.
    pub mean_low: f64,
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
            mean_low: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sum: 0.0,
        }
    }
}

const BLOCK: usize = 1024;
/// Blocks per piece of `moments_and_percentiles_of_parts`' work (64K values: a few
/// pieces per held chunk of times, so that both cores have some even when few are held).
const PIECE_BLOCKS: usize = 64;

/// Per part, how many of its first values complete the block begun by the parts before
/// it (blocks of `BLOCK` values counted from the first part's first value; at most the
/// part's length): its whole blocks start there.
fn block_heads(parts: &[&[f64]]) -> Vec<usize> {
    let mut offset = 0;
    parts
        .iter()
        .map(|part| {
            let head = ((BLOCK - offset % BLOCK) % BLOCK).min(part.len());
            offset += part.len();
            head
        })
        .collect()
}

/// The mean of a block whose values add up to `sum`: their value when all are equal, else
/// `sum / n`; when the sum passed the largest double (values near it), the same from the
/// values scaled by 2^-11, exactly (a block has at most 2^10 values, so their scaled sum
/// stays below half the largest double; values below 2^-1011 lose bits that such a sum
/// rounds away anyway).
fn block_mean(block: &[f64], sum: f64, min: f64, max: f64) -> f64 {
    const SCALE: f64 = 1.0 / 2048.0;
    debug_assert!(block.len() <= BLOCK);
    let n = block.len() as f64;
    if min == max {
        min // equal values: exactly (so their squared deviations are exactly 0)
    } else if sum.is_finite() {
        sum / n
    } else {
        let scaled: f64 = block.iter().map(|&v| v * SCALE).sum();
        (scaled / n / SCALE).min(max)
    }
}

/// A block's mean and M2 from its rounded mean `rounded`, given the sums of the squared
/// deviations from it (`m2`) and of the deviations (`deviations`): Chan, Golub and
/// LeVeque's corrected two-pass formula (1983), M2 - (sum of deviations)^2 / n, and the
/// mean moved by their average. The sum a block's mean is divided from rounds by far more
/// than the mean's own half ulp (1,000 values of 1e9 plus up to 1e-3 summed to 1e12, whose
/// ulp is 1.2e-4), and the squared deviations from a mean off by `e` add n e^2: the std of
/// such a block was off by 7e-7 relative, and by 5e-6 at 100,000 values (session 37). The
/// correction is left out when the deviations' sum is not finite (values far apart near
/// the largest double, whose M2 is infinite anyway).
fn corrected(rounded: f64, m2: f64, deviations: f64, n: usize, (min, max): (f64, f64)) -> (f64, f64, f64) {
    if deviations == 0.0 || !deviations.is_finite() {
        return (rounded, 0.0, m2);
    }
    let n = n as f64;
    // (Never below 0: the sum of squares bounds the squared sum over n, but each rounds.
    // Left out when it is not finite: values near 1e300 whose M2 is infinite anyway,
    // where inf - inf made a NaN that `max` turned into a std of 0.)
    let correction = deviations * (deviations / n);
    let m2 = if correction.is_finite() {
        (m2 - correction).max(0.0)
    } else {
        m2
    };
    let (mean, low) = two_sum(rounded, deviations / n);
    if !(min..=max).contains(&mean) || !low.is_finite() {
        return (mean.clamp(min, max), 0.0, m2);
    }
    (mean, low, m2)
}

/// `a * b` and its rounding error (Dekker's TwoProduct, with Veltkamp's splitting: no
/// fused multiply-add, which baseline x86-64 lacks): `a * b` exactly is their sum, unless
/// a factor is past about 2^996 (the split overflows: not finite) or the error is below
/// the smallest normal double (it loses bits then).
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let product = a * b;
    let (a_high, a_low) = split(a);
    let (b_high, b_low) = split(b);
    let error = ((a_high * b_high - product) + a_high * b_low + a_low * b_high) + a_low * b_low;
    (product, error)
}

/// `v` as a sum of two doubles of 26 significant bits each (Veltkamp).
fn split(v: f64) -> (f64, f64) {
    const FACTOR: f64 = (1u64 << 27) as f64 + 1.0;
    let scaled = v * FACTOR;
    let high = scaled - (scaled - v);
    (high, v - high)
}

/// `(high + low) / n`, `n` an integer count of at most 2^53, as a pair whose first part
/// is the nearest double to it (or next to it) and whose second part holds the rest: the
/// quotient's remainder is exact (`two_prod`), so the pair is off by a few roundings of
/// its small second part only.
fn divide_pair(high: f64, low: f64, n: f64) -> (f64, f64) {
    let quotient = high / n;
    let (product, error) = two_prod(quotient, n);
    // (`high - product` is exact: the two are within a few ulps of each other.)
    let rest = ((high - product) - error) + low;
    two_sum(quotient, rest / n)
}

/// A block's values' sum as a pair (`Sums`: the lanes' plain sums and rounding errors):
/// its first part is the bits of the plain sum, `(s0 + s1) + (s2 + s3)`.
fn pair_sum(sums: &Sums) -> (f64, f64) {
    let [s0, s1, s2, s3] = sums.sum;
    let [e0, e1, e2, e3] = sums.errors;
    let (a, a_error) = two_sum(s0, s1);
    let (b, b_error) = two_sum(s2, s3);
    let (sum, error) = two_sum(a, b);
    (sum, ((e0 + e1) + (e2 + e3)) + ((a_error + b_error) + error))
}

/// Whether `value + low`, off from an exact number by at most `bound`, settles that
/// number's rounding to nearest: the number then lies strictly inside half the gaps to the
/// doubles either side of `value` (the lower one is half the upper at a power of two), so
/// it rounds to `value`.
fn settled(value: f64, low: f64, bound: f64) -> bool {
    let above = (value.next_up() - value) / 2.0;
    let below = (value - value.next_down()) / 2.0;
    low + bound < above && low - bound > -below
}

impl Moments {
    /// The moments of `values`: blocks of `BLOCK` values, combined in order. (Reading
    /// the column is the cost, 0.75 ns per value: reducing blocks on two cores was no
    /// faster.)
    pub fn of(values: &[f64]) -> Moments {
        let mut acc = Moments::default();
        for block in values.chunks(BLOCK) {
            acc.merge(&Moments::of_block(block));
        }
        acc
    }

    /// `of` the values of `parts` taken together: the same blocks, so the same bits (a
    /// block that spans parts is put together in a buffer).
    pub fn of_parts(parts: &[&[f64]]) -> Moments {
        let heads = block_heads(parts);
        let blocks: Vec<Vec<Moments>> = parts
            .iter()
            .zip(&heads)
            .map(|(part, &head)| part[head..].chunks_exact(BLOCK).map(Moments::of_block).collect())
            .collect();
        Moments::of_parts_given(parts, &heads, &blocks)
    }

    /// `of_parts` given the moments of each part's whole blocks (`blocks[k]`: those of
    /// `parts[k][heads[k]..]`, see `block_heads`): the blocks that span parts are
    /// reduced here, and every block's moments combined in order.
    fn of_parts_given(parts: &[&[f64]], heads: &[usize], blocks: &[Vec<Moments>]) -> Moments {
        let mut acc = Moments::default();
        let mut spanning: Vec<f64> = Vec::with_capacity(BLOCK);
        for ((part, &head), whole) in parts.iter().zip(heads).zip(blocks) {
            if head > 0 {
                spanning.extend_from_slice(&part[..head]);
                if spanning.len() == BLOCK {
                    acc.merge(&Moments::of_block(&spanning));
                    spanning.clear();
                }
            }
            whole.iter().for_each(|m| acc.merge(m));
            spanning.extend_from_slice(part[head..].chunks_exact(BLOCK).remainder());
        }
        acc.merge(&Moments::of_block(&spanning));
        acc
    }

    /// One block's moments: per-lane loops (`moment_lanes`, in AVX2 where the CPU has
    /// it), the block's rest added to the lanes in order.
    fn of_block(block: &[f64]) -> Moments {
        if block.is_empty() {
            return Moments::default();
        }
        let whole = block.len() / LANES * LANES;
        let (quads, rest) = block.split_at(whole);
        let (mut sums, mut min, mut max) = sums_and_extremes(quads);
        for (lane, &v) in rest.iter().enumerate() {
            sums.add(lane, v);
            min[lane] = lesser(min[lane], v);
            max[lane] = greater(max[lane], v);
        }
        let (sum, sum_low) = pair_sum(&sums);
        let min = min.into_iter().fold(f64::INFINITY, f64::min);
        let max = max.into_iter().fold(f64::NEG_INFINITY, f64::max);
        let rounded = block_mean(block, sum, min, max);
        let (mut m2, mut deviations) = squared_deviations(quads, rounded);
        for (lane, &v) in rest.iter().enumerate() {
            let d = v - rounded;
            m2[lane] += d * d;
            deviations[lane] += d;
        }
        let m2 = (m2[0] + m2[1]) + (m2[2] + m2[3]);
        let deviations = (deviations[0] + deviations[1]) + (deviations[2] + deviations[3]);
        let (mut mean, mut mean_low, m2) = corrected(rounded, m2, deviations, block.len(), (min, max));
        // The mean from the sum as a pair, to far more than a double's precision (see
        // `rounded_mean`); the deviations' sum above rounds by up to n ulps of the spread.
        // (Equal values: theirs exactly. Sums past the largest double keep the corrected
        // mean, which `rounded_mean` does not vouch for.)
        let exact = divide_pair(sum, sum_low, block.len() as f64);
        if min != max && exact.0.is_finite() && exact.1.is_finite() {
            (mean, mean_low) = exact;
        }
        Moments {
            count: block.len() as u64,
            mean,
            mean_low,
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
        // The new mean, mean + (other's mean - mean) nb / n, in pairs (high, low): each
        // step's rounding error kept (`two_sum`, `two_prod`, `divide_pair`), so that the
        // merged mean is as exact as its parts' (see `rounded_mean`).
        let (delta, delta_error) = two_sum(other.mean, -self.mean);
        let delta_low = delta_error + (other.mean_low - self.mean_low);
        let (product, product_error) = two_prod(delta, nb);
        let (step, step_low) = divide_pair(product, product_error + delta_low * nb, n);
        let (mean, error) = two_sum(self.mean, step);
        let (mean, low) = two_sum(mean, error + (self.mean_low + step_low));
        let delta = delta + delta_low;
        // `delta * nb` passes the largest double only for means near it: then divide first
        // (and keep the mean within the extremes it lies between, whatever the rounding).
        if [delta, product, product_error, step, step_low, mean, low]
            .iter()
            .all(|v| v.is_finite())
        {
            (self.mean, self.mean_low) = (mean, low);
        } else {
            let delta = other.mean - self.mean;
            self.mean = (self.mean + delta * (nb / n)).min(self.max.max(other.max));
            self.mean_low = 0.0;
        };
        // delta² na nb / n, weighed first: na nb alone can take delta² past the largest
        // double when the spread itself is well within it.
        let weight = na * nb / n;
        self.m2 += other.m2 + delta * (delta * weight);
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sum += other.sum;
    }

    /// The exact mean of the values, correctly rounded (to nearest, ties to even), when
    /// `mean + mean_low` settles it; `None` when it cannot (then the caller sums the
    /// values exactly, `ExactSum::mean`, or reports `mean`, a double next to it).
    ///
    /// `mean` is the answer when the exact mean is sure to lie nearer to it than to its
    /// neighbours (`mean_error_bound`); else (about 2^-30 of the time for times within a
    /// factor 1,000 of their mean, and whenever the values pass about 2^990 together) `None`.
    pub fn rounded_mean(&self) -> Option<f64> {
        if self.count == 0 || self.min == self.max {
            return Some(if self.count == 0 { 0.0 } else { self.min });
        }
        let bound = self.mean_error_bound()?;
        settled(self.mean, self.mean_low, bound).then_some(self.mean)
    }

    /// How far `mean + mean_low` may be from the exact mean: less than `scale (2^-86 +
    /// count 2^-100) + count 2^-1066`, scale the largest magnitude among the values. A
    /// block's lanes sum with their rounding errors (`moment_lanes::Sums`), whose own sum
    /// rounds by under 256^2 u^2 of the scale in a block's mean (u = 2^-53), and each merge
    /// adds a few u^2 of it (its roundings are kept in pairs); the last term is what parts
    /// below the smallest normal double lose. `None` where no such bound holds: a mean or
    /// low part not finite, or values passing about 2^990 together (the blocks' scaled path).
    fn mean_error_bound(&self) -> Option<f64> {
        let scale = self.min.abs().max(self.max.abs());
        let count = self.count as f64;
        let finite = self.mean.is_finite() && self.mean_low.is_finite();
        (finite && scale * count < 2f64.powi(990))
            .then(|| scale * (2f64.powi(-86) + count * 2f64.powi(-100)) + count * 2f64.powi(-1066))
    }

    /// The exact sum of the values, correctly rounded (to nearest, ties to even), when
    /// `count * (mean + mean_low)` settles it: `math.fsum`'s result, whatever the order of
    /// the values and however they were split and merged. `None` when it cannot (then the
    /// caller sums the values exactly, `ExactSum::value`, or reports `sum_estimate`).
    ///
    /// The count times the exact mean is the exact sum, so `count * (mean + mean_low)` is
    /// off from it by `count` times `mean_error_bound`; that product is formed exactly
    /// (`two_prod`: exact for a mean of 2^-960 or more, whose partial products are all
    /// multiples of its last bit) but for the roundings of its small parts, which the bound
    /// takes in. Equal values: their value times the count, one rounding (+infinity past
    /// the largest double, as IEEE rounding and the reference's `math.fsum` overflow give).
    /// Else `None` where `rounded_mean`'s bound does not hold (values passing 2^990
    /// together), for a mean below 2^-960, for more than 2^53 values, and when the sum lies
    /// too near a point halfway between two doubles (about 2^-33 times the largest value
    /// over the mean, of the time).
    pub fn rounded_sum(&self) -> Option<f64> {
        if self.count == 0 {
            return Some(0.0);
        }
        if self.count > 1 << 53 {
            return None; // (the count is no longer a double exactly)
        }
        let n = self.count as f64;
        if self.min == self.max {
            return Some(self.min * n);
        }
        if self.mean < 2f64.powi(-960) {
            return None;
        }
        let bound = self.mean_error_bound()?;
        let (product, product_error) = two_prod(self.mean, n);
        let low = self.mean_low * n;
        let rest = product_error + low;
        let (sum, sum_low) = two_sum(product, rest);
        // What the pair leaves out: the mean's bound, count times, the roundings of `low`
        // and `rest` (half an ulp each, and half the smallest double where they are below
        // the normal range).
        let rounding = (low.abs() + rest.abs()) * f64::EPSILON + f64::from_bits(2);
        settled(sum, sum_low, n * bound + rounding).then_some(sum)
    }

    /// The nearest double to `count * (mean + mean_low)` (within a few of its smallest
    /// roundings): the sum of a summary's values when `rounded_sum` cannot settle it. An ulp
    /// from the exact sum at most where `mean_error_bound` holds; else the mean's few ulps
    /// (values past 2^990 together: +infinity once `count * mean` passes the largest
    /// double), or, for a mean below 2^-960, a few of the smallest doubles per value.
    pub fn sum_estimate(&self) -> f64 {
        let n = self.count as f64;
        let (product, error) = two_prod(self.mean, n);
        let estimate = product + (error + self.mean_low * n);
        if estimate.is_finite() {
            estimate
        } else {
            self.mean * n // (`two_prod` is not finite past about 2^996)
        }
    }

    /// Sample standard deviation (ddof = 1); 0.0 below two values. Infinite when the
    /// squared deviations pass the largest double (values apart by about 1e154 or more,
    /// or any unequal values near 1e170 and beyond, whose mean rounds by more than
    /// that), as is `sum` when the values add up past it; `mean` stays accurate then.
    pub fn sample_std(&self) -> f64 {
        if self.count < 2 {
            0.0
        } else {
            (self.m2 / (self.count - 1) as f64).sqrt()
        }
    }
}

#[cfg(test)]
mod moments_speed;
#[cfg(test)]
mod rounded_mean_tests;
#[cfg(test)]
mod rounded_sum_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_random::xorshift;

    #[test]
    fn order_keys_order_as_total_cmp() {
        let values = [
            f64::NEG_INFINITY,
            -f64::MAX,
            -1.5,
            -f64::MIN_POSITIVE,
            -f64::from_bits(1),
            -0.0,
            0.0,
            f64::from_bits(1),
            f64::MIN_POSITIVE,
            1.5,
            f64::MAX,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
        ];
        for a in values {
            for b in values {
                assert_eq!(order_key(a).cmp(&order_key(b)), a.total_cmp(&b), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn order_keys_turn_back_into_their_values() {
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let specials = [
            f64::NEG_INFINITY,
            -0.0,
            0.0,
            f64::INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::from_bits(1),
        ];
        // (Every bit pattern: signs, subnormals, NaN payloads.)
        let random = (0..10_000).map(|_| f64::from_bits(next()));
        for v in specials.into_iter().chain(random) {
            assert_eq!(from_order_key(order_key(v)).to_bits(), v.to_bits(), "{v:e}");
        }
    }

    #[test]
    fn selected_ranks_equal_sorting_and_leave_the_values() {
        // Negative and positive values, both zeros, infinities, NaNs of either sign,
        // subnormals and many duplicates, in columns long enough for selection (not the
        // short sort). (Durations hold no NaN; the order is total_cmp's all the same.)
        let pool = [
            -f64::NAN,
            f64::NEG_INFINITY,
            -3.5e300,
            -2.0,
            -2.0,
            -f64::from_bits(3),
            -0.0,
            0.0,
            f64::from_bits(1),
            1e-310,
            0.25,
            0.25,
            7.0,
            1e300,
            f64::INFINITY,
            f64::NAN,
            f64::from_bits(0xfff0_0000_0000_0001), // a negative NaN with a payload
        ];
        for n in [65, 66, 100, 257, 1_000, 4_099] {
            let values = column(n, |x| {
                if x % 3 == 0 {
                    pool[(x >> 8) as usize % pool.len()]
                } else {
                    ((x >> 11) as f64 / (1u64 << 40) as f64) - 2_000.0
                }
            });
            let ranks: Vec<usize> = [0, 1, n / 2 - 1, n / 2, n * 19 / 20, n * 99 / 100, n - 2, n - 1]
                .into_iter()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let mut scratch = values.clone();
            let got = select_ranks(&mut scratch, &ranks);
            let want = sorted_ranks(&values, &ranks);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "n = {n}");
            // The column holds its values again (reordered), not their keys.
            assert_eq!(
                bits(&sorted_ranks(&scratch, &(0..n).collect::<Vec<_>>())),
                bits(&sorted_ranks(&values, &(0..n).collect::<Vec<_>>())),
                "n = {n}"
            );
        }
    }

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
        let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
        let values: Vec<f64> = (0..10_007).map(|_| (next() % 5_000) as f64 / 7.0).collect();
        let qs = [0.0, 0.5, 0.95, 0.99, 1.0];
        let got = percentiles_linear(&mut values.clone(), &qs);
        for (g, &q) in got.iter().zip(&qs) {
            assert_eq!(*g, sorted_linear(&values, q), "q = {q}");
        }
    }

    /// A deterministic pseudo-random column of `n` values drawn by `draw` from a u64.
    fn column(n: usize, draw: impl Fn(u64) -> f64) -> Vec<f64> {
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        (0..n).map(|_| draw(next())).collect()
    }

    fn sorted_ranks(values: &[f64], ranks: &[usize]) -> Vec<f64> {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        ranks.iter().map(|&r| sorted[r]).collect()
    }

    #[test]
    fn radix_ranks_equal_sorting_on_large_columns() {
        let spread = |x: u64| ((x % 1_000_000) as f64 / 1000.0).exp2() * 0.001;
        // Many zeros around the median, half of them negative zeros (below 0.0 in total order).
        let signed = |x: u64| match (x % 201) as f64 - 100.0 {
            0.0 if x % 2 == 1 => -0.0,
            v => v,
        };
        // 397 distinct values, about 500 copies of each, one value per radix bin.
        let duplicates = |x: u64| 1.1f64.powi((x % 397) as i32);
        for (name, values) in [
            ("spread over 1000 octaves", column(100_003, spread)),
            ("negative, zero and signed zeros", column(RADIX_MIN, signed)),
            ("few distinct values", column(200_000, duplicates)),
        ] {
            let n = values.len();
            let ranks = [0, 1, n / 2, n / 2 + 1, n * 95 / 100, n * 99 / 100, n - 2, n - 1];
            let mut scratch = values.clone();
            let got = radix_ranks(&mut scratch, &ranks).unwrap_or_else(|| panic!("{name}: the radix path gave up"));
            // Reordered, nothing lost or repeated.
            let bits = |v: &[f64]| {
                let mut b: Vec<u64> = v.iter().map(|x| x.to_bits()).collect();
                b.sort_unstable();
                b
            };
            assert_eq!(bits(&scratch), bits(&values), "{name}: the column changed");
            let want = sorted_ranks(&values, &ranks);
            assert_eq!(
                got.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                "{name}"
            );
        }
    }

    #[test]
    fn key_bins_are_the_order_keys_top_bits_and_a_bijection() {
        let mut seen = vec![false; 1 << RADIX_BITS];
        let mut low = xorshift(0x9e37_79b9_7f4a_7c15);
        for raw in 0..1usize << RADIX_BITS {
            let key = key_bin(raw);
            assert!(!std::mem::replace(&mut seen[key], true), "bin {raw:#x} shares {key:#x}");
            // Any value with these top bits (NaNs and infinities among them) has its order
            // key's top bits in that bin.
            for _ in 0..4 {
                let bits = (raw as u64) << (64 - RADIX_BITS) | (low() >> RADIX_BITS);
                let v = f64::from_bits(bits);
                assert_eq!(bin_of(v), raw);
                assert_eq!((order_key(v) >> (64 - RADIX_BITS)) as usize, key, "{bits:#x}");
            }
        }
    }

    #[test]
    fn fronts_are_gathered_in_order_even_when_they_overlap() {
        // Parts of 4; fronts of 3, 4, 0 and 2 values (marked by their part in the tens):
        // part 1's front overlaps where it goes.
        let mut values: Vec<f64> = [
            [0.0, 1.0, 2.0, -1.0],
            [10.0, 11.0, 12.0, 13.0],
            [-1.0; 4],
            [30.0, 31.0, -1.0, -1.0],
        ]
        .concat();
        assert_eq!(gather_fronts(&mut values, 4, &[3, 4, 0, 2]), 9);
        assert_eq!(values[..9], [0.0, 1.0, 2.0, 10.0, 11.0, 12.0, 13.0, 30.0, 31.0]);
        assert!(values[9..].iter().all(|&v| v == -1.0));
    }

    #[test]
    fn radix_ranks_give_up_on_near_equal_and_short_columns() {
        let near_equal = column(RADIX_MIN * 2, |x| 100.0 + (x % 1000) as f64 * 1e-9);
        assert_eq!(radix_ranks(&mut near_equal.clone(), &[0, 5, 70_000]), None);
        let short = column(RADIX_MIN - 1, |x| x as f64);
        assert_eq!(radix_ranks(&mut short.clone(), &[0, 1]), None);
        // Both still get exact percentiles, by selection.
        let qs = [0.5, 0.95, 0.99];
        for values in [near_equal, short] {
            let got = percentiles_linear(&mut values.clone(), &qs);
            for (g, &q) in got.iter().zip(&qs) {
                assert_eq!(g.to_bits(), sorted_linear(&values, q).to_bits(), "q = {q}");
            }
        }
    }

    #[test]
    fn percentiles_of_a_large_column_equal_sorting() {
        let values = column(300_007, |x| ((x % 100_000) as f64 / 10_000.0).exp());
        let qs = [0.0, 0.5, 0.95, 0.99, 1.0];
        let got = percentiles_linear(&mut values.clone(), &qs);
        for (g, &q) in got.iter().zip(&qs) {
            assert_eq!(g.to_bits(), sorted_linear(&values, q).to_bits(), "q = {q}");
        }
    }

    /// `values` cut into parts of the given lengths (the last takes the rest).
    fn cut<'a>(values: &'a [f64], lengths: &[usize]) -> Vec<&'a [f64]> {
        let mut parts = Vec::new();
        let mut rest = values;
        for &len in lengths {
            let (part, tail) = rest.split_at(len.min(rest.len()));
            parts.push(part);
            rest = tail;
        }
        parts.push(rest);
        parts
    }

    #[test]
    fn gathering_keeps_the_wanted_values_in_order() {
        // Every other bin wanted, then none, then all; parts around the stage's length.
        let mut next = crate::test_random::xorshift(0x2545_f491_4f6c_dd1d);
        let values: Vec<f64> = (0..10_000).map(|_| f64::from_bits(next() >> 1)).collect();
        for wanted in [|bin: usize| bin % 2 == 1, |_| false, |_| true] {
            let table: Box<[bool]> = (0..1 << RADIX_BITS).map(wanted).collect();
            let table: Box<[bool; 1 << RADIX_BITS]> = table.try_into().unwrap();
            for len in [0, 1, 2047, 2048, 2049, 4097, 10_000] {
                let mut kept = vec![-1.0];
                gather_wanted(&values[..len], &table, &mut kept);
                let want: Vec<f64> = [-1.0]
                    .into_iter()
                    .chain(values[..len].iter().copied().filter(|&v| table[bin_of(v)]))
                    .collect();
                // (Bits: the random values include NaNs.)
                let bits = |values: &[f64]| values.iter().map(|v| v.to_bits()).collect::<Vec<u64>>();
                assert!(
                    bits(&kept) == bits(&want),
                    "{len} values: {} kept, {} wanted",
                    kept.len(),
                    want.len()
                );
            }
        }
    }

    #[test]
    fn moments_of_parts_are_the_bits_of_the_whole() {
        let values = column(10_000, |x| ((x % 100_000) as f64 / 10_000.0).exp());
        let whole = Moments::of(&values);
        // Empty parts, parts inside a block, parts ending on a block bound, one part.
        for lengths in [
            vec![],
            vec![0, 1, 0, 1023, 1024, 5],
            vec![1024, 2048, 999, 1],
            vec![7; 1400],
            vec![3000, 0],
        ] {
            assert_eq!(Moments::of_parts(&cut(&values, &lengths)), whole, "{lengths:?}");
        }
        assert_eq!(Moments::of_parts(&[]), Moments::default());
    }

    #[test]
    fn percentiles_and_moments_of_parts_equal_sorting_and_the_whole() {
        let qs = [0.0, 0.01, 0.5, 0.95, 0.99, 1.0];
        let spread = column(300_007, |x| ((x % 100_000) as f64 / 10_000.0).exp());
        let near_equal = column(RADIX_MIN * 2, |x| 100.0 + (x % 1000) as f64 * 1e-9);
        let short = column(5_000, |x| (x % 777) as f64);
        for (name, values, radix) in [
            ("spread", spread, true),
            ("near-equal", near_equal, false),
            ("short", short, false),
        ] {
            let whole = Moments::of(&values);
            for lengths in [
                vec![65_536; 4],
                vec![1, 0, 100_000],
                vec![1023, 1025, 7, 0, 99_999],
                vec![1000, 10, 14, 70_000], // the 10 lie inside the first block
                vec![],
            ] {
                let parts = cut(&values, &lengths);
                let got = percentiles_of_parts(&parts, &qs);
                assert_eq!(got.is_some(), radix, "{name}: the radix path applies, or gives up");
                // In one read: the same percentiles, and the moments' bits of the whole.
                let (moments, percentiles) = moments_and_percentiles_of_parts(&parts, &qs);
                assert_eq!(
                    (moments, &percentiles),
                    (whole, &got),
                    "{name} {lengths:?}: in one read"
                );
                for (g, &q) in got.unwrap_or_default().iter().zip(&qs) {
                    assert_eq!(
                        g.to_bits(),
                        sorted_linear(&values, q).to_bits(),
                        "{name} {lengths:?} q = {q}"
                    );
                }
            }
        }
        assert_eq!(percentiles_of_parts(&[&[], &[]], &qs), Some(vec![]));
        // The radix path itself ran on the spread column (it gives up on the other two).
        let values = column(300_007, |x| ((x % 100_000) as f64 / 10_000.0).exp());
        let ranks = [0, 150_003, 300_006];
        let got = radix_ranks_of_parts(&cut(&values, &[70_000, 70_000]), &ranks).expect("the radix path");
        assert_eq!(got, sorted_ranks(&values, &ranks));
        // And on values of both signs, spread over many octaves (bins of either order).
        let signed = column(200_003, |x| {
            let magnitude = ((x % 60_000) as f64 / 1000.0).exp2();
            if x % 3 == 0 {
                -magnitude
            } else {
                magnitude
            }
        });
        let n = signed.len();
        let ranks = [0, n / 3 - 1, n / 3, n / 2, n * 99 / 100, n - 1];
        let got = radix_ranks_of_parts(&cut(&signed, &[90_000, 1, 100_000]), &ranks).expect("the radix path");
        assert_eq!(got, sorted_ranks(&signed, &ranks));
    }

    /// Both compilations of `of_block` (rust/wide.rs) give the same bits: blocks of every
    /// length up to a few lanes past `BLOCK`'s quads, spread values, equal ones, values
    /// whose sum overflows, infinities and zeros of both signs.
    #[test]
    fn moments_of_blocks_are_the_same_bits_on_baseline() {
        let spread = column(BLOCK, |x| ((x % 100_000) as f64 / 10_000.0).exp() - 3.0);
        let equal = vec![0.1; BLOCK];
        let huge: Vec<f64> = (0..BLOCK).map(|i| if i % 3 == 0 { 1.5e308 } else { 1.7e308 }).collect();
        let mut infinite = spread.clone();
        infinite[BLOCK / 2] = f64::INFINITY;
        // Which zero a minimum or maximum keeps: the first met in each lane.
        let zeros: Vec<f64> = (0..BLOCK).map(|i| [0.0, -0.0, 0.0, 0.0, -0.0, -0.0][i % 6]).collect();
        let bits = |m: Moments| {
            [
                m.count,
                m.mean.to_bits(),
                m.mean_low.to_bits(),
                m.m2.to_bits(),
                m.min.to_bits(),
                m.max.to_bits(),
            ]
        };
        for values in [&spread, &equal, &huge, &infinite, &zeros] {
            for len in (0..12).chain(BLOCK - 9..=BLOCK) {
                let block = &values[..len];
                let baseline = crate::wide::on_baseline(|| Moments::of_block(block));
                let chosen = Moments::of_block(block);
                assert_eq!(bits(chosen), bits(baseline), "{len} values from {}", values[0]);
                assert_eq!(chosen.sum.to_bits(), baseline.sum.to_bits());
            }
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

    /// Values of 1e9 plus up to 1e-3 (multiples of 2^-20, so each sum with 1e9 is exact):
    /// their std is that of the small parts, which f64 gets to about 1e-15. Before the
    /// blocks' correction, 7e-7 relative off at 1,000 values and 5e-6 at 100,000.
    #[test]
    fn std_of_values_with_a_large_offset_is_that_of_their_spread() {
        let mut next = crate::test_random::xorshift(37);
        for n in [1_000, 100_000, 1_000_000] {
            let small: Vec<f64> = (0..n).map(|_| (next() % 1049) as f64 / (1u64 << 20) as f64).collect();
            let values: Vec<f64> = small.iter().map(|s| 1e9 + s).collect();
            let mean = small.iter().sum::<f64>() / n as f64;
            let m2: f64 = small.iter().map(|s| (s - mean) * (s - mean)).sum();
            let exact = (m2 / (n - 1) as f64).sqrt();
            let mut split = Moments::of(&values[..n / 3]);
            split.merge(&Moments::of(&values[n / 3..]));
            for (how, moments) in [("one pass", Moments::of(&values)), ("merged", split)] {
                let error = (moments.sample_std() - exact).abs() / exact;
                println!("{n} {how}: {error:e} mean off by {:e}", moments.mean - (1e9 + mean));
                assert!(error < 1e-9, "{n} values, {how}: {error:e}");
            }
        }
    }

    /// Values near 1e300 spread widely: their deviations' sum is finite but its square is
    /// not, nor are their squared deviations. The std is infinite (see `sample_std`), as
    /// before the blocks' correction, which had made it 0 (inf - inf, then `max(0.0)`).
    #[test]
    fn a_std_past_the_largest_double_stays_infinite() {
        let mut next = crate::test_random::xorshift(5);
        let wide: Vec<f64> = (0..1000).map(|_| (next() % 1000) as f64 * 1e297).collect();
        for values in [&[1e300, 1e300, 7e299][..], &wide] {
            let one = Moments::of(values);
            assert_eq!(one.sample_std(), f64::INFINITY, "{} values", values.len());
            assert!(one.mean.is_finite() && one.mean_low.is_finite());
            let mut split = Moments::of(&values[..1]);
            split.merge(&Moments::of(&values[1..]));
            assert_eq!(split.sample_std(), f64::INFINITY, "{} values, merged", values.len());
        }
    }

    #[test]
    fn means_of_values_whose_sum_overflows_stay_exact() {
        // Unequal values within a block (the scaled sum), across blocks and across merged
        // parts, whose means lie so far apart that the merge divides first.
        for n in [4usize, 1024, 5000] {
            let values: Vec<f64> = (0..n).map(|i| if i % 2 == 0 { 1.5e308 } else { 1.7e308 }).collect();
            let mut split = Moments::of(&values[..n / 2]);
            split.merge(&Moments::of(&values[n / 2..]));
            for m in [Moments::of(&values), split] {
                assert!((m.mean - 1.6e308).abs() <= 1.6e308 * 1e-12, "{n}: {}", m.mean);
                assert_eq!((m.min, m.max, m.sum), (1.5e308, 1.7e308, f64::INFINITY));
            }
        }
        let halves: Vec<f64> = (0..5000).map(|i| if i < 2500 { 0.0 } else { 1.7e308 }).collect();
        let mut split = Moments::of(&halves[..2500]);
        split.merge(&Moments::of(&halves[2500..]));
        for m in [Moments::of(&halves), split] {
            assert!((m.mean - 0.85e308).abs() <= 0.85e308 * 1e-12, "{}", m.mean);
        }
        let largest = [f64::MAX; 4];
        assert_eq!(Moments::of(&largest).mean, f64::MAX);
        let mixed = Moments::of(&[0.0, 1.5e308, 1.5e308, 1.5e308]);
        assert_eq!(mixed.mean, 1.125e308);
        // The squared deviations pass the range here; equal values have none.
        assert_eq!(mixed.sample_std(), f64::INFINITY);
        for n in [3usize, 1024, 5000] {
            let equal = Moments::of(&vec![1.7e308; n]);
            assert_eq!((equal.mean, equal.m2, equal.sample_std()), (1.7e308, 0.0, 0.0));
        }
    }

    #[test]
    fn merged_spread_stays_finite_where_the_whole_is() {
        // 14,000 times 1 and 14,000 times 9.9e149: delta² na nb alone passes the range.
        let (ones, huge) = (vec![1.0; 14_000], vec![9.9e149; 14_000]);
        let mut merged = Moments::of(&ones);
        merged.merge(&Moments::of(&huge));
        let whole = Moments::of(&[ones, huge].concat());
        assert!(merged.m2.is_finite() && whole.m2.is_finite());
        let std = merged.sample_std();
        assert!((std - whole.sample_std()).abs() <= whole.sample_std() * 1e-12, "{std}");
        assert!((std - 4.95e149).abs() <= 4.95e149 * 1e-3, "{std}");
    }
}
