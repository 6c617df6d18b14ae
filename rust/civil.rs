//! Civil-time arithmetic on integer microseconds since the Unix epoch (UTC).
//!
//! Everything here is integer arithmetic: no floating point, no allocation.

pub const MICROS_PER_SECOND: i64 = 1_000_000;
pub const MICROS_PER_HOUR: i64 = 3_600 * MICROS_PER_SECOND;
pub const MICROS_PER_DAY: i64 = 24 * MICROS_PER_HOUR;
pub const MICROS_PER_WEEK: i64 = 7 * MICROS_PER_DAY;

/// Days from 1970-01-01 to the proleptic Gregorian date `year-month-day`.
///
/// Howard Hinnant's `days_from_civil`; its products overflow past about 6e13 years (a
/// dev build panics, a release build wraps to another day), so it is reached only
/// through `checked_days`, which refuses years past `YEAR_REACH` first.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Microseconds since the epoch of a civil date-time taken as UTC, or None if a field is
/// out of range or the result overflows.
pub fn civil_to_micros(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    micro: u32,
) -> Option<i64> {
    let days = checked_days(year, month, day)?;
    time_of_day_micros(hour, minute, second, micro).and_then(|t| days.checked_mul(MICROS_PER_DAY)?.checked_add(t))
}

/// Years past this far from year 0 are refused before the calendar arithmetic: 64-bit
/// microseconds reach about 292,000 years either side of 1970, and `days_from_civil`'s
/// products overflow (wrapping to some other day in a release build) past about 6e13.
const YEAR_REACH: u64 = 1_000_000;

fn checked_days(year: i64, month: u32, day: u32) -> Option<i64> {
    if year.unsigned_abs() > YEAR_REACH {
        return None;
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

fn time_of_day_micros(hour: u32, minute: u32, second: u32, micro: u32) -> Option<i64> {
    if hour > 23 || minute > 59 || second > 59 || micro > 999_999 {
        return None;
    }
    Some(i64::from(hour * 3600 + minute * 60 + second) * MICROS_PER_SECOND + i64::from(micro))
}

/// `civil_to_micros` remembering the last date: records come in runs of the same day, and
/// the calendar arithmetic then happens once per day instead of once per record.
#[derive(Default)]
pub struct CivilCache {
    last: Option<((i64, u32, u32), i64)>,
}

impl CivilCache {
    #[inline]
    #[allow(clippy::too_many_arguments)]
    pub fn micros(
        &mut self,
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
        micro: u32,
    ) -> Option<i64> {
        let days = match self.last {
            Some((date, days)) if date == (year, month, day) => days,
            _ => {
                let days = checked_days(year, month, day)?;
                self.last = Some(((year, month, day), days));
                days
            }
        };
        time_of_day_micros(hour, minute, second, micro).and_then(|t| days.checked_mul(MICROS_PER_DAY)?.checked_add(t))
    }
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Calendar fields of a local instant (UTC instant plus the zone's offset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CalendarFields {
    /// Days since 1970-01-01 in local time.
    pub day: i64,
    /// 0..=23
    pub hour: u8,
    /// 0 = Monday .. 6 = Sunday
    pub weekday: u8,
}

pub fn calendar_fields(local_micros: i64) -> CalendarFields {
    let day = local_micros.div_euclid(MICROS_PER_DAY);
    let hour = (local_micros.rem_euclid(MICROS_PER_DAY) / MICROS_PER_HOUR) as u8;
    // 1970-01-01 was a Thursday (3 when Monday is 0).
    let weekday = (day + 3).rem_euclid(7) as u8;
    CalendarFields { day, hour, weekday }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(days_from_civil(1, 1, 1), -719_162);
        assert_eq!(days_from_civil(9999, 12, 31), 2_932_896);
    }

    #[test]
    fn civil_validates_fields() {
        assert_eq!(civil_to_micros(2024, 2, 29, 0, 0, 0, 0), Some(19_782 * MICROS_PER_DAY));
        assert_eq!(civil_to_micros(2023, 2, 29, 0, 0, 0, 0), None);
        assert_eq!(civil_to_micros(1900, 2, 29, 0, 0, 0, 0), None);
        assert!(civil_to_micros(2000, 2, 29, 0, 0, 0, 0).is_some());
        assert_eq!(civil_to_micros(2024, 13, 1, 0, 0, 0, 0), None);
        assert_eq!(civil_to_micros(2024, 1, 1, 24, 0, 0, 0), None);
    }

    #[test]
    fn years_past_64_bit_microseconds_are_refused_not_wrapped() {
        // (A numpy datetime64 in years may hold any of them: this one's day count wrapped
        // to a day of 1696.)
        for year in [50_505_469_855_534_806, i64::MAX, i64::MIN, 300_000, -300_000, 1_000_001] {
            assert_eq!(civil_to_micros(year, 1, 1, 0, 0, 0, 0), None, "{year}");
            assert_eq!(civil_to_micros(year, 12, 31, 23, 59, 59, 999_999), None, "{year}");
        }
        let last = civil_to_micros(294_246, 12, 31, 0, 0, 0, 0).expect("within 64 bits");
        assert_eq!(last, days_from_civil(294_246, 12, 31) * MICROS_PER_DAY);
        assert!(civil_to_micros(-290_307, 1, 1, 0, 0, 0, 0).is_some());
    }

    #[test]
    fn cache_agrees_with_direct_computation() {
        let mut cache = CivilCache::default();
        for (y, m, d, h) in [
            (2026, 1, 5, 3),
            (2026, 1, 5, 4),
            (2024, 2, 29, 0),
            (2023, 2, 29, 0),
            (2026, 1, 5, 24),
        ] {
            assert_eq!(cache.micros(y, m, d, h, 1, 2, 3), civil_to_micros(y, m, d, h, 1, 2, 3));
        }
    }

    #[test]
    fn calendar_fields_before_and_after_epoch() {
        // 2026-01-01 00:30 UTC is a Thursday.
        let t = civil_to_micros(2026, 1, 1, 0, 30, 0, 0).unwrap();
        let f = calendar_fields(t);
        assert_eq!((f.hour, f.weekday), (0, 3));
        // 1969-12-31 23:59:59.999999 was a Wednesday, hour 23.
        let f = calendar_fields(-1);
        assert_eq!((f.day, f.hour, f.weekday), (-1, 23, 2));
    }
}
