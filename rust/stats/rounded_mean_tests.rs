//! `Moments::rounded_mean` and `ExactSum::mean`: the exact mean of the values, rounded once
//! (to nearest, ties to even), from one pass, from any split merged, and past the
//! shortcut's reach. The oracle: values whose exact sum is itself a double (integers, or
//! integers scaled by a power of two), whose mean one IEEE division rounds correctly.

use super::Moments;
use crate::exact_sum::ExactSum;
use crate::test_random::xorshift;

/// The mean as the core reports it: the moments' when they settle it, else the exact sum's.
fn reported(moments: &Moments, values: &[f64]) -> f64 {
    moments.rounded_mean().unwrap_or_else(|| exact_mean(values))
}

fn exact_mean(values: &[f64]) -> f64 {
    let mut sum = ExactSum::default();
    values.iter().for_each(|&v| sum.add(v));
    sum.mean(values.len() as u64)
}

/// The moments of `values` cut at `cuts` (ascending), merged left to right.
fn merged(values: &[f64], cuts: &[usize]) -> Moments {
    let mut acc = Moments::default();
    let mut start = 0;
    for &cut in cuts.iter().chain([&values.len()]) {
        acc.merge(&Moments::of(&values[start..cut]));
        start = cut;
    }
    acc
}

#[test]
fn zero_zero_five_has_the_correctly_rounded_mean() {
    // 5/3 = 1.66...6 (binary ...0101|0101...) rounds up to 1.6666666666666667; the
    // deviations' correction had moved it down an ulp.
    let values = [0.0, 0.0, 5.0];
    let m = Moments::of(&values);
    assert_eq!(m.rounded_mean(), Some(5.0 / 3.0));
    assert_eq!(m.mean, 5.0 / 3.0);
    assert_eq!(exact_mean(&values), 5.0 / 3.0);
}

#[test]
fn integer_values_give_their_sum_over_the_count_in_one_pass_and_merged() {
    let mut next = xorshift(0x51_7cc1_b727_220a);
    let mut settled = 0;
    let mut total = 0;
    for round in 0..3000 {
        // Few values to a few blocks; few distinct values or many; small and wide ranges.
        let n = match round % 4 {
            0 => 1 + (next() % 5) as usize,
            1 => 1 + (next() % 40) as usize,
            2 => 1000 + (next() % 100) as usize,
            _ => 1 + (next() % 5000) as usize,
        };
        let range = [2, 10, 1000, 1 << 30, 1 << 40][round % 5];
        let values: Vec<f64> = (0..n).map(|_| (next() % range) as f64).collect();
        let sum: u64 = values.iter().map(|&v| v as u64).sum();
        let want = sum as f64 / n as f64; // both exact: one rounding
        let cuts: Vec<usize> = {
            let mut cuts: Vec<usize> = (0..next() % 4).map(|_| (next() % (n as u64 + 1)) as usize).collect();
            cuts.sort_unstable();
            cuts
        };
        for (how, m) in [("one pass", Moments::of(&values)), ("merged", merged(&values, &cuts))] {
            total += 1;
            if let Some(mean) = m.rounded_mean() {
                settled += 1;
                assert_eq!(
                    mean.to_bits(),
                    want.to_bits(),
                    "{how}, {n} values below {range}, cuts {cuts:?}"
                );
            }
            assert_eq!(reported(&m, &values).to_bits(), want.to_bits(), "{how}");
        }
    }
    // The shortcut settles nearly all of them (the exact sum is the rare way).
    assert!(settled * 100 >= total * 99, "{settled} of {total}");
}

#[test]
fn huge_and_tiny_magnitudes_scale_exactly() {
    // Integers times 2^k: the exact mean is that of the integers times 2^k (while normal).
    let mut next = xorshift(77);
    for k in [-1000, -900, -60, 0, 60, 900, 960] {
        let scale = 2f64.powi(k);
        for n in [1usize, 2, 3, 7, 1023, 1025, 3000] {
            let integers: Vec<f64> = (0..n).map(|_| (next() % 1_000_001) as f64).collect();
            let sum: f64 = integers.iter().sum(); // exact: below 2^53
            let want = sum / n as f64 * scale;
            let values: Vec<f64> = integers.iter().map(|v| v * scale).collect();
            for m in [Moments::of(&values), merged(&values, &[n / 3, n / 2])] {
                assert_eq!(reported(&m, &values).to_bits(), want.to_bits(), "2^{k}, {n} values");
            }
        }
    }
}

#[test]
fn exact_means_round_ties_to_even_and_subnormals() {
    let ulp = f64::EPSILON; // of 1.0
                            // 1 + 2^-53: a tie, to the even 1.0; 1 + 3 2^-53: a tie, to the even 1 + 2^-51.
    assert_eq!(exact_mean(&[1.0, 1.0 + ulp]), 1.0);
    assert_eq!(exact_mean(&[1.0 + ulp, 1.0 + 2.0 * ulp]), 1.0 + 2.0 * ulp);
    // Just past a tie (by a digit far below the divided ones): up.
    let mut past = ExactSum::default();
    [1.0, 1.0 + ulp, 1e-300].iter().for_each(|&v| past.add(v));
    assert_eq!(past.mean(2), 1.0 + ulp);
    let tiny = f64::from_bits(1);
    assert_eq!(exact_mean(&[tiny, 0.0]), 0.0); // half of 2^-1074: to the even 0
    assert_eq!(exact_mean(&[f64::from_bits(3), 0.0]), f64::from_bits(2)); // 1.5: to 2
    assert_eq!(exact_mean(&[f64::from_bits(5), 0.0, 0.0]), f64::from_bits(2)); // 5/3
    assert_eq!(exact_mean(&[f64::MAX, f64::MAX, f64::MAX]), f64::MAX);
    assert_eq!(exact_mean(&[0.0; 4]), 0.0);
    // The same through the moments (near the smallest doubles the exact sum decides).
    for values in [
        &[tiny, 0.0][..],
        &[f64::from_bits(3), 0.0],
        &[1.0, 1.0 + ulp],
        &[f64::MAX; 3],
    ] {
        assert_eq!(reported(&Moments::of(values), values), exact_mean(values), "{values:?}");
    }
}

#[test]
fn exact_sums_divide_by_any_count() {
    // Counts past 2^32 (u128 division) and below; sums exact doubles.
    let mut sum = ExactSum::default();
    [3.0, 0.5, 1e-300].iter().for_each(|&v| sum.add(v));
    let exact = 3.5; // 3.5 + 1e-300 rounds to 3.5, but sticks: the division below sees it
    for count in [1u64, 3, 7, (1 << 32) - 1, 1 << 32, (1 << 32) + 1, 3 << 40, u64::MAX] {
        let want = exact / count as f64; // correctly rounded unless 1e-300 decides
        let got = sum.mean(count);
        assert!((got - want).abs() <= want * f64::EPSILON, "{count}: {got} vs {want}");
    }
    let mut whole = ExactSum::default();
    [5.0, 0.0].iter().for_each(|&v| whole.add(v));
    for count in [3u64, 7, (1 << 32) + 3, 12_345_678_901] {
        assert_eq!(whole.mean(count), 5.0 / count as f64, "{count}");
    }
}

#[test]
fn a_quality_mean_rounds_once_where_the_rounded_sum_divided_does_not() {
    // math.fsum(x) / 5 gives 0.20469135779999997; the exact mean rounds to 0.2046913578.
    let scores = [0.1, 0.35, 0.35, 0.1, 0.123456789];
    assert_eq!(exact_mean(&scores), 0.2046913578);
    let mut sum = ExactSum::default();
    scores.iter().for_each(|&v| sum.add(v));
    assert_eq!(sum.value() / 5.0, 0.20469135779999997);
    assert_eq!(reported(&Moments::of(&scores), &scores), 0.2046913578);
}

#[test]
fn the_shortcut_declines_where_it_cannot_vouch() {
    // Values whose sum passes 2^990 with their count, and equal values (their own).
    let huge = [1e300, 3e300, 3e300];
    assert_eq!(Moments::of(&huge).rounded_mean(), None);
    assert_eq!(exact_mean(&huge), 2.3333333333333335e300); // Fraction(sum) / 3
    assert_eq!(Moments::of(&[7.5; 3000]).rounded_mean(), Some(7.5));
    assert_eq!(Moments::of(&[]).rounded_mean(), Some(0.0));
    assert_eq!(Moments::of(&[0.0, 0.0]).rounded_mean(), Some(0.0));
}
