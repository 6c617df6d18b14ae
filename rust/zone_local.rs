//! A wall-clock time in a zone as an instant: the command line's --start, --end and the
//! demo's --now without an offset are read in --tz's zone, by the tz database the core
//! buckets with (jiff's bundled one), not the system's, which may be older.
//!
//! The instant of a wall-clock time is the first at which the zone's clocks show that
//! time or a later one: where the time is shown once, that instant; where twice (a fold,
//! clocks set back), the earlier (Python's `fold=0`); where never (a gap, clocks set
//! forward), the gap's end, the transition itself (a day whose midnight is skipped starts
//! at the gap's end, America/Sao_Paulo's 2018-11-04 at 01:00).

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

use crate::civil::MICROS_PER_SECOND;
use crate::zone::Zone;

const EPOCH: DateTime = DateTime::constant(1970, 1, 1, 0, 0, 0, 0);

impl Zone {
    /// The UTC instant (epoch microseconds) of the wall-clock time `local_us`
    /// (microseconds since 1970-01-01T00:00 on the zone's clocks), and the zone's offset
    /// there (microseconds): see the module's doc. A wall-clock time past the years
    /// -9999 to 9999 that jiff's dates hold (the day after 9999-12-31, an end of that
    /// day) takes the offset the zone has at jiff's nearest end.
    pub fn instant_of_local(&self, local_us: i64) -> (i64, i64) {
        let Some(tz) = self.time_zone() else {
            return (local_us, 0);
        };
        let Ok(wall) = EPOCH.checked_add(SignedDuration::from_micros(local_us)) else {
            let end = if local_us < 0 { Timestamp::MIN } else { Timestamp::MAX };
            let offset = micros(tz.to_offset(end));
            return (local_us.saturating_sub(offset), offset);
        };
        match tz.to_ambiguous_timestamp(wall).offset() {
            AmbiguousOffset::Unambiguous { offset } => (local_us - micros(offset), micros(offset)),
            // (The earlier instant: the larger offset's, that of before the clocks went back.)
            AmbiguousOffset::Fold { before, .. } => (local_us - micros(before), micros(before)),
            AmbiguousOffset::Gap { before, after } => {
                let (early, late) = (local_us - micros(after), local_us - micros(before));
                (gap_end(tz, early, late, after), micros(after))
            }
        }
    }
}

impl Zone {
    /// The zone's offsets (microseconds) at the instants its clocks show the wall-clock
    /// time `local_us`: one where they show it once; two, the earlier instant's first,
    /// where twice (a fold, clocks set back: the reports write such a time with its
    /// offset); none where never (a gap). Past jiff's dates, the offset at its nearest
    /// end, as `instant_of_local` takes it.
    pub fn offsets_of_local(&self, local_us: i64) -> Vec<i64> {
        let Some(tz) = self.time_zone() else {
            return vec![0];
        };
        let Ok(wall) = EPOCH.checked_add(SignedDuration::from_micros(local_us)) else {
            let end = if local_us < 0 { Timestamp::MIN } else { Timestamp::MAX };
            return vec![micros(tz.to_offset(end))];
        };
        match tz.to_ambiguous_timestamp(wall).offset() {
            AmbiguousOffset::Unambiguous { offset } => vec![micros(offset)],
            AmbiguousOffset::Fold { before, after } => vec![micros(before), micros(after)],
            AmbiguousOffset::Gap { .. } => Vec::new(),
        }
    }
}

fn micros(offset: Offset) -> i64 {
    i64::from(offset.seconds()) * MICROS_PER_SECOND
}

/// The transition within `(early, late]`, the instants of a gap's wall-clock time at the
/// offsets after and before it: the first instant with the offset `after`. A search of
/// the offsets, not of jiff's transitions, whose iterators have been wrong past a zone's
/// last tabled transition (see `zone::OffsetCache::search`). Where the offsets are not as
/// a gap has them, `late` (jiff's "compatible" reading).
fn gap_end(tz: &TimeZone, early: i64, late: i64, after: Offset) -> i64 {
    let offset_at = |at: i64| {
        let ts = Timestamp::from_microsecond(at).unwrap_or(if at < 0 { Timestamp::MIN } else { Timestamp::MAX });
        tz.to_offset(ts)
    };
    if offset_at(early) == after || offset_at(late) != after {
        return late;
    }
    // offset_at(lo) != after, offset_at(hi) == after.
    let (mut lo, mut hi) = (early, late);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if offset_at(mid) == after {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    hi
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::civil::{civil_to_micros, MICROS_PER_HOUR};

    fn local(year: i64, month: u32, day: u32, hour: u32, minute: u32) -> i64 {
        civil_to_micros(year, month, day, hour, minute, 0, 0).unwrap()
    }

    #[test]
    fn utc_is_the_wall_clock_time() {
        let zone = Zone::get("UTC").unwrap();
        assert_eq!(zone.instant_of_local(123), (123, 0));
    }

    #[test]
    fn berlin_in_winter_and_in_summer() {
        let zone = Zone::get("Europe/Berlin").unwrap();
        let winter = local(2026, 3, 1, 0, 0);
        assert_eq!(
            zone.instant_of_local(winter),
            (winter - MICROS_PER_HOUR, MICROS_PER_HOUR)
        );
        let summer = local(2026, 7, 1, 0, 0);
        assert_eq!(
            zone.instant_of_local(summer),
            (summer - 2 * MICROS_PER_HOUR, 2 * MICROS_PER_HOUR)
        );
    }

    #[test]
    fn a_time_in_a_gap_is_the_gap_end() {
        // Berlin's clocks went from 02:00 (+01) to 03:00 (+02) at 2026-03-29T01:00Z.
        let zone = Zone::get("Europe/Berlin").unwrap();
        let change = local(2026, 3, 29, 1, 0);
        for minute in [0, 1, 30, 59] {
            let wall = local(2026, 3, 29, 2, minute);
            assert_eq!(
                zone.instant_of_local(wall),
                (change, 2 * MICROS_PER_HOUR),
                "02:{minute}"
            );
        }
        // Sao Paulo skipped 2018-11-04's midnight: 00:00 (-03) was 01:00 (-02), at 03:00Z.
        let zone = Zone::get("America/Sao_Paulo").unwrap();
        let midnight = local(2018, 11, 4, 0, 0);
        assert_eq!(
            zone.instant_of_local(midnight),
            (local(2018, 11, 4, 3, 0), -2 * MICROS_PER_HOUR)
        );
    }

    #[test]
    fn a_time_in_a_fold_is_the_earlier_instant() {
        // Berlin's clocks went from 03:00 (+02) back to 02:00 (+01) at 2026-10-25T01:00Z.
        let zone = Zone::get("Europe/Berlin").unwrap();
        let wall = local(2026, 10, 25, 2, 30);
        assert_eq!(
            zone.instant_of_local(wall),
            (local(2026, 10, 25, 0, 30), 2 * MICROS_PER_HOUR)
        );
    }

    #[test]
    fn the_offsets_of_a_time_shown_once_twice_and_never() {
        let zone = Zone::get("Europe/Berlin").unwrap();
        let hour = MICROS_PER_HOUR;
        assert_eq!(zone.offsets_of_local(local(2026, 10, 25, 1, 59)), vec![2 * hour]);
        // 02:00 to 03:00 twice: at +02 and then, the clocks set back, at +01.
        assert_eq!(zone.offsets_of_local(local(2026, 10, 25, 2, 0)), vec![2 * hour, hour]);
        assert_eq!(zone.offsets_of_local(local(2026, 10, 25, 2, 59)), vec![2 * hour, hour]);
        assert_eq!(zone.offsets_of_local(local(2026, 10, 25, 3, 0)), vec![hour]);
        assert_eq!(zone.offsets_of_local(local(2026, 3, 29, 2, 30)), Vec::<i64>::new());
        assert_eq!(Zone::get("UTC").unwrap().offsets_of_local(123), vec![0]);
        let past = local(9999, 12, 31, 0, 0) + 24 * hour;
        assert_eq!(zone.offsets_of_local(past), vec![hour]);
    }

    #[test]
    fn the_day_after_the_last_date_takes_the_last_offset() {
        // 10000-01-01T00:00, past jiff's dates: Berlin's winter offset (+01) then.
        let zone = Zone::get("Europe/Berlin").unwrap();
        let wall = local(9999, 12, 31, 0, 0) + 24 * MICROS_PER_HOUR;
        assert_eq!(zone.instant_of_local(wall), (wall - MICROS_PER_HOUR, MICROS_PER_HOUR));
        let zone = Zone::get("America/New_York").unwrap();
        assert_eq!(
            zone.instant_of_local(wall),
            (wall + 5 * MICROS_PER_HOUR, -5 * MICROS_PER_HOUR)
        );
    }
}
