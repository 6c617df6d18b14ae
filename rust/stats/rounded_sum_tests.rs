//! `Moments::rounded_sum`: the exact sum of the values, rounded once (to nearest, ties to
//! even), from one pass, from any split merged in any order, and declined where the mean's
//! bound does not vouch for it. The oracle: `ExactSum::value`, Python's `math.fsum` (see
//! `exact_sum`'s tests).

use super::Moments;
use crate::exact_sum::ExactSum;
use crate::test_random::xorshift;

fn exact_sum(values: &[f64]) -> f64 {
    let mut sum = ExactSum::default();
    values.iter().for_each(|&v| sum.add(v));
    sum.value()
}

/// The moments of `values` cut at `cuts` (ascending), each part's merged in `order`.
fn merged(values: &[f64], cuts: &[usize], order: &[usize]) -> Moments {
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(values.len());
    let parts: Vec<Moments> = bounds.windows(2).map(|w| Moments::of(&values[w[0]..w[1]])).collect();
    let mut acc = Moments::default();
    order.iter().for_each(|&k| acc.merge(&parts[k]));
    acc
}

/// A value of a spread drawn from `bits`: zeros, times of ms to hours, integers, a few far
/// larger or smaller values (the sum's rounding then depends on them).
fn spread(bits: u64, kind: usize) -> f64 {
    let fraction = f64::from_bits(bits >> 12 | 0x3FF0_0000_0000_0000) - 1.0;
    match (kind, bits % 16) {
        (_, 0) => 0.0,
        (0, _) => fraction * 1000.0,
        (1, _) => (bits % 1_000_000) as f64,
        (2, 1) => fraction * 1e12,
        (2, 2) => fraction * 1e-9,
        (2, _) => 1.0 + fraction,
        _ => (fraction * 40.0 - 20.0).exp2(),
    }
}

#[test]
fn sums_equal_the_exact_sum_rounded_once_however_split_and_merged() {
    let mut next = xorshift(0x2d35_8dcc_aa6c_78a5);
    let (mut settled, mut total) = (0, 0);
    for round in 0..2000 {
        let n = match round % 4 {
            0 => 1 + (next() % 6) as usize,
            1 => 1 + (next() % 50) as usize,
            2 => 1000 + (next() % 100) as usize,
            _ => 1 + (next() % 5000) as usize,
        };
        let values: Vec<f64> = (0..n).map(|_| spread(next(), round % 4)).collect();
        let want = exact_sum(&values);
        let mut cuts: Vec<usize> = (0..1 + next() % 4)
            .map(|_| (next() % (n as u64 + 1)) as usize)
            .collect();
        cuts.sort_unstable();
        let mut order: Vec<usize> = (0..=cuts.len()).collect();
        let turn = (next() % order.len() as u64) as usize;
        order.rotate_left(turn);
        let mut reversed: Vec<f64> = values.clone();
        reversed.reverse();
        for (how, m) in [
            ("one pass", Moments::of(&values)),
            ("reversed", Moments::of(&reversed)),
            ("merged", merged(&values, &cuts, &order)),
        ] {
            total += usize::from(n >= 1000);
            if let Some(sum) = m.rounded_sum() {
                settled += usize::from(n >= 1000);
                assert_eq!(
                    sum.to_bits(),
                    want.to_bits(),
                    "{how}, {n} values, cuts {cuts:?} {order:?}"
                );
            }
        }
    }
    // The shortcut settles nearly all sums of many values (the exact sum is the rare way).
    // A few values' exact sum is often a tie, one bit past a double's (two values of
    // [512, 1024) whose sum passes 1024): within any bound of a halfway point, so declined.
    assert!(settled * 100 >= total * 99, "{settled} of {total}");
}

#[test]
fn a_sum_the_plain_additions_round_away_is_the_exact_sum() {
    // 1 + 2^-53 + 2^-53 is 1 + 2^-52 exactly, a double; added one by one (and the moments'
    // plain sum, (1 + 2^-53) + 2^-53) each addition ties to the even 1.0.
    let half_ulp = f64::EPSILON / 2.0;
    let values = [1.0, half_ulp, half_ulp];
    let m = Moments::of(&values);
    assert_eq!(m.sum, 1.0);
    assert_eq!(m.rounded_sum(), Some(1.0 + f64::EPSILON));
    // 1 + 2^-53 alone is a tie: to the even 1.0; with 2^-80 more, up.
    let past = [1.0, half_ulp, 2f64.powi(-80)];
    assert_eq!(exact_sum(&past), 1.0 + f64::EPSILON);
    assert_eq!(
        Moments::of(&past).rounded_sum().unwrap_or(exact_sum(&past)),
        1.0 + f64::EPSILON
    );
    // 0.1 ten times: the plain sum is 0.9999999999999999, fsum 1.0.
    let tenths = [0.1; 10];
    assert_eq!(tenths.iter().sum::<f64>(), 0.9999999999999999);
    assert_eq!(Moments::of(&tenths).rounded_sum(), Some(1.0));
}

#[test]
fn equal_values_are_their_product_rounded_once_past_the_largest_double_too() {
    assert_eq!(Moments::of(&[7.5; 3000]).rounded_sum(), Some(22_500.0));
    assert_eq!(Moments::of(&[0.1; 3]).rounded_sum(), Some(exact_sum(&[0.1; 3])));
    assert_eq!(Moments::of(&[f64::MAX; 3]).rounded_sum(), Some(f64::INFINITY));
    assert_eq!(
        Moments::of(&[f64::from_bits(1); 5]).rounded_sum(),
        Some(f64::from_bits(5))
    );
    assert_eq!(Moments::of(&[]).rounded_sum(), Some(0.0));
    assert_eq!(Moments::of(&[0.0, 0.0]).rounded_sum(), Some(0.0));
}

#[test]
fn the_shortcut_declines_where_it_cannot_vouch() {
    // Values whose sum passes 2^990 with their count, and a mean below 2^-960 (the
    // product's error would lose bits): the caller sums exactly.
    for values in [
        &[1e300, 3e300, 3e300][..],
        &[f64::MAX, 2f64.powi(970)],
        &[1e-300, 3e-300, 0.0],
        &[f64::from_bits(1), 0.0],
    ] {
        assert_eq!(Moments::of(values).rounded_sum(), None, "{values:?}");
    }
    // Where the sum lies within the bound of a halfway point: 1 + 2^-53 (a tie) and 1 +
    // 2^-53 + 2^-140 (past it by less than the bound). The estimate is a neighbour.
    for tiny in [0.0, 2f64.powi(-140)] {
        let values = [1.0, f64::EPSILON / 2.0, tiny];
        let m = Moments::of(&values);
        assert_eq!(m.rounded_sum(), None, "{tiny}");
        assert!((m.sum_estimate() - exact_sum(&values)).abs() <= f64::EPSILON, "{tiny}");
    }
}

#[test]
fn estimates_stay_within_an_ulp_and_overflow_where_the_sum_does() {
    let mut next = xorshift(0x4f1b_bcdc_bfa5_3e0b);
    for round in 0..500 {
        let n = 1 + (next() % 3000) as usize;
        let values: Vec<f64> = (0..n).map(|_| spread(next(), round % 4)).collect();
        let want = exact_sum(&values);
        let got = Moments::of(&values).sum_estimate();
        assert!((got - want).abs() <= want * f64::EPSILON, "{got} vs {want}");
    }
    assert_eq!(Moments::of(&[1.7e308; 3]).sum_estimate(), f64::INFINITY);
    assert_eq!(Moments::of(&[1e300, 1e300]).sum_estimate(), 2e300);
}
