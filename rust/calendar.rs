//! Where an instant falls in a window's calendar: its local day, hour and weekday (in the
//! request's zone) and its trend bucket, together its `Place`.
//!
//! Instants come in runs sharing a place: a local hour, cut where the zone's offset or the
//! bucket changes. `RunFinder` gives the run holding an instant, so that sorted input does
//! the calendar work once per run, and `scan_runs` finds where each run ends (by a
//! search, in a range of sorted rows). Unsorted or sparse input (a batch's patterns, each
//! row usually a run of its own) looks its runs up in a `RunTable` of the window's hours
//! instead: a tabled run is the part of the run inside one hour of the table (hours
//! counted from the window's start).

use crate::buckets::Window;
use crate::civil::{calendar_fields, CalendarFields, MICROS_PER_DAY, MICROS_PER_HOUR};
use crate::rows::Rows;
use crate::wide::wide;
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
    table: Option<&'w RunTable>,
    offsets: OffsetCache<'w>,
    /// The current bucket and its bounds (the last bucket also holds the window end).
    bucket: (usize, i64, i64),
    /// Whether places have trend buckets (else every place's bucket is 0).
    buckets: bool,
}

impl<'w> RunFinder<'w> {
    /// Without `buckets` (the trend family off), every place has bucket 0 and runs are
    /// not cut at bucket bounds: small buckets would only break runs for nothing.
    pub fn new(window: &'w Window, zone: &'w Zone, buckets: bool) -> Self {
        RunFinder {
            window,
            table: None,
            offsets: zone.offsets(),
            bucket: if buckets {
                (0, i64::MAX, i64::MIN)
            } else {
                (0, i64::MIN, i64::MAX)
            },
            buckets,
        }
    }

    /// Look runs up in `table` (made for this finder's window, zone and buckets) first.
    pub fn with_table(mut self, table: Option<&'w RunTable>) -> Self {
        self.table = table;
        self
    }

    /// The place of `ts` and UTC instants `[lo, hi)` around it sharing that place: the
    /// whole run, or with a table, the part of it inside the table's hour.
    #[inline]
    pub fn run_at(&mut self, ts: i64) -> (Place, i64, i64) {
        match self.table.and_then(|table| table.run_at(ts)) {
            Some(run) => run,
            None => self.find(ts),
        }
    }

    fn find(&mut self, ts: i64) -> (Place, i64, i64) {
        let offset = self.offsets.offset_at(ts);
        let fields = calendar_fields(ts.saturating_add(offset));
        let hour_start = fields.day * MICROS_PER_DAY + i64::from(fields.hour) * MICROS_PER_HOUR;
        let (zone_lo, zone_hi) = self.offsets.span();
        let (bucket, bucket_lo, bucket_hi) = self.bucket_at(ts);
        let lo = hour_start.saturating_sub(offset).max(zone_lo).max(bucket_lo);
        // (Saturating: the last local hour of i64 ends past it.)
        let hi = hour_start
            .saturating_add(MICROS_PER_HOUR)
            .saturating_sub(offset)
            .min(zone_hi)
            .min(bucket_hi);
        (Place { fields, bucket }, lo, hi)
    }

    fn bucket_at(&mut self, ts: i64) -> (usize, i64, i64) {
        let (_, lo, hi) = self.bucket;
        // (Without buckets, i64::MAX too is in bucket 0, past the bounds' open end.)
        if self.buckets && (ts < lo || ts >= hi) {
            let index = self.window.bucket_of(ts);
            let (lo, hi) = self.window.bucket_bounds(index);
            let hi = if index + 1 == self.window.buckets { i64::MAX } else { hi };
            self.bucket = (index, lo, hi);
        }
        self.bucket
    }
}

/// The most hours a `RunTable` has (32 bytes an hour): a window's hours are its whole
/// hours and the part hour after them.
const TABLE_MAX_HOURS: i64 = 1 << 14;

/// The runs of a window's hours (counted from its start): for each, the run holding its
/// first instant and the run after it, as far as they reach inside the hour. An hour is
/// cut into more than two runs only by buckets shorter than an hour or off its edges, or
/// by a change of the zone's offset inside it: an instant of such an hour after its first
/// two runs is found as before. Made once for a batch's patterns, it spares each unsorted
/// row the zone's offset, the calendar fields and a division by the bucket width.
#[derive(Clone, Debug)]
pub struct RunTable {
    start: i64,
    hours: Vec<TableHour>,
}

/// An hour of a `RunTable`: its first run `[0, cut)` and the next `[cut, late_end)`, in
/// microseconds into the hour; the default hour holds no instant. 32 bytes, where the
/// (place, bounds) pair of each run took 80: a 90-day window's table (2,161 hours) is 69 KB
/// instead of 173, the nine days a batch's 1M-row chunk of sorted records covers about 7 KB.
#[derive(Clone, Copy, Debug, Default)]
struct TableHour {
    early: TablePlace,
    late: TablePlace,
    cut: u32,
    late_end: u32,
}

/// A `Place` in 12 bytes.
#[derive(Clone, Copy, Debug, Default)]
struct TablePlace {
    day: i32,
    bucket: u32,
    hour: u8,
    weekday: u8,
}

impl TablePlace {
    fn new(place: Place) -> Option<TablePlace> {
        Some(TablePlace {
            day: i32::try_from(place.fields.day).ok()?,
            bucket: u32::try_from(place.bucket).ok()?,
            hour: place.fields.hour,
            weekday: place.fields.weekday,
        })
    }

    #[inline(always)]
    fn place(self) -> Place {
        Place {
            fields: CalendarFields {
                day: i64::from(self.day),
                hour: self.hour,
                weekday: self.weekday,
            },
            bucket: self.bucket as usize,
        }
    }
}

impl RunTable {
    /// The table of `RunFinder::new(window, zone, buckets)`'s runs; `None` for windows of
    /// more than `TABLE_MAX_HOURS` hours.
    pub fn new(window: &Window, zone: &Zone, buckets: bool) -> Option<RunTable> {
        let hours = window.span / MICROS_PER_HOUR + 1;
        if hours > TABLE_MAX_HOURS {
            return None;
        }
        let mut finder = RunFinder::new(window, zone, buckets);
        let hours = (0..hours)
            .map(|hour| {
                // (Saturating: the core's windows reach to i64::MAX, Python's to year 9999.)
                let first = window.start.saturating_add(hour * MICROS_PER_HOUR);
                let end = first.saturating_add(MICROS_PER_HOUR);
                let (early, _, cut) = finder.find(first);
                let cut = cut.min(end);
                let (late, late_end) = if first < cut && cut < end {
                    let (late, _, late_end) = finder.find(cut);
                    (late, late_end.min(end))
                } else {
                    (early, end)
                };
                // (A run's bounds wrap where local time saturates, at the ends of i64: such
                // an hour is left to the finder, which gets the place right. So is one
                // whose places do not fit `TablePlace`.)
                let valid = first < cut && cut <= late_end && late_end <= end;
                let into = |at: i64| (at - first) as u32;
                match (TablePlace::new(early), TablePlace::new(late)) {
                    (Some(early), Some(late)) if valid => TableHour {
                        early,
                        late,
                        cut: into(cut),
                        late_end: into(late_end),
                    },
                    _ => TableHour::default(),
                }
            })
            .collect();
        Some(RunTable {
            start: window.start,
            hours,
        })
    }

    /// The run holding `ts`, if it is one of its hour's two (its bounds cut at the hour's).
    #[inline]
    fn run_at(&self, ts: i64) -> Option<(Place, i64, i64)> {
        // (An instant before the start wraps to a huge index: no hour.)
        let since = ts.wrapping_sub(self.start) as u64;
        let hour = since / MICROS_PER_HOUR as u64;
        let entry = self.hours.get(usize::try_from(hour).ok()?)?;
        let into = (since - hour * MICROS_PER_HOUR as u64) as u32;
        let hour_start = ts - i64::from(into);
        if into < entry.cut {
            Some((entry.early.place(), hour_start, hour_start + i64::from(entry.cut)))
        } else if into < entry.late_end {
            let (lo, hi) = (i64::from(entry.cut), i64::from(entry.late_end));
            Some((entry.late.place(), hour_start + lo, hour_start + hi))
        } else {
            None
        }
    }
}

/// The runs of `rows`' instants (`finder`'s), each handed to `count` with its number of
/// records (a count of 0 may come first: to be ignored); returns whether the instants are
/// in order (non-decreasing) and the latest (i64::MIN for no row).
///
/// Rows in one range whose instants are in order (logs as they usually come) take
/// `scan_sorted_runs`: a run's end is searched for, not found row by row; unless they
/// are `sparse` and a table is at hand: then each row's run is looked up.
#[inline(always)]
pub fn scan_runs(
    timestamps: &[i64],
    rows: impl Rows,
    mut finder: RunFinder<'_>,
    mut count: impl FnMut(Place, u64),
) -> (bool, i64) {
    if let Some(range) = rows.contiguous() {
        let instants = &timestamps[range];
        if non_decreasing(instants) {
            if finder.table.is_some() && sparse(instants) {
                for &ts in instants {
                    count(finder.run_at(ts).0, 1);
                }
            } else {
                scan_sorted_runs(instants, finder, count);
            }
            return (true, instants.last().copied().unwrap_or(i64::MIN));
        }
    }
    // UTC instants in [lo, hi) share `place`; `run` of them so far. (Locals, not a struct
    // whose address an out-of-line count takes: that kept the count in memory, a store and
    // a load on every row.)
    let (mut lo, mut hi) = (i64::MAX, i64::MIN);
    let (mut place, mut run) = (Place::default(), 0u64);
    let mut latest = i64::MIN;
    let mut in_order = true;
    for i in rows {
        let ts = timestamps[i];
        in_order &= ts >= latest;
        latest = latest.max(ts);
        if !(lo <= ts && ts < hi) {
            count(place, run);
            (place, lo, hi) = finder.run_at(ts);
            run = 0;
        }
        run += 1;
    }
    count(place, run);
    (in_order, latest)
}

/// Whether sorted `instants` are so spread that most runs hold one of them (fewer than
/// two an hour): a tabled run is then looked up for each, without searching for its end.
/// For such rows whether the next instant shares the run is a coin toss, which the search
/// branches on (our reading of the profile); the batch's reading took 534 -> 514 ms with
/// this (BENCHMARKS.md, session 29).
fn sparse(instants: &[i64]) -> bool {
    let (Some(&first), Some(&last)) = (instants.first(), instants.last()) else {
        return false;
    };
    let hours = (last.saturating_sub(first) / MICROS_PER_HOUR).saturating_add(1);
    (instants.len() as i64) < hours.saturating_mul(2)
}

/// `scan_runs` of non-decreasing `instants`: each run's end by a galloping search from its
/// first instant (a few comparisons for a run of one, and about 2 log2(length) for the
/// thousands of a one-pattern call's hours).
fn scan_sorted_runs(instants: &[i64], mut finder: RunFinder<'_>, mut count: impl FnMut(Place, u64)) {
    let mut first = 0;
    while let Some(&ts) = instants.get(first) {
        let (place, _, hi) = finder.run_at(ts);
        let rest = &instants[first + 1..];
        // rest[..bound / 2] are all below hi; the run ends before rest[bound - 1] or the end.
        let mut bound = 1;
        while bound <= rest.len() && rest[bound - 1] < hi {
            bound *= 2;
        }
        let (below, stop) = (bound / 2, bound.min(rest.len()));
        let run = 1 + below + rest[below..stop].partition_point(|&t| t < hi);
        count(place, run as u64);
        first += run;
    }
}

/// Whether `instants` never decrease: blocks of branch-free comparisons (vectorized, AVX2
/// where the CPU has it), so that unsorted rows are told after a block.
fn non_decreasing(instants: &[i64]) -> bool {
    const BLOCK: usize = 4096;
    let pairs = instants.len().saturating_sub(1);
    (0..pairs).step_by(BLOCK).all(|start| {
        let end = (start + BLOCK).min(pairs);
        let (earlier, later) = (&instants[start..end], &instants[start + 1..end + 1]);
        wide(|| !earlier.iter().zip(later).fold(false, |out, (a, b)| out | (a > b)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::{MICROS_PER_HOUR, MICROS_PER_SECOND};
    use crate::rows::listed;
    use crate::wide::on_baseline;

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
        let table = RunTable::new(window, &zone, true).expect("a window of a few days");
        check_runs_of(window, &zone, RunFinder::new(window, &zone, true));
        check_runs_of(
            window,
            &zone,
            RunFinder::new(window, &zone, true).with_table(Some(&table)),
        );
    }

    fn check_runs_of(window: &Window, zone: &Zone, mut finder: RunFinder) {
        // Sorted, unsorted and repeated instants, and the window's ends.
        let (start, span) = (window.start, window.span);
        let step = span / 4999;
        let mut instants: Vec<i64> = (0..5000).map(|i| start + i * step).collect();
        instants.extend([window.end, start, start + span / 2, window.end - 1, start + 5]);
        instants.extend((0..5000).map(|i| start + (i * 7919 * step) % span));
        let name = zone.name();
        for ts in instants {
            let (place, lo, hi) = finder.run_at(ts);
            assert_eq!(place, place_of(window, zone, ts), "{ts} in {name}");
            assert!(lo <= ts && ts < hi, "{ts} outside its run [{lo}, {hi})");
            for at in (0..=8).map(|k| lo + ((hi - 1 - lo) as i128 * k / 8) as i64) {
                assert_eq!(place_of(window, zone, at), place, "{at} in the run of {ts} in {name}");
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

    /// The runs `scan_runs` hands over (without the counts of 0), whether in order, latest.
    fn scanned(finder: RunFinder, instants: &[i64], rows: impl Rows) -> (Vec<(Place, u64)>, bool, i64) {
        let mut runs = Vec::new();
        let (in_order, latest) = scan_runs(instants, rows, finder, |place, count| {
            if count > 0 {
                runs.push((place, count));
            }
        });
        (runs, in_order, latest)
    }

    /// `scanned`'s runs with neighbours of one place joined: a run looked up in the table
    /// ends at its hour's end, or holds one instant (`sparse`).
    fn coalesced(scanned: &(Vec<(Place, u64)>, bool, i64)) -> (Vec<(Place, u64)>, bool, i64) {
        let mut runs: Vec<(Place, u64)> = Vec::new();
        for &(place, count) in &scanned.0 {
            match runs.last_mut() {
                Some((last, total)) if *last == place => *total += count,
                _ => runs.push((place, count)),
            }
        }
        (runs, scanned.1, scanned.2)
    }

    #[test]
    fn searched_runs_of_sorted_ranges_are_the_row_by_row_runs() {
        // Sorted instants with repeats, runs of one instant and of thousands, instants at
        // the runs' ends (hour starts, repeated), the window's ends; the whole range and
        // ranges inside it, as a range (searched) and as a list of rows (row by row); then
        // the same instants scattered (row by row either way).
        let window = Window::new(MAR5, MAR5 + 9 * MICROS_PER_DAY, "custom", Some(MICROS_PER_DAY / 7)).unwrap();
        let zone = Zone::get("America/New_York").unwrap();
        let table = RunTable::new(&window, &zone, true).unwrap();
        let mut next = crate::test_random::xorshift(0x5851_f42d_4c95_7f2d);
        let mut instants = vec![window.start];
        while instants.len() < 60_000 {
            // Dense (runs of thousands), then sparse (runs of one), then mixed.
            let gap = match (instants.len(), next() % 64) {
                (0..7_000, _) => next() % 2 * (next() % 2_000_000),
                (7_000..7_040, _) => (MICROS_PER_HOUR as u64) + next() % MICROS_PER_HOUR as u64,
                (_, 0) => next() % (3 * MICROS_PER_HOUR as u64),
                (_, 1..=20) => 0,
                _ => next() % 20_000,
            };
            let mut ts = *instants.last().unwrap() + gap as i64;
            if instants.len() >= 7_040 && next().is_multiple_of(16) {
                // The next hour's start: a run's first instant, and its predecessor's end.
                ts += MICROS_PER_HOUR - (ts - window.start).rem_euclid(MICROS_PER_HOUR);
            }
            if ts > window.end {
                break;
            }
            instants.push(ts);
        }
        instants.push(window.end);
        let n = instants.len();
        let finders = || {
            [
                RunFinder::new(&window, &zone, true),
                RunFinder::new(&window, &zone, true).with_table(Some(&table)),
            ]
        };
        // (7,000..7,040: sparse, so looked up instant by instant with the table.)
        assert!(sparse(&instants[7_000..7_040]) && !sparse(&instants[4_000..4_129]));
        for range in [
            0..n,
            1..n - 1,
            0..1,
            5..5,
            4_000..4_129,
            7_000..7_040,
            6_990..7_050,
            n / 2..n,
        ] {
            for finder in finders() {
                let searched = scanned(finder, &instants, range.clone());
                let by_row = scanned(RunFinder::new(&window, &zone, true), &instants, listed(range.clone()));
                assert_eq!(coalesced(&searched), coalesced(&by_row), "{range:?}");
                assert!(searched.1);
                assert_eq!(
                    searched.0.iter().map(|&(_, count)| count as usize).sum::<usize>(),
                    range.len()
                );
            }
        }
        let long_runs = scanned(RunFinder::new(&window, &zone, true), &instants, 0..n).0;
        assert!(long_runs.iter().any(|&(_, count)| count > 1_000) && long_runs.iter().any(|&(_, count)| count == 1));
        let mut scattered = instants.clone();
        scattered.swap(10, n - 10);
        let by_row = scanned(RunFinder::new(&window, &zone, true), &scattered, listed(0..n));
        assert_eq!(scanned(RunFinder::new(&window, &zone, true), &scattered, 0..n), by_row);
        assert_eq!((by_row.1, by_row.2), (false, window.end));
    }

    #[test]
    fn searched_runs_have_every_length() {
        // Hour h of a UTC window (whole hours are its runs) holds lengths[h] instants:
        // every run length from 1 to 70 and the powers of two beyond, and their neighbours.
        let window = Window::new(MAR5, MAR5 + 30 * MICROS_PER_DAY, "custom", Some(MICROS_PER_DAY)).unwrap();
        let zone = Zone::get("UTC").unwrap();
        let lengths: Vec<u64> = (1..=70)
            .chain([127, 128, 129, 255, 256, 257, 1023, 1024, 1025])
            .collect();
        let instants: Vec<i64> = (0i64..)
            .zip(&lengths)
            .flat_map(|(hour, &n)| {
                (0..n as i64).map(move |j| MAR5 + hour * MICROS_PER_HOUR + j * (MICROS_PER_HOUR / n as i64))
            })
            .collect();
        let (runs, in_order, latest) = scanned(RunFinder::new(&window, &zone, true), &instants, 0..instants.len());
        assert_eq!(runs.iter().map(|&(_, count)| count).collect::<Vec<_>>(), lengths);
        assert_eq!((in_order, latest), (true, *instants.last().unwrap()));
    }

    #[test]
    fn non_decreasing_tells_every_descent() {
        // Descents at the ends, at and beside the blocks' edges; equal neighbours; i64's
        // ends; in both compilations.
        for n in [0usize, 1, 2, 3, 4_095, 4_096, 4_097, 4_098, 8_193, 10_000] {
            let sorted: Vec<i64> = (0..n as i64).map(|i| i / 3 - 1_000).collect();
            let mut cases = vec![sorted.clone()];
            for at in [
                0,
                1,
                4_094,
                4_095,
                4_096,
                4_097,
                8_191,
                8_192,
                n / 2,
                n.saturating_sub(2),
            ] {
                if at + 1 < n {
                    let mut descent = sorted.clone();
                    descent[at + 1] = descent[at] - 1;
                    cases.push(descent);
                }
            }
            if n >= 2 {
                let mut ends = sorted.clone();
                (ends[0], ends[n - 1]) = (i64::MIN, i64::MAX);
                cases.push(ends.clone());
                (ends[0], ends[1]) = (i64::MAX, i64::MIN);
                cases.push(ends);
            }
            for case in cases {
                let want = case.windows(2).all(|w| w[0] <= w[1]);
                assert_eq!(non_decreasing(&case), want, "{n} values");
                assert_eq!(on_baseline(|| non_decreasing(&case)), want, "{n} values (baseline)");
            }
        }
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

    #[test]
    fn tabled_runs_hold_every_instant_of_hours_cut_at_most_once() {
        // Daily buckets from midnight: in UTC each hour is one run, in Kathmandu (+05:45)
        // two; with buckets of a seventh of a day some hours are cut twice (by a local
        // hour and a bucket bound): those instants are not in the table.
        let day_buckets = Window::new(MAR5, MAR5 + 30 * MICROS_PER_DAY, "custom", Some(MICROS_PER_DAY)).unwrap();
        let sevenths = Window::new(MAR5, MAR5 + 30 * MICROS_PER_DAY, "custom", Some(MICROS_PER_DAY / 7)).unwrap();
        for (window, zone, all) in [
            (&day_buckets, "UTC", true),
            (&day_buckets, "Asia/Kathmandu", true),
            (&sevenths, "Asia/Kathmandu", false),
        ] {
            let zone = Zone::get(zone).unwrap();
            let table = RunTable::new(window, &zone, true).unwrap();
            let step = 7 * MICROS_PER_SECOND + 13;
            let instants = (window.start..=window.end).step_by(step as usize);
            let tabled = instants.clone().filter(|&ts| table.run_at(ts).is_some()).count();
            let name = zone.name();
            assert_eq!(tabled == instants.count(), all, "{name}");
            assert!(tabled > 0, "{name}");
        }
    }

    /// Windows for the table's tests: starts on and off the hour (by microseconds and by
    /// minutes, inside Lord Howe's and Kathmandu's offset changes, far before 1970, near
    /// the end of i64); buckets of a day, a seventh of one, an hour, a quarter hour, 37
    /// minutes and 11 us, three hours and 1 us, and the default; trends on and off.
    fn table_cases() -> Vec<(Window, bool)> {
        const MINUTE: i64 = 60 * MICROS_PER_SECOND;
        // 1985-12-31T00:00Z: Kathmandu moved from +05:30 to +05:45 at its midnight.
        const KATHMANDU_1985: i64 = 504_835_200 * MICROS_PER_SECOND;
        let starts = [
            MAR5,
            MAR5 + 17,
            MAR5 + 15 * MINUTE,
            MAR5 + 30 * MICROS_PER_DAY + 45 * MINUTE + 3,
            SEP20 + 13 * MICROS_PER_DAY + 17 * MINUTE + 1,
            KATHMANDU_1985 + 7 * MINUTE,
            -200_000_000_000 * MICROS_PER_SECOND + 12_345,
        ];
        let widths = [
            None,
            Some(MICROS_PER_DAY),
            Some(MICROS_PER_DAY / 7),
            Some(MICROS_PER_HOUR / 4),
            Some(37 * MINUTE + 11),
            Some(MICROS_PER_HOUR),
            Some(3 * MICROS_PER_HOUR + 1),
        ];
        let spans = [3 * MICROS_PER_DAY + 17, 5 * MICROS_PER_HOUR + 1];
        let mut windows: Vec<Window> = starts
            .into_iter()
            .flat_map(|start| widths.map(|width| (start, width)))
            .flat_map(|(start, width)| spans.map(|span| Window::new(start, start + span, "custom", width)))
            .filter_map(Result::ok)
            .collect();
        // Local time saturates near i64::MAX: the runs' bounds there wrap.
        for start in [
            i64::MAX - 10 * MICROS_PER_HOUR - 17,
            i64::MAX - 3 * MICROS_PER_HOUR - 40 * MICROS_PER_SECOND,
        ] {
            for width in [None, Some(MICROS_PER_HOUR / 4)] {
                windows.push(Window::new(start, i64::MAX, "custom", width).unwrap());
            }
        }
        windows.into_iter().flat_map(|w| [(w, true), (w, false)]).collect()
    }

    const TABLE_ZONES: [&str; 8] = [
        "UTC",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
        "Asia/Kolkata",
        "America/St_Johns",
        "Pacific/Chatham",
        "Europe/London",
    ];

    /// `place_of`, for a finder with or without `buckets`.
    fn place_with(window: &Window, zone: &Zone, buckets: bool, ts: i64) -> Place {
        let offset = zone.offsets().offset_at(ts);
        Place {
            fields: calendar_fields(ts.saturating_add(offset)),
            bucket: if buckets { window.bucket_of(ts) } else { 0 },
        }
    }

    #[test]
    fn tabled_runs_are_true_runs() {
        // Instants at each table hour's edges and cuts, and a few inside: a tabled run
        // holds the instant, and the instant and nine points of the run have its place.
        let mut next = crate::test_random::xorshift(0x1234_5678_9abc_def1);
        let (mut tabled, mut untabled) = (0u64, 0u64);
        for zone in TABLE_ZONES {
            let zone = Zone::get(zone).unwrap();
            for (window, buckets) in table_cases() {
                let table = RunTable::new(&window, &zone, buckets).unwrap();
                let mut instants = vec![window.start, window.end];
                for (h, entry) in table.hours.iter().enumerate() {
                    let first = window.start.saturating_add(h as i64 * MICROS_PER_HOUR);
                    let (cut, end) = (i64::from(entry.cut), i64::from(entry.late_end));
                    for into in [0, 1, cut - 1, cut, cut + 1, end - 1, end, MICROS_PER_HOUR - 1] {
                        instants.push(first.saturating_add(into));
                    }
                    instants.extend((0..4).map(|_| first.saturating_add((next() % MICROS_PER_HOUR as u64) as i64)));
                }
                for ts in instants.into_iter().filter(|&ts| window.contains(ts)) {
                    let want = place_with(&window, &zone, buckets, ts);
                    assert_eq!(RunFinder::new(&window, &zone, buckets).find(ts).0, want, "{ts}");
                    let Some((place, lo, hi)) = table.run_at(ts) else {
                        untabled += 1;
                        continue;
                    };
                    tabled += 1;
                    let name = zone.name();
                    assert_eq!(place, want, "{ts} in {name}, {window:?}, buckets {buckets}");
                    assert!(lo <= ts && ts < hi, "{ts} outside [{lo}, {hi}) in {name}, {window:?}");
                    for at in (0..=8).map(|k| lo + ((hi - 1 - lo) as i128 * k / 8) as i64) {
                        assert_eq!(
                            place_with(&window, &zone, buckets, at),
                            place,
                            "{at} in the run of {ts}"
                        );
                    }
                }
            }
        }
        assert!(
            tabled > 10 * untabled && untabled > 0,
            "{tabled} tabled, {untabled} not"
        );
    }

    #[test]
    fn sorted_scans_with_a_table_count_every_place_as_row_by_row() {
        // Sorted instants from a minute to three hours apart (sparse and not), some
        // repeated; scanned with the table as a range (searched or looked up one by one)
        // and as listed rows, and without it row by row: the same records in each place.
        let mut next = crate::test_random::xorshift(0x9e37_79b9_7f4a_7c15);
        let totals = |runs: &[(Place, u64)]| {
            let mut by_place = std::collections::BTreeMap::new();
            for &(place, count) in runs.iter().filter(|&&(_, count)| count > 0) {
                let Place { fields, bucket } = place;
                *by_place
                    .entry((fields.day, fields.hour, fields.weekday, bucket))
                    .or_insert(0) += count;
            }
            by_place
        };
        for zone in TABLE_ZONES {
            let zone = Zone::get(zone).unwrap();
            for (window, buckets) in table_cases() {
                let table = RunTable::new(&window, &zone, buckets).unwrap();
                for gap in [60 * MICROS_PER_SECOND, 20 * 60 * MICROS_PER_SECOND, 3 * MICROS_PER_HOUR] {
                    let mut instants = vec![window.start];
                    while instants.len() < 300 {
                        let step = if next().is_multiple_of(5) {
                            0
                        } else {
                            next() % (2 * gap as u64)
                        };
                        let ts = instants.last().unwrap().saturating_add(step as i64);
                        if ts > window.end {
                            break;
                        }
                        instants.push(ts);
                    }
                    let n = instants.len();
                    let finder = || RunFinder::new(&window, &zone, buckets);
                    let tabled = || finder().with_table(Some(&table));
                    for range in [0..n, 1..n, n / 3..n / 2, 0..1] {
                        let want = scanned(finder(), &instants, listed(range.clone()));
                        let direct: Vec<(Place, u64)> = instants[range.clone()]
                            .iter()
                            .map(|&ts| (place_with(&window, &zone, buckets, ts), 1))
                            .collect();
                        assert_eq!(totals(&want.0), totals(&direct), "{range:?}");
                        for got in [
                            scanned(tabled(), &instants, range.clone()),
                            scanned(tabled(), &instants, listed(range.clone())),
                        ] {
                            let name = zone.name();
                            assert_eq!(totals(&got.0), totals(&want.0), "{range:?} in {name}, {window:?}");
                            assert_eq!((got.1, got.2), (want.1, want.2));
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn long_windows_and_instants_outside_get_no_table_run() {
        let zone = Zone::get("UTC").unwrap();
        let year = Window::new(MAR5, MAR5 + 366 * MICROS_PER_DAY, "custom", None).unwrap();
        let table = RunTable::new(&year, &zone, true).unwrap();
        assert!(table.run_at(MAR5 - 1).is_none());
        assert!(table.run_at(i64::MIN).is_none());
        assert!(table.run_at(year.end + MICROS_PER_HOUR).is_none());
        assert!(table.run_at(year.end).is_some());
        let two_years = Window::new(MAR5, MAR5 + 700 * MICROS_PER_DAY, "custom", None).unwrap();
        assert!(RunTable::new(&two_years, &zone, true).is_none());
    }
}
