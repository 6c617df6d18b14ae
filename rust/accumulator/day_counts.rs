//! Executions per local day of one accumulator, dense where that pays.

use rustc_hash::FxHashMap;

use crate::buckets::Window;
use crate::civil::MICROS_PER_DAY;
use crate::prefetch::prefetch;

/// Executions per local day. The days a window can touch (its UTC days, one either side
/// for the zone's offset) are counted in a dense array when they are few and an eighth of
/// them hold records, so that adding a record is an index, not a hash; any other day (a
/// longer window), and every day until then, goes to a map. (Dense from the start, a
/// year's window cost 3 KB per pattern whatever its records; the form never changes a
/// result: the days are read in no particular order.)
#[derive(Clone, Debug, Default)]
pub struct DayCounts {
    first: i64,
    /// The days from `first` counted densely once `1 / DENSE_DAYS_SHARE` of them hold
    /// records (0 for a longer window).
    dense_days: usize,
    dense: Vec<u64>,
    rest: FxHashMap<i64, u64>,
}

/// Most days counted densely (8 bytes each, per pattern).
const DENSE_DAYS: i64 = 400;
const DENSE_DAYS_SHARE: usize = 8;

impl DayCounts {
    pub fn for_window(window: &Window) -> DayCounts {
        let first = window.start.div_euclid(MICROS_PER_DAY) - 1;
        let days = window.end.div_euclid(MICROS_PER_DAY) + 1 - first + 1;
        DayCounts {
            first,
            dense_days: if days <= DENSE_DAYS { days as usize } else { 0 },
            dense: Vec::new(),
            rest: FxHashMap::default(),
        }
    }

    /// Ask for the line counting the (UTC) day of `ts` (a hint: the local day is near).
    pub(super) fn prefetch(&self, ts: i64) {
        let index = ts.div_euclid(MICROS_PER_DAY).wrapping_sub(self.first) as usize;
        prefetch(self.dense.as_ptr().wrapping_add(index));
    }

    #[inline]
    pub fn add(&mut self, day: i64, count: u64) {
        match usize::try_from(day.wrapping_sub(self.first)) {
            Ok(i) if i < self.dense.len() => self.dense[i] += count,
            _ if count == 0 => {}
            _ => {
                *self.rest.entry(day).or_insert(0) += count;
                if self.dense.is_empty() && self.rest.len() * DENSE_DAYS_SHARE >= self.dense_days.max(1) {
                    self.densify();
                }
            }
        }
    }

    /// Move the window's days from the map into the dense array (a longer window has none).
    fn densify(&mut self) {
        if self.dense_days == 0 {
            return;
        }
        let (first, days) = (self.first, self.dense_days);
        let mut dense = vec![0; days];
        self.rest
            .retain(|&day, &mut count| match usize::try_from(day.wrapping_sub(first)) {
                Ok(i) if i < days => {
                    dense[i] = count;
                    false
                }
                _ => true,
            });
        self.dense = dense;
    }

    /// (day, count) of every day with records, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        let dense = (self.first..).zip(self.dense.iter().copied()).filter(|&(_, c)| c > 0);
        dense.chain(self.rest.iter().map(|(&d, &c)| (d, c)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = MICROS_PER_DAY;

    #[test]
    fn day_counts_agree_inside_and_outside_the_dense_days() {
        let short = Window::new(10 * DAY, 13 * DAY, "custom", None).unwrap();
        let long = Window::new(0, 1000 * DAY, "custom", None).unwrap();
        for window in [short, long] {
            let mut days = DayCounts::for_window(&window);
            for (day, count) in [(9, 1), (10, 2), (13, 3), (14, 4), (-5, 5), (700, 6), (10, 7)] {
                days.add(day, count);
            }
            let mut got: Vec<(i64, u64)> = days.iter().collect();
            got.sort_unstable();
            assert_eq!(got, vec![(-5, 5), (9, 1), (10, 9), (13, 3), (14, 4), (700, 6)]);
        }
        assert!(DayCounts::for_window(&long).dense.is_empty());
    }

    #[test]
    fn a_windows_days_turn_dense_once_an_eighth_hold_records() {
        // 365 days of 2026 and one either side, UTC: 368 counted densely once 46 hold records.
        let window = Window::new(20_454 * DAY, 20_819 * DAY, "custom", None).unwrap();
        let mut days = DayCounts::for_window(&window);
        assert_eq!(days.dense_days, 368);
        for day in 0..44 {
            days.add(20_454 + day * 7, 1);
        }
        days.add(5, 2); // (a day far outside: counts towards the eighth, stays in the map)
        assert!(days.dense.is_empty() && days.rest.len() == 45);
        days.add(20_455, 3);
        assert_eq!((days.dense.len(), days.rest.len()), (368, 1));
        days.add(20_455, 1);
        let mut got: Vec<(i64, u64)> = days.iter().collect();
        got.sort_unstable();
        let mut expected: Vec<(i64, u64)> = (0..44).map(|day| (20_454 + day * 7, 1)).collect();
        expected.extend([(5, 2), (20_455, 4)]);
        expected.sort_unstable();
        assert_eq!(got, expected);
    }
}
