//! The window and its trend buckets, in integer microseconds.
//!
//! DESIGN.md: buckets are aligned to the window start; there are max(1, floor(W / width))
//! of them and the last absorbs the remainder (and the end instant), so none is shorter
//! than the width.

use crate::civil::{MICROS_PER_DAY, MICROS_PER_HOUR, MICROS_PER_WEEK};
use crate::error::CoreError;
use crate::wide::wide;

const MINUTES_5: i64 = 5 * 60 * 1_000_000;
/// Candidate widths for all_time / custom windows, smallest first.
const AUTO_WIDTHS: [i64; 5] = [
    MINUTES_5,
    MICROS_PER_HOUR,
    6 * MICROS_PER_HOUR,
    MICROS_PER_DAY,
    MICROS_PER_WEEK,
];
const AUTO_MAX_BUCKETS: i64 = 120;
/// 0001-01-01T00:00:00 and 9999-12-31T23:59:59.999999 UTC, in microseconds: Python's
/// datetime range.
pub const FIRST_INSTANT: i64 = -62_135_596_800_000_000;
pub const LAST_INSTANT: i64 = 253_402_300_799_999_999;
/// A hard cap so a tiny custom width over a long window cannot exhaust memory.
pub const MAX_BUCKETS: i64 = 1_000_000;

/// The default bucket width for a window type (`TimeWindowType` values).
pub fn default_width(window_type: &str, span: i64) -> Result<i64, CoreError> {
    Ok(match window_type {
        "hourly" => MINUTES_5,
        "daily" => MICROS_PER_HOUR,
        "weekly" => 6 * MICROS_PER_HOUR,
        "monthly" | "quarterly" => MICROS_PER_DAY,
        "yearly" => MICROS_PER_WEEK,
        "all_time" | "custom" => AUTO_WIDTHS
            .into_iter()
            .find(|&w| span / w <= AUTO_MAX_BUCKETS)
            .unwrap_or(MICROS_PER_WEEK),
        other => {
            return Err(CoreError::InvalidOption(format!(
            "window type {other:?} is not one of hourly, daily, weekly, monthly, quarterly, yearly, all_time, custom"
        )))
        }
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: i64,
    /// end - start, > 0
    pub span: i64,
    pub width: i64,
    pub buckets: usize,
}

impl Window {
    pub fn new(start: i64, end: i64, window_type: &str, width: Option<i64>) -> Result<Window, CoreError> {
        let span = end
            .checked_sub(start)
            .filter(|&s| s > 0)
            .ok_or_else(|| CoreError::InvalidWindow(format!("end ({end} us) must be after start ({start} us)")))?;
        let width = match width {
            Some(w) if w <= 0 => {
                return Err(CoreError::InvalidOption(format!(
                    "bucket width must be positive, got {w} us"
                )))
            }
            Some(w) => w,
            None => default_width(window_type, span)?,
        };
        let buckets = (span / width).max(1);
        if buckets > MAX_BUCKETS {
            return Err(CoreError::InvalidOption(format!(
                "bucket width {width} us cuts the window into {buckets} buckets; at most {MAX_BUCKETS} are allowed"
            )));
        }
        Ok(Window {
            start,
            end,
            span,
            width,
            buckets: buckets as usize,
        })
    }

    /// The instants from `start` to the end of year 9999 (Python's datetime range), for a
    /// reader feeding rolling buckets: only `contains` is meaningful (it has no trend
    /// buckets of its own).
    pub fn from_instant(start: i64) -> Window {
        Window::between(start, LAST_INSTANT)
    }

    /// The instants from `start` to `end`, both kept within Python's datetime range, as
    /// `from_instant` (a rolling window's reader that leaves out records too far ahead of
    /// the clock). Holds nothing where `end` is before `start`.
    pub fn between(start: i64, end: i64) -> Window {
        let start = start.max(FIRST_INSTANT);
        let end = end.min(LAST_INSTANT);
        Window {
            start,
            end,
            span: end - start,
            width: end - start,
            buckets: 1,
        }
    }

    #[inline]
    pub fn contains(&self, ts: i64) -> bool {
        self.start <= ts && ts <= self.end
    }

    /// Whether every instant of `ts` is inside the window (`contains`): the distance of
    /// each from the start, as unsigned, wraps past the span for an instant before the
    /// start. (Folding the least and greatest instants took ten instructions a row, a
    /// fourteenth of a one-pattern reduction's per-record work; this, with AVX2, about
    /// two: see `wide`.)
    pub fn contains_all(&self, ts: &[i64]) -> bool {
        if self.end < self.start {
            // (`from_instant` past the last instant: a window that holds nothing.)
            return ts.is_empty();
        }
        let (start, span) = (self.start, self.span as u64);
        wide(|| {
            !ts.iter()
                .fold(false, |out, &t| out | (t.wrapping_sub(start) as u64 > span))
        })
    }

    /// Bucket of an instant inside the window.
    #[inline]
    pub fn bucket_of(&self, ts: i64) -> usize {
        (((ts - self.start) / self.width) as usize).min(self.buckets - 1)
    }

    /// [start, end) of bucket `i` in microseconds; the last one ends at the window end.
    pub fn bucket_bounds(&self, i: usize) -> (i64, i64) {
        let lo = self.start + i as i64 * self.width;
        let hi = if i + 1 == self.buckets {
            self.end
        } else {
            lo + self.width
        };
        (lo, hi)
    }

    /// DESIGN.md's halves: the first holds instants with 2 * (ts - start) < W.
    #[inline]
    pub fn in_first_half(&self, ts: i64) -> bool {
        2 * i128::from(ts - self.start) < i128::from(self.span)
    }

    pub fn days(&self) -> f64 {
        crate::exact_ratio::ratio(self.span, MICROS_PER_DAY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wide::on_baseline;

    #[test]
    fn last_bucket_absorbs_the_remainder_and_the_end() {
        let w = Window::new(
            0,
            10 * MICROS_PER_HOUR + 30 * 60 * 1_000_000,
            "custom",
            Some(MICROS_PER_HOUR),
        )
        .unwrap();
        assert_eq!(w.buckets, 10);
        assert_eq!(w.bucket_of(0), 0);
        assert_eq!(w.bucket_of(w.end), 9);
        assert_eq!(w.bucket_bounds(9), (9 * MICROS_PER_HOUR, w.end));
        assert_eq!(w.bucket_of(MICROS_PER_HOUR - 1), 0);
        assert_eq!(w.bucket_of(MICROS_PER_HOUR), 1);
    }

    #[test]
    fn contains_all_is_contains_of_every_instant() {
        // Windows at both ends of the instants and in between, instants at and around their
        // edges and at the ends of i64 (whose distance from the start wraps).
        let windows = [
            Window::new(-5 * MICROS_PER_DAY, MICROS_PER_DAY, "custom", None).unwrap(),
            Window::new(FIRST_INSTANT, FIRST_INSTANT + MICROS_PER_DAY, "custom", None).unwrap(),
            Window::new(LAST_INSTANT - MICROS_PER_DAY, LAST_INSTANT, "custom", None).unwrap(),
            Window::from_instant(0),
            Window::from_instant(FIRST_INSTANT),
            Window::from_instant(LAST_INSTANT + 5), // (holds nothing)
            Window::between(-MICROS_PER_DAY, MICROS_PER_DAY),
            Window::between(5, 4), // (holds nothing)
            Window::between(FIRST_INSTANT - 9, i64::MAX),
        ];
        for w in windows {
            let probes = [
                i64::MIN,
                i64::MIN + 1,
                w.start - w.span - 1,
                w.start - 1,
                w.start,
                w.start + 1,
                w.start + w.span / 2,
                w.end - 1,
                w.end,
                w.end + 1,
                w.end + w.span,
                i64::MAX - 1,
                i64::MAX,
            ];
            // Runs of every length up to past the vector loop's 16 instants (four vectors of
            // four) and a long one, each probe in each place, compiled for this CPU and
            // for baseline x86-64 (the vector code only in an optimized build: CI runs
            // `cargo test --release` on these too).
            for baseline in [false, true] {
                let form = |ts: &[i64]| match baseline {
                    true => on_baseline(|| w.contains_all(ts)),
                    false => w.contains_all(ts),
                };
                assert!(form(&[]));
                for len in (1..=40).chain([1000]) {
                    let places: Vec<usize> = match len {
                        1..=40 => (0..len).collect(),
                        _ => vec![0, 1, len / 2, len - 2, len - 1],
                    };
                    for place in places {
                        for &a in &probes {
                            let mut ts = vec![w.start + w.span / 3; len];
                            ts[place] = a;
                            assert_eq!(form(&ts), w.contains(a), "{a} at {place} of {len} in {w:?}");
                        }
                    }
                }
                for &a in &probes {
                    for &b in &probes {
                        assert_eq!(form(&[a, b]), w.contains(a) && w.contains(b), "{a}, {b}");
                    }
                }
            }
        }
    }

    #[test]
    fn default_widths() {
        let week = 7 * MICROS_PER_DAY;
        assert_eq!(Window::new(0, week, "weekly", None).unwrap().buckets, 28);
        assert_eq!(
            Window::new(0, 30 * MICROS_PER_DAY, "monthly", None).unwrap().buckets,
            30
        );
        // all_time over 30 days: 6 h gives 120 buckets exactly.
        assert_eq!(
            Window::new(0, 30 * MICROS_PER_DAY, "all_time", None).unwrap().width,
            6 * MICROS_PER_HOUR
        );
        // Over 10 years nothing gives <= 120 buckets: 7 days.
        assert_eq!(
            Window::new(0, 3650 * MICROS_PER_DAY, "custom", None).unwrap().width,
            MICROS_PER_WEEK
        );
        // A window shorter than the width is one bucket.
        assert_eq!(Window::new(0, 60, "yearly", None).unwrap().buckets, 1);
    }

    #[test]
    fn bad_windows_are_errors() {
        assert!(Window::new(5, 5, "daily", None).is_err());
        assert!(Window::new(i64::MIN, i64::MAX, "daily", None).is_err());
        assert!(Window::new(0, 10, "daily", Some(0)).is_err());
        assert!(Window::new(0, MICROS_PER_DAY, "fortnightly", None).is_err());
        assert!(Window::new(0, 365 * MICROS_PER_DAY, "custom", Some(1)).is_err());
    }

    #[test]
    fn halves_split_at_the_midpoint() {
        let w = Window::new(0, 11, "custom", Some(1)).unwrap();
        assert!(w.in_first_half(5));
        assert!(!w.in_first_half(6));
    }
}
