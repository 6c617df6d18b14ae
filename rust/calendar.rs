//! Where an instant falls in a window's calendar: its local day, hour and weekday (in the
//! request's zone) and its trend bucket, together its `Place`.
//!
//! Instants come in runs sharing a place: a local hour, cut where the zone's offset or the
//! bucket changes. `RunFinder` gives the run holding an instant, so that sorted input does
//! the calendar work once per run.

use crate::buckets::Window;
use crate::civil::{calendar_fields, CalendarFields, MICROS_PER_DAY, MICROS_PER_HOUR};
use crate::zone::{OffsetCache, Zone};

/// An instant's local calendar fields and trend bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Place {
    pub fields: CalendarFields,
    pub bucket: usize,
}

/// The run holding an instant, remembering the zone's current offset span and bucket (so
/// sorted input searches the zone and divides by the bucket width once per span).
pub struct RunFinder<'w> {
    window: &'w Window,
    offsets: OffsetCache<'w>,
    /// The current bucket and its bounds (the last bucket also holds the window end).
    bucket: (usize, i64, i64),
}

impl<'w> RunFinder<'w> {
    /// Without `buckets` (the trend family off), every place has bucket 0 and runs are
    /// not cut at bucket bounds: small buckets would only break runs for nothing.
    pub fn new(window: &'w Window, zone: &'w Zone, buckets: bool) -> Self {
        RunFinder {
            window,
            offsets: zone.offsets(),
            bucket: if buckets {
                (0, i64::MAX, i64::MIN)
            } else {
                (0, i64::MIN, i64::MAX)
            },
        }
    }

    /// The place of `ts` and the UTC instants `[lo, hi)` around it sharing that place.
    pub fn run_at(&mut self, ts: i64) -> (Place, i64, i64) {
        let offset = self.offsets.offset_at(ts);
        let fields = calendar_fields(ts.saturating_add(offset));
        let hour_start = fields.day * MICROS_PER_DAY + i64::from(fields.hour) * MICROS_PER_HOUR;
        let (zone_lo, zone_hi) = self.offsets.span();
        let (bucket, bucket_lo, bucket_hi) = self.bucket_at(ts);
        let lo = hour_start.saturating_sub(offset).max(zone_lo).max(bucket_lo);
        let hi = (hour_start + MICROS_PER_HOUR)
            .saturating_sub(offset)
            .min(zone_hi)
            .min(bucket_hi);
        (Place { fields, bucket }, lo, hi)
    }

    fn bucket_at(&mut self, ts: i64) -> (usize, i64, i64) {
        let (_, lo, hi) = self.bucket;
        if ts < lo || ts >= hi {
            let index = self.window.bucket_of(ts);
            let (lo, hi) = self.window.bucket_bounds(index);
            let hi = if index + 1 == self.window.buckets { i64::MAX } else { hi };
            self.bucket = (index, lo, hi);
        }
        self.bucket
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::{MICROS_PER_HOUR, MICROS_PER_SECOND};

    // 2026-03-05T00:00Z: New York springs forward on 2026-03-08, Lord Howe's clocks move
    // 30 minutes back on 2026-04-05. 2026-09-20T00:00Z.
    const MAR5: i64 = 1_772_668_800 * MICROS_PER_SECOND;
    const SEP20: i64 = 1_789_862_400 * MICROS_PER_SECOND;

    /// Direct computation of an instant's place.
    fn place_of(window: &Window, zone: &Zone, ts: i64) -> Place {
        let offset = zone.offsets().offset_at(ts);
        Place {
            fields: calendar_fields(ts + offset),
            bucket: window.bucket_of(ts),
        }
    }

    /// Every instant gets its own place, and the run around it holds only instants of
    /// that place (its ends and seven points between them checked).
    fn check_runs(window: &Window, zone: &str) {
        let zone = Zone::get(zone).unwrap();
        let mut finder = RunFinder::new(window, &zone, true);
        // Sorted, unsorted and repeated instants, and the window's ends.
        let (start, span) = (window.start, window.span);
        let step = span / 4999;
        let mut instants: Vec<i64> = (0..5000).map(|i| start + i * step).collect();
        instants.extend([window.end, start, start + span / 2, window.end - 1, start + 5]);
        instants.extend((0..5000).map(|i| start + (i * 7919 * step) % span));
        let name = zone.name();
        for ts in instants {
            let (place, lo, hi) = finder.run_at(ts);
            assert_eq!(place, place_of(window, &zone, ts), "{ts} in {name}");
            assert!(lo <= ts && ts < hi, "{ts} outside its run [{lo}, {hi})");
            for at in (0..=8).map(|k| lo + ((hi - 1 - lo) as i128 * k / 8) as i64) {
                assert_eq!(place_of(window, &zone, at), place, "{at} in the run of {ts} in {name}");
            }
        }
    }

    #[test]
    fn runs_agree_with_direct_computation_in_any_order() {
        // Buckets of a seventh of a day: not on the hour.
        let window = |start: i64| {
            Window::new(
                start,
                start + 40 * MICROS_PER_DAY + 17,
                "custom",
                Some(MICROS_PER_DAY / 7),
            )
            .unwrap()
        };
        for zone in ["UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"] {
            check_runs(&window(MAR5), zone);
        }
        // Lord Howe springs forward by 30 minutes (02:00 -> 02:30 local) on 2026-10-04,
        // inside an hour of UTC: only the zone's span ends the run there.
        check_runs(&window(SEP20), "Australia/Lord_Howe");
    }

    #[test]
    fn without_buckets_runs_are_whole_local_hours() {
        let window = Window::new(MAR5, MAR5 + 3 * MICROS_PER_DAY, "custom", Some(MICROS_PER_HOUR / 4)).unwrap();
        let zone = Zone::get("Asia/Kathmandu").unwrap();
        let mut finder = RunFinder::new(&window, &zone, false);
        let (place, lo, hi) = finder.run_at(MAR5 + 5 * MICROS_PER_HOUR);
        assert_eq!((place.bucket, hi - lo), (0, MICROS_PER_HOUR));
        assert_eq!(place.fields, place_of(&window, &zone, lo).fields);
    }
}
